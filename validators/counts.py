"""Counts against their evidence: the phrase is the letter's, and it states the numbers and the
judgement the record gives."""

from __future__ import annotations

from collections.abc import Iterator

from extractor.schema import Count, Finding, Issue, Letter
from validators.issues import error
from validators.text import contains, numbers_in, short


def iter_counts(letter: Letter) -> Iterator[tuple[str, Finding, Count]]:
    """Every count of every finding with its field path, e.g. 'strengths[4].counts[0]'."""
    for list_name in ("strengths", "areas_for_improvement"):
        findings: list[Finding] = getattr(letter, list_name)
        for i, finding in enumerate(findings):
            for j, count in enumerate(finding.counts):
                yield f"{list_name}[{i}].counts[{j}]", finding, count


def _stated(numbers: set[int]) -> str:
    return ", ".join(str(n) for n in sorted(numbers)) or "no number"


def check_count_evidence(text: str, letter: Letter) -> list[Issue]:
    """Each count's evidence is a non-empty verbatim phrase of the letter (count.evidence_empty,
    count.evidence_not_in_text) inside its own finding's text (count.evidence_not_in_finding)."""
    issues: list[Issue] = []
    for path, finding, count in iter_counts(letter):
        field = f"{path}.evidence"
        if not count.evidence.strip():
            issues.append(
                error(
                    "count.evidence_empty",
                    field,
                    f"{path} has no evidence: copy the phrase of the finding that states it, "
                    "from the number to the end of the judgement",
                )
            )
        elif not contains(text, count.evidence):
            issues.append(
                error(
                    "count.evidence_not_in_text",
                    field,
                    f"{field} '{short(count.evidence)}' does not occur in the letter: copy the "
                    "phrase verbatim from the finding's text, or drop the count if the letter "
                    "does not state it",
                    found=count.evidence,
                )
            )
        elif not contains(finding.text, count.evidence):
            issues.append(
                error(
                    "count.evidence_not_in_finding",
                    field,
                    f"{field} '{short(count.evidence)}' is in the letter but not in this "
                    f"finding's text '{short(finding.text, 40)}': move the count to the finding "
                    "that states it",
                    found=count.evidence,
                )
            )
    return issues


def check_count_numbers(text: str, letter: Letter) -> list[Issue]:
    """count and total are stated in the evidence as digits or words
    (count.count_not_in_evidence, count.total_not_in_evidence), and count <= total
    (count.count_exceeds_total)."""
    issues: list[Issue] = []
    for path, _finding, count in iter_counts(letter):
        stated = numbers_in(count.evidence)
        quote = short(count.evidence)
        if count.count not in stated:
            issues.append(
                error(
                    "count.count_not_in_evidence",
                    f"{path}.count",
                    f"{path}.count is {count.count} but its evidence '{quote}' states "
                    f"{_stated(stated)}: set count to the number the phrase gives ('none' is 0)",
                    expected=_stated(stated),
                    found=count.count,
                )
            )
        if count.total is not None and count.total not in stated:
            issues.append(
                error(
                    "count.total_not_in_evidence",
                    f"{path}.total",
                    f"{path}.total is {count.total} but its evidence '{quote}' states "
                    f"{_stated(stated)}: set total to the 'of N' the phrase gives, or null when "
                    "it gives none",
                    expected=_stated(stated),
                    found=count.total,
                )
            )
        if count.total is not None and count.count > count.total:
            issues.append(
                error(
                    "count.count_exceeds_total",
                    f"{path}.count",
                    f"{path}.count {count.count} is more than its total {count.total}: in "
                    f"'{quote}' the count is the part and the total the whole",
                    expected=f"<= {count.total}",
                    found=count.count,
                )
            )
    return issues


def check_count_judgement(text: str, letter: Letter) -> list[Issue]:
    """A non-null judgement occurs in the evidence, case-insensitively
    (count.judgement_not_in_evidence)."""
    issues: list[Issue] = []
    for path, _finding, count in iter_counts(letter):
        if count.judgement is None or contains(count.evidence, count.judgement, ignore_case=True):
            continue
        issues.append(
            error(
                "count.judgement_not_in_evidence",
                f"{path}.judgement",
                f"{path}.judgement '{count.judgement}' does not occur in its evidence "
                f"'{short(count.evidence)}': use the judgement as written in the phrase "
                "(lower case, without adverbs), or null when it gives none",
                found=count.judgement,
            )
        )
    return issues
