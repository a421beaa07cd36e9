"""The eval report and the score history as typed models: what report.json and each line of
eval/history.jsonl hold, and what the console, markdown and HTML renderers read.

One module, `extra="forbid"` like extractor/schema.py: a renderer that asks for a field the
report does not have is a type error, not a KeyError at the end of a long run. History lines
written by older versions are read tolerantly (`HistoryEntry.from_line`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldRow(_Model):
    """One row of a per-field table: the score in [0, 1] and how many items it is over."""

    field: str
    score: float
    n: int


class SurfaceScores(_Model):
    """The per-field scores of the letters of one surface form ('real', 'clean', 'pdf', ...)."""

    n_letters: int
    fields: list[FieldRow]


class VerificationSummary(_Model):
    """How well the validators' flags track wrong records (eval.scoring.VerificationPower)."""

    wrong: int
    flagged_wrong: int
    right: int
    flagged_right: int
    #: flagged & wrong / wrong (want 1.0); None when no record was wrong.
    caught: float | None
    #: flagged & right / right (want 0.0); None when no record was right.
    false_alarms: float | None


class KindResult(_Model):
    """How the validators fared on one mutation kind."""

    kind: str
    #: False for the kinds the text cannot disprove (eval.mutations.UNDISPROVABLE): not scored.
    disprovable: bool = True
    tried: int = 0
    caught: int = 0
    #: caught / tried; None when the kind made no mutation.
    share: float | None = None
    #: Issue code -> how many of this kind's mutations it caught (a mutation can have several).
    codes: dict[str, int] = {}
    #: "case: description" of every mutation no new error-severity issue caught.
    missed: list[str] = []
    #: The cases this kind made no mutation of (e.g. no inspection to leave out).
    not_applicable: list[str] = []


class MutationReport(_Model):
    """The mutation test of the validators: per kind, and the share caught over the kinds the
    text can disprove. `gold_errors` are errors the unmutated gold records get (want none)."""

    #: Share caught of the mutations of disprovable kinds; None when none could be made.
    score: float | None
    tried: int
    caught: int
    kinds: dict[str, KindResult]
    #: The kinds run but not scored, with the reason the text cannot disprove them.
    undisprovable: dict[str, str] = {}
    gold_errors: list[str] = []
    #: The gold records mutated (real letters, then any generated ones).
    cases: list[str] = []


class LetterRow(_Model):
    """One letter of the eval: its status, its differences from gold and its issues."""

    name: str
    surface: str
    status: str
    error: str | None = None
    perfect: bool
    diffs: list[str] = []
    issues: list[str] = []


class Change(_Model):
    """A field's score in the previous comparable run, now, and the difference."""

    previous: float | None
    current: float | None
    change: float | None


class EvalReport(_Model):
    """Everything report.md, report.json and report.html show; report.json is this model."""

    date: str
    commit: str | None
    engine: str
    model: str | None
    prompt_version: str | None
    fixture_set: str
    n_letters: int
    fields: list[FieldRow]
    by_surface: dict[str, SurfaceScores]
    #: confusion[gold grade][predicted grade or 'missing'] = letters
    confusion: dict[str, dict[str, int]]
    verification_power: VerificationSummary
    mutations: MutationReport | None
    letters: list[LetterRow]
    #: Per field (and 'mutation_score'), when run with --compare and a previous run exists.
    comparison: dict[str, Change] | None = None

    def score(self, name: str) -> float | None:
        """A field's score by name, or None when the report has no such field."""
        return next((f.score for f in self.fields if f.field == name), None)


class HistoryEntry(_Model):
    """One line of eval/history.jsonl: who/what was run and the score of every field."""

    date: str | None = None
    commit: str | None = None
    engine: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    fixture_set: str | None = None
    n_letters: int | None = None
    scores: dict[str, float | None] = {}
    mutation_score: float | None = None

    @classmethod
    def from_line(cls, data: Any) -> HistoryEntry | None:
        """The entry a decoded JSON line holds, or None when it holds none. Keys this version
        does not know are dropped, so lines from older and newer versions stay readable."""
        if not isinstance(data, dict):
            return None
        try:
            return cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields})
        except ValidationError:
            return None

    def same_series(self, other: HistoryEntry) -> bool:
        """Whether two entries are comparable: same engine, model and fixture set."""
        return (self.engine, self.model, self.fixture_set) == (
            other.engine,
            other.model,
            other.fixture_set,
        )
