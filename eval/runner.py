"""Running an engine over gold fixtures and building the report (eval.models.EvalReport)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ofsted_extractor.eval.fixtures import Fixture
from ofsted_extractor.eval.history import git_commit, utc_now
from ofsted_extractor.eval.models import (
    EvalReport,
    FieldRow,
    LetterRow,
    MutationReport,
    SurfaceScores,
)
from ofsted_extractor.eval.mutations import MutationCase, run_mutations
from ofsted_extractor.eval.scoring import (
    Aggregate,
    LetterScore,
    aggregate,
    score_letter,
    verification_power,
)
from ofsted_extractor.schema import Document

#: The fields shown first in tables and charts (the rest follow in their own order).
HEADLINE_FIELDS: tuple[str, ...] = (
    "overall",
    "grade",
    "grade_label",
    "local_authority",
    "strengths.f1",
    "areas_for_improvement.f1",
    "counts.f1",
    "safeguarding_inspections.f1",
    "findings.topic",
)

Extract = Callable[[Fixture], Document]


@dataclass
class Outcome:
    """One fixture with the engine's document and its score."""

    fixture: Fixture
    document: Document
    score: LetterScore


def run_engine(fixtures: Sequence[Fixture], extract: Extract) -> list[Outcome]:
    """Extract every fixture's letter and score it against its gold record."""
    outcomes: list[Outcome] = []
    for fx in fixtures:
        doc = extract(fx)
        outcomes.append(Outcome(fx, doc, score_letter(doc.letter, fx.gold, fx.name)))
    return outcomes


def mutation_cases(
    fixtures: Sequence[Fixture], load: Callable[[Fixture], str]
) -> list[MutationCase]:
    """The gold records of `fixtures` with their letters' normalised text."""
    return [MutationCase(fx.name, load(fx), fx.gold) for fx in fixtures]


def synthetic_mutation_cases(n: int, seed: int) -> list[MutationCase]:
    """The gold records of `n` generated letters (seeded) with their clean text, normalised."""
    from ofsted_extractor.eval.synth import generate
    from ofsted_extractor.loading import load_text

    return [MutationCase(s.id, load_text(s.text).text, s.gold) for s in generate(n, seed)]


def mutation_report(cases: Sequence[MutationCase]) -> MutationReport:
    """The mutation test over `cases` with the project's validators."""
    from ofsted_extractor.validators import validate

    return run_mutations(cases, validate)


def _ordered(agg: Aggregate) -> list[FieldRow]:
    names = [*HEADLINE_FIELDS, *(f for f in agg.fields if f not in HEADLINE_FIELDS)]
    return [
        FieldRow(field=n, score=agg.fields[n].score, n=agg.fields[n].n)
        for n in names
        if n in agg.fields
    ]


def build_report(
    outcomes: Sequence[Outcome],
    *,
    fixture_set: str,
    mutations: MutationReport | None,
    requested_engine: str,
) -> EvalReport:
    """Everything the three report files and the history line show."""
    agg = aggregate([o.score for o in outcomes])
    by_surface: dict[str, SurfaceScores] = {}
    for surface in dict.fromkeys(o.fixture.surface for o in outcomes):
        sub = aggregate([o.score for o in outcomes if o.fixture.surface == surface])
        by_surface[surface] = SurfaceScores(n_letters=sub.n_letters, fields=_ordered(sub))
    power = verification_power(
        (o.document.letter, o.fixture.gold, o.document.validation.issues)
        for o in outcomes
        if o.document.letter is not None
    )
    info = outcomes[0].document.engine if outcomes else None
    letters = [
        LetterRow(
            name=o.fixture.name,
            surface=o.fixture.surface,
            status=o.document.validation.status,
            error=o.document.error.message if o.document.error else None,
            perfect=o.score.perfect,
            diffs=o.score.diffs,
            issues=[
                f"{i.severity} {i.code} {i.field}: {i.message}"
                for i in o.document.validation.issues
            ],
        )
        for o in outcomes
    ]
    return EvalReport(
        date=utc_now(),
        commit=git_commit(),
        engine=info.name if info else requested_engine,
        model=info.model if info else None,
        prompt_version=info.prompt_version if info else None,
        fixture_set=fixture_set,
        n_letters=len(outcomes),
        fields=_ordered(agg),
        by_surface=by_surface,
        confusion={str(k): v for k, v in agg.confusion.items()},
        verification_power=power.summary(),
        mutations=mutations,
        letters=letters,
    )


def field_scores(report: EvalReport) -> dict[str, float]:
    """The report's per-field scores by field name, plus 'mutation_score' (the kinds the text
    can disprove) and 'mutation:KIND' (each kind's share caught) when the mutation test ran."""
    scores = {f.field: f.score for f in report.fields}
    if report.mutations is not None:
        if report.mutations.score is not None:
            scores["mutation_score"] = report.mutations.score
        for kind, result in report.mutations.kinds.items():
            if result.share is not None:
                scores[f"mutation:{kind}"] = result.share
    return scores
