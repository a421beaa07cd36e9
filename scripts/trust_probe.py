"""How far a `passed` record can be trusted on conversions the engine was not written for.

    python scripts/trust_probe.py --synthetic 50

Runs the rules engine on each hostile conversion (tests/hostile.py) of the real letters and of
N synthetic letters and counts, per conversion: passed and equal to gold (right), flagged, and
passed but different from gold (a broken promise: must be 0).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ofsted_extractor import extract  # noqa: E402
from ofsted_extractor.eval.scoring import score_letter  # noqa: E402
from ofsted_extractor.eval.synth import generate  # noqa: E402
from ofsted_extractor.schema import Letter  # noqa: E402
from tests.hostile import HOSTILE  # noqa: E402


def cases(n: int, seed: int) -> list[tuple[str, str, Letter]]:
    out = []
    for gold_path in sorted((ROOT / "eval" / "gold").glob("*.json")):
        data = json.loads(gold_path.read_text(encoding="utf-8"))
        text = (ROOT / "examples" / f"{gold_path.stem}.txt").read_text(encoding="utf-8")
        out.append((gold_path.stem, text, Letter.model_validate(data["letter"])))
    for letter in generate(n, seed):
        out.append((letter.id, letter.render("clean"), letter.gold))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2011)
    parser.add_argument("--show", type=int, default=2, help="broken promises shown per kind")
    args = parser.parse_args()
    letters = cases(args.synthetic, args.seed)
    broken_total = 0
    print(f"{'conversion':32s} {'right':>6s} {'flagged':>8s} {'BROKEN':>7s}")
    for name, transform in HOSTILE.items():
        right = flagged = broken = 0
        shown = 0
        for letter_id, text, gold in letters:
            doc = extract(transform(text), engine="rules")
            score = score_letter(doc.letter, gold, letter_id)
            if doc.validation.status != "passed":
                flagged += 1
            elif score.perfect:
                right += 1
            else:
                broken += 1
                if shown < args.show:
                    shown += 1
                    print(f"  {name} {letter_id}: {'; '.join(score.diffs)[:300]}")
        broken_total += broken
        print(f"{name:32s} {right:6d} {flagged:8d} {broken:7d}")
    return 1 if broken_total else 0


if __name__ == "__main__":
    raise SystemExit(main())
