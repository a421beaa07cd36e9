"""How fast the rules path is: CPU per letter through the Python API, letters per second
through the CLI with one and with several worker processes, and time against letter length.

    python scripts/bench_extract.py --synthetic 1000      # what the README quotes
    python scripts/bench_extract.py --smoke               # CI: a few letters, no claims

Through the API it counts the CPU time (`time.process_time`) of `extract_file` on each letter:
reading, normalising, the rules engine, the validators and the Document, nothing else. Every
letter it times is one the process has not read before, as in a batch: the validators cache
what they read by its text, so timing the same letter again times the caches (the two real
letters, read 60 times each, cost 1.46 ms that way instead of about 2.5). Through
the CLI it counts wall time from process start to exit (start-up, the store and the exports
included), and what each letter adds to a batch twice as long (start-up left out). A
benchmark, not a test: it prints numbers; it fails only if a run fails. The numbers depend on
the machine and on what else it is doing: quote them with the command.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ofsted_extractor import extract, extract_file
from ofsted_extractor.engines.rules import RulesEngine
from ofsted_extractor.eval.synth import generate
from ofsted_extractor.loading import load_file
from ofsted_extractor.pipeline import attach_spans, load_checked
from ofsted_extractor.validators import validate

ROOT = Path(__file__).resolve().parents[1]


def warm_up() -> None:
    """Imports, first-use compilation and the caches' steady state, on a letter that no
    measurement reads."""
    extract(next(iter(generate(1, 999_999))).render("clean"), engine="rules")


def api_cpu_ms(batches: list[list[Path]]) -> float:
    """The median over `batches` of the CPU milliseconds a letter costs through `extract_file`,
    each letter read once. The validators cache what they read by its text (a letter's checks
    share one reading), so timing the same letters again would time those caches, not the
    work: every letter timed here is one this process has not seen."""
    warm_up()
    per_batch = []
    for paths in batches:
        cpu0 = time.process_time()
        for p in paths:
            extract_file(p, engine="rules")
        per_batch.append((time.process_time() - cpu0) / len(paths) * 1000)
    return statistics.median(per_batch)


def first_sight_cpu_ms(paths: list[Path], samples: int) -> float:
    """The CPU milliseconds a letter of `paths` costs through `extract_file` the first time a
    process sees it: the median over `samples` fresh processes (each warmed up on another
    letter) of the mean over `paths`. For a few files, which timing again in one process would
    time from the validators' caches."""
    runs = []
    for _ in range(samples):
        out = subprocess.run(
            [sys.executable, __file__, "--first-sight", *map(str, paths)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(float(out.stdout))
    return statistics.median(runs)


def _first_sight(paths: list[Path]) -> None:
    """The child of `first_sight_cpu_ms`: prints the mean CPU ms of each file read once."""
    warm_up()
    for p in paths:
        if p.suffix.lower() == ".pdf":
            # PDFium's start and its fonts are paid once a process, as in a batch of PDFs;
            # reading a file fills none of the validators' caches
            load_file(p)
    cpu0 = time.process_time()
    for p in paths:
        extract_file(p, engine="rules")
    print((time.process_time() - cpu0) / len(paths) * 1000)


def parts_cpu_ms(paths: list[Path], others: list[Path]) -> dict[str, float]:
    """What a letter through `extract_file` is made of, in CPU milliseconds, each part timed
    on letters it has not seen: reading and normalising the file, the rules engine and the
    validators on `paths`, and the rest (spans, the Document) as the whole on as many
    `others` less those three."""
    warm_up()
    engine = RulesEngine()

    def timed(step: Callable[[Path], object]) -> float:
        gc.collect()  # a full collection owed by the set-up is not charged to one part
        cpu0 = time.process_time()
        for p in paths:
            step(p)
        return (time.process_time() - cpu0) / len(paths) * 1000

    docs = {p: load_checked(p) for p in paths}  # the engine's and validators' input, untimed
    # the validators read the record as the pipeline gives it them: with its spans
    letters = {p: attach_spans(docs[p], engine.extract(docs[p]).letter) for p in paths}
    parts = {
        "reading": timed(load_checked),
        "engine": timed(lambda p: engine.extract(docs[p])),
        "validators": timed(lambda p: validate(docs[p].text, letters[p], docs[p].original)),
    }
    gc.collect()
    cpu0 = time.process_time()
    for p in others:
        extract_file(p, engine="rules")
    whole = (time.process_time() - cpu0) / len(others) * 1000
    parts["the rest"] = whole - sum(parts.values())
    return parts


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
    carries the bullets of k - 1 other letters, generated for it alone (a longer letter of the
    same kind; no bullet is in two letters of the batch, so no letter reads a sentence that an
    earlier one already put in the validators' caches)."""
    texts = [letter.render("clean") for letter in generate(n * stretch, seed)]
    paths = []
    for i, text in enumerate(texts[:n]):
        if stretch > 1:
            lines = text.split("\n")
            last = max(k for k, line in enumerate(lines) if line.startswith("- "))
            for k in range(stretch - 1):
                other = texts[n + i * (stretch - 1) + k]
                lines.insert(
                    last + 1, "\n".join(b for b in other.split("\n") if b.startswith("- "))
                )
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
    parser.add_argument("--first-sight", nargs="+", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_sight:
        _first_sight(args.first_sight)
        return
    n = 20 if args.smoke else args.synthetic
    rounds = 1 if args.smoke else args.rounds
    samples = 3 if args.smoke else 10
    cores = os.cpu_count() or 1
    jobs = sorted(set(args.jobs or [1, cores]))

    real = sorted((ROOT / "examples").glob("*.txt"))
    print(
        f"the real letters through the API: {first_sight_cpu_ms(real, samples):.2f} ms of CPU "
        f"each (median of {samples} processes, each reading them once)"
    )
    # What most users bring: word-processor PDFs (the fixtures made with LibreOffice). Reading
    # one (PDFium's text and normalising it) is most of what it costs.
    pdfs = sorted((ROOT / "tests" / "fixtures" / "wp").glob("*.pdf"))
    if pdfs:
        pdf_ms = first_sight_cpu_ms(pdfs, samples)
        print(
            f"{len(pdfs)} word-processor PDF letters through the API: {pdf_ms:.2f} ms of CPU "
            f"each; reading the file {load_cpu_ms(pdfs, 20 * rounds):.2f} ms of it, and "
            f"PDFium's own text extraction {pdfium_cpu_ms(pdfs, 20 * rounds):.2f} ms of that"
        )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        letters = write_letters(folder, n, args.seed)
        # each round its own letters (seeds far from the CLI's): none is timed twice
        batches = [letters] + [
            write_letters(folder, n, args.seed + 1000 * r) for r in range(1, rounds)
        ]
        ms = api_cpu_ms(batches)
        print(
            f"{n} synthetic letters through the API: {ms:.2f} ms of CPU a letter "
            f"({1000 / ms:.0f} letters a second on one core; median of {rounds} rounds of "
            "different letters)"
        )
        parts = parts_cpu_ms(
            write_letters(folder, n, args.seed + 500), write_letters(folder, n, args.seed + 600)
        )
        print("  of which " + ", ".join(f"{name} {v:.2f} ms" for name, v in parts.items()))
        # Linear in size: the letters with each one's lists carrying the bullets of 1, 3 and 7
        # other letters. Linear time adds the same CPU for each added set of bullets.
        sizes: list[tuple[int, float, float]] = []  # (stretch, KB a letter, ms a letter)
        m = min(n, 200)
        for stretch in (1, 2, 4, 8):
            sized = [
                write_letters(folder, m, args.seed + 2000 + 1000 * r, stretch=stretch)
                for r in range(rounds)
            ]
            kb = sum(p.stat().st_size for p in sized[0]) / m / 1024
            sizes.append((stretch, kb, api_cpu_ms(sized)))
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
