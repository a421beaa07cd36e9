"""Deterministic checks of a letter record against the letter text.

STUB: interface fixed, implementation in progress.
"""

from __future__ import annotations

from extractor.schema import Issue, Letter, Status


def validate(text: str, letter: Letter) -> list[Issue]:
    """Run every check; `text` is the normalised letter text."""
    raise NotImplementedError


def status_for(issues: list[Issue]) -> Status:
    """'flagged' if any issue is an error, else 'passed'."""
    return "flagged" if any(i.severity == "error" for i in issues) else "passed"
