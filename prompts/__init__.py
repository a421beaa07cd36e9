"""Versioned prompt files and few-shot examples, read as package data.

A released prompt file is never edited in place: a change is a new file with the next version
(`extract_letter.v2.md`). Every result records the version it used and a sha256 over the prompt
text *and* its examples, so two runs with the same version but different bytes can be told apart.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

#: The prompt each answer format uses, and the examples file that goes with it.
DEFAULT_PROMPTS: dict[str, str] = {
    "compact": "extract_letter.v2",
    "full": "extract_letter_full.v2",
}
#: The examples file each prompt was released with (v1 examples are in the v1 answer shape).
PROMPT_EXAMPLES: dict[str, str] = {
    "extract_letter.v1": "examples.v1",
    "extract_letter_full.v1": "examples.v1",
    "extract_letter.v2": "examples.v2",
    "extract_letter_full.v2": "examples.v2",
}
DEFAULT_EXAMPLES = "examples.v2"


@dataclass(frozen=True)
class FewShotExample:
    """A made-up letter and the answer a careful reader gives (compact answer format)."""

    name: str
    letter: str
    answer: dict[str, Any]


@dataclass(frozen=True)
class Prompt:
    """A prompt file's text with its version and the hash of everything that shapes it."""

    version: str
    text: str
    examples: tuple[FewShotExample, ...]
    sha256: str


def _read(filename: str) -> bytes:
    try:
        return resources.files(__name__).joinpath(filename).read_bytes()
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"no prompt file {filename!r} in the prompts package") from exc


def load_examples(name: str = DEFAULT_EXAMPLES) -> tuple[FewShotExample, ...]:
    """Read a few-shot examples file (`prompts/<name>.json`).

    Raises:
        FileNotFoundError: no such file in the package.
    """
    data = json.loads(_read(f"{name}.json").decode("utf-8"))
    return tuple(
        FewShotExample(name=e["name"], letter=e["letter"], answer=e["answer"])
        for e in data["examples"]
    )


def load_prompt(version: str, examples: str | None = None) -> Prompt:
    """Read `prompts/<version>.md` with its examples.

    Args:
        version: the file stem, e.g. 'extract_letter.v1'.
        examples: the examples file stem, e.g. 'examples.v2'; None takes the one the prompt
            was released with.

    Returns:
        The prompt text (stripped), the examples, and sha256 over both files' bytes.

    Raises:
        FileNotFoundError: either file is missing from the package.
    """
    examples = examples or PROMPT_EXAMPLES.get(version, DEFAULT_EXAMPLES)
    raw = _read(f"{version}.md")
    raw_examples = _read(f"{examples}.json")
    digest = hashlib.sha256(raw + b"\0" + raw_examples).hexdigest()
    return Prompt(
        version=version,
        text=raw.decode("utf-8").strip(),
        examples=load_examples(examples),
        sha256=digest,
    )
