"""The promise: a `passed` record is right and complete, whatever conversion the letter went
through. Each hostile conversion (tests/hostile.py) of the real letters and of generated ones is
either read right or flagged; a record that passes while differing from gold breaks the promise.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ofsted_extractor import extract
from ofsted_extractor.eval.scoring import score_letter
from ofsted_extractor.eval.synth import generate
from ofsted_extractor.schema import Letter
from tests.hostile import HOSTILE

ROOT = Path(__file__).resolve().parents[1]


def _real(name: str) -> tuple[str, Letter]:
    data = json.loads((ROOT / "eval" / "gold" / f"{name}.json").read_text(encoding="utf-8"))
    text = (ROOT / "examples" / f"{name}.txt").read_text(encoding="utf-8")
    return text, Letter.model_validate(data["letter"])


CASES = {
    "worcestershire": _real("worcestershire-2011"),
    "dudley": _real("dudley-2011"),
    **{letter.id: (letter.render("clean"), letter.gold) for letter in generate(6, seed=44)},
}


@pytest.mark.parametrize("letter", CASES)
@pytest.mark.parametrize("conversion", HOSTILE)
def test_a_passed_record_is_right_whatever_the_conversion(conversion: str, letter: str) -> None:
    text, gold = CASES[letter]
    doc = extract(HOSTILE[conversion](text), engine="rules")
    assert doc.letter is not None
    if doc.validation.status == "passed":
        score = score_letter(doc.letter, gold, letter)
        assert score.perfect, score.diffs
