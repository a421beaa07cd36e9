"""`ofsted-extract run`: a batch over files and folders that survives bad input and kills."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ofsted_extractor.cli import build_parser, main
from tests.noise import to_pdf

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run(*args: str) -> int:
    return main(["run", *args, "--engine", "rules"])


def records(out: Path) -> list[dict]:  # type: ignore[type-arg]
    lines = (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_examples_come_out_passed_with_tables(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(str(EXAMPLES), "--out", str(out)) == 0
    docs = records(out)
    assert sorted(Path(d["source"]["path"]).name for d in docs) == [
        "dudley-2011.txt",
        "worcestershire-2011.txt",
    ]
    assert {d["validation"]["status"] for d in docs} == {"passed"}
    letters = read_csv(out / "letters.csv")
    assert {(r["local_authority"], r["grade"]) for r in letters} == {
        ("Worcestershire County Council", "1"),
        ("Dudley Metropolitan Borough Council", "3"),
    }
    findings = read_csv(out / "findings.csv")
    assert len(findings) == 6 + 3 + 7 + 3


def _bad_inputs(folder: Path) -> dict[str, str]:
    """Every kind of bad input, by file name, with the error code it must give."""
    folder.mkdir(parents=True)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_text("   \n\n\t\n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (folder / "latin1.txt").write_bytes(
        (EXAMPLES / "dudley-2011.txt")
        .read_text(encoding="utf-8")
        .replace("Ms", "Mé")
        .encode("latin-1")
    )
    (folder / "recipe.md").write_text("# Scones\n\nMix flour and butter.\n", encoding="utf-8")
    good_pdf = to_pdf(
        (EXAMPLES / "worcestershire-2011.txt").read_text(encoding="utf-8"), folder / "x.pdf"
    )
    data = good_pdf.read_bytes()
    good_pdf.unlink()
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 2])
    from fpdf import FPDF

    scan = FPDF()
    scan.add_page()
    scan.rect(20, 20, 100, 100, style="F")
    scan.output(str(folder / "scanned.pdf"))
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    to_pdf("Annual children's services assessment\n", folder / "plain.pdf")
    for page in PdfReader(str(folder / "plain.pdf")).pages:
        writer.add_page(page)
    (folder / "plain.pdf").unlink()
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    with open(folder / "encrypted.pdf", "wb") as fh:
        writer.write(fh)
    return {
        "empty.txt": "empty",
        "blank.txt": "empty",
        "binary.txt": "binary",
        "latin1.txt": "encoding",
        "recipe.md": "not_a_letter",
        "truncated.pdf": "pdf_corrupt",
        "scanned.pdf": "pdf_no_text",
        "encrypted.pdf": "pdf_encrypted",
    }


def test_bad_inputs_each_give_one_clear_line_and_the_batch_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _bad_inputs(tmp_path / "in" / "bad")
    shutil.copy(EXAMPLES / "dudley-2011.txt", tmp_path / "in")
    shutil.copy(EXAMPLES / "worcestershire-2011.txt", tmp_path / "in" / "bad")  # among the bad
    missing = tmp_path / "in" / "missing.txt"
    out = tmp_path / "out"

    code = run(str(tmp_path / "in"), str(missing), "--out", str(out))

    assert code == 1
    docs = {Path(d["source"]["path"]).name: d for d in records(out)}
    assert len(docs) == len(bad) + 3  # exactly one document per input
    for name, error_code in bad.items():
        assert docs[name]["validation"]["status"] == "failed"
        assert docs[name]["error"]["code"] == error_code, (name, docs[name]["error"])
    assert docs["missing.txt"]["error"]["code"] == "not_found"
    for good in ("dudley-2011.txt", "worcestershire-2011.txt"):
        assert docs[good]["validation"]["status"] == "passed"
    failed_lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("failed:")]
    assert len(failed_lines) == len(bad) + 1
    for line in failed_lines:
        assert "\n" not in line and re.search(r"\.(txt|md|pdf)", line), line


def test_a_rerun_skips_letters_already_done(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(str(EXAMPLES), "--out", str(out)) == 0
    before = (out / "records.jsonl").read_bytes()
    assert run(str(EXAMPLES), "--out", str(out)) == 0
    assert (out / "records.jsonl").read_bytes() == before


def test_records_jsonl_damaged_by_hand_is_rebuilt_from_the_database(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(str(EXAMPLES), "--out", str(out)) == 0
    lines = (out / "records.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    # the database is the record; the JSONL file is an export of it
    (out / "records.jsonl").write_text(lines[0] + lines[1][: len(lines[1]) // 2], encoding="utf-8")

    assert run(str(EXAMPLES), "--out", str(out)) == 0

    docs = records(out)
    assert len(docs) == 2
    assert len({d["source"]["path"] for d in docs}) == 2


def test_a_run_killed_mid_batch_resumes_without_duplicates(tmp_path: Path) -> None:
    letters = tmp_path / "in"
    letters.mkdir()
    text = (EXAMPLES / "dudley-2011.txt").read_text(encoding="utf-8")
    for i in range(60):
        (letters / f"letter-{i:03d}.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "ofsted_extractor",
        "run",
        str(letters),
        "--out",
        str(out),
        "--engine",
        "rules",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    # kill it as soon as some letters are in the database
    import sqlite3
    import time

    for _ in range(4000):
        if proc.poll() is not None:
            break
        try:
            with sqlite3.connect(out / "letters.db", timeout=0.1) as con:
                if con.execute("SELECT count(*) FROM letters").fetchone()[0] > 0:
                    break
        except sqlite3.Error:
            pass  # not created yet
        time.sleep(0.005)
    killed_mid_batch = proc.poll() is None
    proc.kill()
    proc.wait()
    assert proc.stderr is not None
    proc.stderr.close()

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert killed_mid_batch
    docs = records(out)
    assert sorted(Path(d["source"]["path"]).name for d in docs) == sorted(
        f"letter-{i:03d}.txt" for i in range(60)
    )
    with sqlite3.connect(out / "letters.db") as con:
        assert con.execute("SELECT count(*) FROM letters").fetchone() == (60,)
        assert con.execute("SELECT count(*) FROM documents").fetchone() == (60,)


def test_unknown_llm_setup_is_a_one_line_configuration_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    code = main(["run", str(EXAMPLES), "--out", str(tmp_path), "--engine", "llm"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("ofsted-extract: error:")


def test_auto_without_an_llm_says_so_in_one_line_and_uses_rules(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    code = main(["run", str(EXAMPLES), "--out", str(tmp_path), "--engine", "auto", "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 0
    assert len([e for e in err if e.startswith("note:")]) == 1
    assert {d["engine"]["name"] for d in records(tmp_path)} == {"rules"}


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, sub_parser in sub.choices.items():  # type: ignore[union-attr]
        assert sub_parser.format_help().strip()
        assert f"ofsted-extract {name}" in readme, name


@pytest.mark.parametrize("first", ["validators", "eval", "prompts", ""])
def test_each_package_imports_first_in_a_fresh_interpreter(first: str) -> None:
    module = f"ofsted_extractor.{first}".rstrip(".")
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}; from ofsted_extractor import extract_file"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_packages_named_like_the_folders_neither_break_the_tool_nor_are_broken(
    tmp_path: Path,
) -> None:
    # What `pip install validators eval prompts extractor` puts beside the tool: top-level
    # packages with those names. The tool lives under `ofsted_extractor` and never sees them.
    for name in ("validators", "eval", "prompts", "extractor"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"WHO = 'the PyPI {name}'\n")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "ofsted_extractor", "run", str(EXAMPLES), "--out", str(out)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert (out / "letters.db").is_file()
    theirs = subprocess.run(
        [
            sys.executable,
            "-c",
            "import validators, eval, prompts, extractor; print(validators.WHO)",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert theirs.stdout.strip() == "the PyPI validators", theirs.stderr


def test_eval_does_not_import_the_product_cli() -> None:
    """The CLI imports the eval harness for `ofsted-extract eval`; never the other way round."""
    import ast

    for path in (ROOT / "eval").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert "ofsted_extractor.cli" not in imported, path.name
