"""`ofsted-extract`: a thin command line over the library.

Library errors become one line on stderr and an exit code here, and nowhere else:
0 all inputs extracted (passed or flagged), 1 some input failed, 2 usage or configuration error
(a bad option, an unusable --out, an LLM endpoint that cannot be reached, a full disk).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ofsted_extractor import __version__
from ofsted_extractor.db import DB_NAME, Store, document_key, file_sha256
from ofsted_extractor.errors import ConfigurationError, ExtractorError, StoreError
from ofsted_extractor.export import EXPORTS, atomic_write, export_all
from ofsted_extractor.limits import DEFAULT_LIMITS, Limits
from ofsted_extractor.options import add_engine_arguments, engine_from_args, positive_int
from ofsted_extractor.pipeline import Outcome, iter_extracted
from ofsted_extractor.redact import redact
from ofsted_extractor.schema import Document, Letter

LETTER_SUFFIXES = (".txt", ".md", ".pdf")

EXIT_OK, EXIT_FAILED_INPUT, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `ofsted-extract` and `python -m ofsted_extractor`."""
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
        print(f"ofsted-extract: error: {one_line(str(exc), width=400)}", file=sys.stderr)
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
        help="extract letters (files or folders) into DIR/letters.db and tidy CSV/JSONL files",
        description="Extract every .txt, .md and .pdf letter under PATH into --out: the "
        f"database {DB_NAME} and {', '.join(EXPORTS)}. Re-running into the same --out resumes: "
        "a letter whose bytes and engine are unchanged is skipped.",
    )
    run.add_argument("paths", nargs="+", metavar="PATH", help="letter files or folders")
    run.add_argument(
        "--out", "-o", type=Path, default=Path("out"), help="output folder (default: out)"
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="extract letters already done again (a new extraction; the old one is kept)",
    )
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
    run.add_argument(
        "--jobs",
        "-j",
        type=positive_int,
        default=os.cpu_count() or 1,
        help="processes for the rules engine (default: the machine's cores, %(default)s); "
        "the LLM engine uses --concurrency instead",
    )
    limits = run.add_argument_group("size limits (an input over one fails at once)")
    limits.add_argument(
        "--max-bytes",
        type=positive_int,
        default=DEFAULT_LIMITS.max_bytes,
        help="largest file, bytes (default %(default)s)",
    )
    limits.add_argument(
        "--max-pages",
        type=positive_int,
        default=DEFAULT_LIMITS.max_pages,
        help="most PDF pages (default %(default)s)",
    )
    limits.add_argument(
        "--max-chars",
        type=positive_int,
        default=DEFAULT_LIMITS.max_chars,
        help="most characters of text (default %(default)s)",
    )
    add_engine_arguments(run)
    run.set_defaults(handler=cmd_run)

    export = sub.add_parser(
        "export",
        help=f"rebuild {', '.join(EXPORTS)} from DIR/{DB_NAME}",
        description="Write the tidy files again from the database, e.g. after deleting them.",
    )
    export.add_argument("dir", type=Path, metavar="DIR", help="a run's --out folder")
    export.set_defaults(handler=cmd_export)

    review = sub.add_parser(
        "review",
        help="write DIR/review.html: each letter's text with its extracted values highlighted",
        description="A self-contained page: flagged and failed letters first, then passed; "
        "every extracted value's evidence highlighted in the letter, failed checks beside "
        "their fields, LLM-versus-rules disagreements; filters by status and issue code.",
    )
    review.add_argument("dir", type=Path, metavar="DIR", help="a run's --out folder")
    review.add_argument("--output", type=Path, help="where to write (default: DIR/review.html)")
    review.set_defaults(handler=cmd_review)

    gold = sub.add_parser(
        "gold",
        help="write a letter's record as a draft gold fixture (eval/gold format) to correct",
        description="Write the current record of FILE (as given to `run`) as a gold fixture "
        "for a reviewer to correct against the letter and add to eval/gold/ (eval/LABELLING.md).",
    )
    gold.add_argument("dir", type=Path, metavar="DIR", help="a run's --out folder")
    gold.add_argument("file", metavar="FILE", help="the letter file, as given to `run`")
    gold.add_argument(
        "--to", type=Path, help="folder for the fixture (default: DIR/gold)", dest="to"
    )
    gold.set_defaults(handler=cmd_gold)

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
        from ofsted_extractor.eval import cli as eval_cli

        eval_cli.add_arguments(ev)
        ev.set_defaults(handler=eval_cli.run)
    except (ImportError, AttributeError) as exc:
        message = f"the eval harness is not available: {exc}"

        def unavailable(args: argparse.Namespace) -> int:
            raise ConfigurationError(message)

        ev.set_defaults(handler=unavailable)
    return parser


# --- messages ------------------------------------------------------------------------------------


def shown(value: object) -> str:
    """A file name fit for a one-line message: control characters (a newline in a name)
    written as escapes, so a name cannot start a line of its own."""
    text = str(value)
    if text.isprintable():  # nearly every name: nothing to escape
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def one_line(message: str, width: int = 240) -> str:
    """A message on one line, secrets masked: a provider's multi-line error body (which may
    echo the key) must not break the log or leak."""
    flat = shown(" ".join(redact(message).split()))
    return flat if len(flat) <= width else flat[: width - 3] + "..."


# --- finding letters -----------------------------------------------------------------------------


def find_letters(paths: Sequence[str], warn: Callable[[str], None] = lambda _: None) -> list[Path]:
    """Files named, and letter files (.txt .md .pdf) under folders named, in a stable order.

    A path that does not exist is kept, so that it gets its own failed document. A folder that
    cannot be listed, a link that loops back to a folder already read, or a broken link gives
    one `warn` line and the search goes on; hidden files and folders are skipped.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        candidates = sorted(_walk(p, warn)) if p.is_dir() else [p]
        for f in candidates:
            if f not in seen:
                seen.add(f)
                found.append(f)
    return found


def _walk(root: Path, warn: Callable[[str], None]) -> Iterator[Path]:
    # An explicit stack, not recursion: a folder 1,000 deep is just 1,000 entries.
    folders_read: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
            if (info.st_dev, info.st_ino) in folders_read:
                warn(f"skipped: {shown(folder)}: a link back to a folder already read (a loop)")
                continue
            folders_read.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            warn(f"skipped: {shown(folder)}: cannot read the folder ({exc.strerror or exc})")
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                if entry.is_dir():
                    stack.append(path)
                elif entry.is_file():
                    if path.suffix.lower() in LETTER_SUFFIXES:
                        yield path
                elif entry.is_symlink() and path.suffix.lower() in LETTER_SUFFIXES:
                    warn(f"skipped: {shown(path)}: a link to nothing")
            except OSError as exc:
                warn(f"skipped: {shown(path)}: cannot read it ({exc.strerror or exc})")


# --- run -----------------------------------------------------------------------------------------


def check_out(out: Path) -> Store:
    """Open --out before any work: a file, an unwritable folder or a full disk is one error.

    Raises:
        StoreError: naming --out and the problem.
    """
    if out.exists() and not out.is_dir():
        raise StoreError(f"--out {shown(out)} is a file, not a folder")
    store = Store.open(out)
    # The exports are written beside the database at the end: prove now that they can be.
    probe = out / f".write-check.{os.getpid()}"  # two runs at once each use their own
    try:
        atomic_write(probe, "ok\n")
        probe.unlink()
    except (StoreError, OSError) as exc:
        store.close()
        raise StoreError(f"--out {shown(out)}: cannot write files there ({exc})") from exc
    return store


def run_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The run's options as recorded in the `runs` table (secrets are masked on write)."""
    skip = {"handler"}
    return {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in skip
    }


def cmd_run(args: argparse.Namespace) -> int:
    err: TextIO = sys.stderr
    store = check_out(args.out)
    try:
        return _run(args, store, err)
    finally:
        store.close()


def _run(args: argparse.Namespace, store: Store, err: TextIO) -> int:
    def say(line: str) -> None:
        print(line, file=err)

    engine = engine_from_args(args, notify=lambda m: say(f"note: {one_line(m, width=400)}"))
    info = engine.info()
    letters = find_letters(args.paths, warn=say)
    if not letters:
        raise ConfigurationError(f"no letters found in {', '.join(map(shown, args.paths))}")
    limits = Limits(max_bytes=args.max_bytes, max_pages=args.max_pages, max_chars=args.max_chars)
    config = getattr(engine, "config", None)
    concurrency = config.resolved_concurrency if config is not None else 1
    engine_record: dict[str, Any] = {"info": info.model_dump()}
    if config is not None:
        engine_record["config"] = {
            k: str(v) for k, v in vars(config).items() if k != "api_key" and v is not None
        }
    run_id = store.start_run(run_arguments(args), engine_record, __version__)

    skipped = 0

    def todo() -> Iterator[Path]:
        # Decided per letter as the batch reaches it, so a letter another run has finished in
        # the meantime is not done twice.
        nonlocal skipped
        for path in letters:
            # the file is hashed only when the store holds a finished document of its path
            done = None if args.force else store.done_key(str(path))
            if done is not None and done == document_key(file_sha256(path), info):
                skipped += 1
                progress.step(shown(path.name))
                continue
            yield path

    progress = Progress(len(letters), err, enabled=not args.quiet)
    this_run = RunTally()
    started = time.perf_counter()
    extraction_seconds = 0.0
    problem: ExtractorError | None = None
    endpoint_answered = False
    try:
        with closing(
            iter_extracted(todo(), engine, concurrency=concurrency, limits=limits, jobs=args.jobs)
        ) as batch:
            for item in batch:
                if item.endpoint_error and not endpoint_answered:
                    # The endpoint's first word is that no letter can be done (unreachable, key
                    # refused): stop, rather than fail every letter one by one.
                    raise ConfigurationError(item.endpoint_error)
                outcome = item.outcome
                endpoint_answered |= outcome.usage.calls > 0 and item.endpoint_error is None
                extraction_seconds += item.seconds
                written = store.write(
                    item.store_rows(), run_id=run_id, text=item.text, force=args.force
                )
                progress.step(shown(item.path.name))
                if written.doc_id is None:  # another run into this --out wrote it first
                    skipped += 1
                    continue
                this_run.add(outcome)
                if outcome.status == "failed":
                    message = outcome.error or "unknown error"
                    detail = one_line(message.removeprefix(f"{item.path}: "))
                    progress.line(f"failed: {shown(item.path)}: {detail}")
                elif outcome.status == "flagged":
                    progress.line(f"flagged: {shown(item.path)}: {', '.join(outcome.error_codes)}")
    except ExtractorError as exc:
        problem = exc
    finally:
        progress.close()
    status = this_run.status
    totals = {
        "inputs": len(letters),
        "extracted": this_run.letters,
        "skipped": skipped,
        "passed": status["passed"],
        "flagged": status["flagged"],
        "failed": status["failed"],
    }
    # Each step on its own: after a failed write (a full disk) the exports still show every
    # letter the database holds.
    for step in (lambda: store.finish_run(run_id, totals), lambda: export_all(store, args.out)):
        try:
            step()
        except StoreError as exc:
            problem = problem or exc
    if problem is not None:
        raise problem
    if not args.quiet:
        print_summary(
            this_run,
            store,
            skipped=skipped,
            out=args.out,
            wall=time.perf_counter() - started,
            extraction=extraction_seconds,
            stream=sys.stdout,
        )
    return EXIT_FAILED_INPUT if status["failed"] else EXIT_OK


@dataclass
class RunTally:
    """What the summary says of this run's letters, added up as they come (a batch's records
    are not kept in memory: they are in the store)."""

    letters: int = 0
    status: Counter[str] = field(default_factory=Counter)
    calls: int = 0
    reasks: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    costs: list[float] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        usage = outcome.usage
        self.letters += 1
        self.status[outcome.status] += 1
        self.calls += usage.calls
        self.reasks += usage.reasks
        self.cached += usage.cached
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens
        if usage.cost_usd is not None:
            self.costs.append(usage.cost_usd)


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
    this_run: RunTally,
    store: Store,
    *,
    skipped: int,
    out: Path,
    wall: float,
    extraction: float,
    stream: TextIO,
) -> None:
    """The closing table: letters, passed / flagged / failed, grades, usage."""
    status = Counter(
        {r[0]: r[1] for r in store.query("SELECT status, count(*) FROM letters GROUP BY status")}
    )
    grades = Counter(
        {
            r[0]: r[1]
            for r in store.query(
                "SELECT grade, count(*) FROM letters WHERE grade IS NOT NULL GROUP BY grade"
            )
        }
    )
    total = sum(status.values())
    rows = [
        ("letters in this run", str(this_run.letters)),
        ("skipped (already done)", str(skipped)),
        ("passed", str(status["passed"])),
        ("flagged", str(status["flagged"])),
        ("failed", str(status["failed"])),
    ]
    for g, label in ((4, "excellently"), (3, "well"), (2, "adequately"), (1, "poorly")):
        rows.append((f"grade {g} (performs {label})", str(grades[g])))
    if this_run.calls or this_run.cached:
        rows += [
            ("LLM calls", str(this_run.calls)),
            ("re-asks", str(this_run.reasks)),
            ("cached letters", str(this_run.cached)),
            ("prompt tokens", str(this_run.prompt_tokens)),
            ("completion tokens", str(this_run.completion_tokens)),
        ]
        costs = this_run.costs
        rows.append(("estimated cost (USD)", f"{sum(costs):.4f}" if costs else "unknown"))
    rows += [
        ("extraction time, summed over letters (s)", f"{extraction:.2f}"),
        ("wall time (s)", f"{wall:.2f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"\nSummary ({total} letters in {out})", file=stream)
    for k, v in rows:
        print(f"  {k:<{width}}  {v:>8}", file=stream)
    print(f"  wrote {out / DB_NAME} and {', '.join(EXPORTS)}", file=stream)


def cmd_schema(args: argparse.Namespace) -> int:
    model = Document if args.document else Letter
    print(json.dumps(model.model_json_schema(), indent=2))
    return EXIT_OK


# --- export, review, gold ------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    store = Store.open(args.dir, create=False)
    try:
        written = export_all(store, args.dir)
    finally:
        store.close()
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    from ofsted_extractor.review import write_review

    store = Store.open(args.dir, create=False)
    try:
        target = args.output or args.dir / "review.html"
        counts = write_review(store, target)
    finally:
        store.close()
    print(
        f"wrote {target}: {counts['letters']} letters ({counts['flagged']} flagged, "
        f"{counts['failed']} failed, {counts['passed']} passed), {counts['marks']} highlights"
    )
    return EXIT_OK


def cmd_gold(args: argparse.Namespace) -> int:
    from ofsted_extractor.review import gold_fixture

    store = Store.open(args.dir, create=False)
    try:
        doc = _find_document(store, args.file)
    finally:
        store.close()
    folder: Path = args.to or args.dir / "gold"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{Path(doc.source.path).stem}.json"
    try:
        fixture = gold_fixture(doc, folder)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    atomic_write(target, json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {target}: a draft to correct against the letter (eval/LABELLING.md)")
    return EXIT_OK


def _find_document(store: Store, file: str) -> Document:
    """FILE's current document: by the path as given to `run`, else the same file."""
    doc = store.current_document(file)
    if doc is not None:
        return doc
    wanted = Path(file).resolve()
    for candidate in store.current_documents():
        if Path(candidate.source.path).resolve() == wanted:
            return candidate
    raise ConfigurationError(f"{shown(file)}: no record of it in {store.path}")
