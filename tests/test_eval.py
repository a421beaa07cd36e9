"""The eval harness: scoring, the mutation test of the validators, reports and the history."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ofsted_extractor.eval import cli
from ofsted_extractor.eval.fixtures import Fixture, load_fixtures
from ofsted_extractor.eval.history import append_history, compare, previous_entry, read_history
from ofsted_extractor.eval.models import Change, EvalReport, HistoryEntry
from ofsted_extractor.eval.mutations import MUTATORS, UNDISPROVABLE, MutationCase, run_mutations
from ofsted_extractor.eval.report import to_html
from ofsted_extractor.eval.runner import Outcome, build_report
from ofsted_extractor.eval.scoring import (
    aggregate,
    confusion_matrix,
    normalise,
    score_letter,
    verification_power,
)
from ofsted_extractor.schema import (
    GRADE_LABELS,
    Count,
    Document,
    EngineInfo,
    Finding,
    Issue,
    Letter,
    Source,
    Validation,
)


def _worcs(gold_fixtures: list[Fixture]) -> Letter:
    return next(f.gold for f in gold_fixtures if f.name.startswith("worcestershire"))


def _edit(letter: Letter, change: Callable[[Letter], None]) -> Letter:
    copy = letter.model_copy(deep=True)
    change(copy)
    return copy


# --- scoring -------------------------------------------------------------------------------------


def test_the_package_gold_is_the_two_real_letters(gold_fixtures: list[Fixture]) -> None:
    assert sorted(f.name for f in gold_fixtures) == ["dudley-2011", "worcestershire-2011"]


def test_a_perfect_prediction_scores_one_everywhere(gold_fixtures: list[Fixture]) -> None:
    scores = [score_letter(f.gold, f.gold, f.name) for f in gold_fixtures]
    agg = aggregate(scores)
    assert all(s.perfect and s.diffs == [] for s in scores)
    assert {name: fs.score for name, fs in agg.fields.items() if fs.score != 1.0} == {}


def test_a_changed_grade_lands_in_its_confusion_cell(gold_fixtures: list[Fixture]) -> None:
    truth = _worcs(gold_fixtures)
    pred = _edit(truth, lambda x: setattr(x, "grade", 3))
    score = score_letter(pred, truth, "w")
    agg = aggregate([score, score_letter(truth, truth, "w2")])
    assert confusion_matrix([score])[1]["3"] == 1
    assert agg.confusion[1] == {"1": 1, "2": 0, "3": 1, "4": 0, "missing": 0}
    assert agg.score("grade") == 0.5
    assert agg.score("grade_label") == 1.0
    assert "grade: expected 1 (Performs poorly), got 3 (Performs well)" in score.diffs


def test_a_missing_prediction_is_wrong_everywhere_and_counts_as_missing(
    gold_fixtures: list[Fixture],
) -> None:
    truth = _worcs(gold_fixtures)
    score = score_letter(None, truth, "w")
    assert confusion_matrix([score])[1]["missing"] == 1
    assert not any(score.scalars.values())
    assert score.lists["strengths"].recall == 0.0


def test_a_dropped_bullet_lowers_recall_not_precision(gold_fixtures: list[Fixture]) -> None:
    truth = _worcs(gold_fixtures)
    pred = _edit(truth, lambda x: x.strengths.pop(4))
    s = score_letter(pred, truth).lists["strengths"]
    assert (s.precision, s.recall) == (1.0, 5 / 6)
    assert any(
        d.startswith("strengths: missing bullet 'As in 2010, eight of")
        for d in score_letter(pred, truth).diffs
    )


def test_an_extra_bullet_lowers_precision_not_recall(gold_fixtures: list[Fixture]) -> None:
    truth = _worcs(gold_fixtures)
    extra = Finding(text="Libraries are open late on Thursdays.", topic="other")
    pred = _edit(truth, lambda x: x.areas_for_improvement.append(extra))
    s = score_letter(pred, truth).lists["areas_for_improvement"]
    assert (s.precision, s.recall) == (3 / 4, 1.0)


def test_a_bullet_with_small_differences_still_aligns(gold_fixtures: list[Fixture]) -> None:
    truth = _worcs(gold_fixtures)
    pred = _edit(truth, lambda x: setattr(x.strengths[0], "text", x.strengths[0].text[:-10]))
    score = score_letter(pred, truth)
    assert score.lists["strengths"].f1 == 1.0
    assert any(d.startswith("strengths[0].text: not verbatim") for d in score.diffs)


def test_a_count_off_by_one_is_a_count_miss(gold_fixtures: list[Fixture]) -> None:
    truth = _worcs(gold_fixtures)
    pred = _edit(truth, lambda x: setattr(x.strengths[4].counts[0], "count", 9))
    score = score_letter(pred, truth)
    counts = score.lists["counts"]
    assert (counts.tp, counts.fp, counts.fn) == (14, 1, 1)
    assert (
        "counts: expected 8 of 12 good or better (fostering and adoption services) in "
        "strengths[4], got 9 of 12 good or better (fostering and adoption services)"
    ) in score.diffs


def test_count_subjects_match_leniently_but_numbers_exactly(gold_fixtures: list[Fixture]) -> None:
    truth = _worcs(gold_fixtures)
    pred = _edit(truth, lambda x: setattr(x.strengths[4].counts[0], "subject", "services"))
    assert score_letter(pred, truth).lists["counts"].fn == 0


def test_an_inspection_with_another_month_is_a_miss(gold_fixtures: list[Fixture]) -> None:
    truth = _worcs(gold_fixtures)
    pred = _edit(truth, lambda x: setattr(x.safeguarding_inspections[1], "date", "2010-12"))
    score = score_letter(pred, truth)
    assert score.lists["safeguarding_inspections"].recall == 2 / 3
    assert any(d.startswith("safeguarding_inspections: expected 2010-11") for d in score.diffs)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("local_authority", "WORCESTERSHIRE  County Council"),
        ("summary", None),
    ],
    ids=["names-ignore-case-and-spacing", "summary-quotes-and-spacing"],
)
def test_normalisation_forgives_case_in_names_and_typography(
    gold_fixtures: list[Fixture], field: str, value: str | None
) -> None:
    truth = _worcs(gold_fixtures)
    assert truth.summary is not None
    new = value if value is not None else truth.summary.replace("'", "\u2019").replace(" ", "  ")
    pred = _edit(truth, lambda x: setattr(x, field, new))
    assert score_letter(pred, truth).scalars[field]


def test_summaries_are_case_sensitive() -> None:
    assert normalise("Perform Well") != normalise("perform well")
    assert normalise("perform \u2018well\u2019 \u2013 now") == "perform 'well' - now"


@pytest.mark.parametrize(
    "path",
    ["grade", "letter_date", "recipient.name", "strengths", "counts"],
)
def test_diffs_name_the_field(gold_fixtures: list[Fixture], path: str) -> None:
    truth = _worcs(gold_fixtures)

    def change(x: Letter) -> None:
        if path == "grade":
            x.grade = 2
        elif path == "letter_date":
            x.letter_date = None
        elif path == "recipient.name":
            assert x.recipient is not None
            x.recipient.name = "Ms G Quinton"
        elif path == "strengths":
            x.strengths.pop()
        else:
            x.areas_for_improvement[0].counts.append(
                Count(subject="academies", count=7, evidence="seven schools")
            )

    diffs = score_letter(_edit(truth, change), truth).diffs
    assert diffs and all(d.startswith(path) for d in diffs)


def _issue(severity: str = "error") -> Issue:
    return Issue(code="x", field="grade", severity=severity, message="m")  # type: ignore[arg-type]


def test_verification_power_counts_flags_on_wrong_and_right_records(
    gold_fixtures: list[Fixture],
) -> None:
    truth = _worcs(gold_fixtures)
    wrong = _edit(truth, lambda x: setattr(x, "grade", 2))
    power = verification_power(
        [
            (wrong, truth, [_issue()]),  # wrong, flagged
            (wrong, truth, [_issue("warning")]),  # wrong, a warning is not a flag
            (truth, truth, []),  # right, not flagged
            (truth, truth, [_issue()]),  # right, flagged: a false alarm
        ]
    )
    assert (power.wrong, power.flagged_wrong, power.right, power.flagged_right) == (2, 1, 2, 1)
    assert power.caught == 0.5 and power.false_alarms == 0.5


# --- mutations -----------------------------------------------------------------------------------


def _cases(gold_fixtures: list[Fixture]) -> list[MutationCase]:
    from ofsted_extractor.loading import load_file

    return [MutationCase(f.name, load_file(f.letter_path).text, f.gold) for f in gold_fixtures]


def test_every_mutation_kind_applies_to_the_real_gold(gold_fixtures: list[Fixture]) -> None:
    for case in _cases(gold_fixtures):
        for kind, mutate in MUTATORS.items():
            made = [m for _, m in mutate(case.text, case.gold)]
            assert made, f"{kind} made nothing of {case.name}"
            assert all(m != case.gold for m in made), kind


def test_the_mutation_share_is_reported_per_kind_with_the_codes_that_caught_it() -> None:
    # A validator that only checks the grade catches the grade mutations and nothing else.
    truth = load_fixtures()[0].gold

    def grade_only(_text: str, letter: Letter) -> list[Issue]:
        ok = letter.grade == truth.grade and letter.grade_label == GRADE_LABELS[truth.grade or 1]
        return [] if ok else [_issue()]

    report = run_mutations([MutationCase("one", "irrelevant", truth)], grade_only)
    assert report.kinds["grade_shift"].share == 1.0
    assert report.kinds["grade_shift"].codes == {"x": report.kinds["grade_shift"].tried}
    assert report.kinds["drop_bullet"].share == 0.0
    assert report.kinds["drop_bullet"].missed and report.kinds["drop_bullet"].codes == {}
    assert 0.0 < (report.score or 0.0) < 1.0
    assert set(report.kinds) == set(MUTATORS)


def test_kinds_the_text_cannot_disprove_are_declared_with_a_reason_and_not_scored() -> None:
    truth = load_fixtures()[0].gold
    assert set(UNDISPROVABLE) <= set(MUTATORS)
    assert all(len(reason) > 40 for reason in UNDISPROVABLE.values())

    def catches_everything(_text: str, letter: Letter) -> list[Issue]:
        return [] if letter == truth else [_issue()]

    report = run_mutations([MutationCase("one", "irrelevant", truth)], catches_everything)
    assert report.score == 1.0
    scored = [k for k in report.kinds.values() if k.kind not in UNDISPROVABLE]
    assert (
        report.tried == sum(k.tried for k in scored) < sum(k.tried for k in report.kinds.values())
    )


@pytest.mark.parametrize("kind", [k for k in MUTATORS if k not in UNDISPROVABLE])
def test_the_validators_catch_every_disprovable_mutation_of_the_real_gold(
    gold_fixtures: list[Fixture], kind: str
) -> None:
    from ofsted_extractor.validators import validate

    report = run_mutations(_cases(gold_fixtures), validate, kinds=[kind])
    assert report.gold_errors == []
    assert report.kinds[kind].missed == []


def test_the_grade_is_taken_from_a_sentence_that_grades_before_the_scale_rows() -> None:
    truth = load_fixtures()[0].gold.model_copy(update={"grade": 3, "grade_label": "Performs well"})
    scale = "2\tPerforms adequately\tAn organisation that meets only minimum requirements\n"
    with_sentence = scale + "Last year the council performed adequately. It now performs well.\n"
    from_sentence = [d for d, _ in MUTATORS["grade_from_other_sentence"](with_sentence, truth)]
    from_rows = [d for d, _ in MUTATORS["grade_from_other_sentence"](scale, truth)]
    assert (
        len(from_sentence) == 1 and "Last year the council performed adequately" in from_sentence[0]
    )
    assert len(from_rows) == 1 and "An organisation that meets only" in from_rows[0]


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Worcestershire County Council", "Worcestershire"),
        ("Dudley Metropolitan Borough Council", "Dudley"),
        ("London Borough of Camden", "Camden"),
        ("City of York Council", "York"),
    ],
    ids=["county", "metropolitan-borough", "london-borough", "city-of"],
)
def test_an_authority_is_shortened_to_its_place_name(name: str, short: str) -> None:
    truth = load_fixtures()[0].gold.model_copy(update={"local_authority": name})
    [(_, mutated)] = MUTATORS["authority_shortened"]("", truth)
    assert mutated.local_authority == short


def test_the_defaulted_signatory_and_the_guessed_role_are_not_in_the_letter(
    gold_fixtures: list[Fixture],
) -> None:
    for case in _cases(gold_fixtures):
        for kind in ("signatory_defaulted", "role_guessed"):
            for _, m in MUTATORS[kind](case.text, case.gold):
                people = [p for p in (m.signatory, m.recipient) if p is not None]
                changed = [p for p in people if p not in (case.gold.signatory, case.gold.recipient)]
                assert changed, kind
                assert all(p.role and p.role.lower() not in case.text.lower() for p in changed)


def test_the_recipient_keeps_title_and_surname_when_the_first_name_is_dropped(
    gold_fixtures: list[Fixture],
) -> None:
    worcs = next(c for c in _cases(gold_fixtures) if c.name.startswith("worcestershire"))
    [(_, m)] = MUTATORS["recipient_first_name_dropped"](worcs.text, worcs.gold)
    assert m.recipient is not None and m.recipient.name == "Ms Quinton"


# --- reports and history -------------------------------------------------------------------------


def _document(letter: Letter | None) -> Document:
    return Document(
        source=Source(path="x.txt"),
        engine=EngineInfo(name="rules", version="0"),
        letter=letter,
        validation=Validation(status="passed"),
    )


def _report(gold_fixtures: list[Fixture]) -> EvalReport:
    outcomes = [
        Outcome(f, _document(f.gold), score_letter(f.gold, f.gold, f.name)) for f in gold_fixtures
    ]
    return build_report(outcomes, fixture_set="gold", mutations=None, requested_engine="rules")


def test_the_html_report_is_self_contained_with_svg_charts(gold_fixtures: list[Fixture]) -> None:
    report = _report(gold_fixtures)
    history = [
        HistoryEntry(commit=c, date="2026-01-01", scores={"overall": s, "grade": 1.0})
        for c, s in (("abc", 0.8), ("def", 0.9))
    ]
    page = to_html(report, history)
    assert page.count("<svg") == 2
    assert not re.search(r"""(?:src|href)\s*=\s*["']?https?://""", page)
    assert "<script" not in page and "<link" not in page
    assert "<style>" in page


def _args(tmp_path: Path, *extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(
        ["--engine", "rules", "--out", str(tmp_path / "out"), "--history",
         str(tmp_path / "history.jsonl"), *extra]
    )  # fmt: skip


def test_history_append_and_compare_with_the_previous_run(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    first = HistoryEntry(engine="rules", fixture_set="gold", scores={"grade": 0.5})
    other = HistoryEntry(engine="llm", model="m", fixture_set="gold", scores={"grade": 0.1})
    append_history(path, first)
    append_history(path, other)
    history = read_history(path)
    assert len(history) == 2
    current = first.model_copy(update={"scores": {"grade": 1.0}, "mutation_score": 0.9})
    previous = previous_entry(history, current)
    assert previous == first
    assert compare(previous, current)["grade"] == Change(previous=0.5, current=1.0, change=0.5)


def test_the_projects_history_lines_are_all_read() -> None:
    path = Path(__file__).parent.parent / "eval" / "history.jsonl"
    raw = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    history = read_history(path)
    assert len(history) == len(raw) and all(h.scores and h.engine for h in history)


def test_history_lines_of_other_versions_are_read_tolerantly(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(
        '{"engine": "rules", "scores": {"grade": 1.0}, "a_key_from_the_future": [1]}\n'
        '{"engine": "rules", "scores": "not a mapping"}\n'
        "[1, 2]\n"
        '{"engine": "rules", "fixture_set": "gold", "n_let\n',
        encoding="utf-8",
    )
    assert read_history(path) == [HistoryEntry(engine="rules", scores={"grade": 1.0})]


def test_the_eval_command_writes_reports_history_and_compares(tmp_path: Path) -> None:
    lines: list[str] = []
    assert cli.run(_args(tmp_path), stdout=lines.append) == 0
    assert cli.run(_args(tmp_path, "--compare"), stdout=lines.append) == 0
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} == {"report.md", "report.json", "report.html"}
    report = json.loads((out / "report.json").read_text())
    assert EvalReport.model_validate(report).comparison is not None  # the model's JSON, whole
    assert report["comparison"]["grade"]["change"] == 0.0
    assert "mutations" in report and "verification_power" in report
    history = read_history(tmp_path / "history.jsonl")
    assert len(history) == 2 and history[0].fixture_set == "gold"
    first_line = json.loads((tmp_path / "history.jsonl").read_text().splitlines()[0])
    # The keys every line of eval/history.jsonl has had, so old and new lines compare.
    assert set(first_line) == {
        "date", "commit", "engine", "model", "prompt_version", "fixture_set", "n_letters",
        "scores", "mutation_score",
    }  # fmt: skip
    md = (out / "report.md").read_text()
    assert "## Mutation test of the validators" in md and "## Verification power" in md
    assert any(line.startswith("compared with the run of") for line in lines)


def test_min_score_fails_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _args(tmp_path, "--no-history", "--min-score", "grade=1.01", "--min-score", "overall=0")
    assert cli.run(args, stdout=lambda _: None) == 1
    err = capsys.readouterr().err
    assert "grade = " in err and "overall" not in err
    assert not (tmp_path / "history.jsonl").exists()


def test_synthetic_letters_are_scored_per_surface_form(tmp_path: Path) -> None:
    args = _args(tmp_path, "--no-history", "--synthetic", "4", "--seed", "3")
    assert cli.run(args, stdout=lambda _: None) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["fixture_set"] == "gold+synthetic-4-seed3"
    assert {"real", "clean", "markdown", "pdftotext"} <= set(report["by_surface"])


def test_a_mutation_kind_can_be_gated_on_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _args(
        tmp_path, "--no-history", "--min-score", "mutation:grade_shift=1.0",
        "--min-score", "mutation:topic_changed=1.0",
    )  # fmt: skip
    assert cli.run(args, stdout=lambda _: None) == 1
    err = capsys.readouterr().err
    assert "mutation:topic_changed = 0.000" in err and "grade_shift" not in err


def test_a_mutation_gate_fails_when_the_gold_itself_has_errors(
    tmp_path: Path, gold_fixtures: list[Fixture], capsys: pytest.CaptureFixture[str]
) -> None:
    worcs = next(f for f in gold_fixtures if f.name.startswith("worcestershire"))
    wrong = worcs.gold.model_copy(update={"grade": 3, "grade_label": "Performs well"})
    folder = tmp_path / "fixtures"
    folder.mkdir()
    record = {"letter_file": str(worcs.letter_path), "letter": wrong.model_dump(mode="json")}
    (folder / "w.json").write_text(json.dumps(record))
    args = _args(
        tmp_path, "--no-history", "--fixtures", str(folder),
        "--min-score", "mutation:drop_bullet=0.0",
    )  # fmt: skip
    lines: list[str] = []
    assert cli.run(args, stdout=lines.append) == 1
    assert "min-score: gold errors: " in capsys.readouterr().err
    assert "gold errors: 0" not in "\n".join(lines)


def test_generated_letters_gold_joins_the_mutation_test_on_request(tmp_path: Path) -> None:
    args = _args(tmp_path, "--no-history", "--mutate-synthetic", "2", "--seed", "5")
    assert cli.run(args, stdout=lambda _: None) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["fixture_set"] == "gold"
    missed = [m for k in report["mutations"]["kinds"].values() for m in k["missed"]]
    assert any(m.startswith("synth-5-") for m in missed)
    assert report["mutations"]["gold_errors"] == []
