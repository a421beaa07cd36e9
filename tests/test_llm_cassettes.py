"""The LLM engine against REAL recorded traffic: both real letters, the local Gemma 3 270M model.

The cassettes in cassettes/ were recorded over real HTTP from a llama-cpp-python 0.3.16 server
running the Gemma 3 270M *base* model (scripts/record_cassettes.sh). That model answers badly;
these tests assert what the pipeline does with its answers (parse or not, the validator issues,
the corrections the re-asks carry, the final status), never accuracy.

Requests are matched on method, path and body, so a changed prompt or schema cannot replay a
stale answer: it fails here with a message saying to re-record.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ofsted_extractor import extract
from ofsted_extractor.engines.llm import CORRECTION_HEADER, LLMEngine
from ofsted_extractor.llm_config import LOCAL_PLACEHOLDER_KEY, LLMConfig
from ofsted_extractor.schema import Document
from tests.conftest import REAL_LETTERS as LETTERS
from tests.conftest import ROOT
from tests.conftest import example_text as letter_text

CASSETTES = ROOT / "cassettes"
#: What the recording server calls its model (llama_cpp.server --model_alias).
RECORDED_MODEL = "gemma-3-270m-q4_k_m"
RERECORD = "re-record with scripts/record_cassettes.sh (needs the local server; see docs/llm.md)"

# Headers that may identify an account or a session; none may reach a cassette.
SECRET_HEADERS = {
    "authorization",
    "api-key",
    "x-api-key",
    "cookie",
    "set-cookie",
    "openai-organization",
    "openai-project",
    "x-request-id",
    "request-id",
}
# Cassettes keep what shows the exchange was real (the SDK's request headers, the server's
# `server`, `date` and `content-length`), minus anything that names an account or a session.


def _scrub_request(request: Any) -> Any:
    for name in list(request.headers):
        if name.lower() in SECRET_HEADERS:
            del request.headers[name]
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    response["headers"] = {
        k: v for k, v in response["headers"].items() if k.lower() not in SECRET_HEADERS
    }
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "match_on": ["method", "path", "body"],
        "filter_headers": sorted(SECRET_HEADERS),
        "before_record_request": _scrub_request,
        "before_record_response": _scrub_response,
        "ignore_localhost": False,
        "decode_compressed_response": True,
        "allow_playback_repeats": False,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


def recording_config(**overrides: Any) -> LLMConfig:
    """The settings the cassettes were recorded with. Changing any of them changes the request
    bodies, so the cassettes must then be re-recorded."""
    values: dict[str, Any] = {
        "model": RECORDED_MODEL,
        # the recording server's port (scripts/record_cassettes.sh sets it); replays match on
        # method, path and body, so any port replays
        "base_url": f"http://127.0.0.1:{os.environ.get('RECORD_PORT', '8765')}/v1",
        "backend": "llama-cpp-python",
        "max_output_tokens": 1024,
        "max_reasks": 2,
        "timeout": 600.0,
        "transport_retries": 0,  # a replay miss must fail at once, not back off
        "cache": False,
    }
    values.update(overrides)
    return LLMConfig(**values)


def interactions_of(cassette: Any) -> list[dict[str, Any]]:
    """The cassette's (request, response) pairs, as recorded or as loaded for replay."""
    return [
        {"request": {"body": req.body}, "response": resp}
        for req, resp in zip(cassette.requests, cassette.responses, strict=True)
    ]


def run(text: str, engine: LLMEngine, cassette: str, record_mode: str) -> Document:
    if record_mode == "none" and not (CASSETTES / f"{cassette}.yaml").exists():
        pytest.fail(f"cassette {cassette}.yaml is missing: {RERECORD}")
    doc = extract(text, engine=engine, path=f"{cassette}.txt")
    if doc.error and "CannotOverwriteExistingCassetteException" in doc.error.message:
        pytest.fail(
            f"cassette {cassette}.yaml is stale: a request (prompt, schema or settings) no "
            f"longer matches what was recorded. {RERECORD}"
        )
    return doc


def request_body(interaction: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(interaction["request"]["body"])
    return body


def response_json(interaction: dict[str, Any]) -> dict[str, Any]:
    body = interaction["response"]["body"]["string"]
    data: dict[str, Any] = json.loads(body)
    return data


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """One cassette per answer format and letter: cassettes/llm-<format>-<letter>.yaml."""
    node: Any = request.node
    fmt = "full" if "full" in node.originalname else "compact"
    return f"llm-{fmt}-{node.callspec.params['name']}"


@pytest.mark.vcr
@pytest.mark.parametrize("name", LETTERS)
def test_real_letter_compact_goes_through_validate_and_reask(
    name: str, default_cassette_name: str, vcr: Any, record_mode: str
) -> None:
    """Compact answers from the real model: every re-ask carries a correction, the usage counts
    every recorded call, and a record that never passes is kept, flagged, with its last answer."""
    doc = run(letter_text(name), LLMEngine(recording_config()), default_cassette_name, record_mode)
    interactions = interactions_of(vcr)
    if record_mode == "none":
        assert vcr.all_played, "every recorded request must be replayed"

    assert doc.usage.calls == len(interactions)
    assert doc.usage.reasks == len(interactions) - 1
    assert doc.usage.prompt_tokens == sum(
        response_json(i)["usage"]["prompt_tokens"] for i in interactions
    )
    assert doc.usage.completion_tokens == sum(
        response_json(i)["usage"]["completion_tokens"] for i in interactions
    )
    assert doc.usage.cost_usd == 0.0  # a local server costs nothing per token
    assert doc.engine.prompt_version == "extract_letter.v2"
    assert doc.engine.mode == "llama-cpp-python/json/json_object_schema/compact"

    first = request_body(interactions[0])
    # The schema is enforced the way this server understands: json_object + schema (a grammar).
    assert first["response_format"]["type"] == "json_object"
    assert "inspections" in first["response_format"]["schema"]["properties"]
    # the letter goes as data between marker lines, followed by the bullet and sentence indexes
    assert first["messages"][-1]["content"].startswith("<<<LETTER\n")
    assert "\nLETTER>>>\n\nBullets, in order:" in first["messages"][-1]["content"]
    # Every later request is the first one plus the last answer and its corrections (the
    # validators', or ours for an answer cut at max_tokens or not JSON of the schema).
    for before, later in itertools.pairwise(interactions):
        messages = request_body(later)["messages"]
        assert messages[:2] == first["messages"]
        answer = response_json(before)["choices"][0]["message"]["content"]
        assert messages[2] == {"role": "assistant", "content": answer}
        assert messages[3]["role"] == "user"
        assert messages[3]["content"].startswith(CORRECTION_HEADER)
    assert len(interactions) <= 1 + recording_config().max_reasks

    last_content = response_json(interactions[-1])["choices"][0]["message"]["content"]
    assert all(response_json(i)["model"] == RECORDED_MODEL for i in interactions)
    # Kept, not dropped: the 270M model's answers never pass (on both letters every answer is
    # complete JSON that copies the few-shot example's readings and says the wrong grade), so
    # the record is built from the last answer, flagged with the validators' issues, and the
    # last raw answer is kept.
    assert doc.validation.status == "flagged"
    assert doc.last_answer == last_content
    codes = {i.code for i in doc.validation.issues if i.severity == "error"}
    assert "grade.verdict_mismatch" in codes
    assert doc.letter is not None and doc.letter.summary is not None  # from the text, not the model
    # Where it and the rules engine differ, both values are reported, the LLM's kept.
    by_field = {d.field: d for d in doc.disagreements}
    assert by_field["grade"].supported_by_text == "rules"
    assert doc.letter.grade == int(by_field["grade"].llm or 0)


@pytest.mark.vcr
@pytest.mark.parametrize("name", LETTERS)
def test_real_letter_full_schema_for_token_comparison(
    name: str, default_cassette_name: str, vcr: Any, record_mode: str
) -> None:
    """The plain 'fill the whole Letter schema' call, kept to measure what compact saves."""
    cfg = recording_config(answer_format="full", max_reasks=0)
    doc = run(letter_text(name), LLMEngine(cfg), default_cassette_name, record_mode)
    interactions = interactions_of(vcr)
    if record_mode == "none":
        assert vcr.all_played
    assert len(interactions) == 1
    assert doc.usage.calls == 1 and doc.usage.reasks == 0
    assert doc.engine.prompt_version == "extract_letter_full.v2"
    schema = request_body(interactions[0])["response_format"]["schema"]
    assert "summary" in schema["properties"]  # the model is asked to copy the text
    assert (
        doc.usage.completion_tokens == response_json(interactions[0])["usage"]["completion_tokens"]
    )


# --- Hygiene --------------------------------------------------------------------------------------

_KEY_LIKE = re.compile(r"sk-[A-Za-z0-9_-]{8,}|Bearer\s+\S+|" + re.escape(LOCAL_PLACEHOLDER_KEY))


def all_cassettes() -> list[Path]:
    return sorted(CASSETTES.glob("*.yaml"))


def test_every_expected_cassette_is_there() -> None:
    names = {p.stem for p in all_cassettes()}
    expected = {f"llm-{fmt}-{name}" for fmt in ("compact", "full") for name in LETTERS}
    assert expected <= names, f"missing {sorted(expected - names)}: {RERECORD}"


@pytest.mark.parametrize("path", all_cassettes(), ids=lambda p: p.name)
def test_no_cassette_holds_a_key_a_cookie_or_an_organisation(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    assert not _KEY_LIKE.search(raw), f"{path.name} holds something like an API key"
    data = yaml.safe_load(raw)
    for interaction in data["interactions"]:
        for part in ("request", "response"):
            headers = {h.lower() for h in interaction[part].get("headers", {})}
            assert not headers & SECRET_HEADERS, f"{path.name} {part}: {headers & SECRET_HEADERS}"


@pytest.mark.parametrize("path", all_cassettes(), ids=lambda p: p.name)
def test_cassettes_show_the_real_local_server_and_its_model(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for interaction in data["interactions"]:
        assert interaction["request"]["uri"].startswith("http://127.0.0.1:")
        headers = {k.lower(): v for k, v in interaction["response"]["headers"].items()}
        assert headers.get("server") == ["uvicorn"], headers  # llama_cpp.server runs on uvicorn
        assert "date" in headers
        assert json.loads(interaction["response"]["body"]["string"])["model"] == RECORDED_MODEL
