"""The run's store: DIR/letters.db is the record; resume, --force, concurrent runs, tidy tables."""

from __future__ import annotations

import csv
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ofsted_extractor.cli import main
from ofsted_extractor.db import Store, authority_key, document_key, fingerprint
from ofsted_extractor.pipeline import extract_many
from ofsted_extractor.redact import MASK
from ofsted_extractor.schema import EngineInfo

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def run(*args: str) -> int:
    return main(["run", *args, "--engine", "rules", "-q"])


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "ofsted_extractor", *args]


def db(out: Path) -> sqlite3.Connection:
    return sqlite3.connect(out / "letters.db")


def records(out: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(x) for x in (out / "records.jsonl").read_text("utf-8").splitlines()]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def letters_folder(folder: Path, n: int) -> Path:
    """`n` letter files, alternating the two real letters."""
    folder.mkdir(parents=True)
    texts = [(EXAMPLES / f).read_text("utf-8") for f in sorted(os.listdir(EXAMPLES))]
    for i in range(n):
        (folder / f"letter-{i:03d}.txt").write_text(texts[i % 2], encoding="utf-8")
    return folder


# --- resume goes by the file's bytes and the engine ----------------------------------------------


def test_an_edited_letter_is_extracted_again_and_becomes_current(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    letter = src / "dudley.txt"
    letter.write_text((EXAMPLES / "dudley-2011.txt").read_text("utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    assert run(str(src), "--out", str(out)) == 0
    letter.write_text(letter.read_text("utf-8").replace("perform well", "performs well"), "utf-8")

    assert run(str(src), "--out", str(out)) == 0

    con = db(out)
    assert con.execute("SELECT count(*) FROM documents").fetchone() == (2,)
    current = con.execute("SELECT sha256 FROM letters").fetchall()
    newest = con.execute("SELECT sha256 FROM documents ORDER BY doc_id DESC LIMIT 1").fetchall()
    assert current == newest
    assert [r["source"]["sha256"] for r in records(out)] == [newest[0][0]]


def test_an_unchanged_letter_and_engine_is_skipped(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(str(EXAMPLES), "--out", str(out)) == 0
    before = (out / "records.jsonl").read_bytes()
    assert run(str(EXAMPLES), "--out", str(out)) == 0
    assert db(out).execute("SELECT count(*) FROM documents").fetchone() == (2,)
    assert (out / "records.jsonl").read_bytes() == before
    runs = db(out).execute("SELECT extracted, skipped FROM runs ORDER BY run_id").fetchall()
    assert runs == [(2, 0), (0, 2)]


@pytest.mark.parametrize(
    "change",
    [
        {"model": "other-model"},
        {"version": "9.9"},
        {"prompt_sha256": "0" * 64},
        {"name": "llm"},
    ],
    ids=["model", "engine-version", "prompt", "engine"],
)
def test_another_engine_or_model_is_another_key(change: dict[str, str]) -> None:
    base = EngineInfo(name="rules", version="1.0", model=None)
    other = base.model_copy(update=change)
    assert fingerprint(base) != fingerprint(other)
    assert document_key("abc", base) != document_key("abc", other)


def test_a_changed_engine_re_extracts_through_the_store(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(str(EXAMPLES), "--out", str(out)) == 0
    store = Store.open(out)
    try:
        doc = store.current_documents()[0]
        path, sha = doc.source.path, doc.source.sha256
        assert store.is_done(path, document_key(sha, doc.engine))
        newer = doc.engine.model_copy(update={"version": doc.engine.version + ".1"})
        assert not store.is_done(path, document_key(sha, newer))
    finally:
        store.close()


# --- --force adds, never rewrites -----------------------------------------------------------------


def test_force_adds_a_new_extraction_and_keeps_the_old_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(str(EXAMPLES), "--out", str(out)) == 0
    first = db(out).execute("SELECT doc_id, record, created_at FROM documents").fetchall()

    assert run(str(EXAMPLES), "--out", str(out), "--force") == 0

    con = db(out)
    docs = con.execute("SELECT doc_id, record, created_at FROM documents").fetchall()
    assert len(docs) == 4
    assert docs[:2] == first  # untouched
    assert con.execute("SELECT count(*) FROM letters").fetchone() == (2,)
    assert sorted(r[0] for r in con.execute("SELECT doc_id FROM letters")) == [3, 4]
    assert len(records(out)) == 2


@pytest.mark.slow
def test_force_costs_about_what_a_fresh_run_does(tmp_path: Path) -> None:
    letters = letters_folder(tmp_path / "in", 150)
    out = tmp_path / "out"
    t0 = time.perf_counter()
    done = subprocess.run(
        cli("run", str(letters), "--out", str(out), "--engine", "rules", "-q"), env=ENV, check=False
    )
    fresh = time.perf_counter() - t0
    assert done.returncode == 0
    t0 = time.perf_counter()
    done = subprocess.run(
        cli("run", str(letters), "--out", str(out), "--engine", "rules", "-q", "--force"),
        env=ENV,
        check=False,
    )
    forced = time.perf_counter() - t0
    assert done.returncode == 0
    # rewriting the whole store per letter made it three times a fresh run; under load (a
    # shared CI machine) the two swing by tens of percent either way
    assert forced < 2 * fresh + 2.0, (fresh, forced)


# --- two runs at once -------------------------------------------------------------------------------


@pytest.mark.parametrize("second", ["plain", "force"], ids=["both-plain", "one-forced"])
def test_two_concurrent_runs_keep_every_letter_exactly_once(second: str, tmp_path: Path) -> None:
    letters = letters_folder(tmp_path / "in", 120)
    out = tmp_path / "out"
    base = cli("run", str(letters), "--out", str(out), "--engine", "rules", "-q")
    a = subprocess.Popen(base, env=ENV, stderr=subprocess.PIPE, text=True)
    b = subprocess.Popen(
        [*base, "--force"] if second == "force" else base,
        env=ENV,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, err_a = a.communicate(timeout=300)
    _, err_b = b.communicate(timeout=300)
    assert (a.returncode, b.returncode) == (0, 0), (err_a, err_b)

    con = db(out)
    names = sorted(f"letter-{i:03d}.txt" for i in range(120))
    current = [Path(r[0]).name for r in con.execute("SELECT path FROM letters ORDER BY path")]
    assert current == names
    # every current document exists, and is its path's newest
    newest = con.execute(
        "SELECT count(*) FROM letters l WHERE l.doc_id = "
        "(SELECT max(doc_id) FROM documents d WHERE d.path = l.path)"
    ).fetchone()
    assert newest == (120,)
    per_path = [n for (n,) in con.execute("SELECT count(*) FROM documents GROUP BY path")]
    if second == "plain":
        assert per_path == [1] * 120  # the later of two writers of one key adds nothing
    else:
        assert all(1 <= n <= 2 for n in per_path)  # the forced run adds its own extraction
    assert sorted(Path(r["source"]["path"]).name for r in records(out)) == names
    assert len(read_csv(out / "letters.csv")) == 120
    runs = con.execute("SELECT extracted + skipped FROM runs").fetchall()
    assert runs == [(120,), (120,)]


# --- tables --------------------------------------------------------------------------------------


def _mixed_run(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("dudley-2011.txt", "worcestershire-2011.txt"):
        (src / name).write_text((EXAMPLES / name).read_text("utf-8"), encoding="utf-8")
    (src / "empty.txt").write_text("", encoding="utf-8")  # a failed row among them
    out = tmp_path / "out"
    assert run(str(src), "--out", str(out)) == 1
    return out


def test_tables_row_counts_match_records(tmp_path: Path) -> None:
    out = _mixed_run(tmp_path)
    docs = records(out)
    letters = [d["letter"] for d in docs if d["letter"]]
    findings = [f for lt in letters for f in lt["strengths"] + lt["areas_for_improvement"]]
    expected = {
        "letters.csv": len(docs),
        "findings.csv": len(findings),
        "counts.csv": sum(len(f["counts"]) for f in findings),
        "inspections.csv": sum(len(lt["safeguarding_inspections"]) for lt in letters),
        "issues.csv": sum(len(d["validation"]["issues"]) for d in docs),
    }
    for name, n in expected.items():
        assert len(read_csv(out / name)) == n, name
    con = db(out)
    for name, n in expected.items():
        table = name.removesuffix(".csv")
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (n,), table


def test_integers_stay_integers_in_the_database_and_csv(tmp_path: Path) -> None:
    out = _mixed_run(tmp_path)
    con = db(out)
    types = con.execute(
        "SELECT DISTINCT typeof(grade), typeof(assessment_year) FROM letters"
    ).fetchall()
    assert set(types) == {("integer", "integer"), ("null", "null")}
    assert {r[0] for r in con.execute("SELECT typeof(count) FROM counts")} == {"integer"}
    for row in read_csv(out / "letters.csv"):
        assert row["grade"] in ("", "1", "2", "3", "4")
        assert row["assessment_year"] in ("", "2011")


def test_pandas_reads_the_tables_with_integer_dtypes(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    out = _mixed_run(tmp_path)
    letters = pd.read_csv(out / "letters.csv", dtype_backend="numpy_nullable")
    assert str(letters["grade"].dtype) == "Int64"
    assert str(letters["assessment_year"].dtype) == "Int64"
    assert letters["grade"].isna().sum() == 1  # the failed row
    counts = pd.read_csv(out / "counts.csv", dtype_backend="numpy_nullable")
    assert str(counts["count"].dtype) == "Int64"
    with sqlite3.connect(out / "letters.db") as con:
        view = pd.read_sql("SELECT * FROM authority_years", con, dtype_backend="numpy_nullable")
    assert str(view["grade"].dtype) == "Int64"
    assert set(view["authority_key"]) == {"dudley", "worcestershire"}


def test_findings_csv_carries_the_letters_status(tmp_path: Path) -> None:
    out = _mixed_run(tmp_path)
    rows = read_csv(out / "findings.csv")
    assert {r["status"] for r in rows} == {"passed"}
    assert {r["list"] for r in rows} == {"strengths", "areas_for_improvement"}


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Dudley Metropolitan Borough Council", "dudley"),
        ("Worcestershire County Council", "worcestershire"),
        ("City of York Council", "york"),
        ("London Borough of Barnet", "barnet"),
        ("Royal Borough of Kensington and Chelsea", "kensington-chelsea"),
        ("Bath and North East Somerset Council", "bath-north-east-somerset"),
        ("St. Helens Metropolitan Borough Council", "st-helens"),
    ],
    ids=lambda v: str(v).split()[0],
)
def test_authority_key_is_one_key_per_authority(name: str, key: str) -> None:
    assert authority_key(name) == key


def test_export_rebuilds_the_files_from_the_database(tmp_path: Path) -> None:
    out = _mixed_run(tmp_path)
    before = {p.name: p.read_bytes() for p in out.glob("*.csv")}
    before["records.jsonl"] = (out / "records.jsonl").read_bytes()
    for name in before:
        (out / name).unlink()
    assert main(["export", str(out)]) == 0
    assert {name: (out / name).read_bytes() for name in before} == before


def test_the_runs_table_records_arguments_engine_and_totals(tmp_path: Path) -> None:
    out = _mixed_run(tmp_path)
    row = db(out).execute("SELECT args, engine, inputs, passed, failed FROM runs").fetchone()
    args, engine = json.loads(row[0]), json.loads(row[1])
    assert args["engine"] == "rules" and engine["info"]["name"] == "rules"
    assert row[2:] == (3, 2, 1)


def test_the_batch_api_yields_one_document_per_file() -> None:
    paths = sorted(EXAMPLES.glob("*.txt"))
    docs = list(extract_many([*paths, EXAMPLES / "missing.txt"]))
    assert sorted(d.source.path for d in docs) == sorted(
        map(str, [*paths, EXAMPLES / "missing.txt"])
    )
    assert sorted(d.validation.status for d in docs) == ["failed", "passed", "passed"]


# --- a full disk ---------------------------------------------------------------------------------


def _limit_file_size() -> None:
    # a write past 200 KB fails with EFBIG, as a full disk fails with ENOSPC
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))


def test_a_full_disk_is_one_clear_error_and_loses_nothing_written(tmp_path: Path) -> None:
    letters = letters_folder(tmp_path / "in", 4)
    out = tmp_path / "out"
    assert run(str(letters), "--out", str(out)) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".csv", ".jsonl")}
    more = letters_folder(tmp_path / "more", 40)

    done = subprocess.run(
        cli("run", str(letters), str(more), "--out", str(out), "--engine", "rules", "-q"),
        env=ENV,
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size,
        check=False,
    )

    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ofsted-extract: error:"), lines
    assert "Traceback" not in done.stderr
    con = db(out)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute(
        "SELECT count(*) FROM letters WHERE path LIKE ?", (f"{letters}%",)
    ).fetchone() == (4,)
    # the exports still show every letter the database kept (the old 4 and what fitted)
    kept = con.execute("SELECT count(*) FROM letters").fetchone()[0]
    assert kept >= 4
    assert len(read_csv(out / "letters.csv")) == kept
    assert len(records(out)) == kept
    assert set(before) <= {p.name for p in out.iterdir()}


class _SlowOnDudley:
    """The rules engine, except that the Dudley letter waits (as an LLM retry would)."""

    name = "rules"

    def __init__(self) -> None:
        from ofsted_extractor.engines.rules import RulesEngine

        self.rules = RulesEngine()

    def info(self) -> EngineInfo:
        return self.rules.info()

    def extract(self, doc: Any) -> Any:
        return self.rules.extract(doc)

    async def aextract(self, doc: Any) -> Any:
        import asyncio

        if "dudley" in doc.path:
            await asyncio.sleep(1.0)
        return self.rules.extract(doc)


def test_the_batch_yields_in_completion_order_so_a_slow_letter_holds_back_none() -> None:
    from ofsted_extractor.pipeline import iter_extracted

    paths = [EXAMPLES / "dudley-2011.txt", EXAMPLES / "worcestershire-2011.txt"]
    done = [item.path.name for item in iter_extracted(paths, _SlowOnDudley(), concurrency=2)]
    assert done == ["worcestershire-2011.txt", "dudley-2011.txt"]


# --- worker processes ----------------------------------------------------------------------------


def test_jobs_give_the_same_records_as_one_process(tmp_path: Path) -> None:
    letters = letters_folder(tmp_path / "in", 12)
    (letters / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    outs = {}
    for jobs in ("1", "3"):
        outs[jobs] = tmp_path / f"out-{jobs}"
        assert run(str(letters), "--out", str(outs[jobs]), "--jobs", jobs) == 1  # one failed

    def comparable(out: Path) -> list[dict]:  # type: ignore[type-arg]
        docs = sorted(records(out), key=lambda d: d["source"]["path"])
        for d in docs:
            d.pop("usage", None)
        return docs

    assert comparable(outs["1"]) == comparable(outs["3"])
    assert len(comparable(outs["3"])) == 13


def _tables(out: Path) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    """Every table's rows, without what differs between two runs of the same letters (ids,
    times, arguments): sorted, since worker processes finish in their own order."""
    con = db(out)
    tables = {}
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        columns = [r[1] for r in con.execute(f"PRAGMA table_info({name})")]
        kept = [
            c
            for c in columns
            if c not in {"doc_id", "run_id", "created_at", "started_at", "finished_at", "args"}
        ]
        rows = con.execute(f"SELECT {', '.join(kept)} FROM {name}").fetchall()
        tables[name] = sorted(rows, key=repr)
    return tables


def test_jobs_write_the_same_rows_in_every_table_as_one_process(tmp_path: Path) -> None:
    # worker processes make the store's rows themselves; the writing process only writes them
    letters = letters_folder(tmp_path / "in", 6)
    (letters / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    (letters / "empty.txt").write_text("", encoding="utf-8")
    half = (EXAMPLES / "dudley-2011.txt").read_text("utf-8")
    (letters / "half.txt").write_text(half[: len(half) // 2], encoding="utf-8")  # flagged
    for jobs in ("1", "2"):
        assert run(str(letters), "--out", str(tmp_path / f"out-{jobs}"), "--jobs", jobs) == 1
    one, two = _tables(tmp_path / "out-1"), _tables(tmp_path / "out-2")
    assert one == two
    assert len(one["letters"]) == 9 and len(one["findings"]) > 20 and one["issues"]


def test_a_key_in_a_letter_is_masked_in_every_table_when_workers_make_the_rows(
    tmp_path: Path,
) -> None:
    key = "sk-test-THISKEYMUSTNOTLEAK0123456789"
    letters = letters_folder(tmp_path / "in", 4)
    text = (EXAMPLES / "worcestershire-2011.txt").read_text("utf-8")
    strengths = text.index("Strengths")
    bullet = text.index("\n", strengths) + 1
    # a strength that quotes a key (a pasted configuration line, say)
    text = (
        f"{text[:bullet]}\u2022 Services are good; the portal key {key} is shown.\n{text[bullet:]}"
    )
    (letters / "with-key.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    run(str(letters), "--out", str(out), "--jobs", "2")
    con = db(out)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        if name == "texts":  # the letter's own text is kept as read: spans point into it
            continue
        dump = repr(con.execute(f"SELECT * FROM {name}").fetchall())
        assert key not in dump, name
    finding = con.execute(
        "SELECT text FROM findings WHERE path LIKE '%with-key.txt' AND text LIKE '%portal key%'"
    ).fetchone()
    assert finding is not None and MASK in finding[0]


# --- memory ---------------------------------------------------------------------------------------


def test_exports_stream_from_the_database_so_memory_does_not_grow_with_the_store(
    tmp_path: Path,
) -> None:
    import tracemalloc

    from ofsted_extractor import extract_file
    from ofsted_extractor.export import export_all
    from tests.conftest import EXAMPLES

    doc = extract_file(EXAMPLES / "worcestershire-2011.txt")
    store = Store.open(tmp_path)
    run_id = store.start_run({}, {}, "test")
    for i in range(300):
        source = doc.source.model_copy(update={"path": f"letter-{i:03d}.txt", "sha256": f"{i}"})
        store.add(doc.model_copy(update={"source": source}), run_id=run_id)
    stored = sum(len(r[0]) for r in store.query("SELECT record FROM documents"))

    tracemalloc.start()
    export_all(store, tmp_path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert len((tmp_path / "records.jsonl").read_text().splitlines()) == 300
    # the records alone are some megabytes; the export holds a few rows at a time
    assert stored > 2_000_000
    assert peak < stored / 10, (peak, stored)
