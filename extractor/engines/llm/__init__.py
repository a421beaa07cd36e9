"""The LLM engine, split by job.

| module           | job                                                                      |
|------------------|--------------------------------------------------------------------------|
| `engine`         | `LLMEngine`: cache, the ask / check / re-ask loop, batches (`extract_many`) |
| `client`         | the one module importing openai, instructor, tenacity: client, retries   |
| `messages`       | system and user messages, the letter delimited as data, schema shapes    |
| `answers`        | the answer formats (compact, full) and the Letter each stands for        |
| `corrections`    | what a re-ask says about the last answer                                 |
| `cache`          | the content-addressed answer cache                                       |

Configuration is `ofsted_extractor.llm_config` (plain data, importable without the SDK).
"""

from typing import TYPE_CHECKING, Any

from ofsted_extractor.engines.llm.answers import CompactAnswer, FullAnswer, letter_from_answer
from ofsted_extractor.engines.llm.corrections import CORRECTION_HEADER, answer_corrections
from ofsted_extractor.engines.llm.messages import LETTER_END, LETTER_START, build_messages

if TYPE_CHECKING:
    from ofsted_extractor.engines.llm.engine import ENGINE_VERSION, LLMEngine, RunTotals

__all__ = [
    "CORRECTION_HEADER",
    "ENGINE_VERSION",
    "LETTER_END",
    "LETTER_START",
    "CompactAnswer",
    "FullAnswer",
    "LLMEngine",
    "RunTotals",
    "answer_corrections",
    "build_messages",
    "letter_from_answer",
]


def __getattr__(name: str) -> Any:
    # The engine imports the OpenAI SDK (through `client`); the answer formats, messages and
    # corrections above do not, so scripts and tests can use them without it.
    if name in ("ENGINE_VERSION", "LLMEngine", "RunTotals"):
        from ofsted_extractor.engines.llm import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
