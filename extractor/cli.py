"""`ofsted-extract`: a thin command line over the library.

Library errors become one line on stderr and an exit code here, and nowhere else:
0 all inputs extracted (passed or flagged), 1 some input failed, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from extractor import __version__
from extractor.engines.base import Engine
from extractor.errors import ConfigurationError, ExtractorError
from extractor.pipeline import ENGINE_NAMES, extract_many, make_engine
from extractor.schema import Document, Letter
from extractor.store import FINDINGS_CSV, LETTERS_CSV, RECORDS, RecordStore

LETTER_SUFFIXES = (".txt", ".md", ".pdf")

EXIT_OK, EXIT_FAILED_INPUT, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `ofsted-extract` and `python -m extractor`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # Errors reach the user once, as our own one-line messages; instructor also logs each
    # failed attempt, which would repeat them with a traceback.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    if not hasattr(args, "handler"):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.handler(args)
        return code
    except ExtractorError as exc:
        print(f"ofsted-extract: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ofsted-extract: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ofsted-extract",
        description="Turn Ofsted annual children's services assessment letters into "
        "validated, structured data.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="extract letters (files or folders) into records.jsonl, letters.csv, findings.csv",
        description="Extract every .txt, .md and .pdf letter under PATH into --out. Re-running "
        "into the same --out resumes: letters already extracted are skipped.",
    )
    run.add_argument("paths", nargs="+", metavar="PATH", help="letter files or folders")
    run.add_argument(
        "--out", "-o", type=Path, default=Path("out"), help="output folder (default: out)"
    )
    run.add_argument("--force", action="store_true", help="re-extract letters already done")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
    add_engine_arguments(run)
    run.set_defaults(handler=cmd_run)

    schema = sub.add_parser("schema", help="print the JSON Schema of a letter record")
    schema.add_argument(
        "--document", action="store_true", help="the whole per-letter document, not just the letter"
    )
    schema.set_defaults(handler=cmd_schema)

    ev = sub.add_parser(
        "eval",
        help="score an engine against hand-labelled letters and write a report",
        description="Score an engine against gold records; print a per-field table and write "
        "report.md, report.json and report.html.",
    )
    add_engine_arguments(ev)
    try:
        from eval import cli as eval_cli

        eval_cli.add_arguments(ev)
        ev.set_defaults(handler=eval_cli.run)
    except (ImportError, AttributeError) as exc:
        message = f"the eval harness is not available: {exc}"

        def unavailable(args: argparse.Namespace) -> int:
            raise ConfigurationError(message)

        ev.set_defaults(handler=unavailable)
    return parser


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every command that runs an engine shares."""
    g = parser.add_argument_group("engine")
    g.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        default="auto",
        help="rules (no LLM), llm, or auto: the LLM when one is configured, else rules (default)",
    )
    g.add_argument("--model", help="LLM model name (default: $OFSTED_MODEL or gpt-4o-mini)")
    g.add_argument("--base-url", help="OpenAI-compatible server URL (default: $OPENAI_BASE_URL)")
    g.add_argument(
        "--backend",
        help="server kind, which sets how the schema is enforced: openai, llama-cpp-python, "
        "llama.cpp, ollama, vllm, lmstudio (default: guessed from the URL)",
    )
    g.add_argument("--mode", help="instructor mode override, e.g. TOOLS, JSON, JSON_SCHEMA")
    g.add_argument("--max-reasks", type=int, help="validator-driven re-asks per letter (default 2)")
    g.add_argument("--token-budget", type=int, help="tokens per letter across all attempts")
    g.add_argument("--timeout", type=float, help="seconds per HTTP request")
    g.add_argument(
        "--concurrency",
        type=int,
        help="letters in flight at once (default: 4 on OpenAI, 1 on a local server)",
    )
    g.add_argument("--no-cache", action="store_true", help="ignore and do not fill the LLM cache")
    g.add_argument("--cache-dir", type=Path, help="LLM answer cache folder")
    g.add_argument(
        "--price",
        action="append",
        default=[],
        metavar="MODEL=IN,OUT",
        help="USD per million prompt,completion tokens, e.g. gpt-4o-mini=0.15,0.60",
    )


def engine_from_args(args: argparse.Namespace, notify: Callable[[str], None]) -> Engine:
    """Build the engine the options ask for (reading the LLM settings only when needed)."""
    if args.engine == "rules":
        return make_engine("rules")
    overrides = {
        "model": args.model,
        "base_url": args.base_url,
        "backend": args.backend,
        "mode": args.mode,
        "max_reasks": args.max_reasks,
        "token_budget": args.token_budget,
        "timeout": args.timeout,
        "concurrency": args.concurrency,
        "cache_dir": args.cache_dir,
        "use_cache": False if args.no_cache else None,
        "prices": _parse_prices(args.price) or None,
    }
    try:
        from extractor.llm_config import LLMConfig
    except ImportError:
        return make_engine(args.engine, notify=notify)
    config = LLMConfig.from_env(**{k: v for k, v in overrides.items() if v is not None})
    return make_engine(args.engine, llm_config=config, notify=notify)


def _parse_prices(items: list[str]) -> dict[str, tuple[float, float]]:
    prices = {}
    for item in items:
        try:
            model, rest = item.split("=", 1)
            prompt, completion = (float(x) for x in rest.split(","))
        except ValueError:
            raise ConfigurationError(
                f"--price {item!r}: expected MODEL=PROMPT_USD,COMPLETION_USD per million tokens"
            ) from None
        prices[model] = (prompt, completion)
    return prices


# --- run -----------------------------------------------------------------------------------------


def find_letters(paths: Sequence[str]) -> list[Path]:
    """Files named, and letter files (.txt .md .pdf) under folders named, in a stable order.

    A path that does not exist is kept, so that it gets its own failed document.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            candidates = sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and f.suffix.lower() in LETTER_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        else:
            candidates = [p]
        for f in candidates:
            if f not in seen:
                seen.add(f)
                found.append(f)
    return found


def cmd_run(args: argparse.Namespace) -> int:
    err: TextIO = sys.stderr
    engine = engine_from_args(args, notify=lambda m: print(f"note: {m}", file=err))
    letters = find_letters(args.paths)
    if not letters:
        raise ConfigurationError(f"no letters found in {', '.join(args.paths)}")

    store = RecordStore(args.out)
    store.open()
    if store.dropped_lines:
        print(
            f"note: dropped {store.dropped_lines} torn line(s) left by an interrupted run", file=err
        )
    todo = [p for p in letters if args.force or not store.done(str(p))]
    skipped = len(letters) - len(todo)
    if skipped and not args.quiet:
        print(f"resuming: {skipped} of {len(letters)} letters already done in {args.out}", file=err)

    config = getattr(engine, "config", None)
    concurrency = config.resolved_concurrency if config is not None else 1
    progress = Progress(len(todo), err, enabled=not args.quiet)
    this_run: list[Document] = []
    started = time.perf_counter()
    extraction_seconds = 0.0

    async def go() -> None:
        nonlocal extraction_seconds
        async for path, doc, seconds in extract_many(todo, engine, concurrency=concurrency):
            extraction_seconds += seconds
            store.add(doc)
            this_run.append(doc)
            progress.step(path.name)
            if doc.validation.status == "failed":
                message = doc.error.message if doc.error else "unknown error"
                progress.line(f"failed: {path}: {one_line(message.removeprefix(f'{path}: '))}")
            elif doc.validation.status == "flagged":
                codes = sorted({i.code for i in doc.validation.issues if i.severity == "error"})
                progress.line(f"flagged: {path}: {', '.join(codes)}")

    try:
        asyncio.run(go())
    finally:
        progress.close()
        store.write_tables()
    if not args.quiet:
        print_summary(
            this_run,
            list(store.documents.values()),
            skipped=skipped,
            out=args.out,
            wall=time.perf_counter() - started,
            extraction=extraction_seconds,
            stream=sys.stdout,
        )
    failed = sum(1 for d in this_run if d.validation.status == "failed")
    return EXIT_FAILED_INPUT if failed else EXIT_OK


def one_line(message: str, width: int = 240) -> str:
    """A message on one line: a provider's multi-line error body must not break the log."""
    flat = " ".join(message.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


class Progress:
    """A one-line progress bar on a terminal; a line every 10% elsewhere (logs stay short)."""

    def __init__(self, total: int, stream: TextIO, *, enabled: bool = True) -> None:
        self.total, self.stream, self.enabled = total, stream, enabled and total > 0
        self.done = 0
        self.tty = stream.isatty()
        self._last_decile = 0
        self._started = time.perf_counter()

    def step(self, name: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.tty:
            width = 30
            filled = int(width * self.done / self.total)
            rate = self.done / max(time.perf_counter() - self._started, 1e-9)
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{rate:5.1f}/s {name[:40]:<40}"
            )
            self.stream.flush()
        else:
            decile = self.done * 10 // self.total
            if decile > self._last_decile or self.done == self.total:
                self._last_decile = decile
                print(f"progress: {self.done}/{self.total} letters", file=self.stream)

    def line(self, text: str) -> None:
        if self.tty and self.enabled:
            self.stream.write("\r\033[K")
        print(text, file=self.stream)

    def close(self) -> None:
        if self.tty and self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def print_summary(
    this_run: list[Document],
    all_docs: list[Document],
    *,
    skipped: int,
    out: Path,
    wall: float,
    extraction: float,
    stream: TextIO,
) -> None:
    """The closing table: letters, passed / flagged / failed, grades, usage."""
    status = Counter(d.validation.status for d in all_docs)
    grades = Counter(d.letter.grade for d in all_docs if d.letter and d.letter.grade)
    rows = [
        ("letters in this run", str(len(this_run))),
        ("skipped (already done)", str(skipped)),
        ("passed", str(status["passed"])),
        ("flagged", str(status["flagged"])),
        ("failed", str(status["failed"])),
    ]
    for g, label in ((4, "excellently"), (3, "well"), (2, "adequately"), (1, "poorly")):
        rows.append((f"grade {g} (performs {label})", str(grades[g])))
    calls = sum(d.usage.calls for d in this_run)
    if calls or any(d.usage.cached for d in this_run):
        rows += [
            ("LLM calls", str(calls)),
            ("re-asks", str(sum(d.usage.reasks for d in this_run))),
            ("cached letters", str(sum(1 for d in this_run if d.usage.cached))),
            ("prompt tokens", str(sum(d.usage.prompt_tokens for d in this_run))),
            ("completion tokens", str(sum(d.usage.completion_tokens for d in this_run))),
        ]
        costs = [d.usage.cost_usd for d in this_run if d.usage.cost_usd is not None]
        rows.append(("estimated cost (USD)", f"{sum(costs):.4f}" if costs else "unknown"))
    rows += [
        ("extraction time, summed over letters (s)", f"{extraction:.2f}"),
        ("wall time (s)", f"{wall:.2f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"\nSummary ({len(all_docs)} letters in {out})", file=stream)
    for k, v in rows:
        print(f"  {k:<{width}}  {v:>8}", file=stream)
    print(f"  wrote {out / RECORDS}, {out / LETTERS_CSV}, {out / FINDINGS_CSV}", file=stream)


def cmd_schema(args: argparse.Namespace) -> int:
    model = Document if args.document else Letter
    print(json.dumps(model.model_json_schema(), indent=2))
    return EXIT_OK
