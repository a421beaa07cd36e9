"""Running an engine over gold fixtures and building the report data (a JSON-ready dict)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eval.fixtures import Fixture
from eval.history import git_commit, utc_now
from eval.mutations import MutationCase, MutationReport, run_mutations
from eval.scoring import (
    Aggregate,
    LetterScore,
    aggregate,
    score_letter,
    verification_power,
)
from extractor.schema import Document

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
    from eval.synth import generate
    from extractor.loading import load_text

    return [MutationCase(s.id, load_text(s.text).text, s.gold) for s in generate(n, seed)]


def mutation_report(cases: Sequence[MutationCase]) -> MutationReport:
    """The mutation test over `cases` with the project's validators."""
    from validators import validate

    return run_mutations(cases, validate)


def _ordered(agg: Aggregate) -> list[dict[str, Any]]:
    names = [*HEADLINE_FIELDS, *(f for f in agg.fields if f not in HEADLINE_FIELDS)]
    return [
        {"field": n, "score": agg.fields[n].score, "n": agg.fields[n].n}
        for n in names
        if n in agg.fields
    ]


def build_report(
    outcomes: Sequence[Outcome],
    *,
    fixture_set: str,
    mutations: MutationReport | None,
    requested_engine: str,
) -> dict[str, Any]:
    """Everything the three report files and the history line show, as plain data."""
    agg = aggregate([o.score for o in outcomes])
    by_surface: dict[str, dict[str, Any]] = {}
    for surface in dict.fromkeys(o.fixture.surface for o in outcomes):
        sub = aggregate([o.score for o in outcomes if o.fixture.surface == surface])
        by_surface[surface] = {"n_letters": sub.n_letters, "fields": _ordered(sub)}
    power = verification_power(
        (o.document.letter, o.fixture.gold, o.document.validation.issues)
        for o in outcomes
        if o.document.letter is not None
    )
    info = outcomes[0].document.engine if outcomes else None
    letters = [
        {
            "name": o.fixture.name,
            "surface": o.fixture.surface,
            "status": o.document.validation.status,
            "error": o.document.error.message if o.document.error else None,
            "perfect": o.score.perfect,
            "diffs": o.score.diffs,
            "issues": [
                f"{i.severity} {i.code} {i.field}: {i.message}"
                for i in o.document.validation.issues
            ],
        }
        for o in outcomes
    ]
    return {
        "date": utc_now(),
        "commit": git_commit(),
        "engine": info.name if info else requested_engine,
        "model": info.model if info else None,
        "prompt_version": info.prompt_version if info else None,
        "fixture_set": fixture_set,
        "n_letters": len(outcomes),
        "fields": _ordered(agg),
        "by_surface": by_surface,
        "confusion": {str(k): v for k, v in agg.confusion.items()},
        "verification_power": power.as_dict(),
        "mutations": mutations.as_dict() if mutations is not None else None,
        "letters": letters,
        "comparison": None,
    }


def field_scores(report: dict[str, Any]) -> dict[str, float]:
    """The report's per-field scores by field name, plus 'mutation_score' (the kinds the text
    can disprove) and 'mutation:KIND' (each kind's share caught) when the mutation test ran."""
    scores = {f["field"]: float(f["score"]) for f in report["fields"]}
    mutations = report.get("mutations") or {}
    if mutations.get("score") is not None:
        scores["mutation_score"] = float(mutations["score"])
    for kind, result in (mutations.get("kinds") or {}).items():
        if result["share"] is not None:
            scores[f"mutation:{kind}"] = float(result["share"])
    return scores
