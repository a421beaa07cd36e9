"""The findings inventory: everything under a list heading is accounted for by the record.

A record passes only when its findings cover every bullet the letter has under each heading,
however the conversion marked the bullets (a glyph, a glyph alone on its line, a number, or no
glyph at all). Leaving a bullet out, or part of one, is an error; so is an empty list under a
heading that has text, and a letter without the heading at all.
"""

from __future__ import annotations

import re

import pytest

from ofsted_extractor import extract
from ofsted_extractor.eval.synth import TEXT_SURFACES, generate
from ofsted_extractor.schema import Finding, Letter
from ofsted_extractor.validators import read_bullets, validate
from ofsted_extractor.validators.findings import check_findings_accounted

WORDS = "Strengths\n\n{bullets}\n\nAreas for further improvement\n\n- Only one area.\n"


def _strengths(bullets: str) -> list[str]:
    return read_bullets(WORDS.format(bullets=bullets))["strengths"]


@pytest.mark.parametrize(
    ("bullets", "expected"),
    [
        pytest.param("- One.\n- Two.", ["One.", "Two."], id="dash"),
        pytest.param("\u2022 One.\n\u2022 Two.", ["One.", "Two."], id="bullet-glyph"),
        pytest.param("\uf0b7 One.\n\uf0b7 Two.", ["One.", "Two."], id="word-symbol-glyph-pypdf"),
        pytest.param("\u25aa One.\n* Two.", ["One.", "Two."], id="square-and-star"),
        pytest.param(
            "\u2022\n\nOne\nwraps.\n\n\u2022\n\nTwo.",
            ["One wraps.", "Two."],
            id="glyph-alone-on-its-line-pdftotext",
        ),
        pytest.param("1. One.\n2. Two.", ["One.", "Two."], id="numbered"),
        pytest.param("(a) One.\n(b) Two.", ["One.", "Two."], id="lettered"),
        pytest.param("One\nwraps.\n\nTwo.", ["One wraps.", "Two."], id="no-glyph-paragraphs"),
        pytest.param("- One\nwraps.\n- Two.", ["One wraps.", "Two."], id="hard-wrapped"),
    ],
)
def test_bullets_are_read_by_every_cue_a_conversion_leaves(
    bullets: str, expected: list[str]
) -> None:
    assert _strengths(bullets) == expected


def _letter(strengths: list[str], areas: list[str]) -> Letter:
    return Letter(
        strengths=[Finding(text=t, topic="other") for t in strengths],
        areas_for_improvement=[Finding(text=t, topic="other") for t in areas],
    )


def _codes(text: str, letter: Letter) -> list[tuple[str, str]]:
    return [(i.code, i.field) for i in check_findings_accounted(text, letter)]


@pytest.mark.parametrize(
    "bullets",
    [
        pytest.param("- One is good.\n- Two is good.", id="dash"),
        pytest.param("\u2022\n\nOne is good.\n\n\u2022\n\nTwo is good.", id="glyph-alone"),
        pytest.param("One is good.\n\nTwo is good.", id="no-glyph"),
        pytest.param("  One is good.\nTwo is good.", id="indentation-only-one-paragraph"),
    ],
)
def test_a_record_that_covers_every_bullet_is_accounted_for(bullets: str) -> None:
    text = WORDS.format(bullets=bullets)
    letter = _letter(["One is good.", "Two is good."], ["Only one area."])
    assert _codes(text, letter) == []


@pytest.mark.parametrize(
    ("bullets", "strengths", "expected"),
    [
        pytest.param(
            "- One is good.\n- Two is good.",
            ["One is good."],
            [("findings.unaccounted_text", "strengths")],
            id="a-bullet-left-out",
        ),
        pytest.param(
            "- One is good. It has grown.\n- Two is good.",
            ["One is good.", "Two is good."],
            [("findings.unaccounted_text", "strengths")],
            id="a-bullet-cut-to-its-first-sentence",
        ),
        pytest.param(
            "One is good.\n\nTwo is good.",
            [],
            [("findings.missing", "strengths")],
            id="no-glyphs-and-no-findings",
        ),
        pytest.param(
            "\u2022\n\nOne is good.\n\n\u2022\n\nTwo is good.",
            [],
            [("findings.missing", "strengths")],
            id="glyphs-alone-and-no-findings",
        ),
        pytest.param(
            "- One is good.\n\nOfsted Piccadilly Gate Manchester\n\n- Two is good.",
            ["One is good.", "Two is good."],
            [("findings.unaccounted_text", "strengths")],
            id="furniture-left-mid-list-is-not-silently-passed",
        ),
    ],
)
def test_what_the_record_leaves_out_is_an_error(
    bullets: str, strengths: list[str], expected: list[tuple[str, str]]
) -> None:
    text = WORDS.format(bullets=bullets)
    assert _codes(text, _letter(strengths, ["Only one area."])) == expected


def test_a_stray_page_number_between_bullets_is_not_text_left_out() -> None:
    text = WORDS.format(bullets="- One is good.\n\n3\n\n- Two is good.")
    assert _codes(text, _letter(["One is good.", "Two is good."], ["Only one area."])) == []


def test_the_closing_paragraph_and_sign_off_are_not_part_of_the_last_list() -> None:
    text = (
        WORDS.format(bullets="- One.")
        + "\nThis children's services assessment is provided in accordance with section 138."
        + "\n\nYours sincerely\n\nA Name\n"
    )
    assert _codes(text, _letter(["One."], ["Only one area."])) == []


def test_a_letter_without_a_list_heading_cannot_be_confirmed_complete() -> None:
    text = "Areas for further improvement\n\n- Only one area.\n"
    assert _codes(text, _letter([], ["Only one area."])) == [("findings.no_heading", "strengths")]


# --- Every surface form: a record the engine left incomplete is flagged, never passed ---------

LETTERS = generate(12, seed=7)


def _drop_glyphs(text: str) -> str:
    """The bullets as a conversion that lost the glyphs gives them: indentation only."""
    return re.sub(r"(?m)^([ \t]*)[-\u2022][ \t]+", r"\1    ", text)


@pytest.mark.parametrize("surface", TEXT_SURFACES)
@pytest.mark.parametrize("k", range(len(LETTERS)))
def test_a_record_missing_a_bullet_is_flagged_in_every_surface(surface: str, k: int) -> None:
    letter = LETTERS[k]
    doc = extract(letter.render(surface), engine="rules")  # type: ignore[arg-type]
    assert doc.letter is not None and doc.validation.status == "passed"
    from ofsted_extractor.loading import load_text

    text = load_text(letter.render(surface)).text  # type: ignore[arg-type]
    for list_name in ("strengths", "areas_for_improvement"):
        for i in range(len(getattr(doc.letter, list_name))):
            record = doc.letter.model_copy(deep=True)
            del getattr(record, list_name)[i]
            errors = [x for x in validate(text, record) if x.severity == "error"]
            assert {"findings.count_mismatch", "findings.unaccounted_text"} <= {
                x.code for x in errors
            } or {"findings.missing"} <= {x.code for x in errors}


@pytest.mark.parametrize("surface", TEXT_SURFACES)
@pytest.mark.parametrize("k", range(len(LETTERS)))
def test_bullets_whose_glyphs_were_lost_are_never_passed_incomplete(surface: str, k: int) -> None:
    letter = LETTERS[k]
    doc = extract(_drop_glyphs(letter.render(surface)), engine="rules")  # type: ignore[arg-type]
    assert doc.letter is not None
    found = len(doc.letter.strengths) + len(doc.letter.areas_for_improvement)
    wanted = len(letter.gold.strengths) + len(letter.gold.areas_for_improvement)
    if doc.validation.status == "passed":
        assert found == wanted
        assert [f.text for f in doc.letter.strengths] == [f.text for f in letter.gold.strengths]


@pytest.mark.parametrize("surface", TEXT_SURFACES)
@pytest.mark.parametrize("k", range(len(LETTERS)))
def test_a_record_missing_a_count_is_flagged_in_every_surface(surface: str, k: int) -> None:
    from ofsted_extractor.loading import load_text

    raw = LETTERS[k].render(surface)  # type: ignore[arg-type]
    doc = extract(raw, engine="rules")
    assert doc.letter is not None and doc.validation.status == "passed"
    text = load_text(raw).text
    for list_name in ("strengths", "areas_for_improvement"):
        for i, finding in enumerate(getattr(doc.letter, list_name)):
            for j in range(len(finding.counts)):
                record = doc.letter.model_copy(deep=True)
                del getattr(record, list_name)[i].counts[j]
                codes = {x.code for x in validate(text, record, raw) if x.severity == "error"}
                assert "count.unrecorded" in codes, (list_name, i, j)
