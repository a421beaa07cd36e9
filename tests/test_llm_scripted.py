"""The LLM engine against a SCRIPTED OpenAI-compatible server on 127.0.0.1.

Each test scripts the server's replies (rate limits, 5xx, timeouts, dropped connections, bad
JSON, wrong answers, a 400) and asserts what the engine does: transport faults are retried with
backoff and never count as re-asks; wrong answers are re-asked with the validators' corrections;
an answer that never passes is kept, flagged, with its last answer; a 400 fails the letter with
the provider's message.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import openai
import pytest

from ofsted_extractor import extract
from ofsted_extractor.engines.llm import CORRECTION_HEADER, LLMEngine
from ofsted_extractor.errors import LLMError
from ofsted_extractor.llm_config import LLMConfig
from ofsted_extractor.loading import load_text
from ofsted_extractor.schema import Document
from tests.conftest import example_text, gold_record
from tests.scripted_server import SCRIPTED_MODEL, Reply, chat, error, scripted_server

# The scripted server listens on loopback; --block-network allows only that.
pytestmark = pytest.mark.block_network(allowed_hosts=[r"^127\.0\.0\.1$"])

LETTER = "worcestershire-2011"


def letter_text() -> str:
    return example_text(LETTER)


def gold_answer() -> dict[str, Any]:
    """The hand-labelled gold record, as the compact answer a perfect model would give."""
    gold = gold_record(LETTER)

    def bullets(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"bullet": i, "topic": f["topic"], "counts": f["counts"]}
            for i, f in enumerate(findings, 1)
        ]

    return {
        "local_authority": gold["local_authority"],
        "assessment_year": gold["assessment_year"],
        "letter_date": gold["letter_date"],
        "recipient_name": gold["recipient"]["name"],
        "recipient_role": gold["recipient"]["role"],
        "signatory_name": gold["signatory"]["name"],
        "signatory_role": gold["signatory"]["role"],
        "grade": gold["grade"],
        "grade_label": gold["grade_label"],
        "strengths": bullets(gold["strengths"]),
        "areas_for_improvement": bullets(gold["areas_for_improvement"]),
        "safeguarding_inspections": gold["safeguarding_inspections"],
    }


def good() -> Reply:
    return chat(json.dumps(gold_answer()))


def label_mismatch() -> Reply:
    """Grade 1 (right) with the label of grade 3 (wrong): the validators must catch it."""
    return chat(json.dumps({**gold_answer(), "grade_label": "Performs well"}))


class Sleeps:
    """Records the backoff waits the engine asks for, and waits them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(seconds)


def engine_for(
    base_url: str, sleeps: Sleeps | None = None, tmp_path: Path | None = None, **overrides: Any
) -> LLMEngine:
    values: dict[str, Any] = {
        "model": SCRIPTED_MODEL,
        "base_url": base_url,
        "backend": "llama-cpp-python",
        "timeout": 5.0,
        "transport_retries": 2,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
        "cache": tmp_path is not None,
        "cache_dir": tmp_path,
    }
    values.update(overrides)
    return LLMEngine(LLMConfig(**values), sleep=sleeps)


def run(engine: LLMEngine) -> Document:
    return extract(letter_text(), engine=engine, path=f"{LETTER}.txt")


def last_user_message(body: dict[str, Any]) -> str:
    content: str = body["messages"][-1]["content"]
    assert body["messages"][-1]["role"] == "user"
    return content


# --- The happy path and what it records --------------------------------------------------------


def test_SCRIPTED_correct_answer_passes_in_one_call() -> None:
    with scripted_server([good()]) as server:
        doc = run(engine_for(server.base_url))
    assert doc.validation.status == "passed", doc.validation.issues
    assert (doc.usage.calls, doc.usage.reasks) == (1, 0)
    assert (doc.usage.prompt_tokens, doc.usage.completion_tokens) == (1000, 100)
    assert doc.last_answer is None  # only kept when the record is not passed
    # The summary and bullet texts come from the letter, not from the answer.
    assert doc.letter is not None and doc.letter.summary is not None
    assert doc.letter.strengths[4].text.startswith("As in 2010, eight of the 12 fostering")
    body = server.bodies()[0]
    assert body["response_format"]["type"] == "json_object"
    assert body["max_tokens"] == 4096 and body["temperature"] == 0.0


# --- Transport faults: retried below instructor, never re-asks -------------------------------------


def test_SCRIPTED_429_honours_retry_after_and_is_not_a_reask() -> None:
    sleeps = Sleeps()
    script = [error(429, "slow down", {"retry-after": "0.3"}), good()]
    with scripted_server(script) as server:
        started = time.monotonic()
        doc = run(engine_for(server.base_url, sleeps))
    assert sleeps.waits == [0.3]
    assert server.seen[1].at - server.seen[0].at >= 0.3
    assert time.monotonic() - started >= 0.3
    assert doc.validation.status == "passed"
    assert (doc.usage.calls, doc.usage.reasks) == (1, 0)
    assert server.bodies()[0] == server.bodies()[1]  # the fault never entered the prompt


def test_SCRIPTED_500_then_success_backs_off_with_jitter() -> None:
    sleeps = Sleeps()
    with scripted_server([error(500, "boom"), good()]) as server:
        engine = engine_for(server.base_url, sleeps)
        doc = run(engine)
    assert len(sleeps.waits) == 1 and 0.005 <= sleeps.waits[0] <= 0.05
    assert doc.validation.status == "passed"
    assert (doc.usage.calls, doc.usage.reasks) == (1, 0)
    assert engine.totals.transport_retries == 1 and engine.totals.reasks == 0
    assert CORRECTION_HEADER not in json.dumps(server.bodies()[1])


def test_SCRIPTED_timeout_is_retried() -> None:
    sleeps = Sleeps()
    slow = good()
    slow.delay = 1.0  # longer than the client's timeout
    with scripted_server([slow, good()]) as server:
        doc = run(engine_for(server.base_url, sleeps, timeout=0.3))
    assert len(server.seen) == 2 and len(sleeps.waits) == 1
    assert doc.validation.status == "passed"
    assert (doc.usage.calls, doc.usage.reasks) == (1, 0)


def test_SCRIPTED_dropped_connection_is_retried() -> None:
    sleeps = Sleeps()
    with scripted_server([Reply(drop=True), good()]) as server:
        doc = run(engine_for(server.base_url, sleeps))
    assert len(server.seen) == 2 and len(sleeps.waits) == 1
    assert doc.validation.status == "passed"
    assert doc.usage.reasks == 0


def test_SCRIPTED_transient_faults_beyond_the_retries_fail_the_letter() -> None:
    sleeps = Sleeps()
    with scripted_server([error(503, "overloaded")] * 3) as server:
        doc = run(engine_for(server.base_url, sleeps, transport_retries=2))
    assert len(server.seen) == 3 and len(sleeps.waits) == 2
    assert doc.validation.status == "failed"
    assert doc.error is not None and doc.error.code == "llm"
    assert "HTTP 503: overloaded" in doc.error.message


def test_SCRIPTED_400_fails_the_letter_with_the_providers_message_and_no_retry() -> None:
    sleeps = Sleeps()
    script = [error(400, "This model's maximum context length is 8192 tokens")]
    with scripted_server(script) as server:
        engine = engine_for(server.base_url, sleeps)
        with pytest.raises(LLMError) as caught:
            engine.extract(load_text(letter_text(), path=f"{LETTER}.txt"))
    assert len(server.seen) == 1 and sleeps.waits == []
    assert "HTTP 400: This model's maximum context length is 8192 tokens" in str(caught.value)
    assert isinstance(caught.value.original, openai.BadRequestError)  # the provider's own error


def test_SCRIPTED_400_through_the_pipeline_is_a_failed_document() -> None:
    with scripted_server([error(400, "bad request: unknown field")]) as server:
        doc = run(engine_for(server.base_url))
    assert len(server.seen) == 1
    assert doc.validation.status == "failed" and doc.letter is None
    assert doc.error is not None and "unknown field" in doc.error.message


# --- Answers that fail: re-asked with corrections, kept when they never pass ------------------------


def test_SCRIPTED_malformed_json_is_reasked() -> None:
    with scripted_server([chat('{"local_authority": "Worc'), good()]) as server:
        doc = run(engine_for(server.base_url))
    assert doc.validation.status == "passed"
    assert (doc.usage.calls, doc.usage.reasks) == (2, 1)
    second = server.bodies()[1]
    assert "Correct your JSON ONLY RESPONSE" in last_user_message(second)
    assert second["messages"][-2] == {"role": "assistant", "content": '{"local_authority": "Worc'}


def test_SCRIPTED_grade_label_mismatch_is_corrected_after_one_reask() -> None:
    with scripted_server([label_mismatch(), good()]) as server:
        doc = run(engine_for(server.base_url))
    correction = last_user_message(server.bodies()[1])
    assert CORRECTION_HEADER in correction
    assert "- grade_label:" in correction and "Performs poorly" in correction
    assert doc.validation.status == "passed"
    assert (doc.usage.calls, doc.usage.reasks) == (2, 1)
    assert doc.letter is not None and doc.letter.grade_label == "Performs poorly"


def test_SCRIPTED_answer_that_never_passes_is_kept_flagged_with_its_last_answer() -> None:
    wrong = [label_mismatch() for _ in range(3)]
    wrong[2] = chat(json.dumps({**gold_answer(), "grade_label": "Performs excellently"}))
    with scripted_server(wrong) as server:
        doc = run(engine_for(server.base_url, max_reasks=2))
    assert len(server.seen) == 3
    assert (doc.usage.calls, doc.usage.reasks) == (3, 2)
    assert doc.validation.status == "flagged"
    assert doc.letter is not None and doc.letter.grade_label == "Performs excellently"
    assert any(i.field == "grade_label" for i in doc.validation.issues)
    assert doc.last_answer is not None and '"Performs excellently"' in doc.last_answer


def test_SCRIPTED_token_budget_stops_reasking() -> None:
    with scripted_server([label_mismatch(), good()]) as server:
        doc = run(engine_for(server.base_url, token_budget=1000))  # the first call uses 1100
    assert len(server.seen) == 1
    assert doc.validation.status == "flagged"
    assert (doc.usage.calls, doc.usage.reasks) == (1, 0)


def test_SCRIPTED_answer_that_never_parses_fails_with_the_last_completion() -> None:
    with scripted_server([chat("not json"), chat("still not"), chat("nope")]) as server:
        doc = run(engine_for(server.base_url))
    assert len(server.seen) == 3
    assert doc.validation.status == "failed" and doc.letter is None
    assert doc.error is not None and doc.error.code == "extraction_failed"
    assert doc.last_answer == "nope"
    assert doc.usage.calls == 3


def test_SCRIPTED_answer_cut_at_max_tokens_is_reasked_shorter() -> None:
    cut = chat(
        '{"local_authority": "Worcestershire County Council", "assess', finish_reason="length"
    )
    with scripted_server([cut, good()]) as server:
        doc = run(engine_for(server.base_url, max_output_tokens=64))
    correction = last_user_message(server.bodies()[1])
    assert "cut off at 64 tokens" in correction
    assert doc.validation.status == "passed"
    assert (doc.usage.calls, doc.usage.reasks) == (2, 1)


def test_SCRIPTED_bullet_numbers_outside_the_list_are_corrected() -> None:
    answer = gold_answer()
    answer["strengths"][5]["bullet"] = 9
    with scripted_server([chat(json.dumps(answer)), good()]) as server:
        doc = run(engine_for(server.base_url))
    correction = last_user_message(server.bodies()[1])
    assert "strengths: bullet number(s) [9] do not exist" in correction
    assert "bullet(s) [6] of 'Strengths' are missing" in correction
    assert doc.validation.status == "passed"


# --- Cache and batches ---------------------------------------------------------------------------


def test_SCRIPTED_unchanged_letter_is_served_from_the_cache(tmp_path: Path) -> None:
    with scripted_server([good()]) as server:
        first = run(engine_for(server.base_url, tmp_path=tmp_path))
        engine = engine_for(server.base_url, tmp_path=tmp_path)
        second = run(engine)
    assert len(server.seen) == 1  # the second run made no call
    assert second.usage.cached and second.usage.calls == 0
    assert second.letter == first.letter
    assert engine.totals.cached == 1 and engine.totals.calls == 0


def test_SCRIPTED_no_cache_bypasses_the_cache(tmp_path: Path) -> None:
    with scripted_server([good(), good()]) as server:
        run(engine_for(server.base_url, tmp_path=tmp_path))
        engine = engine_for(server.base_url, tmp_path=tmp_path, cache=False)
        doc = run(engine)
    assert len(server.seen) == 2 and not doc.usage.cached


def test_SCRIPTED_aextract_runs_letters_concurrently() -> None:
    slow = [good(), good(), good()]
    for reply in slow:
        reply.delay = 0.3
    with scripted_server(slow) as server:
        engine = engine_for(server.base_url)
        doc = load_text(letter_text(), path=f"{LETTER}.txt")

        async def batch() -> list[Any]:
            return list(await asyncio.gather(*(engine.aextract(doc) for _ in range(3))))

        started = time.monotonic()
        results = asyncio.run(batch())
        elapsed = time.monotonic() - started
    assert len(results) == 3 and all(r.usage.calls == 1 for r in results)
    assert elapsed < 0.85  # three 0.3 s answers overlapped
    assert engine.totals.letters == 3 and engine.totals.calls == 3


def test_SCRIPTED_answers_always_cut_off_are_salvaged_and_flagged_not_dropped() -> None:
    cut = json.dumps({**gold_answer(), "grade": 4, "grade_label": "Performs excellently"})[:700]
    with scripted_server([chat(cut, finish_reason="length") for _ in range(3)]) as server:
        doc = run(engine_for(server.base_url, max_output_tokens=64))
    assert len(server.seen) == 3
    assert (doc.usage.calls, doc.usage.reasks) == (3, 2)
    assert doc.validation.status == "flagged"
    assert doc.letter is not None and doc.letter.grade == 4  # what the model said, kept
    assert any(i.field.startswith("grade") for i in doc.validation.issues)
    assert doc.last_answer == cut


# --- An unnamed local server that wants the other schema shape ---------------------------------


def test_SCRIPTED_server_refusing_json_schema_gets_json_object_with_schema_without_retries() -> (
    None
):
    # llama-cpp-python 0.3.16 answers a json_schema response_format like this (HTTP 500)
    refusal = error(
        500,
        "1 validation error: {'loc': ('body', 'response_format', 'type'), "
        "'msg': \"Input should be 'text' or 'json_object'\"}",
    )
    sleeps = Sleeps()
    with scripted_server([refusal, good()]) as server:
        engine = engine_for(server.base_url, sleeps, backend=None)
        doc = run(engine)
    assert doc.validation.status == "passed", doc.validation.issues
    first, second = server.bodies()
    assert first["response_format"]["type"] == "json_schema"
    assert second["response_format"]["type"] == "json_object"
    assert "schema" in second["response_format"]
    assert sleeps.waits == []  # a refused shape is not a transient fault: no backoff
    assert doc.usage.reasks == 0
    assert doc.engine.mode is not None and "/json_object_schema/" in doc.engine.mode


def test_SCRIPTED_a_named_backend_keeps_its_shape_when_refused() -> None:
    refusal = error(500, "response_format: Input should be 'text' or 'json_object'")
    with scripted_server([refusal]) as server:
        engine = engine_for(server.base_url, backend="vllm", transport_retries=0)
        doc = run(engine)
    assert doc.validation.status == "failed"
    assert len(server.bodies()) == 1


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        pytest.param(None, 4, id="openai-4"),
        pytest.param("http://127.0.0.1:8765/v1", 1, id="local-server-1"),
        pytest.param("http://127.0.0.1:11434/v1", 1, id="ollama-1"),
    ],
)
def test_defaults_do_not_queue_or_rush_a_local_server(base_url: str | None, expected: int) -> None:
    config = LLMConfig(model="m", base_url=base_url, api_key="sk-test-not-a-real-key")
    assert config.resolved_concurrency == expected
    # and a local server, slow on a CPU, gets longer to answer
    assert config.resolved_timeout == (120.0 if expected == 4 else 600.0)


# --- Letter text is data ---------------------------------------------------------------------


TEMPLATE_SYNTAX = "{% endraw %} {{ x }} {% if y %}{# note #} {%raw%}"


def test_SCRIPTED_a_letter_holding_template_syntax_extracts_and_is_sent_verbatim() -> None:
    # instructor renders messages through Jinja when a validation context is given; a letter
    # that holds Jinja syntax must reach the server as written and extract as any other.
    anchor = "The gap in attainment between 16-year-olds"
    text = letter_text().replace(anchor, f"{TEMPLATE_SYNTAX} {anchor}", 1)
    assert TEMPLATE_SYNTAX in text
    with scripted_server([good()]) as server:
        doc = extract(text, engine=engine_for(server.base_url), path=f"{LETTER}.txt")
    assert doc.error is None
    assert doc.letter is not None
    assert any(TEMPLATE_SYNTAX in f.text for f in doc.letter.strengths)
    assert doc.validation.status == "passed", doc.validation.issues
    sent = "\n".join(m["content"] for m in server.bodies()[0]["messages"])
    assert TEMPLATE_SYNTAX in sent
    assert "{{ '{' }}" not in sent


def test_SCRIPTED_a_batch_shares_one_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Making a client loads the TLS bundle (tens of ms of CPU): one a batch, not one a letter.
    from ofsted_extractor.pipeline import iter_extracted

    made: list[object] = []

    class Counting(openai.AsyncOpenAI):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(openai, "AsyncOpenAI", Counting)
    paths = []
    for i in range(3):
        path = tmp_path / f"letter-{i}.txt"
        path.write_text(letter_text(), encoding="utf-8")
        paths.append(path)
    with scripted_server([good(), good(), good()]) as server:
        engine = engine_for(server.base_url)
        docs = [x.document for x in iter_extracted(paths, engine, concurrency=3)]
    assert [d.validation.status for d in docs] == ["passed"] * 3
    assert len(made) == 1
