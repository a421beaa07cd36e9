"""Measure extraction time with the rules engine: the real letters, and synthetic ones.

    python scripts/bench_extract.py            # the two example letters, 20 rounds
    python scripts/bench_extract.py --synthetic 500

Prints seconds per letter (load + extract + validate, no process start-up) so the README's
"under 2 s" claim is a measured number.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ofsted_extractor import extract_file

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--synthetic", type=int, default=0, help="also time N synthetic letters")
    parser.add_argument(
        "--jobs", type=int, nargs="*", default=[2], help="also time the CLI with these --jobs"
    )
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
            t0, cpu0 = time.perf_counter(), time.process_time()
            for p in letters:
                extract_file(p, engine="rules")
            total, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            n = max(len(letters), 1)
            print(
                f"{len(letters)} synthetic letters through the API: {total:.2f} s, "
                f"{total / n * 1000:.2f} ms per letter ({cpu / n * 1000:.2f} ms of CPU)"
            )
            # The CLI, start-up and the store included, with one and with several processes.
            for jobs in sorted({1, *args.jobs}):
                out = Path(tmp) / f"out-{jobs}"
                command = [sys.executable, "-m", "ofsted_extractor", "run", *map(str, letters)]
                t0 = time.perf_counter()
                subprocess.run(
                    [*command, "--out", str(out), "--engine", "rules", "-q", "--jobs", str(jobs)],
                    check=True,
                )
                wall = time.perf_counter() - t0
                print(
                    f"the CLI, --jobs {jobs}: {len(letters) / wall:.0f} letters a second "
                    f"({wall / n * 1000:.2f} ms per letter, start-up included)"
                )


if __name__ == "__main__":
    main()
