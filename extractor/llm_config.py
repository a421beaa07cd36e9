"""Settings for the LLM engine: which server and model, how the schema is enforced, what it costs.

This module is plain data (no OpenAI or instructor import), so the CLI and the pipeline can build
and check a configuration without loading the SDK.

The backend table says, for each kind of server, which instructor mode to use and which
`response_format` shape makes the server *enforce* the answer schema. A shape a server does not
understand is either rejected (llama-cpp-python 0.3.16 answers HTTP 500 to `json_schema`) or
silently ignored (the base model then rambles until `max_tokens`), so the choice is per backend:

| backend             | instructor mode | response_format sent                                    |
|---------------------|-----------------|---------------------------------------------------------|
| `openai`            | `tools_strict`  | none: a strict function tool carries the schema         |
| `llama-cpp-python`  | `json`          | `{"type": "json_object", "schema": S}` (a grammar)      |
| `llama.cpp`         | `json`          | `{"type": "json_schema", "json_schema": {"schema": S}}` |
| `ollama`            | `json`          | `{"type": "json_schema", "json_schema": {"schema": S}}` |
| `vllm`              | `json`          | `{"type": "json_schema", "json_schema": {"schema": S}}` |
| `lmstudio`          | `json`          | `{"type": "json_schema", "json_schema": {"schema": S}}` |
| `openai-compatible` | `json`          | `{"type": "json_schema", "json_schema": {"schema": S}}` |
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlparse

from ofsted_extractor.errors import ConfigurationError

Backend = Literal[
    "openai", "llama-cpp-python", "llama.cpp", "ollama", "vllm", "lmstudio", "openai-compatible"
]
#: How the answer schema travels to the server (see the module table).
ResponseShape = Literal["tools", "json_object_schema", "json_schema", "none"]
#: instructor modes this engine knows how to drive, by lower-case name: `tools_strict` / `tools`,
#: a (strict) function tool carries the schema; `json`, `json_schema`, the schema in the system
#: message with the backend's `response_format`; `md_json`, instructor's schema message and no
#: `response_format` (engines/llm/client.py maps each to instructor's handler).
ModeName = Literal["tools_strict", "tools", "json", "json_schema", "md_json"]
AnswerFormat = Literal["compact", "full"]

DEFAULT_MODEL = "gpt-4o-mini"
OPENAI_BASE_URL = "https://api.openai.com/v1"
#: What a local server gets instead of a key: the SDK insists on a non-empty string.
LOCAL_PLACEHOLDER_KEY = "local-no-key"


@dataclass(frozen=True)
class BackendSpec:
    """One row of the backend table."""

    mode: ModeName
    shape: ResponseShape
    needs_key: bool
    note: str


BACKENDS: dict[Backend, BackendSpec] = {
    "openai": BackendSpec("tools_strict", "tools", True, "OpenAI: strict function tools."),
    "llama-cpp-python": BackendSpec(
        "json",
        "json_object_schema",
        False,
        "llama-cpp-python server: json_object + schema becomes a grammar "
        "(json_schema is rejected with HTTP 500 in 0.3.16).",
    ),
    "llama.cpp": BackendSpec("json", "json_schema", False, "llama.cpp C++ server (llama-server)."),
    "ollama": BackendSpec(
        "json", "json_schema", False, "Ollama /v1 endpoint (native /api/chat calls it `format`)."
    ),
    "vllm": BackendSpec("json", "json_schema", False, "vLLM guided decoding from json_schema."),
    "lmstudio": BackendSpec("json", "json_schema", False, "LM Studio structured output."),
    "openai-compatible": BackendSpec(
        "json", "json_schema", False, "Any other server that speaks response_format json_schema."
    ),
}

# Dollars per million tokens (input, output), from the providers' price pages (2025). Local
# servers cost nothing per token; an unknown model has no price and its cost stays None.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "o4-mini": (1.10, 4.40),
}

#: Requests in flight by default, per backend, for a server that is not a local CPU server.
DEFAULT_CONCURRENCY: dict[str, int] = {"openai": 8, "vllm": 16}
#: Backends that, on this machine, are taken for a CPU server answering one request at a time.
LOCAL_CPU_BACKENDS = frozenset(
    {"llama-cpp-python", "llama.cpp", "ollama", "lmstudio", "openai-compatible"}
)

#: Environment variables read by `LLMConfig.from_env` (besides the SDK's own two).
ENV_PREFIX = "OFSTED_LLM_"


def default_cache_dir() -> Path:
    """Where cached answers live: $OFSTED_EXTRACTOR_CACHE_DIR, else the XDG cache directory."""
    explicit = os.environ.get("OFSTED_EXTRACTOR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ofsted-extractor" / "llm"


def guess_backend(base_url: str | None) -> Backend:
    """Pick a backend from the base URL: none or api.openai.com is OpenAI; port 11434 is Ollama.

    Anything else is a generic OpenAI-compatible server; name the backend explicitly when it is
    llama-cpp-python, llama.cpp, vLLM or LM Studio, because their schema shapes differ.
    """
    if not base_url:
        return "openai"
    parsed = urlparse(base_url)
    if parsed.hostname == "api.openai.com":
        return "openai"
    if parsed.port == 11434:
        return "ollama"
    return "openai-compatible"


def parse_price(value: str) -> tuple[float, float]:
    """Read a price override 'IN,OUT' (dollars per million input/output tokens).

    Raises:
        ConfigurationError: the value is not two non-negative numbers.
    """
    try:
        parts = [float(p) for p in value.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 2 or min(parts) < 0:
        raise ConfigurationError(
            f"price {value!r} is not 'IN,OUT' dollars per million tokens, e.g. '0.15,0.60'"
        )
    return parts[0], parts[1]


@dataclass(frozen=True)
class LLMConfig:
    """Everything the LLM engine needs. Build it with `from_env(**overrides)` or directly.

    Attributes:
        model: the model name the server knows (e.g. 'gpt-4o-mini', 'llama3.1:8b').
        base_url: the server's /v1 URL; None means OpenAI's own endpoint.
        api_key: the key; None reads OPENAI_API_KEY. A local base_url needs none.
        backend: a row of `BACKENDS`; None guesses it from `base_url`.
        mode: instructor mode name (see `ModeName`); None takes the backend's.
        response_shape: how the schema is sent; None takes the backend's.
        answer_format: 'compact' (bullets by number, summary from the text) or 'full' (the
            whole Letter schema, kept to measure what compact saves).
        max_reasks: validation re-asks allowed after the first answer.
        token_budget: prompt + completion tokens one letter may use before re-asking stops.
        max_output_tokens: `max_tokens` for each call.
        timeout: seconds for one HTTP call; None is 120 against OpenAI and 600 against a local
            server, where a CPU writes a long answer at a few dozen tokens a second.
        transport_retries: attempts after the first for 429/5xx/timeouts/dropped connections.
        backoff_initial, backoff_max: exponential backoff bounds (seconds), with jitter.
        max_retry_after: the longest Retry-After (seconds) honoured before giving up.
        concurrency: requests in flight at once in a batch (which holds up to twice as many
            letters, so their checks overlap other requests); None is the backend's default:
            8 for OpenAI and any hosted or remote server, 16 for vLLM, 1 for a CPU server on
            this machine, which answers one request at a time (more would only queue there
            and run into the timeout). See `resolved_concurrency`.
        workers: worker processes for a batch's CPU work (answer checks, spans, validators, the
            rules cross-check); 0 keeps it in threads of the event loop's process. Worth it
            only when letters arrive faster than one core checks them (a fast server at high
            concurrency: scripts/bench_llm.py); never with a CPU server on the same machine.
            None is `resolved_workers`: 1 at a concurrency of 8 or more on a machine of two
            cores or more, else 0.
        temperature: sampling temperature (0 makes recordings repeatable).
        cache: read and write the answer cache.
        cache_dir: where the cache lives; None is `default_cache_dir()`.
        price: (input, output) dollars per million tokens for this model; None looks it up.
        prices: extra rows for the price table, by model (they win over the built-in rows).
    """

    model: str = DEFAULT_MODEL
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    backend: Backend | None = None
    mode: ModeName | None = None
    response_shape: ResponseShape | None = None
    answer_format: AnswerFormat = "compact"
    max_reasks: int = 2
    token_budget: int = 60_000
    max_output_tokens: int = 4096
    timeout: float | None = None
    transport_retries: int = 4
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    max_retry_after: float = 120.0
    concurrency: int | None = None
    workers: int | None = None
    temperature: float = 0.0
    cache: bool = True
    cache_dir: Path | None = None
    price: tuple[float, float] | None = None
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> LLMConfig:
        """Read the configuration from the environment, then apply explicit overrides.

        Reads OPENAI_API_KEY and OPENAI_BASE_URL (the SDK's own), and OFSTED_LLM_MODEL,
        OFSTED_LLM_BACKEND, OFSTED_LLM_MODE. Overrides whose value is None are ignored, so a CLI
        can pass every option it has.

        Args:
            env: the environment to read (default `os.environ`).
            **overrides: any `LLMConfig` field; `price` may also be an 'IN,OUT' string, and
                `no_cache=True` / `use_cache=False` are accepted for `cache=False`.

        Returns:
            A checked configuration.

        Raises:
            ConfigurationError: an unknown field or a bad value.
        """
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {
            "model": env.get(f"{ENV_PREFIX}MODEL") or DEFAULT_MODEL,
            "base_url": env.get("OPENAI_BASE_URL") or None,
            "api_key": env.get("OPENAI_API_KEY") or None,
            "backend": env.get(f"{ENV_PREFIX}BACKEND") or None,
            "mode": env.get(f"{ENV_PREFIX}MODE") or None,
        }
        overrides = {k: v for k, v in overrides.items() if v is not None}
        if overrides.pop("no_cache", False):
            overrides["cache"] = False
        if "use_cache" in overrides:  # the CLI's name for it
            overrides["cache"] = bool(overrides.pop("use_cache"))
        if isinstance(overrides.get("price"), str):
            overrides["price"] = parse_price(overrides["price"])
        if isinstance(overrides.get("cache_dir"), str):
            overrides["cache_dir"] = Path(overrides["cache_dir"])
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigurationError(f"unknown LLM setting(s): {', '.join(unknown)}")
        values.update(overrides)
        config = cls(**values)
        config.validate_values()
        return config

    # --- derived settings ----------------------------------------------------------------------

    @property
    def resolved_backend(self) -> Backend:
        """The backend named, or guessed from the base URL."""
        return self.backend or guess_backend(self.base_url)

    @property
    def resolved_mode(self) -> ModeName:
        """The instructor mode named, or the backend's."""
        return self.mode or BACKENDS[self.resolved_backend].mode

    @property
    def resolved_shape(self) -> ResponseShape:
        """The response_format shape named, or the backend's."""
        return self.response_shape or BACKENDS[self.resolved_backend].shape

    @property
    def resolved_concurrency(self) -> int:
        """Requests in flight at once: as set, else the backend's default (`DEFAULT_CONCURRENCY`).

        A server on this machine running llama.cpp, llama-cpp-python, Ollama or LM Studio is
        taken for a CPU server answering one request at a time: more would only queue there
        and run into the timeout. vLLM batches requests on a GPU wherever it runs. Any other
        server (hosted, or remote) is kept busy with 8.
        """
        if self.concurrency is not None:
            return self.concurrency
        backend = self.resolved_backend
        if self.is_local and backend in LOCAL_CPU_BACKENDS:
            return 1
        return DEFAULT_CONCURRENCY.get(backend, 8)

    @property
    def resolved_workers(self) -> int:
        """Worker processes for a batch's checks: as set, else 1 where requests come back
        faster than one core checks them (a concurrency of 8 or more, two cores or more:
        scripts/bench_llm.py measured 0.93 of ideal throughput with one, 0.85 with none), else
        0 (a CPU server on this machine needs the cores itself)."""
        if self.workers is not None:
            return self.workers
        return 1 if self.resolved_concurrency >= 8 and (os.cpu_count() or 1) >= 2 else 0

    @property
    def resolved_timeout(self) -> float:
        """Seconds for one HTTP call: as set, else 120 for OpenAI and 600 for local servers."""
        if self.timeout is not None:
            return self.timeout
        return 120.0 if self.resolved_backend == "openai" else 600.0

    @property
    def resolved_cache_dir(self) -> Path:
        """The cache directory in use."""
        return self.cache_dir or default_cache_dir()

    @property
    def is_local(self) -> bool:
        """True when the server is on this machine (no real key is needed)."""
        host = urlparse(self.base_url).hostname if self.base_url else None
        return host in ("127.0.0.1", "localhost", "::1", "0.0.0.0")

    def resolved_api_key(self) -> str:
        """The key to send: the configured one, or a placeholder for a keyless backend.

        Raises:
            ConfigurationError: the backend needs a key and none is set.
        """
        if self.api_key:
            return self.api_key
        if self.base_url and (self.is_local or not BACKENDS[self.resolved_backend].needs_key):
            return LOCAL_PLACEHOLDER_KEY
        raise ConfigurationError(
            "no API key for the OpenAI endpoint: set OPENAI_API_KEY, or point OPENAI_BASE_URL "
            "(--base-url) at a local OpenAI-compatible server such as "
            "http://127.0.0.1:11434/v1 (Ollama)"
        )

    def price_per_mtok(self) -> tuple[float, float] | None:
        """(input, output) dollars per million tokens, or None when unknown."""
        if self.price is not None:
            return self.price
        if self.model in self.prices:
            return self.prices[self.model]
        if self.resolved_backend != "openai" and self.is_local:
            return (0.0, 0.0)
        return PRICES_PER_MTOK.get(self.model)

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        """Dollars for the given tokens, or None when the model has no known price."""
        price = self.price_per_mtok()
        if price is None:
            return None
        return round((prompt_tokens * price[0] + completion_tokens * price[1]) / 1e6, 6)

    # --- checks --------------------------------------------------------------------------------

    def validate_values(self) -> None:
        """Check the values are usable, without needing a key.

        Raises:
            ConfigurationError: naming the first bad value.
        """
        if self.backend is not None and self.backend not in BACKENDS:
            raise ConfigurationError(
                f"unknown backend {self.backend!r}: choose one of {', '.join(BACKENDS)}"
            )
        if self.mode is not None and self.mode not in get_args(ModeName):
            raise ConfigurationError(
                f"unknown mode {self.mode!r}: choose one of {', '.join(get_args(ModeName))}"
            )
        if self.answer_format not in ("compact", "full"):
            raise ConfigurationError(
                f"answer_format must be compact or full, not {self.answer_format!r}"
            )
        if not self.model:
            raise ConfigurationError("no model name given")
        for name in ("max_reasks", "transport_retries", "workers"):
            if getattr(self, name) is not None and getattr(self, name) < 0:
                raise ConfigurationError(f"{name} must be 0 or more")
        for name in ("token_budget", "max_output_tokens", "concurrency"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ConfigurationError(f"{name} must be 1 or more")
        if self.timeout is not None and self.timeout <= 0:
            raise ConfigurationError("timeout must be more than 0 seconds")

    def check(self) -> None:
        """Check the configuration can make a call (values and key).

        Raises:
            ConfigurationError: a bad value, or no key for a backend that needs one.
        """
        self.validate_values()
        self.resolved_api_key()
