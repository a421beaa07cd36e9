"""Mutation test of the validators: change one value of a gold record, see whether they notice.

Each mutation kind makes one realistic wrong answer out of right values: the kind of mistake an
extractor (an LLM above all) makes when it reads a letter, such as leaving a count out, taking the
total for the count, a judgement from the next phrase, the grade from the standard paragraph, or
a signatory it has seen in other letters. A mutation is *caught* when validating the mutated
record against the letter's text gives an error-severity issue that the unmutated gold record
does not get; the codes of those new issues are reported per kind. The validator is passed in,
so this module has no opinion on how validation works.

A few kinds change something the text cannot disprove (`UNDISPROVABLE`, each with its reason):
they are run and reported but left out of the score a CI gate reads.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ofsted_extractor.eval.models import KindResult, MutationReport
from ofsted_extractor.schema import (
    GRADE_LABELS,
    Count,
    Finding,
    InspectionOutcome,
    Issue,
    Letter,
    Person,
)
from ofsted_extractor.textutil import JUDGEMENT, NUMBER, parse_number

#: A mutator gets the letter's text and its gold record; it yields (description, mutated record).
Mutator = Callable[[str, Letter], Iterator[tuple[str, Letter]]]
Validate = Callable[[str, Letter], list[Issue]]

_LISTS: tuple[str, str] = ("strengths", "areas_for_improvement")


def _copy(letter: Letter) -> Letter:
    return letter.model_copy(deep=True)


def _all_counts(letter: Letter) -> Iterator[tuple[str, int, int]]:
    for list_name in _LISTS:
        for i, f in enumerate(getattr(letter, list_name)):
            for j, _ in enumerate(f.counts):
                yield list_name, i, j


def _count_at(letter: Letter, ln: str, i: int, j: int) -> Count:
    count: Count = getattr(letter, ln)[i].counts[j]
    return count


# A sentence end inside a bullet: ". The other two are satisfactory." splits before "The".
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[A-Z])")
# A count-like number in a bullet: "34", "eight", "Two" (not "2010", not "11-year-olds").
_NUMBER = re.compile(rf"(?<![\w-]){NUMBER}", re.IGNORECASE)
# A judgement word or phrase: "good or better", "outstanding", "inadequate" (not the "adequate"
# inside "inadequate").
_JUDGEMENT = re.compile(rf"(?<![\w-]){JUDGEMENT}(?![\w-])", re.IGNORECASE)
# The authority's grade in words: "perform poorly", "'performs excellently'", "performed adequately"
_PERFORMS = re.compile(
    r"\bperform(?:s|ed|ing)?\s+['\u2018\u2019\"]?(poorly|adequately|well|excellently)\b",
    re.IGNORECASE,
)
# A row of the four-point scale: "4\tPerforms excellently\tAn organisation that ..."
_SCALE_ROW = re.compile(r"^\s*[1-4]\s+Performs\s+\w+\s+An organisation", re.IGNORECASE)
_ADVERB_GRADE = {"poorly": 1, "adequately": 2, "well": 3, "excellently": 4}


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def _line_at(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start : end if end >= 0 else len(text)]


# --- The original kinds: a value changed ---------------------------------------------------------


def _grade_shift(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    if g.grade is None:
        return
    for new in (g.grade - 1, g.grade + 1):
        if 1 <= new <= 4:
            m = _copy(g)
            m.grade = new
            yield f"grade {g.grade} -> {new} (label kept)", m


def _label_change(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for grade, label in GRADE_LABELS.items():
        if grade != g.grade:
            m = _copy(g)
            m.grade_label = label
            yield f"grade_label {g.grade_label!r} -> {label!r} (grade kept)", m


def _grade_and_label(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for grade, label in GRADE_LABELS.items():
        if grade != g.grade:
            m = _copy(g)
            m.grade, m.grade_label = grade, label
            yield f"grade and label -> {grade} {label!r}", m


def _count_plus_one(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln, i, j in _all_counts(g):
        m = _copy(g)
        c = _count_at(m, ln, i, j)
        c.count += 1
        yield f"{ln}[{i}].counts[{j}].count {c.count - 1} -> {c.count} ({c.evidence!r})", m


def _total_plus_one(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln, i, j in _all_counts(g):
        m = _copy(g)
        c = _count_at(m, ln, i, j)
        if c.total is None:
            continue
        c.total += 1
        yield f"{ln}[{i}].counts[{j}].total {c.total - 1} -> {c.total} ({c.evidence!r})", m


def _count_exceeds_total(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln, i, j in _all_counts(g):
        m = _copy(g)
        c = _count_at(m, ln, i, j)
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


def _count_judgement(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln, i, j in _all_counts(g):
        m = _copy(g)
        c = _count_at(m, ln, i, j)
        old = c.judgement
        c.judgement = _OTHER_JUDGEMENT.get(old or "", "good or better")
        yield f"{ln}[{i}].counts[{j}].judgement {old!r} -> {c.judgement!r}", m


def _drop_bullet(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln in _LISTS:
        for i, f in enumerate(getattr(g, ln)):
            m = _copy(g)
            del getattr(m, ln)[i]
            yield f"{ln}[{i}] dropped ({f.text[:50]!r}...)", m


_INVENTED = Finding(
    text="The mobile library service for young people is outstanding and well used by families.",
    topic="other",
)


def _add_bullet(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln in _LISTS:
        m = _copy(g)
        getattr(m, ln).append(_INVENTED.model_copy(deep=True))
        yield f"{ln}: invented bullet added", m


def _strength_to_areas(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for i, f in enumerate(g.strengths):
        m = _copy(g)
        moved = m.strengths.pop(i)
        m.areas_for_improvement.append(moved)
        yield f"strengths[{i}] moved to areas_for_improvement ({f.text[:40]!r}...)", m


def _authority(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    if g.local_authority is None:
        return
    m = _copy(g)
    m.local_authority = (
        "Northmoor County Council"
        if g.local_authority != "Northmoor County Council"
        else "Southmoor County Council"
    )
    yield f"local_authority {g.local_authority!r} -> {m.local_authority!r}", m


def _recipient(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    if g.recipient is None:
        return
    m = _copy(g)
    assert m.recipient is not None
    m.recipient.name = "Mr Peter Holt" if g.recipient.name != "Mr Peter Holt" else "Ms Ann Holt"
    yield f"recipient.name {g.recipient.name!r} -> {m.recipient.name!r}", m


def _letter_date(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    if g.letter_date is None:
        return
    m = _copy(g)
    m.letter_date = g.letter_date + dt.timedelta(days=1)
    yield f"letter_date {g.letter_date} -> {m.letter_date}", m


def _assessment_year(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    if g.assessment_year is None:
        return
    m = _copy(g)
    m.assessment_year = g.assessment_year - 1
    yield f"assessment_year {g.assessment_year} -> {m.assessment_year}", m


def _shift_month(date: str, months: int) -> str:
    year, month = (int(x) for x in date.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12}-{index % 12 + 1:02d}"


def _inspection_month(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for i, ins in enumerate(g.safeguarding_inspections):
        m = _copy(g)
        m.safeguarding_inspections[i].date = _shift_month(ins.date, 1)
        yield f"safeguarding_inspections[{i}].date {ins.date} -> {_shift_month(ins.date, 1)}", m


# --- Realistic kinds: something left out ---------------------------------------------------------


def _count_dropped(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln, i, j in _all_counts(g):
        m = _copy(g)
        gone = getattr(m, ln)[i].counts.pop(j)
        yield f"{ln}[{i}].counts[{j}] left out ({gone.evidence!r})", m


def _inspection_dropped(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for i, ins in enumerate(g.safeguarding_inspections):
        m = _copy(g)
        del m.safeguarding_inspections[i]
        yield f"safeguarding_inspections[{i}] left out ({ins.date}, {ins.kind})", m


# --- Realistic kinds: a count's numbers or judgement from the wrong place ------------------------


def _count_to_total(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln, i, j in _all_counts(g):
        c = _count_at(g, ln, i, j)
        if c.total is None or c.total == c.count:
            continue
        m = _copy(g)
        _count_at(m, ln, i, j).count = c.total
        yield f"{ln}[{i}].counts[{j}].count {c.count} -> the total {c.total} ({c.evidence!r})", m


def _total_to_count(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln, i, j in _all_counts(g):
        c = _count_at(g, ln, i, j)
        if c.total is None or c.total == c.count:
            continue
        m = _copy(g)
        _count_at(m, ln, i, j).total = c.count
        yield f"{ln}[{i}].counts[{j}].total {c.total} -> the count {c.count} ({c.evidence!r})", m


def _total_filled_with_count(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    # Where the letter states no whole: "Two of these are good" read as "2 of 2".
    for ln, i, j in _all_counts(g):
        c = _count_at(g, ln, i, j)
        if c.total is not None:
            continue
        m = _copy(g)
        _count_at(m, ln, i, j).total = c.count
        yield f"{ln}[{i}].counts[{j}].total {c.total} -> the count {c.count} ({c.evidence!r})", m


def _bullet_numbers(text: str) -> list[int]:
    return list(dict.fromkeys(parse_number(m.group(0)) for m in _NUMBER.finditer(text)))


def _count_other_number(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln, i, j in _all_counts(g):
        finding: Finding = getattr(g, ln)[i]
        c = finding.counts[j]
        for n in _bullet_numbers(finding.text):
            if n in (c.count, c.total):
                continue
            m = _copy(g)
            _count_at(m, ln, i, j).count = n
            yield f"{ln}[{i}].counts[{j}].count {c.count} -> {n} of the bullet ({c.evidence!r})", m


def _judgements(text: str) -> list[str]:
    return list(
        dict.fromkeys(" ".join(m.group(0).lower().split()) for m in _JUDGEMENT.finditer(text))
    )


def _count_other_phrase_judgement(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln, i, j in _all_counts(g):
        finding: Finding = getattr(g, ln)[i]
        c = finding.counts[j]
        for judgement in _judgements(finding.text):
            if judgement == c.judgement:
                continue
            m = _copy(g)
            _count_at(m, ln, i, j).judgement = judgement
            yield (
                f"{ln}[{i}].counts[{j}].judgement {c.judgement!r} -> {judgement!r} of another "
                f"phrase ({c.evidence!r})",
                m,
            )


# --- Realistic kinds: bullets cut wrong or filed wrong -------------------------------------------


def _bullets_merged(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln in _LISTS:
        findings: list[Finding] = getattr(g, ln)
        for i in range(len(findings) - 1):
            m = _copy(g)
            lst: list[Finding] = getattr(m, ln)
            second = lst.pop(i + 1)
            first = lst[i]
            first.text = f"{first.text} {second.text}"
            first.counts = [*first.counts, *second.counts]
            first.span = None
            yield f"{ln}[{i}] and [{i + 1}] merged into one", m


def _bullet_split(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln in _LISTS:
        for i, f in enumerate(getattr(g, ln)):
            sentences = _sentences(f.text)
            if len(sentences) < 2:
                continue
            head, rest = sentences[0], " ".join(sentences[1:])
            m = _copy(g)
            lst: list[Finding] = getattr(m, ln)
            lst[i] = Finding(
                text=head, topic=f.topic, counts=[c for c in f.counts if c.evidence in head]
            )
            lst.insert(
                i + 1,
                Finding(
                    text=rest, topic=f.topic, counts=[c for c in f.counts if c.evidence in rest]
                ),
            )
            yield f"{ln}[{i}] split after its first sentence", m


def _bullet_first_sentence(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    # The counts the first sentence holds are kept, so the record agrees with itself.
    for ln in _LISTS:
        for i, f in enumerate(getattr(g, ln)):
            sentences = _sentences(f.text)
            if len(sentences) < 2:
                continue
            m = _copy(g)
            cut: Finding = getattr(m, ln)[i]
            cut.text = sentences[0]
            cut.counts = [c for c in cut.counts if c.evidence in sentences[0]]
            cut.span = None
            yield f"{ln}[{i}] cut to its first sentence ({sentences[0][:40]!r}...)", m


def _area_to_strengths(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for i, f in enumerate(g.areas_for_improvement):
        m = _copy(g)
        m.strengths.append(m.areas_for_improvement.pop(i))
        yield f"areas_for_improvement[{i}] moved to strengths ({f.text[:40]!r}...)", m


# --- Realistic kinds: the grade read from the wrong sentence -------------------------------------


def _grade_from_other_sentence(text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    """The grade and label of another sentence that grades in words: the standard paragraph's
    "an assessment of 'performs excellently' does not mean ...", a "last year ... performed
    adequately". Only when the letter has no such sentence are the scale's rows used."""
    sentences: dict[int, str] = {}
    rows: dict[int, str] = {}
    for m in _PERFORMS.finditer(text):
        grade = _ADVERB_GRADE[m.group(1).lower()]
        if grade == g.grade:
            continue
        line = _line_at(text, m.start())
        target = rows if _SCALE_ROW.match(line) else sentences
        target.setdefault(grade, line.strip())
    for grade, where in (sentences or rows).items():
        m2 = _copy(g)
        m2.grade, m2.grade_label = grade, GRADE_LABELS[grade]
        yield f"grade and label -> {grade} {GRADE_LABELS[grade]!r} from {where[:70]!r}", m2


# --- Realistic kinds: the people, the authority and the dates ------------------------------------

#: Name/role pairs an extractor has seen in many letters; the first one whose name the letter
#: does not contain becomes the signatory.
USUAL_SIGNATORIES: tuple[tuple[str, str], ...] = (
    ("Juliet Winstanley", "Divisional Manager, Children's Services Assessment"),
    ("John Goldup", "Deputy Chief Inspector"),
    ("Christine Gilbert", "Her Majesty's Chief Inspector"),
)
#: Plausible roles of each person; the first the letter does not contain is the guess.
PLAUSIBLE_ROLES: dict[str, tuple[str, ...]] = {
    "recipient": (
        "Director of Children's Services",
        "Corporate Director of Children's Services",
        "Strategic Director, Children and Young People",
        "Executive Director of Children's Services",
    ),
    "signatory": (
        "Divisional Manager, Children's Services Assessment",
        "Director, Children's Services Assessment",
        "Regional Director, Ofsted",
    ),
}
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "professor", "prof", "sir", "dame"})
# What an authority's name is shortened by: "Worcestershire County Council" -> "Worcestershire",
# "London Borough of Camden" -> "Camden", "City of York Council" -> "York".
_AUTHORITY_AFFIXES = re.compile(
    r"^(?:London\s+Borough\s+of\s+|Royal\s+Borough\s+of\s+|City\s+of\s+)"
    r"|\s+(?:Metropolitan\s+Borough\s+|County\s+Borough\s+|Borough\s+|County\s+|City\s+"
    r"|District\s+)?Council$",
    re.IGNORECASE,
)


def _has(text: str, phrase: str) -> bool:
    return " ".join(phrase.casefold().split()) in " ".join(text.casefold().split())


def _signatory_defaulted(text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    signed = g.signatory.name if g.signatory else ""
    for name, role in USUAL_SIGNATORIES:
        if not _has(text, name) and not _has(signed, name):
            m = _copy(g)
            m.signatory = Person(name=name, role=role)
            yield f"signatory -> the usual {name!r}, {role!r}", m
            return


def _recipient_first_name_dropped(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    if g.recipient is None:
        return
    words = g.recipient.name.split()
    first = 1 if words and words[0].rstrip(".").lower() in _TITLES else 0
    if len(words) - first < 2:
        return
    m = _copy(g)
    assert m.recipient is not None
    m.recipient.name = " ".join(words[:first] + words[first + 1 :])
    yield f"recipient.name {g.recipient.name!r} -> {m.recipient.name!r}", m


def _role_guessed(text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for who, roles in PLAUSIBLE_ROLES.items():
        person: Person | None = getattr(g, who)
        if person is None:
            continue
        mine = person.role or ""
        guess = next((r for r in roles if not _has(text, r) and not _has(mine, r)), None)
        if guess is None:
            continue
        m = _copy(g)
        getattr(m, who).role = guess
        yield f"{who}.role {person.role!r} -> the guess {guess!r}", m


def _authority_shortened(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    if g.local_authority is None:
        return
    short = _AUTHORITY_AFFIXES.sub("", g.local_authority).strip()
    if short and short != g.local_authority:
        m = _copy(g)
        m.local_authority = short
        yield f"local_authority {g.local_authority!r} -> {short!r}", m


def _letter_date_minus_one(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    if g.letter_date is None:
        return
    m = _copy(g)
    m.letter_date = g.letter_date - dt.timedelta(days=1)
    yield f"letter_date {g.letter_date} -> {m.letter_date}", m


def _inspection_month_back(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for i, ins in enumerate(g.safeguarding_inspections):
        m = _copy(g)
        m.safeguarding_inspections[i].date = _shift_month(ins.date, -1)
        yield f"safeguarding_inspections[{i}].date {ins.date} -> {_shift_month(ins.date, -1)}", m


#: The opposite of each outcome, as a careless reading of a negation would give it.
REVERSED_OUTCOME: dict[InspectionOutcome, InspectionOutcome] = {
    "priority action": "no priority action",
    "no priority action": "priority action",
    "areas for development": "priority action",
    "outstanding": "inadequate",
    "good": "inadequate",
    "adequate": "inadequate",
    "inadequate": "adequate",
}


def _inspection_outcome_reversed(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for i, ins in enumerate(g.safeguarding_inspections):
        if ins.outcome is None:
            continue
        m = _copy(g)
        new = REVERSED_OUTCOME[ins.outcome]
        m.safeguarding_inspections[i].outcome = new
        yield f"safeguarding_inspections[{i}].outcome {ins.outcome!r} -> {new!r}", m


# --- Kinds the text cannot disprove --------------------------------------------------------------


def _topic_changed(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln in _LISTS:
        for i, f in enumerate(getattr(g, ln)):
            m = _copy(g)
            new = "other" if f.topic != "other" else "primary"
            getattr(m, ln)[i].topic = new
            yield f"{ln}[{i}].topic {f.topic!r} -> {new!r}", m


def _counts_reordered(_text: str, g: Letter) -> Iterator[tuple[str, Letter]]:
    for ln in _LISTS:
        for i, f in enumerate(getattr(g, ln)):
            if len(f.counts) < 2:
                continue
            m = _copy(g)
            getattr(m, ln)[i].counts.reverse()
            yield f"{ln}[{i}].counts reversed", m


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
    # Realistic wrong answers built from right values (issue 7, item 4).
    "count_dropped": _count_dropped,
    "inspection_dropped": _inspection_dropped,
    "count_set_to_total": _count_to_total,
    "total_set_to_count": _total_to_count,
    "total_filled_with_count": _total_filled_with_count,
    "count_other_number": _count_other_number,
    "judgement_of_other_phrase": _count_other_phrase_judgement,
    "bullets_merged": _bullets_merged,
    "bullet_split": _bullet_split,
    "bullet_first_sentence": _bullet_first_sentence,
    "area_to_strengths": _area_to_strengths,
    "grade_from_other_sentence": _grade_from_other_sentence,
    "signatory_defaulted": _signatory_defaulted,
    "recipient_first_name_dropped": _recipient_first_name_dropped,
    "role_guessed": _role_guessed,
    "authority_shortened": _authority_shortened,
    "letter_date_minus_one": _letter_date_minus_one,
    "inspection_month_back": _inspection_month_back,
    "inspection_outcome_reversed": _inspection_outcome_reversed,
    # Not disprovable by the text (see UNDISPROVABLE): reported, not scored.
    "topic_changed": _topic_changed,
    "counts_reordered": _counts_reordered,
}

#: The kinds the letter's text cannot disprove, with the reason. They are run and reported, but
#: left out of `MutationReport.score`: a gate of 1.0 must not demand the impossible, and a kind is
#: only declared here when no reading of the text could tell the mutated record from the gold.
UNDISPROVABLE: dict[str, str] = {
    "topic_changed": (
        "a finding's topic is the labeller's reading of which service area a bullet is first "
        "about (eval/LABELLING.md); the letter names no topic, so no check of the text can prove "
        "another topic from the closed list wrong"
    ),
    "counts_reordered": (
        "the schema gives a finding's counts no order (Finding.counts: 'Counts stated in the "
        "bullet'), so a record listing them in another order claims nothing the text could "
        "contradict"
    ),
}


@dataclass(frozen=True)
class MutationCase:
    """A gold record with the normalised text of its letter."""

    name: str
    text: str
    gold: Letter


def _error_keys(issues: Sequence[Issue]) -> set[tuple[str, str, str]]:
    return {(i.code, i.field, i.message) for i in issues if i.severity == "error"}


def run_mutations(
    cases: Sequence[MutationCase],
    validate: Validate,
    kinds: Sequence[str] | None = None,
) -> MutationReport:
    """Apply every mutation of every kind to every case and validate the results."""
    names = list(kinds) if kinds is not None else list(MUTATORS)
    results = {k: KindResult(kind=k, disprovable=k not in UNDISPROVABLE) for k in names}
    codes = {k: Counter[str]() for k in names}
    gold_errors: list[str] = []
    for case in cases:
        base = _error_keys(validate(case.text, case.gold))
        gold_errors.extend(f"{case.name}: {code} {fld}: {msg}" for code, fld, msg in base)
        for kind in names:
            res = results[kind]
            made = 0
            for description, mutated in MUTATORS[kind](case.text, case.gold):
                made += 1
                res.tried += 1
                new = _error_keys(validate(case.text, mutated)) - base
                if new:
                    res.caught += 1
                    codes[kind].update({code for code, _, _ in new})
                else:
                    res.missed.append(f"{case.name}: {description}")
            if not made:
                res.not_applicable.append(case.name)
    for kind, res in results.items():
        res.codes = dict(sorted(codes[kind].items(), key=lambda kv: (-kv[1], kv[0])))
        res.share = res.caught / res.tried if res.tried else None
    scored = [r for r in results.values() if r.disprovable]
    tried, caught = sum(r.tried for r in scored), sum(r.caught for r in scored)
    return MutationReport(
        score=caught / tried if tried else None,
        tried=tried,
        caught=caught,
        kinds=results,
        undisprovable={k: v for k, v in UNDISPROVABLE.items() if k in results},
        gold_errors=gold_errors,
        cases=[c.name for c in cases],
    )
