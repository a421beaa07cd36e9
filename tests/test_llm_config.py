"""LLMConfig: environment, backend/mode table, keys, prices; and the answer cache."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ofsted_extractor.engines.llm.cache import AnswerCache, cache_key
from ofsted_extractor.errors import ConfigurationError
from ofsted_extractor.llm_config import (
    BACKENDS,
    LOCAL_PLACEHOLDER_KEY,
    LLMConfig,
    default_cache_dir,
    guess_backend,
    parse_price,
)


def test_openai_without_a_key_is_a_configuration_error_that_says_what_to_do() -> None:
    config = LLMConfig.from_env(env={})
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY") as caught:
        config.check()
    assert "OPENAI_BASE_URL" in str(caught.value)


def test_sdk_env_vars_are_read() -> None:
    config = LLMConfig.from_env(
        env={"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}
    )
    assert config.api_key == "sk-test" and config.resolved_backend == "ollama"
    assert "sk-test" not in repr(config)  # the key never shows in logs


def test_a_local_server_needs_no_real_key() -> None:
    config = LLMConfig.from_env(env={"OPENAI_BASE_URL": "http://localhost:8080/v1"})
    config.check()
    assert config.resolved_api_key() == LOCAL_PLACEHOLDER_KEY


def test_overrides_win_and_none_overrides_are_ignored() -> None:
    config = LLMConfig.from_env(
        env={"OFSTED_LLM_MODEL": "from-env"}, model=None, max_reasks=5, no_cache=True, price="1,2"
    )
    assert config.model == "from-env" and config.max_reasks == 5
    assert config.cache is False and config.price == (1.0, 2.0)


@pytest.mark.parametrize(
    "overrides",
    [
        {"backend": "nonsense"},
        {"mode": "telepathy"},
        {"max_reasks": -1},
        {"concurrency": 0},
        {"timeout": 0},
        {"colour": "blue"},
    ],
    ids=lambda o: next(iter(o)),
)
def test_bad_values_are_configuration_errors(overrides: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        LLMConfig.from_env(env={}, **overrides)


@pytest.mark.parametrize(
    ("base_url", "backend"),
    [
        (None, "openai"),
        ("https://api.openai.com/v1", "openai"),
        ("http://127.0.0.1:11434/v1", "ollama"),
        ("http://127.0.0.1:8765/v1", "openai-compatible"),
    ],
)
def test_backend_is_guessed_from_the_base_url(base_url: str | None, backend: str) -> None:
    assert guess_backend(base_url) == backend


def test_every_backend_enforces_a_schema() -> None:
    # No backend may fall back to plain json_object: the local base model rambles without one.
    for name, spec in BACKENDS.items():
        assert spec.shape in ("tools", "json_object_schema", "json_schema"), name
    assert BACKENDS["llama-cpp-python"].shape == "json_object_schema"
    assert BACKENDS["openai"].mode == "tools_strict"


def test_cost_from_the_price_table_or_override() -> None:
    assert LLMConfig(model="gpt-4o-mini").cost(1_000_000, 1_000_000) == pytest.approx(0.75)
    assert LLMConfig(model="unknown-model").cost(10, 10) is None
    assert LLMConfig(model="x", base_url="http://127.0.0.1:1/v1").cost(10, 10) == 0.0
    assert LLMConfig(model="x", price=(1.0, 2.0)).cost(1_000_000, 0) == 1.0
    cli_style = LLMConfig.from_env(env={}, model="gpt-4o-mini", prices={"gpt-4o-mini": (1.0, 1.0)})
    assert cli_style.cost(1_000_000, 0) == 1.0
    assert LLMConfig.from_env(env={}, use_cache=False).cache is False
    with pytest.raises(ConfigurationError):
        parse_price("cheap")


def test_default_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFSTED_EXTRACTOR_CACHE_DIR", "/tmp/somewhere")
    assert default_cache_dir() == Path("/tmp/somewhere")
    monkeypatch.delenv("OFSTED_EXTRACTOR_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/tmp/xdg")
    assert default_cache_dir() == Path("/tmp/xdg/ofsted-extractor/llm")


def test_cache_round_trip_and_corrupt_entries_are_misses(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path)
    key = cache_key(text_sha256="abc", model="m")
    assert cache.get(key) is None
    cache.put(key, {"letter": {"grade": 1}})
    assert cache.get(key) == {"letter": {"grade": 1}}
    cache.path_for(key).write_text("{not json")
    assert cache.get(key) is None
    assert cache_key(a="1", b="2") == cache_key(b="2", a="1")
    assert cache_key(a="1") != cache_key(a="2")


def test_auto_without_an_llm_never_imports_the_llm_libraries() -> None:
    # openai and instructor are most of a run's start-up; a rules run needs neither.
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    code = (
        "import sys; from ofsted_extractor.pipeline import make_engine; "
        "engine = make_engine('auto'); "
        "print(type(engine).__name__, 'openai' in sys.modules, 'instructor' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["RulesEngine", "False", "False"]


# --- Layers ----------------------------------------------------------------------------------------

_SDK_IMPORT = re.compile(r"^\s*(?:import|from)\s+(openai|instructor|tenacity)\b", re.M)


def test_only_the_client_module_imports_the_sdk_instructor_or_tenacity() -> None:
    root = Path(__file__).resolve().parent.parent
    importers = sorted(
        str(path.relative_to(root))
        for folder in ("extractor", "validators", "eval", "prompts")
        for path in (root / folder).rglob("*.py")
        if _SDK_IMPORT.search(path.read_text(encoding="utf-8"))
    )
    assert importers == ["extractor/engines/llm/client.py"]


def test_the_answer_formats_load_without_the_sdk() -> None:
    code = (
        "import sys; import ofsted_extractor.engines.llm.answers, ofsted_extractor.engines.llm.messages; "
        "assert 'openai' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("base_url", "concurrency", "workers", "cores", "expected"),
    [
        pytest.param("https://api.example.org/v1", None, None, 2, 1, id="remote-8-two-cores"),
        pytest.param("https://api.example.org/v1", None, None, 1, 0, id="remote-8-one-core"),
        pytest.param("http://127.0.0.1:8080/v1", None, None, 8, 0, id="local-cpu-server"),
        pytest.param("http://127.0.0.1:8080/v1", 16, None, 2, 1, id="local-at-16"),
        pytest.param("https://api.example.org/v1", 4, None, 8, 0, id="remote-at-4"),
        pytest.param("https://api.example.org/v1", None, 3, 2, 3, id="as-set"),
    ],
)
def test_checks_go_to_a_worker_process_where_answers_outpace_one_core(
    monkeypatch: pytest.MonkeyPatch,
    base_url: str,
    concurrency: int | None,
    workers: int | None,
    cores: int,
    expected: int,
) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    config = LLMConfig(
        base_url=base_url, api_key="k-for-test", concurrency=concurrency, workers=workers
    )
    assert config.resolved_workers == expected
