"""The LLM engine against a SCRIPTED OpenAI-compatible server on 127.0.0.1.

Each test scripts the server's replies (rate limits, 5xx, timeouts, dropped connections, bad
JSON, wrong answers, a 400) and asserts what the engine does: transport faults are retried with
backoff and never count as re-asks; wrong answers are re-asked with the validators' corrections;
an answer that never passes is kept, flagged, with its last answer; a 400 fails the letter with
the provider's message.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import openai
import pytest

from ofsted_extractor import extract
from ofsted_extractor.engines.llm import CORRECTION_HEADER, LLMEngine
from ofsted_extractor.engines.llm.answers import compact_answer_from_letter
from ofsted_extractor.engines.rules import parse_structure
from ofsted_extractor.errors import LLMError
from ofsted_extractor.llm_config import LLMConfig
from ofsted_extractor.loading import load_text
from ofsted_extractor.pipeline import iter_extracted
from ofsted_extractor.schema import Document, Letter
from tests.conftest import example_text, gold_record
from tests.scripted_server import SCRIPTED_MODEL, Reply, chat, error, scripted_server

# The scripted server listens on loopback; --block-network allows only that.
pytestmark = pytest.mark.block_network(allowed_hosts=[r"^127\.0\.0\.1$"])

LETTER = "worcestershire-2011"


def letter_text() -> str:
    return example_text(LETTER)


def gold_letter() -> Letter:
    """The hand-labelled gold record."""
    return Letter.model_validate(gold_record(LETTER))


def gold_answer(text: str | None = None) -> dict[str, Any]:
    """The gold record, as the compact answer a perfect model would give."""
    return compact_answer_from_letter(gold_letter(), parse_structure(text or letter_text()))


def good() -> Reply:
    return chat(json.dumps(gold_answer()))


def label_mismatch() -> Reply:
    """Grade 1 (right) with the label of grade 3 (wrong): the validators must catch it."""
    return chat(json.dumps({**gold_answer(), "label": "Performs well"}))


class Sleeps:
    """Records the backoff waits the engine asks for, and waits them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(seconds)


def engine_for(
    base_url: str, sleeps: Sleeps | None = None, tmp_path: Path | None = None, **overrides: Any
) -> LLMEngine:
    values: dict[str, Any] = {
        "model": SCRIPTED_MODEL,
        "base_url": base_url,
        "backend": "llama-cpp-python",
        "timeout": 5.0,
        "transport_retries": 2,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
        "cache": tmp_path is not None,
        "cache_dir": tmp_path,
    }
    values.update(overrides)
    return LLMEngine(LLMConfig(**values), sleep=sleeps)


def run(engine: LLMEngine) -> Document:
    return extract(letter_text(), engine=engine, path=f"{LETTER}.txt")


def last_user_message(body: dict[str, Any]) -> str:
    content: str = body["messages"][-1]["content"]
    assert body["messages"][-1]["role"] == "user"
    return content


# --- The happy path and what it records --------------------------------------------------------


def test_SCRIPTED_correct_answer_passes_in_one_call() -> None:
    with scripted_server([good()]) as server:
        doc = run(engine_for(server.base_url))
    assert doc.validation.status == "passed", doc.validation.issues
    assert (doc.usage.calls, doc.usage.reasks) == (1, 0)
    assert (doc.usage.prompt_tokens, doc.usage.completion_tokens) == (1000, 100)
    assert doc.last_answer is None  # only kept when the record is not passed
    # The summary and bullet texts come from the letter, not from the answer.
    assert doc.letter is not None and doc.letter.summary is not None
    assert doc.letter.strengths[4].text.startswith("As in 2010, eight of the 12 fostering")
    body = server.bodies()[0]
    assert body["response_format"]["type"] == "json_object"
    assert body["max_tokens"] == 4096 and body["temperature"] == 0.0


# --- Transport faults: retried below the re-ask loop, never re-asks -------------------------------------


def test_SCRIPTED_429_honours_retry_after_and_is_not_a_reask() -> None:
    sleeps = Sleeps()
    script = [error(429, "slow down", {"retry-after": "0.3"}), good()]
    with scripted_server(script) as server:
        started = time.monotonic()
        doc = run(engine_for(server.base_url, sleeps))
    assert sleeps.waits == [0.3]
    assert server.seen[1].at - server.seen[0].at >= 0.3
    assert time.monotonic() - started >= 0.3
    assert doc.validation.status == "passed"
    assert (doc.usage.calls, doc.usage.reasks) == (1, 0)
    assert server.bodies()[0] == server.bodies()[1]  # the fault never entered the prompt


def test_SCRIPTED_500_then_success_backs_off_with_jitter() -> None:
    sleeps = Sleeps()
    with scripted_server([error(500, "boom"), good()]) as server:
        engine = engine_for(server.base_url, sleeps)
        doc = run(engine)
    assert len(sleeps.waits) == 1 and 0.005 <= sleeps.waits[0] <= 0.05
    assert doc.validation.status == "passed"
    assert (doc.usage.calls, doc.usage.reasks) == (1, 0)
    assert engine.totals.transport_retries == 1 and engine.totals.reasks == 0
    assert CORRECTION_HEADER not in json.dumps(server.bodies()[1])


def test_SCRIPTED_timeout_is_retried() -> None:
    sleeps = Sleeps()
    slow = good()
    slow.delay = 1.0  # longer than the client's timeout
    with scripted_server([slow, good()]) as server:
        doc = run(engine_for(server.base_url, sleeps, timeout=0.3))
    assert len(server.seen) == 2 and len(sleeps.waits) == 1
    assert doc.validation.status == "passed"
    assert (doc.usage.calls, doc.usage.reasks) == (1, 0)


def test_SCRIPTED_dropped_connection_is_retried() -> None:
    sleeps = Sleeps()
    with scripted_server([Reply(drop=True), good()]) as server:
        doc = run(engine_for(server.base_url, sleeps))
    assert len(server.seen) == 2 and len(sleeps.waits) == 1
    assert doc.validation.status == "passed"
    assert doc.usage.reasks == 0


def test_SCRIPTED_transient_faults_beyond_the_retries_fail_the_letter() -> None:
    sleeps = Sleeps()
    with scripted_server([error(503, "overloaded")] * 3) as server:
        doc = run(engine_for(server.base_url, sleeps, transport_retries=2))
    assert len(server.seen) == 3 and len(sleeps.waits) == 2
    assert doc.validation.status == "failed"
    assert doc.error is not None and doc.error.code == "llm"
    assert "HTTP 503: overloaded" in doc.error.message


def test_SCRIPTED_400_fails_the_letter_with_the_providers_message_and_no_retry() -> None:
    sleeps = Sleeps()
    script = [error(400, "This model's maximum context length is 8192 tokens")]
    with scripted_server(script) as server:
        engine = engine_for(server.base_url, sleeps)
        with pytest.raises(LLMError) as caught:
            engine.extract(load_text(letter_text(), path=f"{LETTER}.txt"))
    assert len(server.seen) == 1 and sleeps.waits == []
    assert "HTTP 400: This model's maximum context length is 8192 tokens" in str(caught.value)
    assert isinstance(caught.value.original, openai.BadRequestError)  # the provider's own error


def test_SCRIPTED_400_through_the_pipeline_is_a_failed_document() -> None:
    with scripted_server([error(400, "bad request: unknown field")]) as server:
        doc = run(engine_for(server.base_url))
    assert len(server.seen) == 1
    assert doc.validation.status == "failed" and doc.letter is None
    assert doc.error is not None and "unknown field" in doc.error.message


# --- Answers that fail: re-asked with corrections, kept when they never pass ------------------------


def test_SCRIPTED_malformed_json_is_reasked() -> None:
    with scripted_server([chat('{"local_authority": "Worc'), good()]) as server:
        doc = run(engine_for(server.base_url))
    assert doc.validation.status == "passed"
    assert (doc.usage.calls, doc.usage.reasks) == (2, 1)
    second = server.bodies()[1]
    assert last_user_message(second).startswith(
        CORRECTION_HEADER + "\n- The answer is not JSON of the schema:"
    )
    assert second["messages"][-2] == {"role": "assistant", "content": '{"local_authority": "Worc'}
    assert second["messages"][:2] == server.bodies()[0]["messages"]


def test_SCRIPTED_grade_label_mismatch_is_corrected_after_one_reask() -> None:
    with scripted_server([label_mismatch(), good()]) as server:
        doc = run(engine_for(server.base_url))
    correction = last_user_message(server.bodies()[1])
    assert CORRECTION_HEADER in correction
    # named as the answer names it ("label"), with what the letter says
    assert "- label:" in correction and "Performs poorly" in correction
    assert doc.validation.status == "passed"
    assert (doc.usage.calls, doc.usage.reasks) == (2, 1)
    assert doc.letter is not None and doc.letter.grade_label == "Performs poorly"


def test_SCRIPTED_answer_that_never_passes_is_kept_flagged_with_its_last_answer() -> None:
    wrong = [label_mismatch() for _ in range(3)]
    wrong[2] = chat(json.dumps({**gold_answer(), "label": "Performs excellently"}))
    with scripted_server(wrong) as server:
        doc = run(engine_for(server.base_url, max_reasks=2))
    assert len(server.seen) == 3
    assert (doc.usage.calls, doc.usage.reasks) == (3, 2)
    assert doc.validation.status == "flagged"
    assert doc.letter is not None and doc.letter.grade_label == "Performs excellently"
    assert any(i.field == "grade_label" for i in doc.validation.issues)
    assert doc.last_answer is not None and '"Performs excellently"' in doc.last_answer


def test_SCRIPTED_token_budget_stops_reasking() -> None:
    with scripted_server([label_mismatch(), good()]) as server:
        doc = run(engine_for(server.base_url, token_budget=1000))  # the first call uses 1100
    assert len(server.seen) == 1
    assert doc.validation.status == "flagged"
    assert (doc.usage.calls, doc.usage.reasks) == (1, 0)


def test_SCRIPTED_answer_that_never_parses_fails_with_the_last_completion() -> None:
    with scripted_server([chat("not json"), chat("still not"), chat("nope")]) as server:
        doc = run(engine_for(server.base_url))
    assert len(server.seen) == 3
    assert doc.validation.status == "failed" and doc.letter is None
    assert doc.error is not None and doc.error.code == "extraction_failed"
    assert doc.last_answer == "nope"
    assert doc.usage.calls == 3


def test_SCRIPTED_answer_cut_at_max_tokens_is_reasked_shorter() -> None:
    cut = chat('{"authority": "Worcestershire County Council", "ye', finish_reason="length")
    with scripted_server([cut, good()]) as server:
        doc = run(engine_for(server.base_url, max_output_tokens=64))
    correction = last_user_message(server.bodies()[1])
    assert "cut off at 64 tokens" in correction
    assert doc.validation.status == "passed"
    assert (doc.usage.calls, doc.usage.reasks) == (2, 1)


def test_SCRIPTED_a_missing_bullet_and_a_sentence_that_does_not_exist_are_corrected() -> None:
    answer = gold_answer()
    answer["strengths"] = answer["strengths"][:5]
    answer["inspections"][0] = (
        "99" + answer["inspections"][0][answer["inspections"][0].index(" |") :]
    )
    with scripted_server([chat(json.dumps(answer)), good()]) as server:
        doc = run(engine_for(server.base_url))
    correction = last_user_message(server.bodies()[1])
    assert "- strengths: 5 item(s) given, but 'Strengths' has 6 bullet(s)" in correction
    assert "- inspections: sentence number(s) [99] do not exist" in correction
    assert doc.validation.status == "passed"


# --- Cache and batches ---------------------------------------------------------------------------


def test_SCRIPTED_unchanged_letter_is_served_from_the_cache(tmp_path: Path) -> None:
    with scripted_server([good()]) as server:
        first = run(engine_for(server.base_url, tmp_path=tmp_path))
        engine = engine_for(server.base_url, tmp_path=tmp_path)
        second = run(engine)
    assert len(server.seen) == 1  # the second run made no call
    assert second.usage.cached and second.usage.calls == 0
    assert second.letter == first.letter
    # judged again by today's validators and cross-checked again by the pipeline
    assert second.validation == first.validation
    assert second.disagreements == first.disagreements
    assert engine.totals.cached == 1 and engine.totals.calls == 0


def test_SCRIPTED_no_cache_bypasses_the_cache(tmp_path: Path) -> None:
    with scripted_server([good(), good()]) as server:
        run(engine_for(server.base_url, tmp_path=tmp_path))
        engine = engine_for(server.base_url, tmp_path=tmp_path, cache=False)
        doc = run(engine)
    assert len(server.seen) == 2 and not doc.usage.cached


def test_SCRIPTED_aextract_runs_letters_concurrently() -> None:
    slow = [good(), good(), good()]
    for reply in slow:
        reply.delay = 0.3
    with scripted_server(slow) as server:
        engine = engine_for(server.base_url)
        doc = load_text(letter_text(), path=f"{LETTER}.txt")

        async def batch() -> list[Any]:
            return list(await asyncio.gather(*(engine.aextract(doc) for _ in range(3))))

        started = time.monotonic()
        results = asyncio.run(batch())
        elapsed = time.monotonic() - started
    assert len(results) == 3 and all(r.usage.calls == 1 for r in results)
    assert elapsed < 0.85  # three 0.3 s answers overlapped
    assert engine.totals.letters == 3 and engine.totals.calls == 3


def test_SCRIPTED_answers_always_cut_off_are_salvaged_and_flagged_not_dropped() -> None:
    cut = json.dumps({**gold_answer(), "grade": 4, "label": "Performs excellently"})[:700]
    with scripted_server([chat(cut, finish_reason="length") for _ in range(3)]) as server:
        doc = run(engine_for(server.base_url, max_output_tokens=64))
    assert len(server.seen) == 3
    assert (doc.usage.calls, doc.usage.reasks) == (3, 2)
    assert doc.validation.status == "flagged"
    assert doc.letter is not None and doc.letter.grade == 4  # what the model said, kept
    assert any(i.field.startswith("grade") for i in doc.validation.issues)
    assert doc.last_answer == cut


# --- An unnamed local server that wants the other schema shape ---------------------------------


def test_SCRIPTED_server_refusing_json_schema_gets_json_object_with_schema_without_retries() -> (
    None
):
    # llama-cpp-python 0.3.16 answers a json_schema response_format like this (HTTP 500)
    refusal = error(
        500,
        "1 validation error: {'loc': ('body', 'response_format', 'type'), "
        "'msg': \"Input should be 'text' or 'json_object'\"}",
    )
    sleeps = Sleeps()
    with scripted_server([refusal, good()]) as server:
        engine = engine_for(server.base_url, sleeps, backend=None)
        doc = run(engine)
    assert doc.validation.status == "passed", doc.validation.issues
    first, second = server.bodies()
    assert first["response_format"]["type"] == "json_schema"
    assert second["response_format"]["type"] == "json_object"
    assert "schema" in second["response_format"]
    assert sleeps.waits == []  # a refused shape is not a transient fault: no backoff
    assert doc.usage.reasks == 0
    assert doc.engine.mode is not None and "/json_object_schema/" in doc.engine.mode


def test_SCRIPTED_a_named_backend_keeps_its_shape_when_refused() -> None:
    refusal = error(500, "response_format: Input should be 'text' or 'json_object'")
    with scripted_server([refusal]) as server:
        engine = engine_for(server.base_url, backend="vllm", transport_retries=0)
        doc = run(engine)
    assert doc.validation.status == "failed"
    assert len(server.bodies()) == 1


@pytest.mark.parametrize(
    ("base_url", "backend", "expected"),
    [
        pytest.param(None, None, 8, id="openai-8"),
        pytest.param("http://127.0.0.1:8765/v1", "llama-cpp-python", 1, id="local-cpu-server-1"),
        pytest.param("http://127.0.0.1:11434/v1", None, 1, id="local-ollama-1"),
        pytest.param("http://localhost:8000/v1", "vllm", 16, id="local-vllm-batches-16"),
        pytest.param("https://llm.example.org/v1", "vllm", 16, id="remote-vllm-16"),
        pytest.param("https://llm.example.org/v1", None, 8, id="remote-server-8"),
    ],
)
def test_defaults_do_not_queue_a_local_cpu_server_nor_starve_a_hosted_one(
    base_url: str | None, backend: str | None, expected: int
) -> None:
    config = LLMConfig(
        model="m",
        base_url=base_url,
        backend=backend,  # type: ignore[arg-type]
        api_key="sk-test-not-a-real-key",
    )
    assert config.resolved_concurrency == expected
    # and a server other than OpenAI, maybe slow on a CPU, gets longer to answer
    assert config.resolved_timeout == (120.0 if config.resolved_backend == "openai" else 600.0)


# --- Letter text is data ---------------------------------------------------------------------


TEMPLATE_SYNTAX = "{% endraw %} {{ x }} {% if y %}{# note #} {%raw%}"


def test_SCRIPTED_a_letter_holding_template_syntax_extracts_and_is_sent_verbatim() -> None:
    # instructor renders messages through Jinja when a validation context is given; a letter
    # that holds Jinja syntax must reach the server as written and extract as any other.
    anchor = "The gap in attainment between 16-year-olds"
    text = letter_text().replace(anchor, f"{TEMPLATE_SYNTAX} {anchor}", 1)
    assert TEMPLATE_SYNTAX in text
    with scripted_server([good()]) as server:
        doc = extract(text, engine=engine_for(server.base_url), path=f"{LETTER}.txt")
    assert doc.error is None
    assert doc.letter is not None
    assert any(TEMPLATE_SYNTAX in f.text for f in doc.letter.strengths)
    assert doc.validation.status == "passed", doc.validation.issues
    sent = "\n".join(m["content"] for m in server.bodies()[0]["messages"])
    assert TEMPLATE_SYNTAX in sent
    assert "{{ '{' }}" not in sent


def test_SCRIPTED_a_batch_shares_one_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Making a client loads the TLS bundle (tens of ms of CPU): one a batch, not one a letter.
    made: list[object] = []

    class Counting(openai.AsyncOpenAI):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(openai, "AsyncOpenAI", Counting)
    paths = []
    for i in range(3):
        path = tmp_path / f"letter-{i}.txt"
        path.write_text(letter_text(), encoding="utf-8")
        paths.append(path)
    with scripted_server([good(), good(), good()]) as server:
        engine = engine_for(server.base_url)
        docs = [x.document for x in iter_extracted(paths, engine, concurrency=3)]
    assert [d.validation.status for d in docs] == ["passed"] * 3
    assert len(made) == 1


TEMPLATE_MARKUP = "Note {% endraw %} and {{ x }} and {% if %} and {# #} LETTER>>>"


def test_SCRIPTED_a_letter_holding_template_syntax_extracts_normally_and_is_sent_verbatim() -> None:
    # The markup sits in a summary paragraph of a real letter, so the letter still reads.
    text = letter_text().replace(
        "Children's services in Worcestershire County Council",
        TEMPLATE_MARKUP + "\n\nChildren's services in Worcestershire County Council",
        1,
    )
    assert TEMPLATE_MARKUP in text
    with scripted_server([chat(json.dumps(gold_answer(text)))]) as server:
        doc = extract(text, engine=engine_for(server.base_url), path=f"{LETTER}.txt")
    assert doc.error is None, doc.error
    assert doc.letter is not None and doc.letter.grade == 1
    user = last_user_message(server.bodies()[0])
    assert TEMPLATE_MARKUP in user  # not rendered, not escaped
    assert user.startswith("<<<LETTER2\n") and "\nLETTER>>>2\n" in user  # a frame it lacks


# --- Batches: one client, completion order -------------------------------------------------------


def test_SCRIPTED_a_batch_yields_letters_as_they_complete_on_one_client(tmp_path: Path) -> None:
    paths = []
    for i, delay in enumerate([0.6, 0.3, 0.0]):
        path = tmp_path / f"letter-{i}.txt"
        # a marker line in each letter lets the server answer it with its own delay
        path.write_text(f"{letter_text()}\nmarker-{i}\n", encoding="utf-8")
        paths.append((path, delay))
    script = []
    for i, (_, delay) in enumerate(paths):
        reply = good()
        reply.delay, reply.match = delay, f"marker-{i}"
        script.append(reply)
    with scripted_server(script) as server:
        engine = engine_for(server.base_url)
        connections = []
        real_new_client = engine.transport._new_client

        def counting_new_client() -> Any:
            connections.append(1)
            return real_new_client()

        engine.transport._new_client = counting_new_client  # type: ignore[method-assign]

        order = [x.path for x in iter_extracted([p for p, _ in paths], engine, concurrency=3)]
    assert order == [paths[2][0], paths[1][0], paths[0][0]]  # quickest first, not input order
    assert len(connections) == 1  # one client for the whole batch
    assert engine.totals.letters == 3


def test_SCRIPTED_engine_extract_many_yields_every_letter_once() -> None:
    docs = [load_text(letter_text(), path=f"{i}.txt") for i in range(4)]
    with scripted_server([good() for _ in docs]) as server:
        engine = engine_for(server.base_url)

        async def batch() -> list[str]:
            return [
                d.path
                async for d, r in engine.extract_many(docs, concurrency=2)
                if not isinstance(r, Exception)
            ]

        paths = asyncio.run(batch())
    assert sorted(paths) == [d.path for d in docs]
    assert len(server.seen) == 4


def test_SCRIPTED_answer_checks_in_a_worker_process_give_the_same_records() -> None:
    docs = [load_text(letter_text(), path=f"{i}.txt") for i in range(2)]
    results = {}
    for workers in (0, 1):
        with scripted_server([good(), label_mismatch(), good()]) as server:
            engine = LLMEngine(engine_for(server.base_url).config, workers=workers)

            async def batch(engine: LLMEngine = engine, workers: int = workers) -> list[Any]:
                async with engine.session():
                    # the batch checks in threads until its worker has started: wait for it,
                    # so that the checks below run there
                    while workers and engine.executor is None:
                        await asyncio.sleep(0.05)
                    return [r async for _, r in engine.extract_many(docs, concurrency=1)]

            results[workers] = asyncio.run(batch())
    for threaded, in_worker in zip(results[0], results[1], strict=True):
        assert threaded.letter == in_worker.letter
        assert threaded.issues == in_worker.issues
        assert threaded.usage.calls == in_worker.usage.calls
    assert [r.usage.calls for r in results[1]] == [1, 2]  # the mismatch was re-asked


# --- Request modes through instructor --------------------------------------------------------------


def tool_call(arguments: str) -> Reply:
    """A 200 chat completion answering with one call of the answer tool."""
    reply = chat("")
    message = reply.body["choices"][0]["message"]
    message["content"] = None
    message["tool_calls"] = [
        {
            "id": "call_SCRIPTED",
            "type": "function",
            "function": {"name": "CompactAnswer", "arguments": arguments},
        }
    ]
    return reply


def test_SCRIPTED_tools_strict_mode_sends_a_strict_tool_and_reads_its_call() -> None:
    # instructor builds the function tool from the answer model; the schema is not repeated in
    # the system message, and an answer with no tool call is re-asked like any unreadable one.
    with scripted_server([chat("no tool call here"), tool_call(json.dumps(gold_answer()))]) as (
        server
    ):
        doc = run(engine_for(server.base_url, backend="openai", mode="tools_strict"))
    assert doc.error is None, doc.error
    assert doc.validation.status == "passed", doc.validation.issues
    assert doc.usage.calls == 2
    first = server.bodies()[0]
    (tool,) = first["tools"]
    assert tool["function"]["name"] == "CompactAnswer"
    assert tool["function"]["strict"] is True
    assert "inspections" in tool["function"]["parameters"]["properties"]
    assert first["tool_choice"] == {"type": "function", "function": {"name": "CompactAnswer"}}
    assert "response_format" not in first
    assert '"properties"' not in first["messages"][0]["content"]


def test_SCRIPTED_a_batch_keeps_at_most_concurrency_requests_in_flight(tmp_path: Path) -> None:
    # The pipeline lets in twice as many letters as requests, so that letters being checked
    # leave no request slot idle; the server still never sees more than the limit at once.
    paths = []
    for i in range(6):
        path = tmp_path / f"letter-{i}.txt"
        path.write_text(letter_text(), encoding="utf-8")
        paths.append(path)
    script = []
    for _ in paths:
        reply = good()
        reply.delay = 0.2
        script.append(reply)
    with scripted_server(script) as server:
        docs = [
            x.document for x in iter_extracted(paths, engine_for(server.base_url), concurrency=2)
        ]
    assert [d.validation.status for d in docs] == ["passed"] * 6
    arrivals = [seen.at for seen in server.seen]
    # a request is at the server from its arrival until its answer, 0.2 s later
    in_flight = [sum(a <= t < a + 0.2 for a in arrivals) for t in arrivals]
    assert max(in_flight) == 2


def test_SCRIPTED_a_letter_in_backoff_holds_no_request_slot(tmp_path: Path) -> None:
    # Concurrency 1: while the first letter to ask waits out a 429's Retry-After, the other
    # letter's request goes out instead of queueing behind the wait.
    paths = []
    for i in range(2):
        path = tmp_path / f"letter-{i}.txt"
        path.write_text(f"{letter_text()}\nmarker-{i}\n", encoding="utf-8")
        paths.append(path)
    limited = error(429, "slow down", headers={"retry-after": "0.5"})
    with scripted_server([limited, good(), good()]) as server:
        docs = [
            x.document for x in iter_extracted(paths, engine_for(server.base_url), concurrency=1)
        ]
    assert [d.validation.status for d in docs] == ["passed", "passed"]
    asked = ["marker-0" in last_user_message(b) for b in server.bodies()]
    assert len(asked) == 3
    assert asked[1] != asked[0]  # the other letter, not the retry after the wait
    assert asked[2] == asked[0]


def test_SCRIPTED_a_cli_batch_with_llm_workers_passes_every_letter(
    tmp_path: Path,
) -> None:
    from ofsted_extractor.cli import main

    letters = tmp_path / "in"
    letters.mkdir()
    for i in range(3):
        (letters / f"letter-{i}.txt").write_text(letter_text(), encoding="utf-8")
    out = tmp_path / "out"
    with scripted_server([good() for _ in range(3)]) as server:
        code = main(
            [
                "run",
                str(letters),
                "--out",
                str(out),
                "--engine",
                "llm",
                "--base-url",
                server.base_url,
                "--model",
                SCRIPTED_MODEL,
                "--backend",
                "llama-cpp-python",
                "--concurrency",
                "3",
                "--llm-workers",
                "1",
                "--no-cache",
                "-q",
            ]
        )
    assert code == 0
    lines = (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    docs = [Document.model_validate_json(line) for line in lines]
    assert [d.validation.status for d in docs] == ["passed"] * 3
    assert len(server.seen) == 3
