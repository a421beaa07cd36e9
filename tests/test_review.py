"""`ofsted-extract review` and `gold`: the letters' text with each value's evidence marked."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ofsted_extractor.cli import main
from ofsted_extractor.review import Highlight, highlights, marked_text
from ofsted_extractor.schema import Document
from tests.noise import to_pdf

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Marks(HTMLParser):
    """Each <mark>'s data-field and full text (nested marks' text included), and sections."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[tuple[str, str]] = []
        self.sections: list[dict[str, str]] = []
        self.body: dict[str, str] = {}
        self._open: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "mark":
            self._open.append((a.get("data-field", ""), []))
        elif tag == "section":
            self.sections.append(a)
        elif tag == "body":
            self.body = a

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            field, parts = self._open.pop()
            text = "".join(parts)
            self.marks.append((field, text))
            if self._open:
                self._open[-1][1].append(text)

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][1].append(data)


def parse(html_text: str) -> Marks:
    p = Marks()
    p.feed(html_text)
    return p


# --- marking -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("marks", "expected"),
    [
        ([Highlight(4, 9, "a")], 'the <mark data-field="a">quick</mark> fox'),
        (
            [Highlight(0, 13, "outer"), Highlight(4, 9, "inner")],
            '<mark data-field="outer">the <mark data-field="inner">quick</mark> fox</mark>',
        ),
        (
            [Highlight(0, 9, "first"), Highlight(4, 13, "crossing")],
            '<mark data-field="first">the <mark data-field="crossing">quick</mark></mark> fox',
        ),
        ([Highlight(10, 99, "outside")], "the quick fox"),
    ],
    ids=["one", "nested", "crossing-is-cut", "out-of-range-dropped"],
)
def test_marked_text_wraps_each_span_once(marks: list[Highlight], expected: str) -> None:
    assert marked_text("the quick fox", marks) == expected


def test_marked_text_escapes_the_letter() -> None:
    assert (
        marked_text("<b>&", [Highlight(0, 3, "x")]) == '<mark data-field="x">&lt;b&gt;</mark>&amp;'
    )


# --- the page --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run over a passed, a flagged, a failed and a PDF letter, and its review page."""
    base = tmp_path_factory.mktemp("review")
    src = base / "in"
    src.mkdir()
    shutil.copy(EXAMPLES / "dudley-2011.txt", src)
    worcs = (EXAMPLES / "worcestershire-2011.txt").read_text("utf-8")
    # the verdict line's number no longer matches its label: flagged
    (src / "worcs-flagged.txt").write_text(
        worcs.replace("Performs poorly (1)", "Performs poorly (3)", 1), encoding="utf-8"
    )
    to_pdf(worcs, src / "worcs.pdf")
    (src / "empty.txt").write_text("", encoding="utf-8")
    out = base / "out"
    assert main(["run", str(src), "--out", str(out), "--engine", "rules", "-q"]) == 1
    assert main(["review", str(out)]) == 0
    return out


def _docs(out: Path) -> list[Document]:
    lines = (out / "records.jsonl").read_text("utf-8").splitlines()
    return [Document.model_validate_json(line) for line in lines]


def _source_text(doc: Document, out: Path) -> str:
    import sqlite3

    row = (
        sqlite3.connect(out / "letters.db")
        .execute("SELECT text FROM texts WHERE sha256 = ?", (doc.source.sha256,))
        .fetchone()
    )
    return str(row[0])


def test_flagged_letters_come_first_then_failed_then_passed(reviewed: Path) -> None:
    page = parse((reviewed / "review.html").read_text("utf-8"))
    statuses = [s["data-status"] for s in page.sections]
    assert statuses == ["flagged", "failed", "passed", "passed"]
    assert "grade.verdict_mismatch" in page.sections[0]["data-codes"].split()


def test_every_span_is_one_mark_holding_its_evidence(reviewed: Path) -> None:
    page = parse((reviewed / "review.html").read_text("utf-8"))
    expected: list[tuple[str, str]] = []
    for doc in _docs(reviewed):
        if doc.letter is None:
            continue
        text = _source_text(doc, reviewed)
        expected += [(h.field, text[h.start : h.end]) for h in highlights(doc.letter)]
    assert len(expected) > 50
    assert sorted(page.marks) == sorted(expected)


def test_a_pdf_letter_keeps_its_text_for_the_page(reviewed: Path) -> None:
    pdf = next(d for d in _docs(reviewed) if d.source.format == "pdf")
    text = _source_text(pdf, reviewed)
    assert pdf.letter is not None and pdf.letter.local_authority in text
    assert pdf.letter.strengths[0].span is not None


def test_failed_checks_stand_beside_their_fields(reviewed: Path) -> None:
    html_text = (reviewed / "review.html").read_text("utf-8")
    row = html_text.index('<tr class="bad" data-field="grade_label">')
    assert "grade.verdict_mismatch" in html_text[row : html_text.index("</tr>", row)]


def chromium_dom(url: str) -> str:
    """The page's DOM after its scripts ran, from headless Chromium."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (Debian package chromium)"
)


@needs_chromium
def test_the_page_loads_in_chromium_with_one_highlight_per_span(reviewed: Path) -> None:
    dom = parse(chromium_dom((reviewed / "review.html").as_uri()))
    assert dom.body.get("data-ready") == "yes"  # the filter script ran without an error
    source = parse((reviewed / "review.html").read_text("utf-8"))
    assert len(dom.marks) == len(source.marks) > 50
    assert sorted(dom.marks) == sorted(source.marks)


@needs_chromium
@pytest.mark.parametrize(
    ("filters", "shown"),
    [
        ("status=passed", ["passed", "passed"]),
        ("status=flagged", ["flagged"]),
        ("code=grade.verdict_mismatch", ["flagged"]),
        ("", ["flagged", "failed", "passed", "passed"]),
    ],
    ids=["passed", "flagged", "by-code", "none"],
)
def test_the_filters_hide_the_other_letters(reviewed: Path, filters: str, shown: list[str]) -> None:
    dom = parse(chromium_dom(f"{(reviewed / 'review.html').as_uri()}#{filters}"))
    assert [s["data-status"] for s in dom.sections if "hidden" not in s] == shown


# --- gold ----------------------------------------------------------------------------------------


def test_gold_writes_a_fixture_eval_can_load(reviewed: Path, tmp_path: Path) -> None:
    from ofsted_extractor.eval.fixtures import load_fixtures

    letter = next(d for d in _docs(reviewed) if d.source.path.endswith("dudley-2011.txt"))
    assert main(["gold", str(reviewed), letter.source.path, "--to", str(tmp_path)]) == 0
    fixture = json.loads((tmp_path / "dudley-2011.json").read_text("utf-8"))
    assert "draft" in fixture and fixture["checks"] == []
    [loaded] = load_fixtures(tmp_path)
    assert loaded.letter_path == Path(letter.source.path).resolve()
    assert letter.letter is not None
    assert loaded.gold.grade == letter.letter.grade
    assert loaded.gold.strengths[0].text == letter.letter.strengths[0].text
    assert loaded.gold.strengths[0].span is None and loaded.gold.provenance == {}


def test_gold_of_a_flagged_letter_lists_the_checks_to_look_at(
    reviewed: Path, tmp_path: Path
) -> None:
    flagged = next(d for d in _docs(reviewed) if d.validation.status == "flagged")
    assert main(["gold", str(reviewed), flagged.source.path, "--to", str(tmp_path)]) == 0
    fixture = json.loads(next(tmp_path.glob("*.json")).read_text("utf-8"))
    assert any("grade.verdict_mismatch" in c for c in fixture["checks"])


def test_gold_of_an_unknown_file_is_one_line(
    reviewed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gold", str(reviewed), "nowhere.txt"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_disagreements_are_shown_side_by_side(tmp_path: Path) -> None:
    from ofsted_extractor import extract_file
    from ofsted_extractor.db import Store
    from ofsted_extractor.review import write_review
    from ofsted_extractor.schema import Disagreement

    doc = extract_file(EXAMPLES / "dudley-2011.txt")
    doc.disagreements = [
        Disagreement(field="grade", llm="2", rules="3", supported_by_text="rules"),
    ]
    store = Store.open(tmp_path)
    try:
        run_id = store.start_run({}, {}, "test")
        text = (EXAMPLES / "dudley-2011.txt").read_text("utf-8")
        store.add(doc, run_id=run_id, text=text)
        write_review(store, tmp_path / "review.html")
        assert store.query("SELECT field, llm, rules FROM disagreements")[0][:] == (
            "grade",
            "2",
            "3",
        )
    finally:
        store.close()
    page = (tmp_path / "review.html").read_text("utf-8")
    table = page[page.index("LLM and rules disagree") :]
    assert "<th>grade</th><td>2</td><td>3</td><td>rules</td>" in table
