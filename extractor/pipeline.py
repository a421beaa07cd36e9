"""The pure core: loaded text -> engine -> spans -> validators -> Document.

Nothing here prints or writes files; the CLI does that. Every input gives exactly one Document:
an input that cannot be read gives a `failed` one with an `error`, never an exception.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ofsted_extractor.bounded import completed
from ofsted_extractor.db import DocumentRows, document_rows
from ofsted_extractor.engines.base import Engine, EngineResult
from ofsted_extractor.engines.rules import RulesEngine
from ofsted_extractor.errors import (
    ConfigurationError,
    ExtractionFailed,
    ExtractorError,
    InputError,
    InternalError,
    LLMError,
    internal_problem,
)
from ofsted_extractor.limits import DEFAULT_LIMITS, Limits, check_file, check_text
from ofsted_extractor.loading import LoadedText, load_file, load_text
from ofsted_extractor.schema import (
    Document,
    EngineInfo,
    ErrorInfo,
    Finding,
    Letter,
    Source,
    SourceFormat,
    Span,
    Status,
    Usage,
    Validation,
)
from ofsted_extractor.validators import status_for, validate

if TYPE_CHECKING:
    from ofsted_extractor.llm_config import LLMConfig

ENGINE_NAMES = ("rules", "llm", "auto")


def make_engine(
    name: str | Engine = "rules",
    *,
    llm_config: LLMConfig | None = None,
    notify: Callable[[str], None] | None = None,
) -> Engine:
    """Build the engine a name asks for.

    Args:
        name: "rules", "llm", "auto" (the LLM when one is configured, else rules), or an
            engine object, returned as it is.
        llm_config: settings for the LLM engine; read from the environment when None.
        notify: called with a one-line notice when "auto" falls back to rules.

    Raises:
        ConfigurationError: unknown name, or "llm" without a usable configuration.
    """
    if not isinstance(name, str):
        return name
    if name == "rules":
        return RulesEngine()
    if name not in ("llm", "auto"):
        raise ConfigurationError(
            f"unknown engine {name!r}: choose one of {', '.join(ENGINE_NAMES)}"
        )
    # The configuration first: openai and instructor (most of a run's start-up) are imported
    # only when an LLM will really be used.
    from ofsted_extractor.llm_config import LLMConfig

    try:
        config = llm_config if llm_config is not None else LLMConfig.from_env()
        config.check()
    except ConfigurationError as exc:
        if name == "auto":
            if notify:
                notify(f"no LLM configured ({exc}); using the rules engine")
            return RulesEngine()
        raise
    try:
        from ofsted_extractor.engines.llm import LLMEngine
    except ImportError as exc:  # the LLM engine is an optional piece of the install
        if name == "auto":
            if notify:
                notify(f"LLM engine not available ({exc}); using the rules engine")
            return RulesEngine()
        raise ConfigurationError(f"the llm engine is not available: {exc}") from exc
    return LLMEngine(config)


def extract(
    text: str,
    *,
    engine: str | Engine = "rules",
    path: str = "<text>",
    fmt: SourceFormat = "txt",
    llm_config: LLMConfig | None = None,
) -> Document:
    """Extract one letter from its text.

    Args:
        text: the letter as plain text (noise and markdown are fine).
        engine: "rules", "llm", "auto" or an engine object.
        path: a name for the source, recorded in the document.
        fmt: the source format recorded in the document.

    Returns:
        The Document: `letter`, `validation` (status passed/flagged/failed and issues), `usage`.
        Text that is not a letter gives a failed Document with `error` set.

    Raises:
        ConfigurationError: the engine cannot be built.
    """
    eng = make_engine(engine, llm_config=llm_config)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        doc = load_text(text, path=path, fmt=fmt)
    except InputError as exc:
        return failed_document(Source(path=path, sha256=sha, format=fmt), eng.info(), exc)
    except Exception as exc:  # a bug of ours on this text: it fails, and says where
        source = Source(path=path, sha256=sha, format=fmt)
        return failed_document(source, eng.info(), InternalError(path, exc))
    return extract_loaded(doc, eng)


def extract_file(
    path: str | Path,
    *,
    engine: str | Engine = "rules",
    llm_config: LLMConfig | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Extract one letter file (.txt, .md or .pdf).

    Returns a failed Document (with `error`) for a file that cannot be read or is over a size
    limit (codes too_large, too_many_pages, too_many_chars); raises only
    ConfigurationError, when the engine cannot be built.
    """
    eng = make_engine(engine, llm_config=llm_config)
    try:
        doc = load_checked(path, limits)
    except InputError as exc:
        return failed_document(Source(path=str(path)), eng.info(), exc)
    return extract_loaded(doc, eng)


def load_checked(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> LoadedText:
    """Read one letter file within `limits`: the size and page checks before reading, the
    character check before any engine runs. Raises InputError naming the file and the problem
    (every path of the pipeline reads a file this way)."""
    try:
        check_file(path, limits)
        doc = load_file(path, max_pages=limits.max_pages)
    except InputError:
        raise
    except Exception as exc:  # a bug of ours on this file: it fails (code internal_error)
        raise InputError(str(path), internal_problem(exc), code=InternalError.code) from exc
    check_text(str(path), doc.text, limits)
    return doc


def extract_loaded(doc: LoadedText, engine: Engine) -> Document:
    """Run an engine over loaded text and validate its answer. Never raises ExtractorError; a
    bug met on this letter gives a failed Document (code internal_error), not an exception."""
    try:
        result = engine.extract(doc)
        return finish(doc, engine.info(), result)
    except ExtractorError as exc:
        return failed_document(_source(doc), engine.info(), exc)
    except Exception as exc:
        return failed_document(_source(doc), engine.info(), InternalError(doc.path, exc))


async def _answer(doc: LoadedText, engine: Engine) -> EngineResult:
    """The engine's answer for `doc`: its async `aextract`, else `extract` in a thread."""
    aextract = getattr(engine, "aextract", None)
    if aextract is not None:
        result: EngineResult = await aextract(doc)
        return result
    return await asyncio.to_thread(engine.extract, doc)


async def aextract_loaded(doc: LoadedText, engine: Engine) -> Document:
    """`extract_loaded` for engines with an async `aextract` (others run in a thread)."""
    try:
        result = await _answer(doc, engine)
        return await _afinish(doc, engine, result)
    except ExtractorError as exc:
        return failed_document(_source(doc), engine.info(), exc)
    except Exception as exc:
        return failed_document(_source(doc), engine.info(), InternalError(doc.path, exc))


async def _afinish(doc: LoadedText, engine: Engine, result: EngineResult) -> Document:
    # Spans, validators and the cross-check are CPU work: for an async engine (the LLM's) off
    # the event loop, so the other letters' requests keep going out meanwhile; in the engine's
    # worker processes when it has them (an LLM batch with workers), else in a thread. A
    # synchronous engine has no requests in flight to keep going: no thread hop.
    if getattr(engine, "aextract", None) is None:
        return finish(doc, engine.info(), result)
    executor = getattr(engine, "executor", None)
    if executor is not None:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, finish, doc, engine.info(), result)
    return await asyncio.to_thread(finish, doc, engine.info(), result)


def finish(doc: LoadedText, info: EngineInfo, result: EngineResult) -> Document:
    """Attach spans to values that lack them, run the validators, build the Document.

    A letter the engine already ran the validators on (`result.issues`; they read no spans) is
    not checked twice; an engine that asks for a cross-check (the LLM engine) gets its
    disagreements with the rules engine here, so no engine builds another.
    """
    letter = attach_spans(doc, result.letter)
    issues = (
        result.issues if result.issues is not None else validate(doc.text, letter, doc.original)
    )
    status = status_for(issues)
    disagreements = result.disagreements
    if result.cross_check:
        from ofsted_extractor.disagreements import compare_with_rules

        rules = RulesEngine().extract(doc).letter
        disagreements = [*disagreements, *compare_with_rules(doc.text, letter, rules)]
    return Document(
        source=_source(doc),
        engine=info,
        letter=letter,
        validation=Validation(status=status, issues=issues),
        usage=result.usage,
        disagreements=disagreements,
        last_answer=result.last_answer if status != "passed" else None,
    )


def failed_document(source: Source, info: EngineInfo, exc: ExtractorError) -> Document:
    """The one Document an input that could not be extracted gives."""
    code = getattr(exc, "code", "error")
    usage = Usage()
    last = None
    if isinstance(exc, ExtractionFailed):
        last = exc.last_completion
        usage = Usage(**{k: v for k, v in exc.usage.items() if k in Usage.model_fields})
    return Document(
        source=source,
        engine=info,
        validation=Validation(status="failed"),
        error=ErrorInfo(code=code, message=str(exc)),
        usage=usage,
        last_answer=last,
    )


def endpoint_problem(exc: BaseException) -> str | None:
    """Why no letter can be extracted by this endpoint, when `exc` says so; else None.

    An unreachable server or a refused key (HTTP 401/403) fails every letter alike; a bad
    answer, a rate limit or a server error concerns one letter.
    """
    original = getattr(exc, "original", None)
    if not isinstance(exc, LLMError) or original is None:
        return None
    status = getattr(original, "status_code", None)
    if status in (401, 403):
        return f"the LLM endpoint refused the API key: {exc}"
    names = {cls.__name__ for cls in type(original).__mro__}
    if "APIConnectionError" in names and "APITimeoutError" not in names:
        return f"the LLM endpoint cannot be reached: {exc}"
    return None


def _source(doc: LoadedText) -> Source:
    return Source(path=doc.path, sha256=doc.sha256, format=doc.format)


def attach_spans(doc: LoadedText, letter: Letter) -> Letter:
    """Give every text value without a span the span where it stands in the letter.

    Values the engine already placed keep their spans; a value that cannot be found verbatim
    keeps none (the validators report it).
    """
    if _all_placed(letter):  # the rules engine places everything: nothing to copy or find
        return letter
    data = _copy_for_spans(letter)

    def place(needle: str, start: int = 0) -> tuple[int, Span | None]:
        at = doc.text.find(needle, start) if needle else -1
        return (at, doc.span(at, at + len(needle))) if at >= 0 else (start, None)

    for finding in [*data.strengths, *data.areas_for_improvement]:
        if finding.span is not None and all(c.span is not None for c in finding.counts):
            continue  # (a search from the letter's start for each bullet: quadratic in bullets)
        at, span = place(finding.text)
        finding.span = finding.span or span
        for count in finding.counts:
            count.span = count.span or place(count.evidence, at)[1]
    for insp in data.safeguarding_inspections:
        insp.span = insp.span or place(insp.evidence)[1]
    scalars: dict[str, str | None] = {
        "local_authority": data.local_authority,
        "recipient.name": data.recipient.name if data.recipient else None,
        "recipient.role": data.recipient.role if data.recipient else None,
        "signatory.name": data.signatory.name if data.signatory else None,
        "signatory.role": data.signatory.role if data.signatory else None,
    }
    for key, value in scalars.items():
        if value and key not in data.provenance:
            span = place(value)[1]
            if span is not None:
                data.provenance[key] = span
    return data


def _all_placed(letter: Letter) -> bool:
    """Whether every value attach_spans would place already has its span."""
    findings = [*letter.strengths, *letter.areas_for_improvement]
    people = (
        ("recipient", letter.recipient),
        ("signatory", letter.signatory),
    )
    scalars = [("local_authority", letter.local_authority)] + [
        (f"{who}.{part}", getattr(person, part) if person else None)
        for who, person in people
        for part in ("name", "role")
    ]
    return (
        all(f.span is not None and all(c.span is not None for c in f.counts) for f in findings)
        and all(i.span is not None for i in letter.safeguarding_inspections)
        and all(not value or key in letter.provenance for key, value in scalars)
    )


def _copy_for_spans(letter: Letter) -> Letter:
    """A copy of `letter` whose findings, counts, inspections and provenance `attach_spans` may
    change without touching `letter` (a cached engine answer); the rest is shared, unchanged.
    A deep copy would copy every string and span of the record to change a few."""

    def finding(f: Finding) -> Finding:
        return f.model_copy(update={"counts": [c.model_copy() for c in f.counts]})

    return letter.model_copy(
        update={
            "strengths": [finding(f) for f in letter.strengths],
            "areas_for_improvement": [finding(f) for f in letter.areas_for_improvement],
            "safeguarding_inspections": [i.model_copy() for i in letter.safeguarding_inspections],
            "provenance": dict(letter.provenance),
        }
    )


@dataclass(frozen=True)
class Outcome:
    """What a batch's progress and totals need of one document: its status, the error's message
    and the codes of its error issues, and its LLM usage."""

    status: Status
    error: str | None
    error_codes: tuple[str, ...]
    usage: Usage

    @classmethod
    def of(cls, doc: Document) -> Outcome:
        codes = sorted({i.code for i in doc.validation.issues if i.severity == "error"})
        error = doc.error.message if doc.error else None
        return cls(doc.validation.status, error, tuple(codes), doc.usage)


class Extracted:
    """One finished input of a batch: its Document, the text its spans point into (None when
    the file could not be read) and the seconds spent on it.

    A letter done in a worker process comes as the store's rows for it (`rows`) and its
    `outcome`, made there: the process that writes the store does not parse or dump the
    document again. Its `document` is read from the rows' record when asked for."""

    def __init__(
        self,
        path: Path,
        document: Document | None,
        text: str | None,
        seconds: float,
        endpoint_error: str | None = None,
        *,
        rows: DocumentRows | None = None,
        outcome: Outcome | None = None,
        unredacted: str | None = None,
    ) -> None:
        if document is None and rows is None:
            raise ValueError("an Extracted needs its document or its rows")
        self.path = path
        self.text = text
        self.seconds = seconds
        #: Set when the LLM endpoint could not be reached or refused the key: every other letter
        #: would fail the same way, so a batch should stop rather than go on.
        self.endpoint_error = endpoint_error
        self.rows = rows
        self._document = document
        self._outcome = outcome
        # the record before redaction, when redaction masked something in rows.record
        self._unredacted = unredacted

    @property
    def document(self) -> Document:
        if self._document is None:
            assert self.rows is not None
            self._document = Document.model_validate_json(self._unredacted or self.rows.record)
        return self._document

    @property
    def outcome(self) -> Outcome:
        if self._outcome is None:
            self._outcome = Outcome.of(self.document)
        return self._outcome

    def store_rows(self) -> DocumentRows:
        """The rows the store writes for this letter (made here unless a worker made them)."""
        return self.rows if self.rows is not None else document_rows(self.document)


def extract_path(path: Path, engine: Engine, limits: Limits = DEFAULT_LIMITS) -> Extracted:
    """One file through a synchronous engine: read, extract, validate. Never raises
    ExtractorError: an input that cannot be read or extracted gives a failed Document."""
    started = time.perf_counter()
    try:
        doc = load_checked(path, limits)
    except InputError as exc:
        document = failed_document(Source(path=str(path)), engine.info(), exc)
        return Extracted(path, document, None, time.perf_counter() - started)
    try:
        result = engine.extract(doc)
        document = finish(doc, engine.info(), result)
    except ExtractorError as exc:
        document = failed_document(_source(doc), engine.info(), exc)
        seconds = time.perf_counter() - started
        return Extracted(path, document, doc.original, seconds, endpoint_problem(exc))
    except Exception as exc:  # a bug met on this letter: it fails, the batch goes on
        document = failed_document(_source(doc), engine.info(), InternalError(doc.path, exc))
    return Extracted(path, document, doc.original, time.perf_counter() - started)


#: The rules engine of a worker process (built once per process, not per letter).
_WORKER_ENGINE: RulesEngine | None = None


#: One letter of a worker's answer: (path, the store's rows, its outcome, the record before
#: redaction when redaction masked anything, text, seconds, endpoint error). The rows are plain
#: tuples and strings: they cross between the processes far faster than a pickled Document, and the
#: writing process need not parse the record to write them.
_Shipped = tuple[Path, DocumentRows, Outcome, str | None, str | None, float, str | None]


def _extract_in_worker(paths: list[Path], limits: Limits) -> list[_Shipped]:
    """A few files through the rules engine, in a worker process of `iter_extracted` (a chunk
    per task: one round trip between the processes carries several letters)."""
    global _WORKER_ENGINE
    if _WORKER_ENGINE is None:
        _WORKER_ENGINE = RulesEngine()
    shipped = []
    for path in paths:
        done = extract_path(path, _WORKER_ENGINE, limits)
        raw = done.document.model_dump_json()
        rows = document_rows(done.document, raw)
        unredacted = raw if rows.record != raw else None
        outcome = Outcome.of(done.document)
        shipped.append(
            (done.path, rows, outcome, unredacted, done.text, done.seconds, done.endpoint_error)
        )
    return shipped


def _received(shipped: _Shipped) -> Extracted:
    path, rows, outcome, unredacted, text, seconds, endpoint_error = shipped
    return Extracted(
        path, None, text, seconds, endpoint_error, rows=rows, outcome=outcome, unredacted=unredacted
    )


def iter_extracted(
    paths: Iterable[Path],
    engine: Engine,
    *,
    concurrency: int = 1,
    limits: Limits = DEFAULT_LIMITS,
    jobs: int = 1,
) -> Generator[Extracted, None, None]:
    """Extract files with at most `concurrency` in flight, yielding each as it finishes.

    Results come in completion order, so a letter waiting on an LLM backoff never holds back
    the others. `paths` is read lazily: a new file starts only when one finishes, so the caller
    may decide per path (resume) in the iterable itself. Input errors become failed documents;
    the batch always goes on. Drives its own event loop, so call it from synchronous code.

    With `jobs` > 1 and the rules engine (CPU work, which threads cannot run in parallel) the
    letters go to `jobs` worker processes instead, at most twice as many in flight, so memory
    stays flat however long the batch.
    """
    if isinstance(engine, RulesEngine):
        if jobs > 1:
            yield from _iter_in_processes(paths, jobs=jobs, limits=limits)
        else:
            # CPU work with nothing to wait on: a plain loop (an event loop and a thread per
            # letter would only add their own cost)
            yield from (extract_path(path, engine, limits) for path in paths)
    else:
        yield from _iter_in_loop(paths, engine, concurrency=concurrency, limits=limits)


#: Letters a worker process takes at a time.
_CHUNK = 8


def _iter_in_processes(paths: Iterable[Path], *, jobs: int, limits: Limits) -> Iterator[Extracted]:
    todo = iter(paths)
    pool = ProcessPoolExecutor(max_workers=jobs)
    pending: set[Future[list[_Shipped]]] = set()
    try:
        while True:
            while len(pending) < 2 * jobs:
                chunk = list(itertools.islice(todo, _CHUNK))
                if not chunk:
                    break
                pending.add(pool.submit(_extract_in_worker, chunk, limits))
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield from map(_received, future.result())
    finally:
        # a caller that stops early (an error writing the store) leaves letters in flight:
        # they are dropped, not waited for
        pool.shutdown(wait=False, cancel_futures=True)


def _iter_in_loop(
    paths: Iterable[Path], engine: Engine, *, concurrency: int, limits: Limits
) -> Iterator[Extracted]:
    width = max(1, concurrency)

    async def one(path: Path) -> Extracted:
        started = time.perf_counter()
        text: str | None = None
        try:
            doc = await asyncio.to_thread(load_checked, path, limits)
        except InputError as exc:
            document = failed_document(Source(path=str(path)), engine.info(), exc)
            return Extracted(path, document, text, time.perf_counter() - started)
        text = doc.original
        try:
            result = await _answer(doc, engine)
            document = await _afinish(doc, engine, result)
        except ExtractorError as exc:
            document = failed_document(_source(doc), engine.info(), exc)
            seconds = time.perf_counter() - started
            return Extracted(path, document, text, seconds, endpoint_problem(exc))
        except Exception as exc:  # a bug met on this letter: it fails, the batch goes on
            document = failed_document(_source(doc), engine.info(), InternalError(doc.path, exc))
        return Extracted(path, document, text, time.perf_counter() - started)

    loop = asyncio.new_event_loop()
    # An engine with sessions (the LLM engine) shares one client among the batch's letters and
    # keeps at most `concurrency` requests in flight itself; twice as many letters are let in,
    # so that those between requests (parsing, checks, spans, the cross-check) leave no
    # request slot idle.
    opener = getattr(engine, "session", None)
    session = opener(requests=width) if opener is not None else None
    if session is not None:
        width *= 2
        loop.run_until_complete(session.__aenter__())
    # driven a step at a time from this generator, which the caller reads between steps
    batch = completed(paths, one, width=width)
    try:
        while True:
            try:
                yield loop.run_until_complete(anext(batch))
            except StopAsyncIteration:
                return
    finally:
        loop.run_until_complete(batch.aclose())  # cancels the letters still in flight
        if session is not None:
            loop.run_until_complete(session.__aexit__(None, None, None))
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


def extract_many(
    paths: Iterable[str | Path],
    *,
    engine: str | Engine = "rules",
    llm_config: LLMConfig | None = None,
    concurrency: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Document]:
    """Extract many letter files, yielding one Document per file as each finishes.

    Args:
        paths: letter files (.txt, .md, .pdf).
        engine: "rules", "llm", "auto" or an engine object.
        concurrency: letters in flight at once (default: the LLM configuration's, else 1).
        limits: size limits; a file over one gives a failed Document at once.

    Yields:
        Documents in completion order (match them to inputs by `source.path`).

    Raises:
        ConfigurationError: the engine cannot be built.
    """
    eng = make_engine(engine, llm_config=llm_config)
    if concurrency is None:
        config = getattr(eng, "config", None)
        concurrency = config.resolved_concurrency if config is not None else 1
    for item in iter_extracted(
        (Path(p) for p in paths), eng, concurrency=concurrency, limits=limits
    ):
        yield item.document
