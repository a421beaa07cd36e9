"""Client and transport: the only module that imports the OpenAI SDK, instructor and tenacity.

One `AsyncOpenAI` client serves a whole batch (`Transport.session`); making one loads the SDK's
SSL bundle, 20-30 ms of CPU, so a client per letter would cost more than the letter's own work.

Each request goes through instructor, which turns the completion into the answer model (the
pydantic schema the model fills). It is called with `max_retries=0` and no validation
`context`: the letter checks and re-asks are the engine's own (the validators run once per
answer, off the event loop), and without a context instructor renders no message through Jinja,
so the letter text reaches the server exactly as read. The answer model is prepared for
instructor once per engine, with its JSON schema built once (`prepare_answer_model`): instructor
would otherwise wrap the class in a new pydantic model and rebuild its schema on every call.

Transport faults (429, 5xx, timeouts, dropped connections) are retried below instructor, with
tenacity: they never reach the prompt and never count as re-asks. Other 4xx fail the letter with
the provider's message (`LLMError`, keeping the original).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from openai.types.chat import ChatCompletion
from pydantic import BaseModel
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from ofsted_extractor.errors import LLMError
from ofsted_extractor.llm_config import LLMConfig

# instructor logs each answer it cannot parse, and each failed call, at ERROR level; here both
# are ordinary (the engine re-asks, or the batch reports the letter), and with no logging set
# up Python would print every one to stderr.
logging.getLogger("instructor").addHandler(logging.NullHandler())


@dataclass
class Meter:
    """What one letter's calls cost. Transport retries are counted apart from answers."""

    answers: list[str | None] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    transport_retries: int = 0
    waits: list[float] = field(default_factory=list)
    #: The last completion's raw text and finish reason.
    last_reply: tuple[str | None, str | None] = (None, None)

    @property
    def calls(self) -> int:
        return len(self.answers)


@dataclass(frozen=True)
class Reply:
    """One completion: its raw answer text, why it stopped ('stop', 'length', ...) and the
    answer model instructor parsed it into (None when it did not parse)."""

    content: str | None
    finish_reason: str | None
    answer: BaseModel | None = None


#: instructor's mode for each request mode (`llm_config.ModeName`). `json` and `json_schema`
#: both use instructor's JSON_SCHEMA handler, which leaves the messages as the engine built them
#: (the schema is in the system message, compact) and whose `response_format` the transport
#: replaces with the backend's shape: llama-cpp-python refuses the `json_schema` one.
_MODES: dict[str, instructor.Mode] = {
    "json": instructor.Mode.JSON_SCHEMA,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "md_json": instructor.Mode.MD_JSON,
    "tools": instructor.Mode.TOOLS,
    "tools_strict": instructor.Mode.TOOLS,
}


def schema_in_messages(mode: str) -> bool:
    """Whether the engine puts the answer schema in the system message itself (else instructor
    carries it: as a tool, or in its own message for md_json)."""
    return _MODES[mode] is instructor.Mode.JSON_SCHEMA


def prepare_answer_model(model: type[BaseModel], schema: dict[str, Any]) -> type[BaseModel]:
    """The answer model as instructor uses it, made once per engine.

    instructor wraps a plain model in a new pydantic class (`openai_schema`) on every call and
    asks it for its JSON schema (`model_json_schema`), which pydantic builds anew each time:
    about 2.5 ms of CPU a call for the compact answer, 5 ms for the full one. Wrapped once here,
    instructor takes the class as it is; and its schema is the one the engine built.
    """
    wrapped: type[BaseModel] = instructor.openai_schema(model)

    class Prepared(wrapped):  # type: ignore[valid-type,misc]
        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return schema

    Prepared.__name__ = Prepared.__qualname__ = model.__name__
    Prepared.__doc__ = model.__doc__
    return Prepared


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
    if isinstance(exc, LLMError):
        exc = exc.original
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


def _content_of(response: Any) -> tuple[str | None, str | None]:
    """The answer's raw text (message content, or the first tool call's arguments) and why the
    completion stopped."""
    try:
        choice = response.choices[0]
        message = choice.message
    except (AttributeError, IndexError, TypeError):
        return None, None
    reason = getattr(choice, "finish_reason", None)
    if message.content:
        return str(message.content), reason
    calls = getattr(message, "tool_calls", None) or []
    return (str(calls[0].function.arguments) if calls else None), reason


class Transport:
    """Requests through instructor on one client, with bounded retries for transient faults.

    Args:
        config: the settings (server, key, timeouts, retry bounds, request mode).
        answer_model: the pydantic model the answer fills.
        schema: its JSON schema as the engine built it (once).
        sleep: the async sleep used between retries (tests pass a recorder).
    """

    def __init__(
        self,
        config: LLMConfig,
        answer_model: type[BaseModel],
        schema: dict[str, Any],
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.config = config
        self._sleep = sleep or asyncio.sleep
        self._client: openai.AsyncOpenAI | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._sessions = 0
        self._slots: asyncio.Semaphore | None = None
        self._mode = _MODES[config.resolved_mode]
        self._strict_tool = config.resolved_mode == "tools_strict"
        self.answer_model = prepare_answer_model(answer_model, schema)
        # instructor imports its handlers for a mode on the first call through it, half a
        # second of CPU that would otherwise stall a batch's event loop at its first letter; a
        # call with no response model loads them now and sends nothing.
        instructor.patch(create=lambda **kwargs: None, mode=self._mode)(
            response_model=None, messages=[]
        )

    def _new_client(self) -> openai.AsyncOpenAI:
        cfg = self.config
        return openai.AsyncOpenAI(
            api_key=cfg.resolved_api_key(),
            base_url=cfg.base_url,
            timeout=cfg.resolved_timeout,
            max_retries=0,  # retries are ours (below), never the SDK's as well
        )

    @asynccontextmanager
    async def session(self, requests: int | None = None) -> AsyncIterator[openai.AsyncOpenAI]:
        """Share one client among every call made on this event loop until the block ends.

        Sessions nest (the client closes when the outermost ends). A call from another event
        loop while one is open gets a client of its own for that call. With `requests`, the
        outermost session keeps at most that many requests at the server at once: a slot is
        held only while a request is on the wire, not while instructor prepares or parses it
        nor while a retry waits out its backoff.
        """
        loop = asyncio.get_running_loop()
        if self._client is not None and self._client_loop is not loop:
            async with self._new_client() as private:
                yield private
            return
        if self._client is None:
            self._client, self._client_loop = self._new_client(), loop
            self._slots = asyncio.Semaphore(requests) if requests else None
        self._sessions += 1
        client = self._client
        try:
            yield client
        finally:
            self._sessions -= 1
            if self._sessions == 0:
                self._client, self._client_loop, self._slots = None, None, None
                await client.close()

    async def complete(self, body: dict[str, Any], meter: Meter) -> Reply:
        """Send one request through instructor (retrying transient faults below it) and record
        what it cost in `meter`.

        Args:
            body: model, messages, max_tokens, temperature and, for the json modes, the
                backend's `response_format` (sent as given, or none when absent).
            meter: the letter's running costs.

        Returns:
            The reply, with the parsed answer when instructor could parse it; an answer that
            is not JSON of the schema, or was cut at max_tokens, comes back unparsed.

        Raises:
            LLMError: a provider error retrying cannot fix, or faults that outlasted the retries.
        """
        async with self.session() as client:  # joins the open session (one client), or opens one
            slots = self._slots if client is self._client else None
            send = self._sender(client, meter, body.get("response_format"), slots)
            # (patch's overloads type an async `create` as a sync one)
            create = cast(
                Callable[..., Awaitable[BaseModel]],
                instructor.patch(create=send, mode=self._mode),
            )
            request = {k: v for k, v in body.items() if k != "response_format"}
            try:
                answer = await create(response_model=self.answer_model, max_retries=0, **request)
            except InstructorRetryException as exc:
                cause = exc.__cause__
                if isinstance(cause, LLMError):
                    raise cause from cause.original
                # pydantic's ValidationError, a JSONDecodeError and instructor's
                # ResponseParsingError (no tool call) are all ValueErrors: an answer that is
                # not JSON of the schema, which the engine re-asks saying why
                if not isinstance(cause, ValueError):
                    raise
                answer = None
            except IncompleteOutputException:
                answer = None  # cut at max_tokens: finish_reason says so
        content, reason = meter.last_reply
        return Reply(content, reason, answer)

    def _sender(
        self,
        client: openai.AsyncOpenAI,
        meter: Meter,
        response_format: dict[str, Any] | None,
        slots: asyncio.Semaphore | None,
    ) -> Callable[..., Awaitable[Any]]:
        """`chat.completions.create` as instructor calls it, retrying transient faults."""
        cfg = self.config

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
            await self._sleep(seconds)

        async def send(**kwargs: Any) -> Any:
            if self._mode is instructor.Mode.JSON_SCHEMA:
                # the backend's shape, not instructor's json_schema one (see `_MODES`)
                kwargs.pop("response_format", None)
                if response_format is not None:
                    kwargs["response_format"] = response_format
            elif self._strict_tool:
                for tool in kwargs.get("tools", []):
                    tool["function"]["strict"] = True
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
                        # The body as instructor prepared it, answered as the SDK's typed
                        # completion (which instructor reads): `chat.completions.create` would
                        # first walk and re-transform every parameter, about 1 ms of CPU a call
                        # on the event loop. Errors, headers and timeouts are the SDK's either way.
                        async with slots or contextlib.nullcontext():
                            response = await client.post(
                                "/chat/completions", body=kwargs, cast_to=ChatCompletion
                            )
            except openai.OpenAIError as exc:
                raise LLMError(
                    f"{cfg.resolved_backend} ({cfg.model}): {_provider_message(exc)}",
                    original=exc,
                ) from exc
            content, reason = _content_of(response)
            meter.answers.append(content)
            meter.last_reply = (content, reason)
            if response.usage is not None:
                meter.prompt_tokens += response.usage.prompt_tokens or 0
                meter.completion_tokens += response.usage.completion_tokens or 0
            return response

        return send
