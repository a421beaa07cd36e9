"""The rules engine gets every field right on noisy versions of the real letters.

Each variant of tests/noise.py (moved wraps, curly quotes, markdown, page furniture, hard
wrapping at 80 columns, a real PDF, ...) must give the same record as the clean letter, and
the record must pass validation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ofsted_extractor import extract, extract_file
from ofsted_extractor.loading import normalise
from ofsted_extractor.schema import Letter
from tests.conftest import REAL_LETTERS as LETTERS
from tests.conftest import example_text as letter_text
from tests.conftest import gold_letter as gold
from tests.noise import VARIANTS, to_pdf
from tests.test_rules_engine import without_provenance


def assert_matches_gold(letter: Letter | None, name: str) -> None:
    assert letter is not None
    got = without_provenance(letter.model_dump(mode="json"))
    want = without_provenance(gold(name).model_dump(mode="json"))
    wrong = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    assert not wrong, json.dumps(wrong, indent=1)[:3000]


@pytest.mark.parametrize("variant", VARIANTS.keys())
@pytest.mark.parametrize("name", LETTERS)
def test_a_noisy_variant_gives_the_hand_labelled_record(name: str, variant: str) -> None:
    make: Callable[[str], str] = VARIANTS[variant]
    doc = extract(make(letter_text(name)), engine="rules", path=f"{name}-{variant}.txt")
    assert doc.error is None
    assert doc.validation.status == "passed", doc.validation.issues
    assert_matches_gold(doc.letter, name)


@pytest.mark.parametrize("name", LETTERS)
def test_a_pdf_of_the_letter_gives_the_hand_labelled_record(name: str, tmp_path: Path) -> None:
    pdf = to_pdf(letter_text(name), tmp_path / f"{name}.pdf")
    doc = extract_file(pdf, engine="rules")
    assert doc.source.format == "pdf"
    assert doc.validation.status == "passed", doc.validation.issues
    assert_matches_gold(doc.letter, name)


@pytest.mark.parametrize("variant", VARIANTS.keys())
def test_spans_point_into_the_noisy_original(variant: str) -> None:
    raw = VARIANTS[variant](letter_text("worcestershire-2011"))
    doc = extract(raw, engine="rules")
    assert doc.letter is not None
    # the grade digit sits in the verdict line of whatever the user actually has
    span = doc.letter.provenance["grade"]
    assert raw[span.start : span.end] == "1"
    for finding in doc.letter.strengths:
        assert finding.span is not None
        original = raw[finding.span.start : finding.span.end]
        # the finding's words, in order, once the noise in that stretch is normalised away
        # (a page header or footer may sit inside a bullet that runs over a page break)
        got, want = normalise(original)[0].split(), finding.text.split()
        assert (got[0], got[-1]) == (want[0], want[-1])
        rest = iter(got)
        assert all(word in rest for word in want)
