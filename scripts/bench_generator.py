"""Benchmark the synthetic letter generator: letters with gold written per second.

    .venv/bin/python scripts/bench_generator.py [N] [--pdf]

Writes N letters (default 1000) in every text surface form, with gold JSON, to a temp folder,
and prints the time taken; with --pdf, also times N (or at most 200) PDFs separately.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from ofsted_extractor.eval.synth import TEXT_SURFACES, pdf_available, write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pdf", action="store_true", help="also time the pdf surface")
    args = parser.parse_args()
    for surface in TEXT_SURFACES:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            write(tmp, args.n, args.seed, [surface])
            dt = time.perf_counter() - t0
        print(f"{surface:<10} {args.n} letters + gold in {dt:.2f} s ({args.n / dt:.0f} letters/s)")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write(tmp, args.n, args.seed, TEXT_SURFACES)
        dt = time.perf_counter() - t0
    total = args.n * len(TEXT_SURFACES)
    print(f"all text   {total} files + gold in {dt:.2f} s ({total / dt:.0f} letters/s)")
    if args.pdf and pdf_available():
        n = min(args.n, 200)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            write(tmp, n, args.seed, ["pdf"])
            dt = time.perf_counter() - t0
        print(f"pdf        {n} letters + gold in {dt:.2f} s ({n / dt:.1f} letters/s)")


if __name__ == "__main__":
    main()
