"""The answer formats: what the model writes (wire formats), and the Letter each stands for.

The Letter itself lives in extractor/schema.py; every answer is turned into one here. Field
descriptions are borrowed from the schema module where the meaning is the same, so the two
cannot drift apart.

Two formats:

- *compact* (the default): the model never copies text the letter's layout already gives. One
  item per bullet, in order (no bullet text), counts with short keys, and each safeguarding
  inspection points at a numbered summary sentence instead of copying it. The bullet texts, the
  summary and the inspection sentences are taken from the text by `rules.parse_structure`.
- *full*: the whole Letter schema, every text copied: the plain request that compact is measured
  against (scripts/token_economy.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, get_args

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticUndefined

from ofsted_extractor.schema import (
    Count,
    Finding,
    GradeLabel,
    InspectionKind,
    InspectionOutcome,
    Letter,
    Person,
    SafeguardingInspection,
    Topic,
)

# --- The letter's structure, as this engine needs it ----------------------------------------------


class StructureLike(Protocol):
    """What the engine needs from `rules.parse_structure`: bullets in order and the summary.

    Bullets may be plain strings or blocks with a `.text` attribute.
    """

    @property
    def strengths(self) -> Sequence[Any]: ...

    @property
    def areas(self) -> Sequence[Any]: ...

    @property
    def summary(self) -> str | None: ...


def bullet_texts(bullets: Sequence[Any]) -> list[str]:
    """Bullet texts, from strings or blocks with `.text`."""
    return [b if isinstance(b, str) else str(b.text) for b in bullets]


# A summary sentence runs to a full stop followed by space or the end of the text (the rules
# engine splits the same way, so a sentence number picks the evidence it would quote):
# "In May 2010, an unannounced inspection ... found no areas for priority action."
_SENTENCE = re.compile(r"[^.]+?(?:\.(?=\s|$)|$)", re.S)


def summary_sentences(summary: str | None) -> list[str]:
    """The summary's sentences in order, stripped, without their final full stop."""
    out = []
    for m in _SENTENCE.finditer(summary or ""):
        body = m.group(0).strip()
        if body:
            out.append(body[:-1] if body.endswith(".") else body)
    return out


# --- The answer formats ---------------------------------------------------------------------------


def _desc(model: type[BaseModel], name: str) -> str | None:
    return model.model_fields[name].description


# Size limits are part of the schema the server enforces, so an answer is bounded in length: a
# weak model under a grammar otherwise fills a list or a string until max_tokens. They are wide
# of anything in a real letter (the longest count evidence in the gold records is ~110 chars;
# the longest list has 7 bullets).
_SHORT = 120
_QUOTE = 300
_BULLETS = 15


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


# A count is one short line, not an object: five keys and their quotes would cost more tokens
# than the numbers they carry. "8/12 | good or better | fostering and adoption services | eight
# of the 12 fostering and adoption services are good or better"; "-" for no judgement.
# A part is anything but the separator, a double quote or a backslash: a grammar builder puts
# the class inside a JSON string literal, where those two would end or escape it.
_PART = r'[^|"\\]+'
COUNT_PATTERN = rf"^[0-9]+(/[0-9]+)? \| {_PART} \| {_PART} \| {_PART}$"
_COUNT = re.compile(
    rf"^(?P<n>[0-9]+)(?:/(?P<of>[0-9]+))? \| (?P<j>{_PART}) \| (?P<s>{_PART}) \| (?P<q>{_PART})$"
)
COUNT_DESCRIPTION = (
    "One count: 'COUNT[/TOTAL] | JUDGEMENT | SUBJECT | QUOTE'. COUNT: how many have the "
    "judgement ('none' is 0); /TOTAL only when the same phrase states it ('all six' is 6/6). "
    "JUDGEMENT: as written, lower case ('good or better', 'outstanding', 'good', "
    "'satisfactory', 'inadequate', 'inspected'), or '-' when the phrase gives none. SUBJECT: "
    "what is counted, a noun phrase without number or article (for 'these'/'them', what they "
    "refer to). QUOTE: the verbatim phrase of the bullet that states the count."
)
CountLine = Annotated[
    str, Field(pattern=COUNT_PATTERN, max_length=_QUOTE + 2 * _SHORT, description=COUNT_DESCRIPTION)
]


def read_count(line: str) -> Count:
    """The Count a count line states. Raises ValueError when it is not one."""
    m = _COUNT.match(line)
    if m is None:
        raise ValueError(f"not 'COUNT[/TOTAL] | JUDGEMENT | SUBJECT | QUOTE': {line!r}")
    judgement = m["j"].strip()
    return Count(
        subject=m["s"].strip(),
        count=int(m["n"]),
        total=int(m["of"]) if m["of"] is not None else None,
        judgement=None if judgement == "-" else judgement,
        evidence=m["q"].strip(),
    )


def count_line(count: Count) -> str:
    """The count line for a Count (the inverse of `read_count`)."""
    total = f"/{count.total}" if count.total is not None else ""
    return f"{count.count}{total} | {count.judgement or '-'} | {count.subject} | {count.evidence}"


class BulletAnswer(_Answer):
    """One bullet of a list, in the list's order; its text is not copied."""

    topic: Topic = Field(description=_desc(Finding, "topic"))
    counts: list[CountLine] = Field(max_length=8, description=_desc(Finding, "counts"))

    @field_validator("counts")
    @classmethod
    def _counts_read(cls, lines: list[str]) -> list[str]:
        for line in lines:
            read_count(line)
        return lines


# An inspection is one line too: "2 | 2010-08 | unannounced inspection of contact, referral and
# assessment | priority action", the first number being the summary sentence that reports it.


def _alternatives(words: tuple[str, ...]) -> str:
    # Spelled out, not re.escape'd: a grammar builder (llama.cpp's) copies a pattern's escapes
    # into its own string literals, where "\ " is no escape at all and crashed the server.
    # The schema's words are plain (letters, spaces, commas), so they need none.
    for word in words:
        if not re.fullmatch(r"[A-Za-z ,'-]+", word):
            raise ValueError(f"not a plain word for a pattern: {word!r}")
    return "|".join(words)


_KINDS = _alternatives(get_args(InspectionKind))
_OUTCOMES = _alternatives(get_args(InspectionOutcome))
INSPECTION_PATTERN = rf"^[0-9]+ \| [0-9]{{4}}-[0-9]{{2}} \| ({_KINDS}) \| ({_OUTCOMES}|-)$"
_INSPECTION = re.compile(
    rf"^(?P<sentence>[0-9]+) \| (?P<date>[0-9]{{4}}-[0-9]{{2}}) \| (?P<kind>{_KINDS})"
    rf" \| (?P<outcome>{_OUTCOMES}|-)$"
)
INSPECTION_DESCRIPTION = (
    "One inspection of safeguarding the summary reports: 'SENTENCE | YYYY-MM | KIND | OUTCOME'. "
    "SENTENCE: the number of the summary sentence that reports it. OUTCOME: what it found, "
    "or '-' when the letter does not say."
)
InspectionLine = Annotated[
    str, Field(pattern=INSPECTION_PATTERN, max_length=200, description=INSPECTION_DESCRIPTION)
]


@dataclass(frozen=True)
class InspectionRef:
    """What an inspection line states: the sentence it points at, and the inspection's facts."""

    sentence: int
    date: str
    kind: InspectionKind
    outcome: InspectionOutcome | None


def read_inspection(line: str) -> InspectionRef:
    """The inspection an inspection line states. Raises ValueError when it is not one."""
    m = _INSPECTION.match(line)
    if m is None:
        raise ValueError(f"not 'SENTENCE | YYYY-MM | KIND | OUTCOME': {line!r}")
    outcome = m["outcome"]
    return InspectionRef(
        sentence=int(m["sentence"]),
        date=m["date"],
        kind=m["kind"],  # type: ignore[arg-type]  # the pattern admits only InspectionKind
        outcome=None if outcome == "-" else outcome,  # type: ignore[arg-type]
    )


class CompactAnswer(_Answer):
    """What one assessment letter says. Bullets and sentences are referred to, not copied."""

    authority: str | None = Field(max_length=_SHORT, description=_desc(Letter, "local_authority"))
    year: int | None = Field(description=_desc(Letter, "assessment_year"))
    date: dt.date | None = Field(description="The letter's date, YYYY-MM-DD.")
    to: str | None = Field(max_length=_SHORT, description=_desc(Person, "name"))
    to_role: str | None = Field(max_length=_SHORT, description=_desc(Person, "role"))
    by: str | None = Field(max_length=_SHORT, description="The typed name after 'Yours sincerely'.")
    by_role: str | None = Field(max_length=_SHORT, description="The signatory's job-title line.")
    grade: int | None = Field(ge=1, le=4, description=_desc(Letter, "grade"))
    label: GradeLabel | None = Field(description=_desc(Letter, "grade_label"))
    strengths: list[BulletAnswer] = Field(
        max_length=_BULLETS, description="One item per bullet under 'Strengths', in order."
    )
    areas: list[BulletAnswer] = Field(
        max_length=_BULLETS,
        description="One item per bullet under 'Areas for further improvement', in order.",
    )
    inspections: list[InspectionLine] = Field(max_length=6)

    @field_validator("inspections")
    @classmethod
    def _inspections_read(cls, lines: list[str]) -> list[str]:
        for line in lines:
            read_inspection(line)
        return lines


# Bookkeeping the pipeline fills, never the model: spans, provenance and what the engine left out.
_NOT_ASKED = frozenset({"provenance", "unfilled", "span"})


def _every_field_required(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with the bookkeeping fields removed and every other field required, so a
    grammar-constrained model cannot answer `{}` (a plain Letter has defaults everywhere)."""
    for node in [schema, *schema.get("$defs", {}).values()]:
        props = node.get("properties")
        if isinstance(props, dict):
            for name in _NOT_ASKED & props.keys():
                del props[name]
            node["required"] = list(props)
    return schema


class FullAnswer(Letter):
    """What one assessment letter says: the whole Letter schema, text copied verbatim.

    The plain "fill the whole schema" request that the compact answer is measured against.
    """

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return _every_field_required(super().model_json_schema(*args, **kwargs))


AnswerModel = type[CompactAnswer] | type[FullAnswer]


def answer_model_for(answer_format: str) -> AnswerModel:
    """The answer model of a format ('compact' or 'full')."""
    return FullAnswer if answer_format == "full" else CompactAnswer


# --- From answer to Letter ------------------------------------------------------------------------


def _person(name: str | None, role: str | None) -> Person | None:
    return Person(name=name, role=role) if name else None


def _findings(items: list[BulletAnswer], bullets: list[str]) -> list[Finding]:
    # Extra items (more than the list has bullets) are dropped: the corrections report them.
    return [
        Finding(
            text=text,
            topic=item.topic,
            counts=[read_count(line) for line in item.counts],
        )
        for item, text in zip(items, bullets, strict=False)
    ]


def _inspections(lines: list[str], sentences: list[str]) -> list[SafeguardingInspection]:
    kept = []
    for item in map(read_inspection, lines):
        if not 1 <= item.sentence <= len(sentences):
            continue  # the corrections report it; a kept last answer just drops it
        kept.append(
            SafeguardingInspection(
                date=item.date,
                kind=item.kind,
                outcome=item.outcome,
                evidence=sentences[item.sentence - 1],
            )
        )
    return kept


def letter_from_answer(answer: BaseModel, structure: StructureLike) -> Letter:
    """Build the Letter an answer stands for.

    Compact answers take bullet texts, the summary and inspection sentences from `structure`;
    full answers are a Letter already (spans and provenance they carry are dropped: the pipeline
    computes them).

    Args:
        answer: a CompactAnswer or FullAnswer.
        structure: the letter's structure (bullets in order, summary).

    Returns:
        The Letter, with every scalar it lacks named in `unfilled`.
    """
    if isinstance(answer, Letter):
        data = answer.model_dump(exclude={"provenance", "unfilled"})
        for list_name in ("strengths", "areas_for_improvement"):
            for finding in data[list_name]:
                finding["span"] = None
                for count in finding["counts"]:
                    count["span"] = None
        for insp in data["safeguarding_inspections"]:
            insp["span"] = None
        letter = Letter.model_validate(data)
    elif isinstance(answer, CompactAnswer):
        letter = Letter(
            local_authority=answer.authority,
            assessment_year=answer.year,
            letter_date=answer.date,
            recipient=_person(answer.to, answer.to_role),
            signatory=_person(answer.by, answer.by_role),
            grade=answer.grade,
            grade_label=answer.label,
            summary=structure.summary,
            strengths=_findings(answer.strengths, bullet_texts(structure.strengths)),
            areas_for_improvement=_findings(answer.areas, bullet_texts(structure.areas)),
            safeguarding_inspections=_inspections(
                answer.inspections, summary_sentences(structure.summary)
            ),
        )
    else:
        raise TypeError(f"not an answer: {type(answer).__name__}")
    scalars = ("local_authority", "assessment_year", "letter_date", "recipient", "signatory")
    letter.unfilled = [
        name
        for name in (*scalars, "grade", "grade_label", "summary")
        if getattr(letter, name) is None
    ]
    return letter


def compact_answer_from_letter(letter: Letter, structure: StructureLike) -> dict[str, Any]:
    """The compact answer a perfect reader gives for `letter` (for examples and benchmarks).

    Inspections point at the summary sentence their evidence is; one whose evidence is no
    whole summary sentence cannot be written in this format and raises ValueError.
    """
    sentences = summary_sentences(structure.summary)

    def bullets(findings: list[Finding]) -> list[dict[str, Any]]:
        return [
            {
                "topic": f.topic,
                "counts": [count_line(c) for c in f.counts],
            }
            for f in findings
        ]

    inspections: list[str] = []
    for i in letter.safeguarding_inspections:
        if i.evidence not in sentences:
            raise ValueError(f"inspection evidence is no summary sentence: {i.evidence!r}")
        number = sentences.index(i.evidence) + 1
        inspections.append(f"{number} | {i.date} | {i.kind} | {i.outcome or '-'}")
    return {
        "authority": letter.local_authority,
        "year": letter.assessment_year,
        "date": letter.letter_date.isoformat() if letter.letter_date else None,
        "to": letter.recipient.name if letter.recipient else None,
        "to_role": letter.recipient.role if letter.recipient else None,
        "by": letter.signatory.name if letter.signatory else None,
        "by_role": letter.signatory.role if letter.signatory else None,
        "grade": letter.grade,
        "label": letter.grade_label,
        "strengths": bullets(letter.strengths),
        "areas": bullets(letter.areas_for_improvement),
        "inspections": inspections,
    }


# --- Reading an answer ----------------------------------------------------------------------------

_CODE_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f]")


def parse_answer(model: AnswerModel, raw: str | None) -> tuple[BaseModel | None, str | None]:
    """Parse a raw answer as the answer model, strictly.

    Returns:
        (answer, None) when it parses; (None, a one-line reason) when it does not.
    """
    if not raw:
        return None, "the answer was empty"
    fenced = _CODE_FENCE.match(raw)
    try:
        return model.model_validate_json(fenced.group(1) if fenced else raw), None
    except ValidationError as exc:
        reasons = [
            f"{'.'.join(str(p) for p in e['loc']) or '(the answer)'}: {e['msg']}"
            for e in exc.errors()[:5]
        ]
        return None, "; ".join(reasons)


def salvage_answer(model: AnswerModel, raw: str | None) -> BaseModel | None:
    """Parse the last answer as far as it goes (its checks already failed).

    A complete answer is parsed as it is. An answer cut at max_tokens, or with some invalid
    parts, is salvaged: incomplete JSON is read as far as it goes, list items that do not fit
    the schema are dropped and other unfit values are left empty. Whatever the model did say is
    kept for the validators to flag; None only when nothing parses as a JSON object.
    """
    parsed, _ = parse_answer(model, raw)
    if parsed is not None or not raw:
        return parsed
    try:
        # Raw control characters inside strings (a newline the grammar let through) are not
        # JSON; as spaces they change nothing the validators look at.
        data = pydantic_core.from_json(_CONTROL_CHARS.sub(" ", raw), allow_partial=True)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    empty: dict[str, Any] = {
        name: [] if str(info.annotation).startswith("list") else None
        for name, info in model.model_fields.items()
        if info.is_required()
    }
    values: dict[str, Any] = {**empty, **{k: v for k, v in data.items() if k in model.model_fields}}
    for _ in range(20):  # each round removes at least one bad part, so this ends
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            doomed_items: set[tuple[str, int]] = set()
            for err in exc.errors():
                loc = err["loc"]
                name = str(loc[0]) if loc else ""
                if name not in values:
                    return None
                if len(loc) > 1 and isinstance(loc[1], int) and isinstance(values[name], list):
                    doomed_items.add((name, loc[1]))
                else:
                    default = model.model_fields[name].default
                    values[name] = empty.get(
                        name, None if default is PydanticUndefined else default
                    )
            for name, index in sorted(doomed_items, reverse=True):
                del values[name][index]
    return None
