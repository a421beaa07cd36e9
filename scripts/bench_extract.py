"""Measure extraction time with the rules engine: the real letters, and synthetic ones.

    python scripts/bench_extract.py            # the two example letters, 20 rounds
    python scripts/bench_extract.py --synthetic 500

Prints seconds per letter (load + extract + validate, no process start-up) so the README's
"under 2 s" claim is a measured number.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from ofsted_extractor import extract_file

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--synthetic", type=int, default=0, help="also time N synthetic letters")
    args = parser.parse_args()

    files = sorted((ROOT / "examples").glob("*.txt"))
    for f in files:
        times = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            doc = extract_file(f, engine="rules")
            times.append(time.perf_counter() - t0)
        print(
            f"{f.name}: median {statistics.median(times) * 1000:.1f} ms, "
            f"max {max(times) * 1000:.1f} ms over {args.rounds} rounds "
            f"(status {doc.validation.status})"
        )
    if args.synthetic:
        from ofsted_extractor.eval.synth import write

        with tempfile.TemporaryDirectory() as tmp:
            write(Path(tmp), args.synthetic, seed=1, surfaces=("clean",))
            letters = sorted(p for p in Path(tmp).rglob("*") if p.suffix in (".txt", ".md"))
            t0 = time.perf_counter()
            for p in letters:
                extract_file(p, engine="rules")
            total = time.perf_counter() - t0
            print(
                f"{len(letters)} synthetic letters: {total:.2f} s, "
                f"{total / max(len(letters), 1) * 1000:.1f} ms per letter"
            )


if __name__ == "__main__":
    main()
