"""The bullets of the letter as the user has it, counted by the conversion's own cues.

validators.layout reads the original text (before the loader's normalising), so a wrong guess of
the loader about where a bullet ends cannot pass unseen: the record's number of findings must be
the number of bullets the cues show, and a list no cue splits cannot pass with several.
"""

from __future__ import annotations

import pytest

from ofsted_extractor.schema import Finding, Letter
from ofsted_extractor.validators.layout import check_bullet_cues, count_bullet_cues

AREAS = "\n\nAreas for further improvement\n\n- Only one.\n"


def _count(body: str) -> int | None:
    return count_bullet_cues(body.split("\n"), furniture=set())


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("- One.\n- Two.\n- Three.", 3, id="dashes"),
        pytest.param("\uf0b7 One\nwraps.\n\uf0b7 Two.", 2, id="word-symbol-glyph"),
        pytest.param("\u2022\n\nOne.\n\n\u2022\n\nTwo.", 2, id="glyph-alone-then-text"),
        pytest.param("1. One.\n2. Two.", 2, id="numbered"),
        pytest.param("  One\nwraps here.\n  Two.\n  Three\nwraps.", 3, id="indented-first-lines"),
        pytest.param("One\n    wraps.\nTwo\n    wraps.", 2, id="hanging-indent"),
        pytest.param("One\nwraps.\n\nTwo.\n\nThree.", 3, id="blank-line-paragraphs"),
        pytest.param("One\n  wraps.\n\n\n  over a page.\nTwo.", 2, id="page-break-inside-a-bullet"),
        pytest.param("One.\nTwo.\nThree.", None, id="no-cue-at-all"),
        pytest.param("\u2022\n\u2022\n\nOne. Two.\nThree.", None, id="glyphs-set-apart-from-texts"),
        pytest.param("One single bullet.", 1, id="one-line"),
    ],
)
def test_bullets_are_counted_by_the_cues_of_the_original(body: str, expected: int | None) -> None:
    assert _count(body) == expected


def test_page_numbers_furniture_and_letterhead_are_not_bullets() -> None:
    body = "- One.\n\n3\n\nAviation House\n125 Kingsway\nRunning footer\n- Two."
    assert count_bullet_cues(body.split("\n"), furniture={"Running footer"}) == 2


def _letter(n: int) -> Letter:
    return Letter(
        strengths=[Finding(text=f"Finding {k}.", topic="other") for k in range(n)],
        areas_for_improvement=[Finding(text="Only one.", topic="other")],
    )


@pytest.mark.parametrize(
    ("body", "findings", "codes"),
    [
        pytest.param("- A.\n- B.", 2, [], id="as-many-findings-as-bullets"),
        pytest.param("- A.\n- B.\n- C.", 2, ["findings.cue_count_mismatch"], id="one-too-few"),
        pytest.param("A.\nB.\nC.", 3, ["findings.bullets_unmarked"], id="nothing-proves-three"),
        pytest.param("A.\nB.\nC.", 1, [], id="one-block-read-as-one"),
    ],
)
def test_the_record_must_have_as_many_findings_as_the_cues_show(
    body: str, findings: int, codes: list[str]
) -> None:
    original = f"Strengths\n\n{body}{AREAS}"
    issues = check_bullet_cues(original, _letter(findings))
    assert [i.code for i in issues] == codes
    assert all(i.severity == "error" and i.field == "strengths" for i in issues)
