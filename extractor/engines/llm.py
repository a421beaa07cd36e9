"""The LLM engine: an OpenAI-compatible model fills the letter schema, checked by the validators.

This is the only module that imports the OpenAI SDK or instructor.

How one letter goes:

1. The cache is looked up (letter text hash + model + backend/mode + prompt + schema + answer
   format). A hit makes no call.
2. The rules engine's `parse_structure` finds the bullets and the summary. In the default
   *compact* answer format the model never copies them: it answers bullets by number
   (`{"bullet": 3, "topic": ..., "counts": [...]}`) and the summary is taken from the structure.
   The *full* format (the whole Letter schema) exists to measure what that saves.
3. instructor sends the request; the answer model's validator builds the Letter and runs the
   core validators with the letter text as validation context. An error-severity issue becomes
   a re-ask whose message is the validators' corrections. Re-asks are bounded (`max_reasks`)
   and capped by a token budget.
4. Transport faults (429, 5xx, timeouts, dropped connections) are retried here, below instructor,
   with tenacity: they never reach the prompt and never count as re-asks. Other 4xx fail the
   letter with the provider's message (`LLMError`, keeping the original).
5. An answer that still fails after the budget is kept: the Letter built from the last answer,
   flagged by the pipeline, with `last_answer`. Only an answer that never parsed at all raises
   `ExtractionFailed` (which keeps the last completion).
6. Where the LLM and the rules engine give different values, `disagreements` says so; the LLM's
   value stays in the record.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import email.utils
import json
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Self

import instructor
import openai
import pydantic_core
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator
from pydantic_core import PydanticUndefined
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from ofsted_extractor.cache import AnswerCache, cache_key
from ofsted_extractor.engines.base import EngineResult
from ofsted_extractor.errors import ExtractionFailed, LLMError
from ofsted_extractor.llm_config import LLMConfig
from ofsted_extractor.loading import LoadedText
from ofsted_extractor.prompts import DEFAULT_PROMPTS, FewShotExample, Prompt, load_prompt
from ofsted_extractor.schema import (
    GRADE_LABELS,
    SCHEMA_VERSION,
    Count,
    Disagreement,
    EngineInfo,
    Finding,
    GradeLabel,
    Issue,
    Letter,
    Person,
    SafeguardingInspection,
    Topic,
    Usage,
)
from ofsted_extractor.validators.counts import stated_judgement, stated_quantity

ENGINE_VERSION = "1.0"

#: The text the re-ask message starts with (instructor adds its own line before it).
CORRECTION_HEADER = "The answer disagrees with the letter. Fix these and answer again:"


# --- The letter's structure, as this engine needs it ----------------------------------------------


class StructureLike(Protocol):
    """What the engine needs from `rules.parse_structure`: bullets in order and the summary.

    Bullets may be plain strings or blocks with a `.text` attribute.
    """

    @property
    def strengths(self) -> Sequence[Any]: ...

    @property
    def areas(self) -> Sequence[Any]: ...

    @property
    def summary(self) -> str | None: ...


def _bullet_texts(bullets: Sequence[Any]) -> list[str]:
    return [b if isinstance(b, str) else str(b.text) for b in bullets]


def _default_structure(text: str) -> StructureLike:
    # Imported late so this module loads (and its unit tests run) without the rules engine.
    from ofsted_extractor.engines.rules import parse_structure

    return parse_structure(text)


def _default_rules_letter(doc: LoadedText) -> Letter:
    from ofsted_extractor.engines.rules import RulesEngine

    return RulesEngine().extract(doc).letter


def _default_validate(text: str, letter: Letter) -> list[Issue]:
    from ofsted_extractor import validators

    return validators.validate(text, letter)


# --- The answer formats ---------------------------------------------------------------------------
# These are wire formats for the model, not letter models: the Letter itself lives in
# extractor/schema.py and every answer is turned into one. Descriptions are borrowed from the
# schema module so the two cannot drift apart.


def _desc(model: type[BaseModel], name: str) -> str | None:
    return model.model_fields[name].description


# Size limits are part of the schema the server enforces, so an answer is bounded in length: a
# weak model under a grammar otherwise fills a list or a string until max_tokens. They are wide
# of anything in a real letter (the longest count evidence in the gold records is ~110 chars;
# the longest list has 7 bullets).
_SHORT = 120
_QUOTE = 300
_SENTENCE = 500
_BULLETS = 15


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CountAnswer(_Answer):
    """A count stated in a bullet (see the prompt for what counts)."""

    subject: str = Field(max_length=_SHORT, description=_desc(Count, "subject"))
    count: int = Field(ge=0, description=_desc(Count, "count"))
    total: int | None = Field(ge=0, description=_desc(Count, "total"))
    judgement: str | None = Field(max_length=_SHORT, description=_desc(Count, "judgement"))
    evidence: str = Field(max_length=_QUOTE, description=_desc(Count, "evidence"))


class BulletAnswer(_Answer):
    """One bullet of a list, referred to by its number instead of copying its text."""

    bullet: int = Field(ge=1, description="The bullet's number in its list, from 1.")
    topic: Topic = Field(description=_desc(Finding, "topic"))
    counts: list[CountAnswer] = Field(max_length=8, description=_desc(Finding, "counts"))


class InspectionAnswer(_Answer):
    """An inspection of safeguarding arrangements the summary reports."""

    date: str = Field(
        pattern=r"^[0-9]{4}-[0-9]{2}$", description=_desc(SafeguardingInspection, "date")
    )
    kind: str = Field(max_length=_SHORT, description=_desc(SafeguardingInspection, "kind"))
    outcome: str | None = Field(
        max_length=_SHORT, description=_desc(SafeguardingInspection, "outcome")
    )
    evidence: str = Field(
        max_length=_SENTENCE, description=_desc(SafeguardingInspection, "evidence")
    )


def _check_with_context(answer: BaseModel, info: ValidationInfo) -> None:
    """Run the letter checks when validation has the letter as context; raise the corrections."""
    ctx = info.context
    if not isinstance(ctx, dict) or "text" not in ctx:
        return  # parsed outside the loop (e.g. the last answer): no letter to check against
    corrections = answer_corrections(answer, ctx["text"], ctx["structure"], ctx["validate"])
    if corrections:
        raise ValueError("\n".join([CORRECTION_HEADER, *corrections]))


class CompactAnswer(_Answer):
    """What one assessment letter says. Bullets are referred to by number, not copied."""

    local_authority: str | None = Field(
        max_length=_SHORT, description=_desc(Letter, "local_authority")
    )
    assessment_year: int | None = Field(description=_desc(Letter, "assessment_year"))
    letter_date: dt.date | None = Field(description="The letter's date, YYYY-MM-DD.")
    recipient_name: str | None = Field(max_length=_SHORT, description=_desc(Person, "name"))
    recipient_role: str | None = Field(max_length=_SHORT, description=_desc(Person, "role"))
    signatory_name: str | None = Field(
        max_length=_SHORT, description="The typed name after 'Yours sincerely'."
    )
    signatory_role: str | None = Field(
        max_length=_SHORT, description="The signatory's job-title line."
    )
    grade: int | None = Field(ge=1, le=4, description=_desc(Letter, "grade"))
    grade_label: GradeLabel | None = Field(description=_desc(Letter, "grade_label"))
    strengths: list[BulletAnswer] = Field(
        max_length=_BULLETS, description="One item per bullet under 'Strengths'."
    )
    areas_for_improvement: list[BulletAnswer] = Field(
        max_length=_BULLETS,
        description="One item per bullet under 'Areas for further improvement'.",
    )
    safeguarding_inspections: list[InspectionAnswer] = Field(max_length=6)

    @model_validator(mode="after")
    def _agrees_with_letter(self, info: ValidationInfo) -> Self:
        _check_with_context(self, info)
        return self


# Bookkeeping the pipeline fills, never the model: spans, provenance and what the engine left out.
_NOT_ASKED = frozenset({"provenance", "unfilled", "span"})


def _every_field_required(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with the bookkeeping fields removed and every other field required, so a
    grammar-constrained model cannot answer `{}` (a plain Letter has defaults everywhere)."""
    for node in [schema, *schema.get("$defs", {}).values()]:
        props = node.get("properties")
        if isinstance(props, dict):
            for name in _NOT_ASKED & props.keys():
                del props[name]
            node["required"] = list(props)
    return schema


class FullAnswer(Letter):
    """What one assessment letter says: the whole Letter schema, text copied verbatim.

    The plain "fill the whole schema" request that the compact answer is measured against.
    """

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return _every_field_required(super().model_json_schema(*args, **kwargs))

    @model_validator(mode="after")
    def _agrees_with_letter(self, info: ValidationInfo) -> Self:
        _check_with_context(self, info)
        return self


AnswerModel = type[CompactAnswer] | type[FullAnswer]


def _answer_model(answer_format: str) -> AnswerModel:
    return FullAnswer if answer_format == "full" else CompactAnswer


# --- From answer to Letter ------------------------------------------------------------------------


def _person(name: str | None, role: str | None) -> Person | None:
    return Person(name=name, role=role) if name else None


def _findings(items: list[BulletAnswer], bullets: list[str]) -> list[Finding]:
    findings = []
    for item in sorted(items, key=lambda i: i.bullet):
        if not 1 <= item.bullet <= len(bullets):
            continue  # answer_corrections reports it; a kept last answer just drops it
        findings.append(
            Finding(
                text=bullets[item.bullet - 1],
                topic=item.topic,
                counts=[Count(**c.model_dump()) for c in item.counts],
            )
        )
    return findings


def _inspections(items: list[InspectionAnswer]) -> list[SafeguardingInspection]:
    kept = []
    for item in items:
        try:
            kept.append(SafeguardingInspection.model_validate(item.model_dump()))
        except ValidationError:
            continue  # a kind or outcome outside the schema's words; the validators list it
    return kept


def letter_from_answer(answer: BaseModel, structure: StructureLike) -> Letter:
    """Build the Letter an answer stands for.

    Compact answers take bullet texts and the summary from `structure`; full answers are a
    Letter already (spans and provenance they carry are dropped: the pipeline computes them).

    Args:
        answer: a CompactAnswer or FullAnswer.
        structure: the letter's structure (bullets in order, summary).

    Returns:
        The Letter, with every scalar it lacks named in `unfilled`.
    """
    if isinstance(answer, Letter):
        data = answer.model_dump(exclude={"provenance", "unfilled"})
        for list_name in ("strengths", "areas_for_improvement"):
            for finding in data[list_name]:
                finding["span"] = None
                for count in finding["counts"]:
                    count["span"] = None
        for insp in data["safeguarding_inspections"]:
            insp["span"] = None
        letter = Letter.model_validate(data)
    elif isinstance(answer, CompactAnswer):
        label = answer.grade_label
        letter = Letter(
            local_authority=answer.local_authority,
            assessment_year=answer.assessment_year,
            letter_date=answer.letter_date,
            recipient=_person(answer.recipient_name, answer.recipient_role),
            signatory=_person(answer.signatory_name, answer.signatory_role),
            grade=answer.grade,
            grade_label=label,
            summary=structure.summary,
            strengths=_findings(answer.strengths, _bullet_texts(structure.strengths)),
            areas_for_improvement=_findings(
                answer.areas_for_improvement, _bullet_texts(structure.areas)
            ),
            safeguarding_inspections=_inspections(answer.safeguarding_inspections),
        )
    else:
        raise TypeError(f"not an answer: {type(answer).__name__}")
    scalars = ("local_authority", "assessment_year", "letter_date", "recipient", "signatory")
    letter.unfilled = [
        name
        for name in (*scalars, "grade", "grade_label", "summary")
        if getattr(letter, name) is None
    ]
    return letter


# Fields a compact answer cannot change (they come from the structure), so an issue about them
# must not become a re-ask the model could never satisfy: "summary", "strengths[2].text".
_STRUCTURE_FIELD = re.compile(r"^(?:summary|(?:strengths|areas_for_improvement)\[\d+\]\.text)$")


def _numbering_corrections(
    items: list[BulletAnswer], n: int, list_name: str, head: str
) -> list[str]:
    """Bullet numbers must be 1..n, each once."""
    out = []
    numbers = [i.bullet for i in items]
    bad = sorted({b for b in numbers if not 1 <= b <= n})
    if bad:
        out.append(
            f"- {list_name}: bullet number(s) {bad} do not exist; '{head}' has {n} bullets, "
            f"numbered 1 to {n}."
        )
    repeated = sorted({b for b in numbers if numbers.count(b) > 1})
    if repeated:
        out.append(f"- {list_name}: bullet(s) {repeated} are given more than once; give each once.")
    missing = sorted(set(range(1, n + 1)) - set(numbers))
    if missing:
        out.append(
            f"- {list_name}: bullet(s) {missing} of '{head}' are missing; add one item for each."
        )
    return out


def answer_corrections(
    answer: BaseModel,
    text: str,
    structure: StructureLike,
    validate: Callable[[str, Letter], list[Issue]],
) -> list[str]:
    """The corrections a re-ask should carry, one line each; empty when the answer passes.

    Args:
        answer: the parsed answer.
        text: the normalised letter text.
        structure: the letter's structure.
        validate: the core validators (text, letter) -> issues.

    Returns:
        Lines like "- grade: ..." built from error-severity issues the model can act on.
    """
    lines: list[str] = []
    compact = isinstance(answer, CompactAnswer)
    if isinstance(answer, CompactAnswer):
        lines += _numbering_corrections(
            answer.strengths, len(structure.strengths), "strengths", "Strengths"
        )
        lines += _numbering_corrections(
            answer.areas_for_improvement,
            len(structure.areas),
            "areas_for_improvement",
            "Areas for further improvement",
        )
    letter = letter_from_answer(answer, structure)
    for issue in validate(text, letter):
        if issue.severity != "error" or (compact and _STRUCTURE_FIELD.match(issue.field)):
            continue
        lines.append(f"- {issue.field}: {issue.message}")
    return lines


def truncation_correction(max_tokens: int) -> str:
    """The re-ask for an answer cut off at `max_tokens`."""
    return (
        f"{CORRECTION_HEADER}\n- The answer was cut off at {max_tokens} tokens and is not "
        "complete JSON. Answer again, shorter: one item per bullet, only the counts the "
        "bullet states, short quotes."
    )


# --- Messages -------------------------------------------------------------------------------------


def _shield(content: str) -> str:
    # instructor renders every message through Jinja when a validation context is given. Letter
    # text is data, not a template: every "{" becomes an expression that prints "{", so the
    # rendered message is the text as read, whatever it holds. (A raw block is not enough: the
    # letter itself can close it with "{% endraw %}".) A text without "{" is sent unchanged.
    return content.replace("{", "{{ '{' }}") if "{" in content else content


def _bullet_index(structure: StructureLike) -> str:
    """A short numbered index of the bullets, so the model can refer to them by number."""

    def first_words(s: str, n: int = 8) -> str:
        words = s.split()
        return " ".join(words[:n]) + (" ..." if len(words) > n else "")

    lines = ["Bullet numbers:"]
    for head, bullets in (
        ("Strengths", structure.strengths),
        ("Areas for further improvement", structure.areas),
    ):
        lines.append(f"{head}:")
        lines += [f"  {i}. {first_words(b)}" for i, b in enumerate(_bullet_texts(bullets), 1)]
    return "\n".join(lines)


def _example_block(
    example: FewShotExample, answer_format: str, structure_of: Callable[[str], StructureLike]
) -> str:
    structure = structure_of(example.letter)
    if answer_format == "full":
        letter = letter_from_answer(CompactAnswer.model_validate(example.answer), structure)
        answer = letter.model_dump(mode="json", exclude={"provenance", "unfilled"})
        body = example.letter
    else:
        answer = example.answer
        body = example.letter + "\n\n" + _bullet_index(structure)
    return f"Example letter:\n{body}\n\nExample answer:\n{json.dumps(answer, ensure_ascii=False)}"


def build_messages(
    prompt: Prompt,
    text: str,
    structure: StructureLike,
    answer_format: str,
    structure_of: Callable[[str], StructureLike],
) -> list[dict[str, str]]:
    """The chat messages for one letter (before instructor appends the schema).

    Args:
        prompt: the loaded prompt with its few-shot examples.
        text: the normalised letter text.
        structure: the letter's structure (for the bullet index of the compact format).
        answer_format: 'compact' or 'full'.
        structure_of: the structure parser, for the examples' letters.

    Returns:
        A system message (instructions and examples) and a user message (the letter).
    """
    examples = "\n\n".join(_example_block(e, answer_format, structure_of) for e in prompt.examples)
    system = prompt.text + ("\n\n" + examples if examples else "")
    user = "Letter:\n" + text.strip()
    if answer_format != "full":
        user += "\n\n" + _bullet_index(structure)
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": _shield(user)},
    ]


def _portable_patterns(node: Any) -> Any:
    # llama.cpp's schema-to-grammar converter knows no regex shorthands: a `\d` in a pattern
    # makes the grammar fail to parse (and took the llama-cpp-python 0.3.16 server down).
    # [0-9] means the same to every server.
    if isinstance(node, dict):
        return {
            k: v.replace("\\d", "[0-9]")
            if k == "pattern" and isinstance(v, str)
            else _portable_patterns(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_portable_patterns(v) for v in node]
    return node


def response_format_for(shape: str, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The `response_format` a backend's shape asks for (None: the mode carries the schema)."""
    schema = _portable_patterns(schema)
    if shape == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    if shape == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}
    return None


# --- Transport: retries live here, and only here --------------------------------------------------

_TRANSIENT_STATUS = frozenset({408, 409, 429})


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        if rejects_response_format(exc):
            return False  # a server that cannot take the schema shape will not learn to
        return exc.status_code in _TRANSIENT_STATUS or exc.status_code >= 500
    return False


def rejects_response_format(exc: BaseException | None) -> bool:
    """The server refused the request's `response_format` (e.g. llama-cpp-python 0.3.16 answers
    HTTP 500 "Input should be 'text' or 'json_object'" to a json_schema shape)."""
    if not isinstance(exc, openai.APIStatusError) or exc.status_code not in (400, 422, 500):
        return False
    return "response_format" in f"{exc.body} {exc.message}"


def retry_after_seconds(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (Retry-After / retry-after-ms), if it said."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max(0.0, (parsed - dt.datetime.now(dt.timezone.utc)).total_seconds())


def _provider_message(exc: BaseException) -> str:
    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        detail = None
        if isinstance(body, dict):
            err = body.get("error", body)
            detail = err.get("message") if isinstance(err, dict) else err
            detail = detail or body.get("detail")
        return f"HTTP {exc.status_code}: {detail or exc.message}"
    if isinstance(exc, openai.APITimeoutError):
        return "the request timed out"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        return f"connection failed ({type(cause).__name__ if cause else 'no response'})"
    return str(exc)


@dataclass
class _Meter:
    """What one letter's calls cost. Transport retries are counted apart from answers."""

    answers: list[str | None] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    transport_retries: int = 0
    waits: list[float] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return len(self.answers)


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


# --- The engine -----------------------------------------------------------------------------------


class LLMEngine:
    """Fill the letter schema with an OpenAI-compatible model, validated and re-asked.

    Args:
        config: the settings (see `LLMConfig`); checked here.
        structure_of: the structure parser; default `rules.parse_structure`.
        rules_letter: the rules engine's letter for a document, to compare with; default the
            rules engine. Pass None-returning callable to skip the comparison.
        validate: the core validators; default `validators.validate`.
        sleep: the async sleep used between transport retries (tests pass a recorder).

    Raises:
        ConfigurationError: a bad value or a missing key.
    """

    name = "llm"

    def __init__(
        self,
        config: LLMConfig,
        *,
        structure_of: Callable[[str], StructureLike] | None = None,
        rules_letter: Callable[[LoadedText], Letter | None] | None = None,
        validate: Callable[[str, Letter], list[Issue]] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        config.check()
        self.config = config
        self.prompt = load_prompt(DEFAULT_PROMPTS[config.answer_format])
        self.mode = getattr(instructor.Mode, config.resolved_mode.upper())
        self.answer_model: AnswerModel = _answer_model(config.answer_format)
        self._structure_of = structure_of or _default_structure
        self._rules_letter = rules_letter or _default_rules_letter
        self._validate = validate or _default_validate
        self._sleep = sleep or asyncio.sleep
        self.cache = AnswerCache(config.resolved_cache_dir) if config.cache else None
        self.totals = RunTotals()
        self.shape = config.resolved_shape
        # A server only guessed to be "some OpenAI-compatible server" may want the other shape:
        # when it refuses json_schema, try json_object + schema (llama-cpp-python's) once.
        self._shape_negotiable = (
            config.response_shape is None and config.resolved_backend == "openai-compatible"
        )
        # Built once: the answer schema, and one client per event loop (a batch runs on one
        # loop), because making a client loads the TLS bundle, tens of ms of CPU each time.
        self._schema = self.answer_model.model_json_schema()
        self._clients: dict[asyncio.AbstractEventLoop, tuple[openai.AsyncOpenAI, int]] = {}

    def info(self) -> EngineInfo:
        """Name, version, model, instructor mode and prompt version/hash."""
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
        """Fill the schema from one letter (blocking).

        Args:
            doc: the loaded letter.

        Returns:
            The EngineResult: letter, usage, disagreements and (when it may be flagged) the
            last raw answer.

        Raises:
            LLMError: a provider error that retrying cannot fix (4xx other than 408/409/429),
                or transport faults that outlasted the retries.
            ExtractionFailed: no answer ever parsed as JSON of the answer schema.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.aextract(doc))
        # Called from inside an event loop: run on a private loop in a worker thread.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, self.aextract(doc)).result()

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[openai.AsyncOpenAI]:
        """One client for every letter extracted on this event loop while any session on it is
        open (a batch opens one around all its letters); it closes when the last one ends."""
        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            cfg = self.config
            client = openai.AsyncOpenAI(
                api_key=cfg.resolved_api_key(),
                base_url=cfg.base_url,
                timeout=cfg.resolved_timeout,
                max_retries=0,  # retries are ours (below), never the SDK's as well
            )
            self._clients[loop] = (client, 0)
        client, users = self._clients[loop]
        self._clients[loop] = (client, users + 1)
        try:
            yield client
        finally:
            client, users = self._clients[loop]
            if users > 1:
                self._clients[loop] = (client, users - 1)
            else:  # the last letter (or the batch) using it has finished
                del self._clients[loop]
                await client.close()

    async def aextract(self, doc: LoadedText) -> EngineResult:
        """`extract` for batches: safe to run many at once on one event loop.

        Raises:
            LLMError, ExtractionFailed: as `extract`.
        """
        key = self.cache_key(doc)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                result = _result_from_entry(hit)
                self.totals.add(result.usage)
                return result
        started = time.perf_counter()
        meter = _Meter()
        try:
            result = await self._extract_uncached(doc, meter)
        except (LLMError, ExtractionFailed):
            self.totals.failed += 1
            self.totals.add(self._usage(meter, started), meter.transport_retries)
            raise
        self.totals.add(result.usage, meter.transport_retries)
        if self.cache is not None:
            self.cache.put(key, _entry_from_result(result))
        return result

    def cache_key(self, doc: LoadedText) -> str:
        """The cache key for a letter under this configuration."""
        cfg = self.config
        return cache_key(
            text_sha256=doc.sha256 if doc.text == doc.original else _sha256(doc.text),
            model=cfg.model,
            backend=cfg.resolved_backend,
            mode=cfg.resolved_mode,
            shape=cfg.resolved_shape,
            answer_format=cfg.answer_format,
            prompt_version=self.prompt.version,
            prompt_sha256=self.prompt.sha256,
            schema_version=SCHEMA_VERSION,
        )

    def request_messages(self, doc: LoadedText) -> list[dict[str, str]]:
        """The messages this engine would send for `doc` (before instructor adds the schema)."""
        structure = self._structure_of(doc.text)
        return build_messages(
            self.prompt, doc.text, structure, self.config.answer_format, self._structure_of
        )

    # -- internals -----------------------------------------------------------------------------

    def _usage(self, meter: _Meter, started: float) -> Usage:
        return Usage(
            calls=meter.calls,
            reasks=max(0, meter.calls - 1),
            prompt_tokens=meter.prompt_tokens,
            completion_tokens=meter.completion_tokens,
            latency_s=round(time.perf_counter() - started, 3),
            cached=False,
            cost_usd=self.config.cost(meter.prompt_tokens, meter.completion_tokens),
        )

    async def _extract_uncached(self, doc: LoadedText, meter: _Meter) -> EngineResult:
        cfg = self.config
        started = time.perf_counter()
        structure = self._structure_of(doc.text)
        messages = build_messages(
            self.prompt, doc.text, structure, cfg.answer_format, self._structure_of
        )
        schema = self._schema
        kwargs: dict[str, Any] = {
            "model": cfg.model,
            "messages": messages,
            "max_tokens": cfg.max_output_tokens,
            "temperature": cfg.temperature,
        }
        context = {"text": doc.text, "structure": structure, "validate": self._validate}

        while True:
            shape = self.shape
            response_format = response_format_for(shape, schema, self.answer_model.__name__)
            if response_format is not None:
                # extra_body is merged into the JSON last, so this replaces the bare
                # {"type": "json_object"} instructor's JSON mode sets.
                kwargs["extra_body"] = {"response_format": response_format}
            try:
                async with self.session() as client:
                    create = instructor.patch(create=self._transport(client, meter), mode=self.mode)
                    answer = await self._ask(create, meter, kwargs, context)
                break
            except LLMError as exc:
                if not (
                    self._shape_negotiable
                    and shape == "json_schema"
                    and rejects_response_format(exc.original)
                ):
                    raise
                # (another letter in flight may have switched already: same answer)
                self.shape = "json_object_schema"

        usage = self._usage(meter, started)
        if answer is not None:
            letter = letter_from_answer(answer, structure)
            last = None
        else:
            last = meter.answers[-1] if meter.answers else None
            parsed = _parse_without_checks(self.answer_model, last)
            if parsed is None:
                raise ExtractionFailed(
                    f"no answer parsed as the {self.answer_model.__name__} schema after "
                    f"{meter.calls} call(s)",
                    attempts=meter.calls,
                    last_completion=last,
                    usage=usage.model_dump(),
                )
            letter = letter_from_answer(parsed, structure)
        rules = self._rules_letter(doc)
        disagreements = compare_with_rules(doc.text, letter, rules) if rules is not None else []
        return EngineResult(
            letter=letter,
            usage=usage,
            disagreements=disagreements,
            last_answer=meter.answers[-1] if meter.answers else last,
        )

    async def _ask(
        self,
        create: Callable[..., Awaitable[Any]],
        meter: _Meter,
        kwargs: dict[str, Any],
        context: dict[str, Any],
    ) -> BaseModel | None:
        """instructor's validate-and-re-ask loop, plus re-asks for answers cut at max_tokens.

        instructor raises on a truncated answer without re-asking; here it is a failed answer
        like any other: the next request (the original messages and a correction) counts
        against the same re-ask and token budgets. Returns None when the budget ran out.
        """
        cfg = self.config
        messages = kwargs["messages"]
        while True:
            calls_before = meter.calls
            reasks_left = cfg.max_reasks - calls_before
            budget_left = cfg.token_budget - meter.prompt_tokens - meter.completion_tokens
            if reasks_left < 0 or budget_left <= 0:
                return None
            try:
                answer: BaseModel = await create(
                    response_model=self.answer_model,
                    context=context,
                    max_retries=reasks_left,
                    token_budget=budget_left,
                    strict=False,
                    **{**kwargs, "messages": messages},
                )
                return answer
            except InstructorRetryException as exc:
                if isinstance(exc.__cause__, LLMError):
                    raise exc.__cause__ from exc.__cause__.original
                return None
            except IncompleteOutputException:
                messages = [
                    *kwargs["messages"],
                    {"role": "user", "content": truncation_correction(cfg.max_output_tokens)},
                ]

    def _transport(
        self, client: openai.AsyncOpenAI, meter: _Meter
    ) -> Callable[..., Awaitable[Any]]:
        """`chat.completions.create` with bounded retries for transient faults."""
        cfg = self.config
        sleep = self._sleep

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            asked = retry_after_seconds(exc) if exc is not None else None
            if asked is not None:
                return asked
            # Exponential backoff with full jitter, bounded.
            ceiling = min(cfg.backoff_max, cfg.backoff_initial * 2 ** (state.attempt_number - 1))
            return random.uniform(ceiling / 2, ceiling)

        def retryable(exc: BaseException) -> bool:
            if not _is_transient(exc):
                return False
            asked = retry_after_seconds(exc)
            return asked is None or asked <= cfg.max_retry_after

        async def record_sleep(seconds: float) -> None:
            meter.transport_retries += 1
            meter.waits.append(seconds)
            await sleep(seconds)

        async def create(**kwargs: Any) -> Any:
            retrying = AsyncRetrying(
                stop=stop_after_attempt(cfg.transport_retries + 1),
                wait=wait,
                retry=retry_if_exception(retryable),
                sleep=record_sleep,
                reraise=True,
            )
            try:
                async for attempt in retrying:
                    with attempt:
                        response = await client.chat.completions.create(**kwargs)
            except openai.OpenAIError as exc:
                raise LLMError(
                    f"{cfg.resolved_backend} ({cfg.model}): {_provider_message(exc)}",
                    original=exc,
                ) from exc
            content = _content_of(response)
            meter.answers.append(content)
            if response.usage is not None:
                meter.prompt_tokens += response.usage.prompt_tokens or 0
                meter.completion_tokens += response.usage.completion_tokens or 0
            return response

        return create


def _content_of(response: Any) -> str | None:
    """The answer's raw text: message content, or the first tool call's arguments."""
    try:
        message = response.choices[0].message
    except (AttributeError, IndexError):
        return None
    if message.content:
        return str(message.content)
    calls = getattr(message, "tool_calls", None) or []
    return str(calls[0].function.arguments) if calls else None


_CONTROL_CHARS = re.compile(r"[\x00-\x1f]")


def _parse_without_checks(model: AnswerModel, raw: str | None) -> BaseModel | None:
    """Parse the last answer without the letter checks (they already failed).

    A complete answer is parsed as it is. An answer cut at max_tokens, or with some invalid
    parts, is salvaged: incomplete JSON is read as far as it goes, list items that do not fit
    the schema are dropped and other unfit values are left empty. Whatever the model did say is
    kept for the validators to flag; None only when nothing parses as a JSON object.
    """
    if not raw:
        return None
    try:
        return model.model_validate_json(raw)
    except ValidationError:
        pass
    try:
        # Raw control characters inside strings (a newline the grammar let through) are not
        # JSON; as spaces they change nothing the validators look at.
        data = pydantic_core.from_json(_CONTROL_CHARS.sub(" ", raw), allow_partial=True)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    empty: dict[str, Any] = {
        name: [] if str(info.annotation).startswith("list") else None
        for name, info in model.model_fields.items()
        if info.is_required()
    }
    values: dict[str, Any] = {**empty, **{k: v for k, v in data.items() if k in model.model_fields}}
    for _ in range(20):  # each round removes at least one bad part, so this ends
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            doomed_items: set[tuple[str, int]] = set()
            for err in exc.errors():
                loc = err["loc"]
                name = str(loc[0]) if loc else ""
                if name not in values:
                    return None
                if len(loc) > 1 and isinstance(loc[1], int) and isinstance(values[name], list):
                    doomed_items.add((name, loc[1]))
                else:
                    default = model.model_fields[name].default
                    values[name] = empty.get(
                        name, None if default is PydanticUndefined else default
                    )
            for name, index in sorted(doomed_items, reverse=True):
                del values[name][index]
    return None


def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- Disagreements with the rules engine ----------------------------------------------------------


def _squash(s: str) -> str:
    return " ".join(s.split()).lower()


def _in_text(text: str, value: str) -> bool:
    return bool(value) and _squash(value) in _squash(text)


def _scalar_values(letter: Letter) -> dict[str, str | None]:
    def s(v: object) -> str | None:
        return None if v is None else str(v)

    return {
        "local_authority": letter.local_authority,
        "assessment_year": s(letter.assessment_year),
        "letter_date": s(letter.letter_date),
        "recipient.name": letter.recipient.name if letter.recipient else None,
        "recipient.role": letter.recipient.role if letter.recipient else None,
        "signatory.name": letter.signatory.name if letter.signatory else None,
        "signatory.role": letter.signatory.role if letter.signatory else None,
        "grade": s(letter.grade),
        "grade_label": letter.grade_label,
    }


def _supported(text: str, field_name: str, value: str | None, letter: Letter) -> bool:
    """Does the letter text bear this value out? Deliberately simple: a verbatim occurrence."""
    if value is None:
        return False
    if field_name == "letter_date":
        d = dt.date.fromisoformat(value)
        return _in_text(text, f"{d.day} {d.strftime('%B')} {d.year}")
    if field_name == "assessment_year":
        return _in_text(text, f"children's services assessment {value}")
    if field_name == "grade":
        label = GRADE_LABELS.get(int(value))
        return label is not None and _in_text(text, f"{label} ({value})")
    if field_name == "grade_label":
        return letter.grade is not None and _in_text(text, f"{value} ({letter.grade})")
    if field_name.endswith(".topic"):
        return False  # a topic is a reading, not a quote; the text cannot settle it here
    if field_name == "safeguarding_inspections":
        # each item's evidence must be the letter's; an empty list is supported by nothing
        return bool(value) and _quotes_in(text, value)
    return _in_text(text, value)


def compare_with_rules(text: str, llm: Letter, rules: Letter) -> list[Disagreement]:
    """Fields where the LLM's letter and the rules engine's differ, with which the text supports.

    Compares the scalars, the number of findings in each list, each finding's topic and
    counts, and the safeguarding inspections. The LLM's values are kept in the record; this
    only reports.

    Args:
        text: the normalised letter text.
        llm: the LLM engine's letter.
        rules: the rules engine's letter.

    Returns:
        One Disagreement per differing field, in a fixed order.
    """
    out: list[Disagreement] = []

    def add(
        name: str, a: str | None, b: str | None, backed: tuple[bool, bool] | None = None
    ) -> None:
        if a == b:
            return
        la, lb = backed or (_supported(text, name, a, llm), _supported(text, name, b, rules))
        support: Literal["llm", "rules", "both", "neither"] = (
            "both" if la and lb else "llm" if la else "rules" if lb else "neither"
        )
        out.append(Disagreement(field=name, llm=a, rules=b, supported_by_text=support))

    mine, theirs = _scalar_values(llm), _scalar_values(rules)
    for name in mine:
        add(name, mine[name], theirs[name])
    for list_name in ("strengths", "areas_for_improvement"):
        a_list, b_list = getattr(llm, list_name), getattr(rules, list_name)
        if len(a_list) != len(b_list):
            add(f"{list_name}.length", str(len(a_list)), str(len(b_list)))
        b_by_text = {_squash(f.text): f for f in b_list}
        for i, finding in enumerate(a_list):
            other = b_by_text.get(_squash(finding.text))
            if other is not None:
                add(f"{list_name}[{i}].topic", finding.topic, other.topic)
                add(
                    f"{list_name}[{i}].counts",
                    _counts_text(finding),
                    _counts_text(other),
                    (_counts_supported(text, finding), _counts_supported(text, other)),
                )
    add(
        "safeguarding_inspections",
        _inspections_text(llm.safeguarding_inspections),
        _inspections_text(rules.safeguarding_inspections),
    )
    return out


def _counts_text(finding: Finding) -> str:
    """A finding's counts as one comparable line: "8 of 12 good or better; 0 inadequate"."""
    return "; ".join(
        f"{c.count}{f' of {c.total}' if c.total is not None else ''}"
        f"{f' {c.judgement}' if c.judgement else ''} [{_squash(c.evidence)}]"
        for c in finding.counts
    )


def _inspections_text(items: list[SafeguardingInspection]) -> str:
    return "; ".join(f"{i.date} {i.kind}: {i.outcome} [{_squash(i.evidence)}]" for i in items)


def _counts_supported(text: str, finding: Finding) -> bool:
    """Each count's evidence is the letter's, and states that count, total and judgement."""
    for c in finding.counts:
        if not _in_text(text, c.evidence):
            return False
        stated = stated_quantity(c.evidence)
        if stated is not None:
            n, total, total_is_count = stated
            total = n if total_is_count else total
            if n != c.count or (total is not None and c.total is not None and total != c.total):
                return False
        judged = stated_judgement(c.evidence)
        if c.judgement is not None and judged is not None and judged != c.judgement.lower():
            return False
    return bool(finding.counts)


def _quotes_in(text: str, value: str) -> bool:
    """Every bracketed quote of an inspections line occurs in the text."""
    quotes = re.findall(r"\[([^\]]*)\]", value)
    return all(_in_text(text, q) for q in quotes)


# --- Cache entries --------------------------------------------------------------------------------


def _entry_from_result(result: EngineResult) -> dict[str, Any]:
    return {
        "letter": result.letter.model_dump(mode="json"),
        "usage": result.usage.model_dump(mode="json"),
        "disagreements": [d.model_dump(mode="json") for d in result.disagreements],
        "last_answer": result.last_answer,
    }


def _result_from_entry(entry: dict[str, Any]) -> EngineResult:
    # A hit costs nothing this run: the usage is zero calls, flagged as cached.
    return EngineResult(
        letter=Letter.model_validate(entry["letter"]),
        usage=Usage(cached=True, cost_usd=0.0),
        disagreements=[Disagreement.model_validate(d) for d in entry.get("disagreements", [])],
        last_answer=entry.get("last_answer"),
    )
