"""Count the tokens of a *correct* answer in the compact and in the full answer format.

    python scripts/token_economy.py --tokenize-url http://127.0.0.1:8765/extras/tokenize
    PYTHONPATH=. /work/llama-venv/bin/python scripts/token_economy.py --gguf MODEL.gguf

The answers are the hand-labelled gold records (eval/gold), written the way each format asks a
model to write them: the full Letter with every text copied, or the compact answer that refers
to bullets by number. Tokens are counted by the local llama-cpp-python server's tokenizer (the
model the cassettes were recorded with), so the numbers in docs/llm.md come from this command.
Without --tokenize-url it prints characters only.
"""

from __future__ import annotations

import argparse
import json
import urllib.request
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from ofsted_extractor.engines.llm.answers import (
    CompactAnswer,
    FullAnswer,
    compact_answer_from_letter,
    letter_from_answer,
)
from ofsted_extractor.engines.rules import parse_structure
from ofsted_extractor.loading import load_text
from ofsted_extractor.schema import Letter

ROOT = Path(__file__).resolve().parents[1]


def compact_answer(gold: Letter, text: str) -> dict[str, Any]:
    """The compact answer a perfect model gives for this gold record of this letter."""
    return compact_answer_from_letter(gold, parse_structure(text))


def full_answer(gold: Letter) -> dict[str, Any]:
    """The full Letter a perfect model gives: every text copied, no spans."""

    def without_spans(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: without_spans(v) for k, v in value.items() if k != "span"}
        if isinstance(value, list):
            return [without_spans(v) for v in value]
        return value

    data: dict[str, Any] = without_spans(
        gold.model_dump(mode="json", exclude={"provenance", "unfilled"})
    )
    return data


def gguf_counter(path: str) -> Callable[[str], int]:
    """Count tokens with a GGUF model's tokenizer (its vocabulary only: no weights loaded)."""
    from llama_cpp import Llama  # type: ignore[import-not-found]

    llm = Llama(model_path=path, vocab_only=True, verbose=False)
    return lambda text: len(llm.tokenize(text.encode("utf-8"), add_bos=False))


def count_tokens(url: str | None, text: str) -> int | None:
    if url is None:
        return None
    request = urllib.request.Request(
        url, data=json.dumps({"input": text}).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return len(json.loads(response.read())["tokens"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokenize-url", help="a llama-cpp-python server's /extras/tokenize")
    parser.add_argument("--gguf", help="a GGUF model file whose tokenizer counts the tokens")
    args = parser.parse_args()
    counter: Callable[[str], int | None] = (
        gguf_counter(args.gguf) if args.gguf else partial(count_tokens, args.tokenize_url)
    )
    worst = 0.0
    print("| letter | full answer | compact answer | compact / full |")
    print("|---|---|---|---|")
    for path in sorted((ROOT / "eval" / "gold").glob("*.json")):
        gold = Letter.model_validate(json.loads(path.read_text(encoding="utf-8"))["letter"])
        text = load_text((ROOT / "examples" / f"{path.stem}.txt").read_text(encoding="utf-8")).text
        full = json.dumps(full_answer(gold), ensure_ascii=False)
        compact = json.dumps(compact_answer(gold, text), ensure_ascii=False)
        # both must be answers their answer model accepts, and each must stand for the whole
        # gold record: no field lost in the compact one
        for model, answer in ((FullAnswer, full), (CompactAnswer, compact)):
            back = letter_from_answer(model.model_validate_json(answer), parse_structure(text))
            if full_answer(back) != full_answer(gold):
                print(f"{path.stem}: the {model.__name__} does not give back the gold record")
                raise SystemExit(1)
        nf, nc = counter(full), counter(compact)
        unit = "tokens" if nf is not None and nc is not None else "characters"
        a, b = (nf, nc) if nf is not None and nc is not None else (len(full), len(compact))
        print(f"| {path.stem} | {a:,} {unit} | {b:,} {unit} | {b / a:.0%} |")
        worst = max(worst, b / a)
    for name, model in (("full Letter", FullAnswer), ("compact answer", CompactAnswer)):
        schema = json.dumps(model.model_json_schema())
        n = counter(schema)
        print(
            f"schema of the {name}: {n if n is not None else len(schema):,} "
            f"{'tokens' if n is not None else 'characters'}"
        )
    if worst > 1 / 3:
        print(f"a compact answer is {worst:.0%} of the full one: more than a third")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
