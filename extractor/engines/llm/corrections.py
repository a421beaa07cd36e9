"""Corrections: what a re-ask tells the model about its last answer, one line per problem.

The lines come from the core validators (error-severity issues the model can act on), from the
compact format's own rules (one item per bullet; sentence numbers that exist), and from the
transport (an answer cut at max_tokens, or one that is not JSON of the schema).
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from ofsted_extractor.engines.llm.answers import (
    CompactAnswer,
    StructureLike,
    read_inspection,
    summary_sentences,
)
from ofsted_extractor.schema import Issue

#: The text every re-ask message starts with.
CORRECTION_HEADER = "The answer disagrees with the letter. Fix these and answer again:"

# Fields a compact answer cannot change (they come from the structure), so an issue about them
# must not become a re-ask the model could never satisfy: "summary", "strengths[2].text".
_STRUCTURE_FIELD = re.compile(
    r"^(?:summary|(?:strengths|areas_for_improvement)\[\d+\]\.text"
    r"|safeguarding_inspections\[\d+\]\.evidence)$"
)


# Letter field paths as the compact answer names them, so a correction names the key the model
# wrote: "strengths[4].counts[0].total" -> "strengths[4].counts[0]" (a count is one line).
_COMPACT_NAMES = [
    (re.compile(r"^local_authority"), "authority"),
    (re.compile(r"^assessment_year"), "year"),
    (re.compile(r"^letter_date"), "date"),
    (re.compile(r"^recipient\.name"), "to"),
    (re.compile(r"^recipient\.role"), "to_role"),
    (re.compile(r"^recipient"), "to"),
    (re.compile(r"^signatory\.name"), "by"),
    (re.compile(r"^signatory\.role"), "by_role"),
    (re.compile(r"^signatory"), "by"),
    (re.compile(r"^grade_label"), "label"),
    (re.compile(r"^areas_for_improvement"), "areas"),
    (re.compile(r"^safeguarding_inspections(\[\d+\])?\.\w+$"), r"inspections\1"),
    (re.compile(r"^safeguarding_inspections"), "inspections"),
    (re.compile(r"(\.counts\[\d+\])\.\w+$"), r"\1"),  # a count is one line in the answer
]


def compact_field_name(path: str) -> str:
    """A Letter field path as the compact answer names it."""
    for pattern, name in _COMPACT_NAMES:
        path = pattern.sub(name, path, count=1)
    return path


def _list_length_corrections(got: int, n: int, key: str, head: str) -> list[str]:
    """A compact list has exactly one item per bullet."""
    if got == n:
        return []
    return [
        f"- {key}: {got} item(s) given, but '{head}' has {n} bullet(s); give exactly one item "
        f"per bullet, in order."
    ]


def _sentence_corrections(answer: CompactAnswer, n: int) -> list[str]:
    numbers = {read_inspection(line).sentence for line in answer.inspections}
    bad = sorted(s for s in numbers if not 1 <= s <= n)
    if not bad:
        return []
    return [
        f"- inspections: sentence number(s) {bad} do not exist; the summary has {n} sentences, "
        f"numbered 1 to {n}."
    ]


def answer_corrections(
    answer: BaseModel, structure: StructureLike, issues: list[Issue]
) -> list[str]:
    """The corrections a re-ask should carry, one line each; empty when the answer passes.

    Args:
        answer: the parsed answer.
        structure: the letter's structure.
        issues: the core validators' issues for the Letter the answer stands for.

    Returns:
        Lines like "- grade: ..." built from error-severity issues the model can act on.
    """
    lines: list[str] = []
    compact = isinstance(answer, CompactAnswer)
    if isinstance(answer, CompactAnswer):
        lines += _list_length_corrections(
            len(answer.strengths), len(structure.strengths), "strengths", "Strengths"
        )
        lines += _list_length_corrections(
            len(answer.areas), len(structure.areas), "areas", "Areas for further improvement"
        )
        lines += _sentence_corrections(answer, len(summary_sentences(structure.summary)))
    for issue in issues:
        if issue.severity != "error" or (compact and _STRUCTURE_FIELD.match(issue.field)):
            continue
        name = compact_field_name(issue.field) if compact else issue.field
        lines.append(f"- {name}: {issue.message}")
    return lines


def correction_message(lines: list[str]) -> str:
    """The re-ask message for some correction lines."""
    return "\n".join([CORRECTION_HEADER, *lines])


def truncation_correction(max_tokens: int) -> str:
    """The re-ask for an answer cut off at `max_tokens`."""
    return correction_message(
        [
            f"- The answer was cut off at {max_tokens} tokens and is not complete JSON. Answer "
            "again, shorter: one item per bullet, only the counts the bullet states, short quotes."
        ]
    )


def parse_correction(reason: str) -> str:
    """The re-ask for an answer that is not JSON of the answer schema."""
    return correction_message([f"- The answer is not JSON of the schema: {reason}"])
