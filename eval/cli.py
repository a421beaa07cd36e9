"""`ofsted-extract eval`: score an engine against gold letters, write reports, keep a history.

The main CLI (extractor/cli.py) adds its engine options (--engine, --model, --base-url, ...) to
the same parser and then calls `add_arguments` and `run`; `python -m ofsted_extractor.eval`
builds a parser of its own with just --engine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ofsted_extractor.eval.fixtures import Fixture, fixture_set_name, load_fixtures
from ofsted_extractor.eval.history import (
    DEFAULT_HISTORY,
    append_history,
    compare,
    history_entry,
    previous_entry,
    read_history,
    series,
)

if TYPE_CHECKING:
    from ofsted_extractor.engines.base import Engine

DEFAULT_OUT = Path("eval/reports")
#: How many synthetic letters are also written as word-processor PDFs (LibreOffice is slow).
WP_LETTERS = 20


def _threshold(value: str) -> tuple[str, float]:
    name, sep, number = value.partition("=")
    try:
        if not sep or not name:
            raise ValueError
        return name.strip(), float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r}: expected FIELD=VALUE, e.g. grade=1.0 or strengths.f1=0.95"
        ) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the eval options to `parser` (--engine only if the caller has not added it)."""
    if not any("--engine" in a.option_strings for a in parser._actions):
        parser.add_argument(
            "--engine", choices=("rules", "llm", "auto"), default="rules", help="engine to score"
        )
    parser.add_argument(
        "--fixtures",
        type=Path,
        help="folder of gold records {letter_file, letter} (default: the packaged real letters)",
    )
    parser.add_argument(
        "--synthetic",
        type=int,
        default=0,
        metavar="N",
        help="also score N generated letters in every surface form (pdf when fpdf2 is installed)",
    )
    parser.add_argument(
        "--mutate-synthetic",
        type=int,
        default=0,
        metavar="N",
        help="also run the mutation test of the validators on N generated letters' gold",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic letters")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"report folder (default: {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--history",
        type=Path,
        default=DEFAULT_HISTORY,
        help=f"score history file, one JSON line per run (default: {DEFAULT_HISTORY})",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="show each field's change since the last run of the same engine, model and fixtures",
    )
    parser.add_argument(
        "--min-score",
        type=_threshold,
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="fail (exit 1) when FIELD scores below VALUE; repeatable, e.g. overall=0.9; "
        "mutation_score is every kind the text can disprove, mutation:KIND one kind "
        "(e.g. mutation:count_dropped=1.0); any mutation gate also fails on gold errors",
    )
    parser.add_argument(
        "--no-history", action="store_true", help="do not append this run to the history"
    )


def _engine(args: argparse.Namespace) -> Engine:
    """The engine the options ask for, built the way `ofsted-extract run` builds it."""
    from ofsted_extractor import make_engine

    def notify(message: str) -> None:
        print(f"note: {message}", file=sys.stderr)

    name = getattr(args, "engine", "rules")
    if hasattr(args, "base_url") and hasattr(args, "model"):
        # Called from the main CLI: its options (model, base URL, cache...) apply here too.
        from ofsted_extractor.options import engine_from_args

        return engine_from_args(args, notify)
    return make_engine(name, notify=notify)


def _loader(fx: Fixture) -> str:
    from ofsted_extractor.loading import load_file

    return load_file(fx.letter_path).text


def run(args: argparse.Namespace, *, stdout: Callable[[str], None] = print) -> int:
    """Run the eval the options describe; return the exit code (1 when a --min-score fails)."""
    # imported here, not at the top: every `ofsted-extract` command builds this parser, and
    # only `eval` needs the runner, the reports and the generator (about 40 ms of start-up)
    from ofsted_extractor import extract_file
    from ofsted_extractor.eval.report import table, write_reports
    from ofsted_extractor.eval.runner import (
        build_report,
        field_scores,
        mutation_cases,
        mutation_report,
        run_engine,
        synthetic_mutation_cases,
    )
    from ofsted_extractor.eval.synth import (
        TEXT_SURFACES,
        Surface,
        generate,
        pdf_available,
        wp_surfaces_available,
        write,
        write_wp,
    )

    engine = _engine(args)
    fixtures = load_fixtures(args.fixtures)
    set_name = fixture_set_name(args.fixtures)
    real = list(fixtures)
    with tempfile.TemporaryDirectory(prefix="ofsted-synth-") as tmp:
        if args.synthetic:
            surfaces: list[Surface] = list(TEXT_SURFACES)
            if pdf_available():
                surfaces.append("pdf")
            write(tmp, args.synthetic, args.seed, surfaces)
            # LibreOffice takes about a second a letter, so the word-processor surfaces are
            # made of the first WP_LETTERS letters only; a missing tool skips its surfaces.
            available = wp_surfaces_available()
            missing: dict[str, list[str]] = {}
            for surface, why in available.items():
                if why is not None:
                    missing.setdefault(why, []).append(surface)
            for why, names in missing.items():
                print(
                    f"note: synthetic surfaces {', '.join(names)} skipped: need {why}",
                    file=sys.stderr,
                )
            wp = [s for s, why in available.items() if why is None]
            if wp:
                write_wp(tmp, generate(min(args.synthetic, WP_LETTERS), args.seed), wp)
            fixtures += load_fixtures(tmp)
            set_name += f"+synthetic-{args.synthetic}-seed{args.seed}"
        outcomes = run_engine(fixtures, lambda fx: extract_file(fx.letter_path, engine=engine))
    # The validators are checked against the hand-labelled (or given) gold, and the gold of
    # --mutate-synthetic generated letters (not those the engine was scored on).
    cases = mutation_cases(real, _loader)
    if args.mutate_synthetic:
        cases += synthetic_mutation_cases(args.mutate_synthetic, args.seed)
    mutations = mutation_report(cases)
    report = build_report(
        outcomes,
        fixture_set=set_name,
        mutations=mutations,
        requested_engine=getattr(args, "engine", "rules"),
    )

    entry = history_entry(report)
    history = read_history(args.history)
    if args.compare:
        previous = previous_entry(history, entry)
        if previous is None:
            stdout("compare: no earlier run of this engine, model and fixture set in the history")
        else:
            report.comparison = compare(previous, entry)
            stdout(f"compared with the run of {previous.date} ({previous.commit})")
    if not args.no_history:
        append_history(args.history, entry)
        history = [*history, entry]
    chart_history = series(history, entry) if not args.no_history else [*series(history, entry)]

    stdout(table(report))
    paths = write_reports(args.out, report, chart_history)
    stdout(f"reports: {', '.join(str(p) for p in paths)}")

    failures = []
    scores = field_scores(report)
    gold_errors = report.mutations.gold_errors if report.mutations is not None else []
    if gold_errors and any(name.startswith("mutation") for name, _ in args.min_score):
        # A mutation is caught by an error the gold record does not get; errors on the gold
        # itself mean the validators reject right answers, which no mutation score can excuse.
        failures.append(f"gold errors: {len(gold_errors)} (the unmutated gold must pass)")
    for name, minimum in args.min_score:
        got = scores.get(name)
        if got is None:
            failures.append(f"{name}: no such field (known: {', '.join(scores)})")
        elif got < minimum:
            failures.append(f"{name} = {got:.3f}, below the minimum {minimum}")
    for failure in failures:
        print(f"min-score: {failure}", file=sys.stderr)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    """`python -m ofsted_extractor.eval`: the eval subcommand on its own."""
    parser = argparse.ArgumentParser(prog="python -m ofsted_extractor.eval", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
