"""Safeguarding inspections against their evidence sentences in the summary, and the summary's
inspections against the record (the inventory: every dated inspection is some item)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from functools import lru_cache

from ofsted_extractor.schema import InspectionKind, InspectionOutcome, Issue, Letter
from ofsted_extractor.validators.issues import error, warning
from ofsted_extractor.validators.reading import (
    PERFORMANCE_SENTENCE,
    STRENGTHS_HEADING,
    paragraph_around,
    read_summary,
)
from ofsted_extractor.validators.text import MONTHS, contains, find_span, short, squash

_MONTH = "|".join(MONTHS)

# A month and year as the letters date inspections: "In August 2010," / "in July 2010".
MONTH_YEAR = re.compile(rf"\b(?P<month>{_MONTH})\s+(?P<year>(?:19|20)\d\d)\b")

# Several inspections dated in one list, each an item: "Unannounced inspections ... in June 2009
# and (again in) July 2010 found ...". Any other month-year after the first ("areas identified
# in July 2010") is history, not another inspection.
_MONTH_YEAR_LIST = re.compile(
    rf"(?:{_MONTH})\s+(?:19|20)\d\d(?:\s*,\s*(?:in\s+)?(?:{_MONTH})\s+(?:19|20)\d\d)*"
    rf"\s*,?\s+and\s+(?:again\s+)?(?:in\s+)?(?:{_MONTH})\s+(?:19|20)\d\d"
)

# A word that makes a sentence report an inspection: "Unannounced inspections", "the previous
# inspection of these arrangements", "was inspected in May 2010", "the joint area review".
_INSPECTION = re.compile(r"\binspect(?:ions?|ed)\b|\bjoint\s+area\s+review\b", re.IGNORECASE)

# The kind rule of eval/LABELLING.md ("Inspection kinds"), tried in this order, first match wins,
# over the sentence that reports the inspection:
# 1. it names safeguarding together with looked after children:
#    "a full inspection of safeguarding and looked after children services",
#    "safeguarding and looked-after children inspection", "looked after children and
#    safeguarding services"
_SLAC = re.compile(
    r"safeguarding\s+and\s+(?:services\s+for\s+)?looked[\s-]+after\s+children"
    r"|looked[\s-]+after\s+children(?:['\u2019]s)?\s+(?:services\s+)?and\s+safeguarding",
    re.IGNORECASE,
)
# 2. it is unannounced or names the front door:
#    "an unannounced inspection of contact, referral and assessment arrangements",
#    "an unannounced inspection of front-door services"
_CRA = re.compile(r"\bunannounced\b|contact,?\s+referral,?\s+and\s+assessment", re.IGNORECASE)
# 3. it names a full, announced or safeguarding inspection:
#    "a full inspection of safeguarding", "an announced inspection of safeguarding",
#    "the safeguarding inspection"
_FULL = re.compile(
    r"\bfull\s+inspection\b|\binspection\s+of\s+safeguarding\b|\bannounced\s+inspection\b"
    r"|\bsafeguarding\s+inspection\b",
    re.IGNORECASE,
)
# Not a kind of its own: "the previous inspection of these arrangements" takes the kind of the
# nearest sentence before it that names one.
_ANAPHORIC = re.compile(
    r"\binspection\s+of\s+th(?:ese|is|ose)\s+arrangements\b|\bprevious\s+inspection\b",
    re.IGNORECASE,
)

# The outcome a sentence states, read in the evidence and the sentences after it:
#   "This identified an area for priority action", "There were no priority actions",
#   "The areas for development identified ...", "... and safeguarding remained inadequate",
#   "judged the overall effectiveness of safeguarding to be good"
_PRIORITY = re.compile(r"priority\s+actions?", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:no|not|none|nor|without)\b", re.IGNORECASE)
_DEVELOPMENT = re.compile(r"areas?\s+for\s+development", re.IGNORECASE)
# A grade only as a predicate of what was inspected ("remained inadequate", "to be good"), never
# "good progress" or "good or better".
_GRADE_PREDICATE = re.compile(
    r"\b(?:to\s+be|remained|remains|was|were|is|are|as|judged|graded|rated)\s+"
    r"(?:only\s+|now\s+|still\s+)?(?P<grade>outstanding|good|inadequate|adequate)\b"
    r"(?!\s+(?:or|and)\s+(?:better|outstanding))",
    re.IGNORECASE,
)
# ... and only in a sentence about what the inspection judged, so a following "very few
# (services) are inadequate" is not read as its grade:
#   "Overall effectiveness was judged to be good", "It judged ... safeguarding to be good",
#   "The full inspection ... found them to be good"
_GRADE_SUBJECT = re.compile(
    r"\b(?:safeguarding|effectiveness|arrangements|inspection|judged|them)\b", re.IGNORECASE
)

# Sentence ends in squashed text: "... took place. This identified ...".
_SENTENCE_BREAK = re.compile(r"(?<=\.)\s+(?=\S)")

_CRA_KIND: InspectionKind = "unannounced inspection of contact, referral and assessment"


def kind_named(s: str) -> InspectionKind | None:
    """The one inspection kind a sentence names by the kind rule, or None."""
    low = _ascii_lower(s)
    if _may_hold(low, _SLAC_WORDS) and _SLAC.search(s):
        return "inspection of safeguarding and looked after children"
    if _may_hold(low, _CRA_WORDS) and _CRA.search(s):
        return _CRA_KIND
    if _may_hold(low, _INSPECTION_WORD) and _FULL.search(s):
        return "full inspection of safeguarding"
    return None


# The words every match of a pattern above holds, lower-cased: an ASCII sentence without them is
# not searched (a tuple of tuples is "all of one of these"; re.I also folds "ſ" into "s" and the
# Kelvin sign into "k", which str.lower does not, so other text is always searched).
_SLAC_WORDS = (("safeguarding", "looked"),)
_CRA_WORDS = (("unannounced",), ("referral",))
_INSPECTION_WORD = (("inspection",),)
_INSPECTS_WORDS = (("inspect",), ("joint",))
_PRIORITY_WORD = (("priority",),)
_DEVELOPMENT_WORD = (("development",),)
_GRADE_WORDS = (("good",), ("adequate",), ("outstanding",))


def _ascii_lower(s: str) -> str | None:
    """`s` lower-cased when it is ASCII (each character stays where it was), else None."""
    return s.lower() if s.isascii() else None


def _may_hold(low: str | None, words: tuple[tuple[str, ...], ...]) -> bool:
    """False when the lower-cased ASCII sentence `low` holds none of the word groups (all the
    words of one group), so a pattern needing them cannot match; True for other text."""
    if low is None:
        return True
    # loops, not any/all over generators: this runs for every sentence of the summary
    for group in words:
        for word in group:
            if word not in low:
                break
        else:
            return True
    return False


def _summary_paragraphs(text: str) -> list[str]:
    """The summary's paragraphs; without a verdict line (a damaged conversion) those from
    "Children's services in X perform ..." to the Strengths heading, so the inventory still
    runs."""
    summary = read_summary(text)
    if summary is not None:
        return summary.split("\n\n")
    opening = PERFORMANCE_SENTENCE.search(text)
    if opening is None:
        return []
    start = paragraph_around(text, opening.start())[0]
    lines = text[start:].splitlines()
    end = next((i for i, line in enumerate(lines) if STRENGTHS_HEADING.match(line)), None)
    if end is None:
        return []
    return [p for p in "\n".join(lines[:end]).split("\n\n") if p.strip()]


def _iso(m: re.Match[str]) -> str:
    """'2010-08' for a MONTH_YEAR match of 'August 2010'."""
    return f"{m['year']}-{MONTHS.index(m['month']) + 1:02d}"


def _sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_BREAK.split(squash(paragraph)) if s]


def _dates_inspection(sentence: str) -> bool:
    # a month-year holds "19" or "20" in any text
    if "19" not in sentence and "20" not in sentence:
        return False
    if not _may_hold(_ascii_lower(sentence), _INSPECTS_WORDS):
        return False
    return bool(_INSPECTION.search(sentence) and MONTH_YEAR.search(sentence))


def outcomes_stated(window: str, kind: InspectionKind | None) -> set[InspectionOutcome]:
    """Every outcome `window` states: priority action or its absence, areas for development and,
    for an inspection that gives a grade (any but the unannounced kind), the grade."""
    stated: set[InspectionOutcome] = set()
    for sentence in _sentences(window):
        low = _ascii_lower(sentence)
        if _may_hold(low, _PRIORITY_WORD):
            for m in _PRIORITY.finditer(sentence):
                negated = bool(_NEGATION.search(sentence, 0, m.start()))
                stated.add("no priority action" if negated else "priority action")
        if _may_hold(low, _DEVELOPMENT_WORD) and _DEVELOPMENT.search(sentence):
            stated.add("areas for development")
        if kind != _CRA_KIND and _may_hold(low, _GRADE_WORDS) and _GRADE_SUBJECT.search(sentence):
            for g in _GRADE_PREDICATE.finditer(sentence):
                stated.add(g["grade"].lower())  # type: ignore[arg-type]
    if "priority action" in stated:
        # "areas for development" is the outcome only when no priority action was identified.
        stated.discard("areas for development")
    return stated


def _place(text: str, evidence: str) -> tuple[Sequence[str], int, int] | None:
    """The sentences of the summary paragraph (else the letter paragraph) that holds `evidence`,
    with the indexes of the first and last sentence the evidence spans; None if not found."""
    for paragraph in _summary_paragraphs(text):
        placed = _place_in(squash(paragraph), evidence)
        if placed is not None:
            return placed
    # the letter's paragraph is tried last, so it is looked for only when no summary paragraph
    # holds the evidence
    span = find_span(text, evidence)
    if span is None:
        return None
    start, end = paragraph_around(text, span[0])
    return _place_in(squash(text[start:end]), evidence)


def _place_in(p: str, evidence: str) -> tuple[Sequence[str], int, int] | None:
    """_place's answer in the squashed paragraph `p`, or None if `evidence` is not in it."""
    pos = find_span(p, evidence)
    if pos is None:
        return None
    sentences, starts = _split_sentences(p)
    first = bisect_right(starts, pos[0]) - 1
    last = bisect_left(starts, max(pos[1], pos[0] + 1)) - 1
    return sentences, first, last


@lru_cache(maxsize=64)
def _split_sentences(p: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The sentences of the squashed paragraph `p` (what _sentences gives) and where each
    starts: every inspection of a letter and the inventory read the same few paragraphs."""
    starts = (0, *(m.end() for m in _SENTENCE_BREAK.finditer(p)))
    return tuple(_sentences(p)), starts


def _window(text: str, evidence: str, following: int = 2) -> str:
    """The evidence's sentences and up to `following` sentences after them in its paragraph,
    stopping before one that dates another inspection: letters report an inspection in one
    sentence and often its outcome in the next ("This identified an area for priority action")."""
    placed = _place(text, evidence)
    if placed is None:
        return evidence
    sentences, first, last = placed
    window = list(sentences[first : last + 1])
    for sentence in sentences[last + 1 : last + 1 + following]:
        if _dates_inspection(sentence):
            break
        window.append(sentence)
    return " ".join(window)


def _kind_before(sentences: Sequence[str], index: int) -> InspectionKind | None:
    """The kind named by the nearest sentence before `index` that names one."""
    for sentence in reversed(sentences[:index]):
        kind = kind_named(sentence)
        if kind is not None:
            return kind
    return None


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
    """Each inspection's kind is the one its evidence names by the kind rule of
    eval/LABELLING.md (inspection.kind_mismatch). Evidence that names no kind ('the previous
    inspection of these arrangements') takes the kind of the nearest sentence before it in its
    paragraph; failing that it is a warning (inspection.kind_unstated)."""
    issues: list[Issue] = []
    for i, insp in enumerate(letter.safeguarding_inspections):
        field = f"safeguarding_inspections[{i}].kind"
        named = kind_named(insp.evidence)
        source = f"its evidence '{short(insp.evidence)}'"
        if named is None:
            placed = _place(text, insp.evidence)
            if placed is not None:
                named = _kind_before(placed[0], placed[1])
                source = f"the sentence before its evidence '{short(insp.evidence)}'"
        if named == insp.kind:
            continue
        if named is not None:
            issues.append(
                error(
                    "inspection.kind_mismatch",
                    field,
                    f"{field} is '{insp.kind}' but {source} names '{named}' (kind rule: "
                    "safeguarding with looked after children, else unannounced or contact, "
                    "referral and assessment, else full inspection of safeguarding): set kind "
                    "to that",
                    expected=named,
                    found=insp.kind,
                )
            )
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
    """The outcome is the one the evidence and the sentences after it state (up to two, and not
    past a sentence dating another inspection): another outcome is an error
    (inspection.outcome_mismatch), and so is null where the text states one
    (inspection.outcome_missing); an outcome the text does not state at all is a warning
    (inspection.outcome_not_stated: outcomes are sometimes reported in words this does not
    read)."""
    issues: list[Issue] = []
    for i, insp in enumerate(letter.safeguarding_inspections):
        field = f"safeguarding_inspections[{i}].outcome"
        window = _window(text, insp.evidence)
        stated = outcomes_stated(window, insp.kind)
        expected = ", ".join(sorted(stated)) or None
        if insp.outcome is None:
            if stated:
                issues.append(
                    error(
                        "inspection.outcome_missing",
                        field,
                        f"{field} is null but the letter states it: '{short(window, 100)}' "
                        f"says {expected}",
                        expected=expected,
                    )
                )
            continue
        if insp.outcome in stated:
            continue
        if stated:
            issues.append(
                error(
                    "inspection.outcome_mismatch",
                    field,
                    f"{field} is '{insp.outcome}' but the letter says {expected} "
                    f"('{short(window, 100)}'): use what the letter states",
                    expected=expected,
                    found=insp.outcome,
                )
            )
            continue
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
    """The inventory: every summary sentence that dates an inspection ('In August 2010, an
    unannounced inspection ...') is accounted for by an item, whose evidence overlaps the
    sentence or whose date and kind are the sentence's; the date is the sentence's first
    month-year, and every month-year listed with it ('in June 2009 and July 2010') is an
    inspection of its own, each needing an item. When the sentence names a kind (by the
    kind rule, or 'the previous inspection of these arrangements' after a sentence that does)
    a missing item is an error (inspection.unlisted); when it names none ('the fostering service
    was inspected in May 2010', 'the joint area review in June 2008') it may not be an inspection
    of safeguarding, so it is a warning (inspection.unlisted_unnamed)."""
    issues: list[Issue] = []
    evidence = [squash(insp.evidence) for insp in letter.safeguarding_inspections]
    for paragraph in _summary_paragraphs(text):
        sentences = _split_sentences(squash(paragraph))[0]
        for index, sentence in enumerate(sentences):
            if not _dates_inspection(sentence):
                continue
            kind = kind_named(sentence)
            if (
                kind is None
                and _may_hold(_ascii_lower(sentence), _INSPECTION_WORD)
                and _ANAPHORIC.search(sentence)
            ):
                kind = _kind_before(sentences, index)
            body = sentence.rstrip(".")
            items = letter.safeguarding_inspections
            overlapping = {n for n, e in enumerate(evidence) if e and (e in sentence or body in e)}
            first = MONTH_YEAR.search(sentence)
            listed = _MONTH_YEAR_LIST.match(sentence, first.start()) if first else None
            if listed:
                # every date of the list is an inspection of its own
                wanted = [_iso(m) for m in MONTH_YEAR.finditer(listed[0])]
                missing = [
                    d
                    for d in dict.fromkeys(wanted)
                    if not any(
                        x.date == d and (n in overlapping or x.kind == kind)
                        for n, x in enumerate(items)
                    )
                ]
            else:
                dates = {_iso(m) for m in MONTH_YEAR.finditer(sentence)}
                covered = overlapping or any(x.date in dates and x.kind == kind for x in items)
                missing = [] if covered else [_iso(m) for m in MONTH_YEAR.finditer(sentence)][:1]
            if not missing:
                continue
            if kind is not None:
                issues.append(
                    error(
                        "inspection.unlisted",
                        "safeguarding_inspections",
                        f"the summary reports an inspection ({kind}, {', '.join(missing)}) that "
                        f"no item covers: '{short(sentence, 100)}': add it",
                        expected=body,
                    )
                )
            else:
                issues.append(
                    warning(
                        "inspection.unlisted_unnamed",
                        "safeguarding_inspections",
                        f"the summary dates an inspection that no item covers: "
                        f"'{short(sentence, 100)}': add it if it is an inspection of "
                        "safeguarding",
                        expected=body,
                    )
                )
    return issues
