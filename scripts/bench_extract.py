"""How fast the rules path is: CPU per letter through the Python API, letters per second
through the CLI with one and with several worker processes, and time against letter length.

    python scripts/bench_extract.py --synthetic 1000      # what the README quotes
    python scripts/bench_extract.py --smoke               # CI: a few letters, no claims

Through the API it counts the CPU time (`time.process_time`) of `extract_file` on each letter:
reading, normalising, the rules engine, the validators and the Document, nothing else. Through
the CLI it counts wall time from process start to exit (start-up, the store and the exports
included), and what each letter adds to a batch twice as long (start-up left out). A
benchmark, not a test: it prints numbers; it fails only if a run fails. The numbers depend on
the machine and on what else it is doing: quote them with the command.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ofsted_extractor import extract_file
from ofsted_extractor.eval.synth import generate
from ofsted_extractor.loading import load_file

ROOT = Path(__file__).resolve().parents[1]


def api_cpu_ms(paths: list[Path], rounds: int = 1) -> float:
    """Median over `rounds` of the CPU milliseconds a letter costs through `extract_file`."""
    extract_file(paths[0], engine="rules")  # imports and first-use compilation off the clock
    per_round = []
    for _ in range(rounds):
        cpu0 = time.process_time()
        for p in paths:
            extract_file(p, engine="rules")
        per_round.append((time.process_time() - cpu0) / len(paths) * 1000)
    return statistics.median(per_round)


def load_cpu_ms(paths: list[Path], rounds: int) -> float:
    """Median over `rounds` of the CPU milliseconds `load_file` alone takes on a file."""
    per_round = []
    for _ in range(rounds):
        cpu0 = time.process_time()
        for p in paths:
            load_file(p)
        per_round.append((time.process_time() - cpu0) / len(paths) * 1000)
    return statistics.median(per_round)


def pdfium_cpu_ms(paths: list[Path], rounds: int) -> float:
    """Median over `rounds` of the CPU milliseconds PDFium takes to open a PDF and give each
    page's text, nothing else: the floor under reading one."""
    import pypdfium2 as pdfium

    datas = [p.read_bytes() for p in paths]
    per_round = []
    for _ in range(rounds):
        cpu0 = time.process_time()
        for data in datas:
            document = pdfium.PdfDocument(data)
            for page in document:
                textpage = page.get_textpage()
                textpage.get_text_range()
                textpage.close()
                page.close()
            document.close()
        per_round.append((time.process_time() - cpu0) / len(paths) * 1000)
    return statistics.median(per_round)


def cli_seconds(paths: list[Path], out: Path, jobs: int) -> float:
    """Wall seconds of one `ofsted-extract run` over `paths` (a fresh store)."""
    command = [sys.executable, "-m", "ofsted_extractor", "run", *map(str, paths)]
    t0 = time.perf_counter()
    subprocess.run(
        [*command, "--out", str(out), "--engine", "rules", "-q", "--jobs", str(jobs)], check=True
    )
    return time.perf_counter() - t0


def write_letters(folder: Path, n: int, seed: int, *, stretch: int = 1) -> list[Path]:
    """`n` synthetic letters as clean text; with `stretch` k, each letter's last list also
    carries the bullets of the k - 1 letters after it (a longer letter of the same kind, its
    bullets all different)."""
    texts = [letter.render("clean") for letter in generate(n, seed)]
    bullets = [[ln for ln in t.split("\n") if ln.startswith("- ")] for t in texts]
    paths = []
    for i, text in enumerate(texts):
        if stretch > 1:
            lines = text.split("\n")
            last = max(k for k, line in enumerate(lines) if line.startswith("- "))
            for k in range(1, stretch):
                lines.insert(last + 1, "\n".join(bullets[(i + k) % n]))
            text = "\n".join(lines)
        path = folder / f"synth-{seed}-{i:05d}.x{stretch}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthetic", type=int, default=1000, help="synthetic letters to time")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="API rounds (the median is shown)")
    parser.add_argument(
        "--jobs", type=int, nargs="*", default=None, help="CLI --jobs values (default: 1 and cores)"
    )
    parser.add_argument("--smoke", action="store_true", help="a quick run for CI: 20 letters")
    args = parser.parse_args()
    n = 20 if args.smoke else args.synthetic
    rounds = 1 if args.smoke else args.rounds
    cores = os.cpu_count() or 1
    jobs = sorted(set(args.jobs or [1, cores]))

    real = sorted((ROOT / "examples").glob("*.txt"))
    print(f"the real letters through the API: {api_cpu_ms(real, 20 * rounds):.2f} ms of CPU each")
    # What most users bring: word-processor PDFs (the fixtures made with LibreOffice). Reading
    # one (PDFium's text and normalising it) is most of what it costs.
    pdfs = sorted((ROOT / "tests" / "fixtures" / "wp").glob("*.pdf"))
    if pdfs:
        pdf_ms = api_cpu_ms(pdfs, 20 * rounds)
        print(
            f"{len(pdfs)} word-processor PDF letters through the API: {pdf_ms:.2f} ms of CPU "
            f"each; reading the file {load_cpu_ms(pdfs, 20 * rounds):.2f} ms of it, and "
            f"PDFium's own text extraction {pdfium_cpu_ms(pdfs, 20 * rounds):.2f} ms of that"
        )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        letters = write_letters(folder, n, args.seed)
        ms = api_cpu_ms(letters, rounds)
        print(
            f"{n} synthetic letters through the API: {ms:.2f} ms of CPU a letter "
            f"({1000 / ms:.0f} letters a second on one core; median of {rounds} rounds)"
        )
        # Linear in size: the same letters with each one's lists carrying the bullets of 1, 3
        # and 7 other letters. Linear time adds the same CPU for each added set of bullets.
        sizes: list[tuple[int, float, float]] = []  # (stretch, KB a letter, ms a letter)
        m = min(n, 200)
        for stretch in (1, 2, 4, 8):
            batch = write_letters(folder, m, args.seed, stretch=stretch)
            kb = sum(p.stat().st_size for p in batch) / m / 1024
            sizes.append((stretch, kb, api_cpu_ms(batch, rounds)))
        for (s0, kb0, ms0), (s1, kb1, ms1) in itertools.pairwise(sizes):
            print(
                f"  lists x{s1} ({kb1:.1f} KB a letter): {ms1:.2f} ms; "
                f"{(ms1 - ms0) / (kb1 - kb0):.3f} ms for each KB added since x{s0}"
            )
        # Each --jobs runs n letters, then 2n (the n and n others): the difference is what a
        # letter adds to a long batch, without the start-up and the fixed part of the exports.
        more = write_letters(folder, n, args.seed + 1)
        wall: dict[int, float] = {}
        added: dict[int, float] = {}
        for j in jobs:
            wall[j] = cli_seconds(letters, folder / f"out-{j}", j)
            added[j] = (cli_seconds([*letters, *more], folder / f"out2-{j}", j) - wall[j]) / n
            print(
                f"the CLI, --jobs {j}: {n / wall[j]:.0f} letters a second "
                f"({wall[j] / n * 1000:.2f} ms a letter, start-up, store and exports included); "
                f"each letter more adds {added[j] * 1000:.2f} ms ({2 * n} letters against {n})"
            )
        if 1 in wall:
            for j in jobs:
                if j > 1:
                    print(
                        f"  --jobs {j} is {wall[1] / wall[j]:.2f}x --jobs 1 over the whole run, "
                        f"{added[1] / added[j]:.2f}x letter for letter in a long batch"
                    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"({cores} cores; load average {load:.2f} at the end: other work skews the numbers)")


if __name__ == "__main__":
    main()
