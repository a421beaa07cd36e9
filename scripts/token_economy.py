"""Count the tokens of a *correct* answer in the compact and in the full answer format.

    python scripts/token_economy.py --tokenize-url http://127.0.0.1:8765/extras/tokenize

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
from pathlib import Path
from typing import Any

from ofsted_extractor.engines.llm import CompactAnswer, FullAnswer
from ofsted_extractor.schema import Letter

ROOT = Path(__file__).resolve().parents[1]


def compact_answer(gold: Letter) -> dict[str, Any]:
    """The compact answer a perfect model gives for this gold record."""

    def bullets(findings: list[Any]) -> list[dict[str, Any]]:
        return [
            {
                "bullet": i,
                "topic": f.topic,
                "counts": [c.model_dump(exclude={"span"}) for c in f.counts],
            }
            for i, f in enumerate(findings, 1)
        ]

    return {
        "local_authority": gold.local_authority,
        "assessment_year": gold.assessment_year,
        "letter_date": gold.letter_date.isoformat() if gold.letter_date else None,
        "recipient_name": gold.recipient.name if gold.recipient else None,
        "recipient_role": gold.recipient.role if gold.recipient else None,
        "signatory_name": gold.signatory.name if gold.signatory else None,
        "signatory_role": gold.signatory.role if gold.signatory else None,
        "grade": gold.grade,
        "grade_label": gold.grade_label,
        "strengths": bullets(gold.strengths),
        "areas_for_improvement": bullets(gold.areas_for_improvement),
        "safeguarding_inspections": [
            i.model_dump(exclude={"span"}) for i in gold.safeguarding_inspections
        ],
    }


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
    args = parser.parse_args()
    print("| letter | full answer | compact answer | saved |")
    print("|---|---|---|---|")
    for path in sorted((ROOT / "eval" / "gold").glob("*.json")):
        gold = Letter.model_validate(json.loads(path.read_text(encoding="utf-8"))["letter"])
        full = json.dumps(full_answer(gold), ensure_ascii=False)
        compact = json.dumps(compact_answer(gold), ensure_ascii=False)
        # both must be answers their answer model accepts (checks run only with a letter)
        FullAnswer.model_validate_json(full)
        CompactAnswer.model_validate_json(compact)
        nf, nc = count_tokens(args.tokenize_url, full), count_tokens(args.tokenize_url, compact)
        unit = "tokens" if nf is not None and nc is not None else "characters"
        a, b = (nf, nc) if nf is not None and nc is not None else (len(full), len(compact))
        print(f"| {path.stem} | {a:,} {unit} | {b:,} {unit} | {1 - b / a:.0%} |")
    for name, model in (("full Letter", FullAnswer), ("compact answer", CompactAnswer)):
        schema = json.dumps(model.model_json_schema())
        n = count_tokens(args.tokenize_url, schema)
        print(
            f"schema of the {name}: {n if n is not None else len(schema):,} "
            f"{'tokens' if n is not None else 'characters'}"
        )


if __name__ == "__main__":
    main()
