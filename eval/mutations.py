"""Mutation test of the validators: change one value of a gold record, see whether they notice.

Each mutation kind changes exactly one thing the letter text can disprove (a grade, a count's
number, a bullet...). A mutation is *caught* when validating the mutated record against the
letter's text gives an error-severity issue that the unmutated gold record does not get. The
validator is passed in, so this module has no opinion on how validation works.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from extractor.schema import GRADE_LABELS, Finding, Issue, Letter

Mutator = Callable[[Letter], Iterator[tuple[str, Letter]]]
Validate = Callable[[str, Letter], list[Issue]]


def _copy(letter: Letter) -> Letter:
    return letter.model_copy(deep=True)


def _all_counts(letter: Letter) -> Iterator[tuple[str, int, int]]:
    for list_name in ("strengths", "areas_for_improvement"):
        for i, f in enumerate(getattr(letter, list_name)):
            for j, _ in enumerate(f.counts):
                yield list_name, i, j


def _grade_shift(g: Letter) -> Iterator[tuple[str, Letter]]:
    if g.grade is None:
        return
    for new in (g.grade - 1, g.grade + 1):
        if 1 <= new <= 4:
            m = _copy(g)
            m.grade = new
            yield f"grade {g.grade} -> {new} (label kept)", m


def _label_change(g: Letter) -> Iterator[tuple[str, Letter]]:
    for grade, label in GRADE_LABELS.items():
        if grade != g.grade:
            m = _copy(g)
            m.grade_label = label
            yield f"grade_label {g.grade_label!r} -> {label!r} (grade kept)", m


def _grade_and_label(g: Letter) -> Iterator[tuple[str, Letter]]:
    for grade, label in GRADE_LABELS.items():
        if grade != g.grade:
            m = _copy(g)
            m.grade, m.grade_label = grade, label
            yield f"grade and label -> {grade} {label!r}", m


def _count_plus_one(g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln, i, j in _all_counts(g):
        m = _copy(g)
        c = getattr(m, ln)[i].counts[j]
        c.count += 1
        yield f"{ln}[{i}].counts[{j}].count {c.count - 1} -> {c.count} ({c.evidence!r})", m


def _total_plus_one(g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln, i, j in _all_counts(g):
        m = _copy(g)
        c = getattr(m, ln)[i].counts[j]
        if c.total is None:
            continue
        c.total += 1
        yield f"{ln}[{i}].counts[{j}].total {c.total - 1} -> {c.total} ({c.evidence!r})", m


def _count_exceeds_total(g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln, i, j in _all_counts(g):
        m = _copy(g)
        c = getattr(m, ln)[i].counts[j]
        if c.total is None:
            continue
        old = c.count
        c.count = c.total + 1
        yield f"{ln}[{i}].counts[{j}].count {old} -> {c.count} > total {c.total}", m


_OTHER_JUDGEMENT = {
    "good or better": "outstanding",
    "outstanding": "good",
    "good": "outstanding",
    "satisfactory": "good",
    "inadequate": "satisfactory",
    "inspected": "good",
}


def _count_judgement(g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln, i, j in _all_counts(g):
        m = _copy(g)
        c = getattr(m, ln)[i].counts[j]
        old = c.judgement
        c.judgement = _OTHER_JUDGEMENT.get(old or "", "good or better")
        yield f"{ln}[{i}].counts[{j}].judgement {old!r} -> {c.judgement!r}", m


def _drop_bullet(g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln in ("strengths", "areas_for_improvement"):
        for i, f in enumerate(getattr(g, ln)):
            m = _copy(g)
            del getattr(m, ln)[i]
            yield f"{ln}[{i}] dropped ({f.text[:50]!r}...)", m


_INVENTED = Finding(
    text="The mobile library service for young people is outstanding and well used by families.",
    topic="other",
)


def _add_bullet(g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln in ("strengths", "areas_for_improvement"):
        m = _copy(g)
        getattr(m, ln).append(_INVENTED.model_copy(deep=True))
        yield f"{ln}: invented bullet added", m


def _strength_to_areas(g: Letter) -> Iterator[tuple[str, Letter]]:
    for i, f in enumerate(g.strengths):
        m = _copy(g)
        moved = m.strengths.pop(i)
        m.areas_for_improvement.append(moved)
        yield f"strengths[{i}] moved to areas_for_improvement ({f.text[:40]!r}...)", m


def _authority(g: Letter) -> Iterator[tuple[str, Letter]]:
    if g.local_authority is None:
        return
    m = _copy(g)
    m.local_authority = (
        "Northmoor County Council"
        if g.local_authority != "Northmoor County Council"
        else "Southmoor County Council"
    )
    yield f"local_authority {g.local_authority!r} -> {m.local_authority!r}", m


def _recipient(g: Letter) -> Iterator[tuple[str, Letter]]:
    if g.recipient is None:
        return
    m = _copy(g)
    assert m.recipient is not None
    m.recipient.name = "Mr Peter Holt" if g.recipient.name != "Mr Peter Holt" else "Ms Ann Holt"
    yield f"recipient.name {g.recipient.name!r} -> {m.recipient.name!r}", m


def _letter_date(g: Letter) -> Iterator[tuple[str, Letter]]:
    if g.letter_date is None:
        return
    m = _copy(g)
    m.letter_date = g.letter_date + dt.timedelta(days=1)
    yield f"letter_date {g.letter_date} -> {m.letter_date}", m


def _assessment_year(g: Letter) -> Iterator[tuple[str, Letter]]:
    if g.assessment_year is None:
        return
    m = _copy(g)
    m.assessment_year = g.assessment_year - 1
    yield f"assessment_year {g.assessment_year} -> {m.assessment_year}", m


def _inspection_month(g: Letter) -> Iterator[tuple[str, Letter]]:
    for i, ins in enumerate(g.safeguarding_inspections):
        m = _copy(g)
        year, month = (int(x) for x in ins.date.split("-"))
        month = month % 12 + 1
        m.safeguarding_inspections[i].date = f"{year}-{month:02d}"
        yield f"safeguarding_inspections[{i}].date {ins.date} -> {year}-{month:02d}", m


#: Every mutation kind, by name, in report order.
MUTATORS: dict[str, Mutator] = {
    "grade_shift": _grade_shift,
    "label_change": _label_change,
    "grade_and_label": _grade_and_label,
    "count_plus_one": _count_plus_one,
    "total_plus_one": _total_plus_one,
    "count_exceeds_total": _count_exceeds_total,
    "count_judgement": _count_judgement,
    "drop_bullet": _drop_bullet,
    "add_bullet": _add_bullet,
    "strength_to_areas": _strength_to_areas,
    "authority_rename": _authority,
    "recipient_rename": _recipient,
    "letter_date_plus_one": _letter_date,
    "assessment_year_minus_one": _assessment_year,
    "inspection_month": _inspection_month,
}


@dataclass(frozen=True)
class MutationCase:
    """A gold record with the normalised text of its letter."""

    name: str
    text: str
    gold: Letter


@dataclass
class KindResult:
    """How the validators fared on one mutation kind."""

    kind: str
    tried: int = 0
    caught: int = 0
    #: "letter: description" of every mutation no new error-severity issue caught.
    missed: list[str] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        return self.caught / self.tried if self.tried else None


@dataclass
class MutationReport:
    """Per kind and overall share of mutations caught; `baseline_errors` lists errors the
    unmutated gold records already get (they should be none)."""

    kinds: dict[str, KindResult]
    baseline_errors: list[str] = field(default_factory=list)

    @property
    def tried(self) -> int:
        return sum(k.tried for k in self.kinds.values())

    @property
    def caught(self) -> int:
        return sum(k.caught for k in self.kinds.values())

    @property
    def score(self) -> float | None:
        """Share of all mutations caught (None when none could be made)."""
        return self.caught / self.tried if self.tried else None

    def as_dict(self) -> dict[str, object]:
        return {
            "score": self.score,
            "tried": self.tried,
            "caught": self.caught,
            "kinds": {
                k: {"tried": r.tried, "caught": r.caught, "share": r.share, "missed": r.missed}
                for k, r in self.kinds.items()
            },
            "baseline_errors": self.baseline_errors,
        }


def _error_keys(issues: Sequence[Issue]) -> set[tuple[str, str, str]]:
    return {(i.code, i.field, i.message) for i in issues if i.severity == "error"}


def run_mutations(
    cases: Sequence[MutationCase],
    validate: Validate,
    kinds: Sequence[str] | None = None,
) -> MutationReport:
    """Apply every mutation of every kind to every case and validate the results."""
    names = list(kinds) if kinds is not None else list(MUTATORS)
    results = {k: KindResult(k) for k in names}
    baseline_errors: list[str] = []
    for case in cases:
        base = _error_keys(validate(case.text, case.gold))
        baseline_errors.extend(f"{case.name}: {code} {fld}: {msg}" for code, fld, msg in base)
        for kind in names:
            for description, mutated in MUTATORS[kind](case.gold):
                res = results[kind]
                res.tried += 1
                if _error_keys(validate(case.text, mutated)) - base:
                    res.caught += 1
                else:
                    res.missed.append(f"{case.name}: {description}")
    return MutationReport(results, baseline_errors)
