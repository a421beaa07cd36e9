"""The one schema module: every pydantic model of a letter and of the document written per letter.

Field descriptions are written for the model that reads them (the LLM engine sends this schema),
and for the person reading `records.jsonl`. Every model forbids extra keys.

Offsets (`Span`) always point into the *original* source text (the file as read, or the PDF's
text layer), so a report can highlight the value in what the user actually has.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"

GradeLabel = Literal[
    "Performs poorly",
    "Performs adequately",
    "Performs well",
    "Performs excellently",
]

#: The four-point scale, from the letters' own table.
GRADE_LABELS: dict[int, GradeLabel] = {
    1: "Performs poorly",
    2: "Performs adequately",
    3: "Performs well",
    4: "Performs excellently",
}

Topic = Literal[
    "early years and childcare",
    "children's centres",
    "primary",
    "secondary",
    "post-16",
    "special educational provision",
    "pupil referral units",
    "fostering and adoption",
    "children's homes",
    "safeguarding and child protection",
    "youth offending",
    "other",
]

TOPICS: tuple[Topic, ...] = get_args(Topic)

InspectionKind = Literal[
    "unannounced inspection of contact, referral and assessment",
    "full inspection of safeguarding",
    "inspection of safeguarding and looked after children",
]

InspectionOutcome = Literal[
    "priority action",
    "no priority action",
    "areas for development",
    "outstanding",
    "good",
    "adequate",
    "inadequate",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Span(_Model):
    """Where a value stands in the original source text: `source[start:end]`."""

    start: int = Field(ge=0, description="Offset of the first character in the source text.")
    end: int = Field(ge=0, description="Offset one past the last character.")


class Person(_Model):
    """A person named in the letter."""

    name: str = Field(
        description="Full name as written, with title if given, e.g. 'Ms Gail Quinton'."
    )
    role: str | None = Field(
        default=None,
        description="Job title as written, e.g. 'Director of Children's Services'.",
    )


class Count(_Model):
    """A number of services, settings or institutions with an inspection judgement.

    "eight of the 12 fostering and adoption services are good or better" is count 8, total 12,
    judgement "good or better". Ages, years, exam results and proportions are not counts.
    """

    subject: str = Field(
        description=(
            "What is counted, as a noun phrase from the text without number or article, "
            "e.g. 'fostering and adoption services'. For 'these'/'them'/'the other', the "
            "noun phrase they refer to."
        )
    )
    count: int = Field(ge=0, description="How many have the judgement ('none' is 0).")
    total: int | None = Field(
        default=None,
        ge=0,
        description="Out of how many, only when the same phrase states it ('all six' is 6 of 6).",
    )
    judgement: str | None = Field(
        default=None,
        description=(
            "The judgement as written, lower case: 'good or better', 'outstanding', 'good', "
            "'satisfactory', 'inadequate', 'inspected'; null when the phrase gives none."
        ),
    )
    evidence: str = Field(description="The verbatim phrase of the letter that states the count.")
    span: Span | None = Field(default=None, description="Where `evidence` stands in the source.")


class Finding(_Model):
    """One bullet under 'Strengths' or 'Areas for further improvement'."""

    text: str = Field(description="The bullet's text, verbatim, without the leading '-'.")
    topic: Topic = Field(description="The service area the bullet is first about.")
    counts: list[Count] = Field(default_factory=list, description="Counts stated in the bullet.")
    span: Span | None = Field(default=None, description="Where `text` stands in the source.")


class SafeguardingInspection(_Model):
    """An inspection of safeguarding arrangements that the summary reports."""

    date: str = Field(pattern=r"^\d{4}-\d{2}$", description="Year and month, 'YYYY-MM'.")
    kind: InspectionKind = Field(description="Which kind of inspection it was.")
    outcome: InspectionOutcome | None = Field(
        default=None, description="What it found, when the letter says; else null."
    )
    evidence: str = Field(description="The verbatim sentence (or clause) that reports it.")
    span: Span | None = Field(default=None, description="Where `evidence` stands in the source.")


class Letter(_Model):
    """What one annual children's services assessment letter says.

    Scalar values that come from the text have their spans in `provenance`, keyed by field path
    ('local_authority', 'recipient.name', ...). A field the engine could not fill stays null (or
    empty) and is named in `unfilled`.
    """

    local_authority: str | None = Field(
        default=None,
        description="The authority as named in the heading, e.g. 'Worcestershire County Council'.",
    )
    assessment_year: int | None = Field(
        default=None, description="The year in the heading 'children's services assessment 2011'."
    )
    letter_date: dt.date | None = Field(default=None, description="The letter's date (ISO).")
    recipient: Person | None = Field(default=None, description="To whom it is addressed.")
    signatory: Person | None = Field(default=None, description="Who signed it.")
    grade: int | None = Field(
        default=None,
        ge=1,
        le=4,
        description="The authority's own grade from the verdict line (4 best, 1 worst).",
    )
    grade_label: GradeLabel | None = Field(
        default=None, description="The label that goes with the grade, e.g. 'Performs well'."
    )
    summary: str | None = Field(
        default=None,
        description="The judgement paragraphs between the verdict line and 'Strengths'.",
    )
    strengths: list[Finding] = Field(default_factory=list)
    areas_for_improvement: list[Finding] = Field(default_factory=list)
    safeguarding_inspections: list[SafeguardingInspection] = Field(default_factory=list)
    provenance: dict[str, Span] = Field(
        default_factory=dict, description="Spans of scalar values, keyed by field path."
    )
    unfilled: list[str] = Field(
        default_factory=list, description="Fields the engine could not fill from the text."
    )


# --- The document written per input file -------------------------------------------------------

SourceFormat = Literal["txt", "md", "pdf", "unknown"]
Severity = Literal["error", "warning"]
Status = Literal["passed", "flagged", "failed"]


class Source(_Model):
    path: str
    sha256: str | None = None
    format: SourceFormat = "unknown"


class EngineInfo(_Model):
    name: str
    version: str
    model: str | None = None
    prompt_version: str | None = None
    prompt_sha256: str | None = None
    mode: str | None = None


class Issue(_Model):
    """One failed check: stable `code`, the `field` path, what was expected and found."""

    code: str
    field: str
    severity: Severity
    expected: str | None = None
    found: str | None = None
    message: str


class Validation(_Model):
    status: Status
    issues: list[Issue] = Field(default_factory=list)


class Usage(_Model):
    calls: int = 0
    reasks: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cached: bool = False
    cost_usd: float | None = None


class ErrorInfo(_Model):
    code: str
    message: str


class Disagreement(_Model):
    """A field where the LLM and the rules engine gave different values."""

    field: str
    llm: str | None
    rules: str | None
    supported_by_text: Literal["llm", "rules", "both", "neither"]


class Document(_Model):
    """Exactly one per input file, whether or not it could be read."""

    schema_version: str = SCHEMA_VERSION
    source: Source
    engine: EngineInfo
    letter: Letter | None = None
    validation: Validation
    usage: Usage = Field(default_factory=Usage)
    error: ErrorInfo | None = None
    disagreements: list[Disagreement] = Field(default_factory=list)
    last_answer: str | None = Field(
        default=None, description="The LLM's last raw answer when the record stayed flagged."
    )
