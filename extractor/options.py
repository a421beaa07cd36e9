"""The engine options every command that runs an engine shares, and the engine they build.

Kept apart from `extractor.cli` so that `eval.cli` can use them without importing the product's
CLI (which imports the eval harness for its `eval` command).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import get_args

from ofsted_extractor.engines.base import Engine
from ofsted_extractor.errors import ConfigurationError
from ofsted_extractor.llm_config import BACKENDS, OPENAI_BASE_URL, LLMConfig, ModeName
from ofsted_extractor.pipeline import ENGINE_NAMES, make_engine

MODES: tuple[str, ...] = get_args(ModeName)


def _checked(kind: type, test: Callable[[float], bool], rule: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not test(value):
            raise argparse.ArgumentTypeError(f"{text!r}: must be {rule}")
        return value

    parse.__name__ = f"{kind.__name__} {rule}"
    return parse


#: argparse types: a bad value is a usage error (exit 2) whatever the engine.
positive_int = _checked(int, lambda v: v >= 1, "1 or more")
non_negative_int = _checked(int, lambda v: v >= 0, "0 or more")
positive_float = _checked(float, lambda v: v > 0, "more than 0")


def mode_name(text: str) -> str:
    """--mode as the help writes it (TOOLS) or in lower case (tools)."""
    value = text.strip().lower()
    if value not in MODES:
        raise argparse.ArgumentTypeError(
            f"unknown mode {text!r}: choose one of {', '.join(m.upper() for m in MODES)}"
        )
    return value


def backend_name(text: str) -> str:
    """--backend, case-insensitive."""
    value = text.strip().lower()
    if value not in BACKENDS:
        raise argparse.ArgumentTypeError(
            f"unknown backend {text!r}: choose one of {', '.join(BACKENDS)}"
        )
    return value


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every command that runs an engine shares."""
    g = parser.add_argument_group("engine")
    g.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        type=str.lower,
        default="auto",
        help="rules (no LLM), llm, or auto: the LLM when one is configured, else rules (default)",
    )
    g.add_argument("--model", help="LLM model name (default: $OFSTED_LLM_MODEL or gpt-4o-mini)")
    g.add_argument("--base-url", help="OpenAI-compatible server URL (default: $OPENAI_BASE_URL)")
    g.add_argument(
        "--backend",
        type=backend_name,
        help="server kind, which sets how the schema is enforced: openai, llama-cpp-python, "
        "llama.cpp, ollama, vllm, lmstudio (default: guessed from the URL)",
    )
    g.add_argument(
        "--mode",
        type=mode_name,
        help=f"instructor mode override, any case: {', '.join(m.upper() for m in MODES)}",
    )
    g.add_argument(
        "--max-reasks",
        type=non_negative_int,
        help="validator-driven re-asks per letter (default 2)",
    )
    g.add_argument("--token-budget", type=positive_int, help="tokens per letter, all attempts")
    g.add_argument("--timeout", type=positive_float, help="seconds per HTTP request")
    g.add_argument(
        "--concurrency",
        type=positive_int,
        help="LLM requests in flight at once (default per backend: 8 on OpenAI and any hosted or "
        "remote server, 16 on vLLM, 1 on a CPU server on this machine: llama.cpp, "
        "llama-cpp-python, Ollama, LM Studio; see docs/llm.md)",
    )
    g.add_argument(
        "--llm-workers",
        type=non_negative_int,
        help="worker processes for an LLM batch's answer checks, spans and cross-check "
        "(default: 1 at a concurrency of 8 or more on two cores or more, which keeps a fast "
        "server busy; else 0, threads of the CLI's process; see docs/llm.md)",
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
    """Build the engine the options ask for.

    The LLM options are checked whatever the engine (a bad value is an error with
    `--engine rules` too). With `--engine auto`, `notify` gets one line saying which engine and
    model were chosen and why, before any letter is read.

    Raises:
        ConfigurationError: a bad option value, or `--engine llm` without a usable setup.
    """
    overrides = {
        "model": args.model,
        "base_url": args.base_url,
        "backend": args.backend,
        "mode": args.mode,
        "max_reasks": args.max_reasks,
        "token_budget": args.token_budget,
        "timeout": args.timeout,
        "concurrency": args.concurrency,
        "workers": args.llm_workers,
        "cache_dir": args.cache_dir,
        "use_cache": False if args.no_cache else None,
        "prices": _parse_prices(args.price) or None,
    }
    given = {k: v for k, v in overrides.items() if v is not None}
    if args.engine == "rules":
        LLMConfig.from_env(env={}, **given)  # the options' values, checked and dropped
        return make_engine("rules")
    config = LLMConfig.from_env(**given)
    if args.engine == "llm":
        return make_engine("llm", llm_config=config, notify=notify)
    reasons: list[str] = []
    engine = make_engine("auto", llm_config=config, notify=reasons.append)
    notify(auto_choice(engine, config, reasons))
    return engine


def auto_choice(engine: Engine, config: LLMConfig, reasons: list[str]) -> str:
    """The one line `--engine auto` prints: the engine, the model, and why."""
    if getattr(engine, "config", None) is None:
        # make_engine's notice ends "; using the rules engine": said once, first, here
        why = "; ".join(r.removesuffix("; using the rules engine") for r in reasons)
        return f"--engine auto chose the rules engine (no LLM, no model): {why or 'no LLM set up'}"
    where = config.base_url or OPENAI_BASE_URL
    if config.base_url is None:
        because = "OPENAI_API_KEY is set and no OPENAI_BASE_URL (--base-url) is given"
    else:
        because = "OPENAI_BASE_URL (--base-url) is set"
    return (
        f"--engine auto chose the llm engine: model {config.model} on {config.resolved_backend} "
        f"at {where}, because {because}; letters are sent there (--engine rules keeps them here)"
    )


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
