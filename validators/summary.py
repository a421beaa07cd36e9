"""The summary: present, the letter's own words, and the whole of the judgement paragraphs."""

from __future__ import annotations

from ofsted_extractor.schema import Issue, Letter
from ofsted_extractor.validators.issues import error, warning
from ofsted_extractor.validators.reading import read_summary
from ofsted_extractor.validators.text import contains, short, squash


def check_summary(text: str, letter: Letter) -> list[Issue]:
    """summary is filled (missing.summary), occurs in the text (summary.not_in_text), and is the
    whole of the paragraphs between the verdict line and 'Strengths' (summary.incomplete, a
    warning: where those paragraphs end is read, not known)."""
    expected = read_summary(text)
    if letter.summary is None or not letter.summary.strip():
        return [
            error(
                "missing.summary",
                "summary",
                "summary is missing: copy the paragraphs between the verdict line and "
                "'Strengths', joined by a blank line",
                expected=expected,
            )
        ]
    if not contains(text, letter.summary):
        return [
            error(
                "summary.not_in_text",
                "summary",
                f"summary '{short(letter.summary)}' is not the letter's words: copy the "
                "paragraphs between the verdict line and 'Strengths' verbatim",
                expected=expected,
                found=letter.summary,
            )
        ]
    if expected is not None and squash(letter.summary) != squash(expected):
        return [
            warning(
                "summary.incomplete",
                "summary",
                "summary is in the letter but is not all of the paragraphs between the verdict "
                f"line and 'Strengths' ('{short(expected)}'): copy them all, and nothing else",
                expected=expected,
                found=letter.summary,
            )
        ]
    return []
