"""Word-processor PDFs: letters laid out in Word style, made into PDF by LibreOffice, read back.

The fixtures in tests/fixtures/wp were written by `eval.synth.write_wp` (python-docx, then
LibreOffice headless, then pypdf and pdftotext for the text surfaces); each has the gold record
the generator built from its own choices. The tests need neither LibreOffice nor pdftotext.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ofsted_extractor import extract_file
from ofsted_extractor.eval.fixtures import Fixture, load_fixtures
from ofsted_extractor.eval.scoring import score_letter
from ofsted_extractor.eval.synth import wp_surfaces_available
from ofsted_extractor.loading import _pdf_text, load_file

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "wp"
CASES = load_fixtures(FIXTURES)
FOOTER = "Ofsted, Aviation House, 125 Kingsway, London WC2B 6SE"
# What the generator would need to make the surfaces here (LibreOffice, pdftotext).
WP_TOOLS_MISSING = sorted({why for why in wp_surfaces_available().values() if why})


def test_every_word_processor_surface_is_checked_in() -> None:
    surfaces = {fx.surface for fx in CASES}
    assert surfaces == {"wp-pdf", "wp-pypdf", "wp-pdftotext", "wp-pdftotext-layout"}
    assert all(fx.letter_path.suffix == ".pdf" for fx in CASES if fx.surface == "wp-pdf")


def test_fixtures_hold_the_cues_real_conversions_leave() -> None:
    """The checked-in texts exercise what broke the loader before, or these tests prove little."""
    texts = {fx.name: fx.letter_path.read_text() for fx in CASES if fx.surface != "wp-pdf"}
    lone_glyph = re.compile(r"(?m)^\uf0b7$")
    glyph_first = re.compile(r"(?m)^\uf0b7 +\S")
    same_line = re.compile(r"(?m)^\d{1,2} \w+ \d{4} {3,}Aviation House$")
    assert any(lone_glyph.search(t) for n, t in texts.items() if n.endswith(".wp-pdftotext"))
    assert any(glyph_first.search(t) for n, t in texts.items() if n.endswith("-layout"))
    assert any(same_line.search(t) for t in texts.values()), "date and letterhead on one line"
    # Findings shown only by a hanging first line, no glyph anywhere.
    assert any("\uf0b7" not in t for t in texts.values())
    # A letterhead frame that PDFium reads after page 1's footer.
    pdfs = [fx.letter_path.read_bytes() for fx in CASES if fx.surface == "wp-pdf"]
    first_pages = [_pdf_text(data, "-").split("\f")[0] for data in pdfs]
    assert any(p.index("Aviation House") > p.index(FOOTER) for p in first_pages)


def _unmarked(fx: Fixture) -> bool:
    """A text surface where nothing shows where each finding ends: pdftotext set every Word
    glyph apart from its text (two glyph lines in a row), or the findings had no glyph and the
    converter lost the hanging indentation."""
    if fx.surface == "wp-pdf":
        return False
    text = fx.letter_path.read_text()
    glyphs_apart = re.search(r"(?m)^\uf0b7\n(?:\n)*\uf0b7$", text) is not None
    return glyphs_apart or ("\uf0b7" not in text and not re.search(r"(?m)^ {2,}\S", text))


@pytest.mark.parametrize("fx", CASES, ids=lambda fx: fx.name.removeprefix("synth-2011-"))
def test_word_processor_letter_extracts_equal_to_its_gold(fx: Fixture) -> None:
    doc = extract_file(fx.letter_path, engine="rules")

    assert doc.letter is not None
    score = score_letter(doc.letter, fx.gold, fx.name)
    assert score.diffs == []
    if _unmarked(fx):
        # The loader's reading of the lines is right here, but no cue in the text proves it,
        # so the record cannot be `passed`.
        codes = {i.code for i in doc.validation.issues if i.severity == "error"}
        assert codes == {"findings.bullets_unmarked"}
    else:
        assert doc.validation.status == "passed"


def test_some_fixture_has_findings_no_cue_can_prove() -> None:
    assert any(_unmarked(fx) for fx in CASES)


@pytest.mark.parametrize("fx", CASES, ids=lambda fx: fx.name.removeprefix("synth-2011-"))
def test_offset_map_is_exact(fx: Fixture) -> None:
    loaded = load_file(fx.letter_path)

    offsets = loaded.offsets
    assert len(offsets) == len(loaded.text) + 1
    assert offsets[-1] == len(loaded.original)
    assert list(offsets) == sorted(offsets), "offsets must never go backwards"
    for i, char in enumerate(loaded.text):
        if char.isalnum():
            assert loaded.original[offsets[i]] == char, (i, char)


@pytest.mark.parametrize(
    "path", sorted(FIXTURES.glob("*.wp-pdf.pdf")), ids=lambda p: p.name.split(".")[0]
)
def test_pdf_recipient_block_reads_right_and_spans_point_into_the_original(path: Path) -> None:
    gold = json.loads(path.with_suffix(".json").read_text())["letter"]
    loaded = load_file(path)
    lines = loaded.text.split("\n")

    date_at = next(i for i, line in enumerate(lines) if line.endswith(gold["letter_date"][:4]))
    address = [line for line in lines[date_at + 1 :] if line][:2]
    assert address == [gold["recipient"]["name"], gold["recipient"]["role"]]
    assert "Aviation House" not in loaded.text.split("Dear ")[0].split(lines[date_at])[1]
    for finding in [*gold["strengths"], *gold["areas_for_improvement"]]:
        span = loaded.locate(finding["text"])
        assert span is not None, finding["text"][:60]
        original = loaded.original[span.start : span.end]
        assert original.split()[:3] == finding["text"].split()[:3]
        assert original.split()[-1] == finding["text"].split()[-1]


def test_missing_tools_are_named_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from ofsted_extractor.eval import synth

    monkeypatch.setattr(shutil, "which", lambda name: None)

    why = synth.wp_surfaces_available()

    assert set(why) == set(synth.WP_SURFACES)
    assert all(reason is not None and "LibreOffice" in reason for reason in why.values())


@pytest.mark.skipif(bool(WP_TOOLS_MISSING), reason=f"needs {WP_TOOLS_MISSING}")
def test_generator_writes_every_word_processor_surface_and_each_reads_right(
    tmp_path: Path,
) -> None:
    from ofsted_extractor.eval.synth import WP_SURFACES, generate, write_wp

    golds = write_wp(tmp_path, generate(1, 7))

    assert len(golds) == len(WP_SURFACES)
    for fx in load_fixtures(tmp_path):
        doc = extract_file(fx.letter_path, engine="rules")
        assert doc.letter is not None
        diffs = score_letter(doc.letter, fx.gold, fx.name).diffs
        if _unmarked(fx):
            # read right or not, a record no cue proves is never passed
            assert doc.validation.status == "flagged", fx.surface
        else:
            assert diffs == [], fx.surface
            assert doc.validation.status == "passed", fx.surface


@pytest.mark.parametrize("fx", CASES, ids=lambda fx: fx.name.removeprefix("synth-2011-"))
def test_a_record_missing_a_bullet_or_a_count_is_flagged(fx: Fixture) -> None:
    from ofsted_extractor.validators import validate

    loaded = load_file(fx.letter_path)
    record = fx.gold.model_copy(deep=True)
    del record.strengths[0]
    codes = {i.code for i in validate(loaded.text, record, loaded.original)}
    assert {"findings.count_mismatch", "findings.unaccounted_text"} <= codes

    with_counts = [f for f in fx.gold.strengths + fx.gold.areas_for_improvement if f.counts]
    assert with_counts
    record = fx.gold.model_copy(deep=True)
    target = next(f for f in record.strengths + record.areas_for_improvement if f.counts)
    target.counts.pop(0)
    codes = {i.code for i in validate(loaded.text, record, loaded.original)}
    assert "count.unrecorded" in codes
