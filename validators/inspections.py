"""Safeguarding inspections against their evidence sentences in the summary."""

from __future__ import annotations

import re

from extractor.schema import InspectionKind, InspectionOutcome, Issue, Letter
from validators.issues import error, warning
from validators.reading import paragraph_around, read_summary
from validators.text import MONTHS, contains, find_span, short, squash

_MONTH = "|".join(MONTHS)

# A month and year as the letters date inspections: "In August 2010," / "in July 2010".
MONTH_YEAR = re.compile(rf"\b(?P<month>{_MONTH})\s+(?P<year>(?:19|20)\d\d)\b")

# Any mention of an inspection: "the previous inspection of these arrangements".
_INSPECTION = re.compile(r"\binspection\b", re.IGNORECASE)

# The words that name each kind, as the letters write them:
#   "an unannounced inspection of contact, referral and assessment arrangements"
#   "a full inspection of safeguarding found that ..."
#   "the inspection of safeguarding and looked after children services"
_CRA = re.compile(r"unannounced|contact,?\s+referral\s+and\s+assessment", re.IGNORECASE)
_SLAC = re.compile(r"safeguarding\s+and\s+looked\s+after\s+children", re.IGNORECASE)
_FULL = re.compile(r"full\s+inspection|inspection\s+of\s+safeguarding", re.IGNORECASE)

# The phrase each outcome is reported with, somewhere in the evidence or the two sentences after:
#   "This identified an area for priority action", "There were no priority actions",
#   "The areas for development identified ...", "... and safeguarding remained inadequate".
_PRIORITY = re.compile(r"priority\s+actions?", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:no|not|none)\b", re.IGNORECASE)
_OUTCOME_WORDS: dict[str, re.Pattern[str]] = {
    "areas for development": re.compile(r"areas?\s+for\s+development", re.IGNORECASE),
    "outstanding": re.compile(r"\boutstanding\b", re.IGNORECASE),
    "good": re.compile(r"\bgood\b", re.IGNORECASE),
    "adequate": re.compile(r"\badequate\b", re.IGNORECASE),
    "inadequate": re.compile(r"\binadequate\b", re.IGNORECASE),
}


def kinds_named(s: str) -> set[InspectionKind]:
    """The inspection kinds whose key words occur in `s`."""
    kinds: set[InspectionKind] = set()
    if _SLAC.search(s):
        kinds.add("inspection of safeguarding and looked after children")
    elif _FULL.search(s):
        kinds.add("full inspection of safeguarding")
    if _CRA.search(s):
        kinds.add("unannounced inspection of contact, referral and assessment")
    return kinds


def _outcome_stated(window: str, outcome: InspectionOutcome) -> bool:
    if outcome in ("priority action", "no priority action"):
        for m in _PRIORITY.finditer(window):
            sentence_start = window.rfind(".", 0, m.start()) + 1
            negated = bool(_NEGATION.search(window, sentence_start, m.start()))
            if negated == (outcome == "no priority action"):
                return True
        return False
    return bool(_OUTCOME_WORDS[outcome].search(window))


def _window(text: str, span: tuple[int, int], sentences: int = 3) -> str:
    """The evidence and the sentences after it (the evidence's own counts as one), within its
    paragraph: letters report an inspection in one sentence and its outcome in the next."""
    _, para_end = paragraph_around(text, span[0])
    end = span[1]
    for _ in range(sentences):
        stop = text.find(".", end, para_end)
        if stop < 0:
            end = para_end
            break
        end = stop + 1
    return text[span[0] : end]


def check_inspection_evidence(text: str, letter: Letter) -> list[Issue]:
    """Each inspection's evidence is a verbatim phrase of the letter (inspection.evidence_empty,
    inspection.evidence_not_in_text) from the summary (inspection.outside_summary, a warning)."""
    summary = read_summary(text)
    issues: list[Issue] = []
    for i, insp in enumerate(letter.safeguarding_inspections):
        field = f"safeguarding_inspections[{i}].evidence"
        if not insp.evidence.strip():
            issues.append(
                error(
                    "inspection.evidence_empty",
                    field,
                    f"{field} is empty: copy the summary's sentence that reports the inspection",
                )
            )
        elif not contains(text, insp.evidence):
            issues.append(
                error(
                    "inspection.evidence_not_in_text",
                    field,
                    f"{field} '{short(insp.evidence)}' does not occur in the letter: copy the "
                    "sentence verbatim, up to (not including) its full stop",
                    found=insp.evidence,
                )
            )
        elif summary is not None and not contains(summary, insp.evidence):
            issues.append(
                warning(
                    "inspection.outside_summary",
                    field,
                    f"{field} '{short(insp.evidence)}' is not from the summary: list the "
                    "inspections the summary reports, from its sentences",
                    found=insp.evidence,
                )
            )
    return issues


def check_inspection_date(text: str, letter: Letter) -> list[Issue]:
    """The month and year of each inspection's date are written in its evidence
    (inspection.date_not_in_evidence; `expected` is the evidence's own month-year if it has
    one)."""
    issues: list[Issue] = []
    for i, insp in enumerate(letter.safeguarding_inspections):
        field = f"safeguarding_inspections[{i}].date"
        year, month = int(insp.date[:4]), int(insp.date[5:])
        stated = [
            (int(m["year"]), MONTHS.index(m["month"]) + 1)
            for m in MONTH_YEAR.finditer(squash(insp.evidence))
        ]
        if (year, month) in stated:
            continue
        expected = ", ".join(f"{y}-{m:02d}" for y, m in stated) or None
        written = f"{MONTHS[month - 1]} {year}" if 1 <= month <= 12 else insp.date
        issues.append(
            error(
                "inspection.date_not_in_evidence",
                field,
                f"{field} is {insp.date} but its evidence '{short(insp.evidence)}' does not say "
                f"'{written}'"
                + (f"; it says {expected}: use that month and year" if expected else ""),
                expected=expected,
                found=insp.date,
            )
        )
    return issues


def check_inspection_kind(text: str, letter: Letter) -> list[Issue]:
    """Each inspection's kind is named by its evidence (inspection.kind_mismatch when the
    evidence names another kind). Evidence that names no kind ('the previous inspection of these
    arrangements') is resolved from the same paragraph before it; failing that it is a warning
    (inspection.kind_unstated)."""
    issues: list[Issue] = []
    for i, insp in enumerate(letter.safeguarding_inspections):
        field = f"safeguarding_inspections[{i}].kind"
        named = kinds_named(insp.evidence)
        if insp.kind in named:
            continue
        if named:
            issues.append(
                error(
                    "inspection.kind_mismatch",
                    field,
                    f"{field} is '{insp.kind}' but its evidence '{short(insp.evidence)}' names "
                    f"'{sorted(named)[0]}': set kind to that",
                    expected=sorted(named)[0],
                    found=insp.kind,
                )
            )
            continue
        span = find_span(text, insp.evidence)
        if span is not None:
            para_start, _ = paragraph_around(text, span[0])
            if insp.kind in kinds_named(text[para_start : span[0]]):
                continue
        issues.append(
            warning(
                "inspection.kind_unstated",
                field,
                f"{field} is '{insp.kind}' but neither its evidence '{short(insp.evidence)}' "
                "nor the sentences before it name that kind of inspection",
                found=insp.kind,
            )
        )
    return issues


def check_inspection_outcome(text: str, letter: Letter) -> list[Issue]:
    """A non-null outcome is stated in the evidence or the two sentences after it
    (inspection.outcome_not_stated, a warning: outcomes are reported in varied words)."""
    issues: list[Issue] = []
    for i, insp in enumerate(letter.safeguarding_inspections):
        if insp.outcome is None:
            continue
        span = find_span(text, insp.evidence)
        window = _window(text, span) if span else insp.evidence
        if _outcome_stated(window, insp.outcome):
            continue
        field = f"safeguarding_inspections[{i}].outcome"
        issues.append(
            warning(
                "inspection.outcome_not_stated",
                field,
                f"{field} is '{insp.outcome}' but neither the evidence nor the two sentences "
                f"after it say so ('{short(window, 80)}'): use null when the letter does not say",
                found=insp.outcome,
            )
        )
    return issues


def check_inspection_duplicates(text: str, letter: Letter) -> list[Issue]:
    """No inspection (same date and kind) is listed twice (inspection.duplicate)."""
    seen: dict[tuple[str, str], int] = {}
    issues: list[Issue] = []
    for i, insp in enumerate(letter.safeguarding_inspections):
        key = (insp.date, insp.kind)
        if key in seen:
            issues.append(
                error(
                    "inspection.duplicate",
                    f"safeguarding_inspections[{i}]",
                    f"safeguarding_inspections[{i}] repeats safeguarding_inspections"
                    f"[{seen[key]}] ({insp.date}, {insp.kind}): list each inspection once",
                    found=f"{insp.date} {insp.kind}",
                )
            )
        else:
            seen[key] = i
    return issues


def check_inspections_listed(text: str, letter: Letter) -> list[Issue]:
    """Every summary sentence that dates an inspection ('In August 2010, an unannounced
    inspection ...') is some inspection's evidence (inspection.unlisted, a warning: the sentence
    may report something that is not an inspection of safeguarding)."""
    summary = read_summary(text)
    if summary is None:
        return []
    issues: list[Issue] = []
    evidence = [squash(insp.evidence) for insp in letter.safeguarding_inspections]
    for sentence in re.split(r"(?<=\.)\s+", squash(summary)):
        if not (_INSPECTION.search(sentence) and MONTH_YEAR.search(sentence)):
            continue
        if any(e and (e in sentence or sentence in e) for e in evidence):
            continue
        issues.append(
            warning(
                "inspection.unlisted",
                "safeguarding_inspections",
                f"the summary reports an inspection that no item's evidence covers: "
                f"'{short(sentence, 100)}': add it if it is an inspection of safeguarding",
                expected=sentence,
            )
        )
    return issues
