"""The LLM engine: an OpenAI-compatible model fills the letter schema, checked by the validators.

How one letter goes:

1. The cache is looked up (letter text hash + model + backend/mode + prompt + schema + answer
   format). A hit makes no call.
2. The letter's structure is parsed (`rules.parse_structure`, off the event loop) and the user
   message built; the system message, the schema and the request's fixed fields were built once
   when the engine was.
3. The request goes out through instructor on the one client of the run (`client.Transport`),
   which parses the answer into the answer model and retries transport faults below this loop.
   Within a batch at most `concurrency` requests are in flight.
4. Each answer is checked once, off the event loop: the Letter it stands for, through the core
   validators (the pipeline attaches spans and reuses these issues). An error-severity issue
   the model can act on becomes a re-ask carrying the corrections; so do an answer cut at
   max_tokens and one that is not JSON of the schema. Re-asks are bounded (`max_reasks`) and
   capped by a token budget; each re-ask is the first request plus the last answer and its
   corrections (not the whole history).
5. An answer that still fails after the budget is kept: the Letter salvaged from the last
   answer, flagged by the pipeline, with `last_answer`. Only an answer that never parsed at all
   raises `ExtractionFailed` (which keeps the last completion).

The engine asks the pipeline to compare its letter with the rules engine's (`cross_check`); it
never builds another engine itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from pydantic import BaseModel

from ofsted_extractor.bounded import completed
from ofsted_extractor.engines.base import EngineResult
from ofsted_extractor.engines.llm.answers import (
    AnswerModel,
    StructureLike,
    answer_model_for,
    letter_from_answer,
    parse_answer,
    salvage_answer,
)
from ofsted_extractor.engines.llm.cache import (
    AnswerCache,
    cache_key,
    entry_from_result,
    result_from_entry,
)
from ofsted_extractor.engines.llm.client import (
    Meter,
    Reply,
    Transport,
    rejects_response_format,
    schema_in_messages,
)
from ofsted_extractor.engines.llm.corrections import (
    answer_corrections,
    correction_message,
    parse_correction,
    truncation_correction,
)
from ofsted_extractor.engines.llm.messages import (
    answer_schema,
    response_format_for,
    system_message,
    user_message,
)
from ofsted_extractor.errors import ExtractionFailed, ExtractorError, LLMError
from ofsted_extractor.llm_config import LLMConfig
from ofsted_extractor.loading import LoadedText
from ofsted_extractor.prompts import DEFAULT_PROMPTS, load_prompt
from ofsted_extractor.schema import SCHEMA_VERSION, EngineInfo, Issue, Letter, Usage

ENGINE_VERSION = "2.0"

#: (letter with spans, its issues) for a letter the engine built from an answer.
Check = Callable[[LoadedText, Letter], tuple[Letter, list[Issue]]]


def _default_structure(text: str) -> StructureLike:
    # Imported late so this module loads (and its unit tests run) without the rules engine.
    from ofsted_extractor.engines.rules import parse_structure

    return parse_structure(text)


def _default_check(doc: LoadedText, letter: Letter) -> tuple[Letter, list[Issue]]:
    # Exactly the validators the pipeline would run, so it need not run them again. They read
    # no spans: the pipeline attaches those when it writes the record.
    from ofsted_extractor import validators

    return letter, validators.validate(doc.text, letter, doc.original)


@dataclass
class RunTotals:
    """Sums over every letter this engine has extracted (for the CLI's end-of-run line)."""

    letters: int = 0
    cached: int = 0
    calls: int = 0
    reasks: int = 0
    transport_retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cost_usd: float | None = 0.0
    failed: int = 0

    def add(self, usage: Usage, transport_retries: int = 0) -> None:
        """Add one letter's usage."""
        self.letters += 1
        self.cached += int(usage.cached)
        self.calls += usage.calls
        self.reasks += usage.reasks
        self.transport_retries += transport_retries
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens
        self.latency_s = round(self.latency_s + usage.latency_s, 3)
        if self.cost_usd is not None:
            self.cost_usd = None if usage.cost_usd is None else self.cost_usd + usage.cost_usd


@dataclass
class _Judged:
    """One answer, parsed and checked."""

    answer: BaseModel | None
    letter: Letter | None = None
    issues: list[Issue] | None = None
    corrections: str | None = None  # the re-ask message; None when the answer passes


def judge_answer(
    answer_model: AnswerModel,
    max_tokens: int,
    check: Check,
    doc: LoadedText,
    structure: StructureLike,
    raw: str | None,
    cut: bool,
    parsed: BaseModel | None = None,
) -> _Judged:
    """Check one answer (parsed by instructor, or parsed here from `raw` when it was not: a
    worker process gets the text, and a fenced answer only parses here): CPU work, run off the
    event loop."""
    if cut:
        return _Judged(None, corrections=truncation_correction(max_tokens))
    answer, reason = (parsed, None) if parsed is not None else parse_answer(answer_model, raw)
    if answer is None:
        return _Judged(None, corrections=parse_correction(reason or "unreadable"))
    letter, issues = check(doc, letter_from_answer(answer, structure))
    lines = answer_corrections(answer, structure, issues)
    return _Judged(answer, letter, issues, correction_message(lines) if lines else None)


def _judge_in_worker(
    answer_format: str, max_tokens: int, doc: LoadedText, raw: str | None, cut: bool
) -> _Judged:
    # In a worker process: the default parser and checks (the engine's own may not pickle).
    structure = _default_structure(doc.text)
    model = answer_model_for(answer_format)
    return judge_answer(model, max_tokens, _default_check, doc, structure, raw, cut)


def _warm_up() -> None:
    # A new worker process imports what checking a letter needs (about a second), and the
    # batch keeps checking in threads until it has: letters do not wait on the start-up.
    from ofsted_extractor import disagreements, validators  # noqa: F401
    from ofsted_extractor.engines import rules  # noqa: F401


class LLMEngine:
    """Fill the letter schema with an OpenAI-compatible model, validated and re-asked.

    Args:
        config: the settings (see `LLMConfig`); checked here.
        structure_of: the structure parser; default `rules.parse_structure`.
        check: (doc, letter) -> (letter with spans, validator issues); default the pipeline's
            spans and the core validators.
        sleep: the async sleep used between transport retries (tests pass a recorder).
        workers: worker processes for a batch's CPU work (`session`, `extract_many`, the
            pipeline's `extract_many`); None takes `config.resolved_workers`; 0 runs it in
            threads.
            Parsing, spans, the validators and the cross-check take most of a letter's CPU; in
            other processes they leave the event loop's core to the requests.

    Raises:
        ConfigurationError: a bad value or a missing key.
    """

    name = "llm"

    def __init__(
        self,
        config: LLMConfig,
        *,
        structure_of: Callable[[str], StructureLike] | None = None,
        check: Check | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        workers: int | None = None,
    ) -> None:
        config.check()
        self.workers = config.resolved_workers if workers is None else workers
        self._pool: ProcessPoolExecutor | None = None
        self._pool_ready: Future[None] | None = None
        self._checks_are_default = structure_of is None and check is None
        self.config = config
        self.prompt = load_prompt(DEFAULT_PROMPTS[config.answer_format])
        self.answer_model: AnswerModel = answer_model_for(config.answer_format)
        self._structure_of = structure_of or _default_structure
        self._check = check or _default_check
        self.cache = AnswerCache(config.resolved_cache_dir) if config.cache else None
        self.totals = RunTotals()
        # Built once: the schema, and the request fields and system message for each shape
        # (pydantic builds a JSON schema in milliseconds; per letter, that adds up).
        self.schema = answer_schema(self.answer_model)
        self.transport = Transport(config, self.answer_model, self.schema, sleep)
        self._requests: dict[str, dict[str, Any]] = {}
        self.shape = config.resolved_shape
        # A server only guessed to be "some OpenAI-compatible server" may want the other shape:
        # when it refuses json_schema, try json_object + schema (llama-cpp-python's) once.
        self._shape_negotiable = (
            config.response_shape is None and config.resolved_backend == "openai-compatible"
        )

    def info(self) -> EngineInfo:
        """Name, version, model, mode and prompt version/hash."""
        return EngineInfo(
            name=self.name,
            version=ENGINE_VERSION,
            model=self.config.model,
            prompt_version=self.prompt.version,
            prompt_sha256=self.prompt.sha256,
            mode=f"{self.config.resolved_backend}/{self.config.resolved_mode}"
            f"/{self.shape}/{self.config.answer_format}",
        )

    # -- public API ----------------------------------------------------------------------------

    def extract(self, doc: LoadedText) -> EngineResult:
        """Fill the schema from one letter (blocking; a batch should use `extract_many`).

        Args:
            doc: the loaded letter.

        Returns:
            The EngineResult: the letter (with spans) and its issues, usage, and (when it may be
            flagged) the last raw answer.

        Raises:
            LLMError: a provider error that retrying cannot fix (4xx other than 408/409/429),
                or transport faults that outlasted the retries.
            ExtractionFailed: no answer ever parsed as JSON of the answer schema.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.aextract(doc))
        # Called from inside an event loop (a notebook): run on a private loop in a thread.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, self.aextract(doc)).result()

    async def aextract(self, doc: LoadedText) -> EngineResult:
        """`extract` on the running event loop; safe to run many at once.

        Raises:
            LLMError, ExtractionFailed: as `extract`.
        """
        key = self.cache_key(doc)
        if self.cache is not None:
            hit = await asyncio.to_thread(self.cache.get, key)
            if hit is not None:
                result = result_from_entry(hit)
                self.totals.add(result.usage)
                return result
        started = time.perf_counter()
        meter = Meter()
        try:
            result = await self._extract_uncached(doc, meter, started)
        except (LLMError, ExtractionFailed):
            self.totals.failed += 1
            self.totals.add(self._usage(meter, started), meter.transport_retries)
            raise
        self.totals.add(result.usage, meter.transport_retries)
        if self.cache is not None:
            await asyncio.to_thread(self.cache.put, key, entry_from_result(result))
        return result

    async def extract_many(
        self, docs: Iterable[LoadedText], *, concurrency: int | None = None
    ) -> AsyncIterator[tuple[LoadedText, EngineResult | ExtractorError]]:
        """Extract many letters on one client, yielding each as soon as it is done.

        At most `concurrency` requests (default: the configuration's) are in flight, and twice
        as many letters, so that letters between requests (parsing, checking) leave no request
        slot idle; results come in completion order, so a letter in backoff holds back no
        other. `docs` is read lazily, so a long iterator is never held in memory.

        Yields:
            (doc, result) or (doc, the ExtractorError that failed it).
        """
        limit = max(1, concurrency or self.config.resolved_concurrency)

        async def one(doc: LoadedText) -> tuple[LoadedText, EngineResult | ExtractorError]:
            try:
                return doc, await self.aextract(doc)
            except ExtractorError as exc:
                return doc, exc

        async with self.session(requests=limit):
            batch = completed(docs, one, width=2 * limit)
            try:
                async for item in batch:
                    yield item
            finally:
                await batch.aclose()

    def cache_key(self, doc: LoadedText) -> str:
        """The cache key for a letter under this configuration."""
        cfg = self.config
        text_sha = (
            doc.sha256
            if doc.text == doc.original
            else hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
        )
        return cache_key(
            text_sha256=text_sha,
            model=cfg.model,
            backend=cfg.resolved_backend,
            mode=cfg.resolved_mode,
            shape=cfg.resolved_shape,
            answer_format=cfg.answer_format,
            prompt_version=self.prompt.version,
            prompt_sha256=self.prompt.sha256,
            schema_version=SCHEMA_VERSION,
            engine_version=ENGINE_VERSION,
        )

    def request_messages(self, doc: LoadedText) -> list[dict[str, str]]:
        """The messages this engine sends first for `doc`."""
        return self._request_for(self.shape, doc, self._structure_of(doc.text))["messages"]

    # -- internals -----------------------------------------------------------------------------

    def _fixed_request(self, shape: str) -> dict[str, Any]:
        """The fields every request of a shape shares, built on first use."""
        fixed = self._requests.get(shape)
        if fixed is not None:
            return fixed
        cfg = self.config
        mode = cfg.resolved_mode
        name = self.answer_model.__name__
        fixed = {"model": cfg.model, "max_tokens": cfg.max_output_tokens}
        fixed["temperature"] = cfg.temperature
        # instructor carries the schema in the tools modes (a function tool) and md_json (its
        # own message); otherwise it is in the system message, with the backend's shape.
        in_prompt = self.schema if schema_in_messages(mode) else None
        if mode in ("json", "json_schema"):
            response_format = response_format_for(shape, self.schema, name)
            if response_format is None and mode == "json":
                response_format = {"type": "json_object"}
            if response_format is not None:
                fixed["response_format"] = response_format
        fixed["system"] = system_message(
            self.prompt, cfg.answer_format, in_prompt, self._structure_of
        )
        self._requests[shape] = fixed
        return fixed

    def _request_for(self, shape: str, doc: LoadedText, structure: StructureLike) -> dict[str, Any]:
        fixed = dict(self._fixed_request(shape))
        system = fixed.pop("system")
        user = user_message(doc.text, structure, self.config.answer_format)
        return {
            **fixed,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
        }

    def _usage(self, meter: Meter, started: float) -> Usage:
        return Usage(
            calls=meter.calls,
            reasks=max(0, meter.calls - 1),
            prompt_tokens=meter.prompt_tokens,
            completion_tokens=meter.completion_tokens,
            latency_s=round(time.perf_counter() - started, 3),
            cached=False,
            cost_usd=self.config.cost(meter.prompt_tokens, meter.completion_tokens),
        )

    async def _judge(self, doc: LoadedText, structure: StructureLike, reply: Reply) -> _Judged:
        """Parse and check one answer in a worker process (a batch with `workers`) or thread."""
        max_tokens = self.config.max_output_tokens
        raw, cut = reply.content, reply.finish_reason == "length"
        if self.executor is not None:
            # the raw text travels (instructor's parsed answer is of a class made at run time,
            # which does not pickle); parsing it again there costs a fraction of a millisecond
            loop = asyncio.get_running_loop()
            fmt = self.config.answer_format
            return await loop.run_in_executor(
                self.executor, _judge_in_worker, fmt, max_tokens, doc, raw, cut
            )
        return await asyncio.to_thread(
            judge_answer,
            self.answer_model,
            max_tokens,
            self._check,
            doc,
            structure,
            raw,
            cut,
            reply.answer,
        )

    @property
    def executor(self) -> ProcessPoolExecutor | None:
        """The worker processes of the open batch, once they have started, if any (the
        pipeline finishes its documents there too: spans and the rules cross-check)."""
        ready = self._pool_ready
        return self._pool if ready is not None and ready.done() else None

    @asynccontextmanager
    async def session(self, requests: int | None = None) -> AsyncIterator[None]:
        """A batch: one client for every call, at most `requests` requests in flight (default:
        the configuration's concurrency), and (with `workers`) the answer checks in that many
        worker processes, so they use other cores than the event loop's.

        The limit is on requests, not letters: a batch may hold more letters than it allows
        requests, so that one letter's CPU work (structure, checks, spans, the cross-check)
        goes on while another's request takes its place at the server.
        """
        own_pool = self.workers > 0 and self._pool is None and self._checks_are_default
        if own_pool:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"))
            self._pool_ready = self._pool.submit(_warm_up)
        try:
            async with self.transport.session(max(1, requests or self.config.resolved_concurrency)):
                yield
        finally:
            if own_pool and self._pool is not None:
                pool, self._pool, self._pool_ready = self._pool, None, None
                pool.shutdown(wait=False, cancel_futures=True)

    async def _send(self, body: dict[str, Any], meter: Meter) -> Reply:
        """Send one request; a guessed server that refuses json_schema is asked once more with
        llama-cpp-python's shape, and keeps it for the rest of the run."""
        try:
            return await self.transport.complete(body, meter)
        except LLMError as exc:
            if not (
                self._shape_negotiable
                and self.shape == "json_schema"
                and rejects_response_format(exc)
            ):
                raise
        self.shape = "json_object_schema"  # (another letter may have switched already)
        fixed = self._fixed_request(self.shape)
        retry = {**body, "response_format": fixed["response_format"]}
        retry["messages"] = [{"role": "system", "content": fixed["system"]}, *body["messages"][1:]]
        return await self.transport.complete(retry, meter)

    async def _extract_uncached(
        self, doc: LoadedText, meter: Meter, started: float
    ) -> EngineResult:
        cfg = self.config
        # A fraction of a millisecond: a thread hop (and its fight for the GIL) would cost more.
        structure = self._structure_of(doc.text)
        first = self._request_for(self.shape, doc, structure)
        body = first
        judged: _Judged | None = None
        while True:
            reply = await self._send(body, meter)
            judged = await self._judge(doc, structure, reply)
            if judged.corrections is None:
                break
            spent = meter.prompt_tokens + meter.completion_tokens
            if meter.calls > cfg.max_reasks or spent >= cfg.token_budget:
                break
            # The first request, the last answer and what is wrong with it: the history of
            # earlier failed answers would only cost tokens.
            body = {
                **first,
                "messages": [
                    *first["messages"],
                    {"role": "assistant", "content": reply.content or ""},
                    {"role": "user", "content": judged.corrections},
                ],
            }

        usage = self._usage(meter, started)
        last = meter.answers[-1] if meter.answers else None
        if judged is not None and judged.letter is not None:
            # It passed, or it is the last answer and it parsed: kept either way (flagged by
            # the pipeline when its issues say so).
            return EngineResult(
                letter=judged.letter,
                usage=usage,
                issues=judged.issues,
                last_answer=last,
                cross_check=True,
            )
        parsed = await asyncio.to_thread(salvage_answer, self.answer_model, last)
        if parsed is None:
            raise ExtractionFailed(
                f"no answer parsed as the {self.answer_model.__name__} schema after "
                f"{meter.calls} call(s)",
                attempts=meter.calls,
                last_completion=last,
                usage=usage.model_dump(),
            )
        letter, issues = await asyncio.to_thread(
            self._check, doc, letter_from_answer(parsed, structure)
        )
        return EngineResult(
            letter=letter, usage=usage, issues=issues, last_answer=last, cross_check=True
        )
