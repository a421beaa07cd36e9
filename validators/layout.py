"""How many bullets the letter *as the user has it* shows under each heading.

The other checks read the loader's normalised text, where the loader has already decided where
each bullet starts. When a conversion left no glyph, that decision is an inference, and a wrong
one would be invisible to every check that reads the loader's output. This module reads the
original text instead, with its own reader, and counts the cues a conversion leaves: glyphs
(also alone on their line), numbers, a first line indented unlike the lines after it, and blank
lines. Only word lists are shared with the loader and the engine.

A check here is `(original, letter) -> issues`; `validate` runs them when given the original.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from itertools import pairwise

from ofsted_extractor.schema import Issue, Letter
from ofsted_extractor.textutil import (
    AREAS_WORDING,
    BULLET_GLYPHS,
    CLOSING_WORDING,
    LETTERHEAD_WORDING,
    SIGN_OFF_WORDING,
    STRENGTHS_WORDING,
)
from ofsted_extractor.validators.findings import HEADINGS as _HEADINGS
from ofsted_extractor.validators.issues import error
from ofsted_extractor.validators.text import line_matching, lowered

#: A check of the original text: (the file's text as read, record) -> issues.
OriginalCheck = Callable[[str, Letter], list[Issue]]

_LISTS = (("strengths", STRENGTHS_WORDING), ("areas_for_improvement", AREAS_WORDING))

# A list heading on its own line, with markdown or bold leftovers: "## **Strengths**"
_HEADING = {
    name: re.compile(rf"^[#*_\s]*{wording}[#*_\s]*:?[#*_\s]*$", re.IGNORECASE)
    for name, wording in _LISTS
}
# Where the last list ends: the closing paragraph or the sign-off, anywhere on a line.
_END = re.compile(rf"{CLOSING_WORDING}|{SIGN_OFF_WORDING}", re.IGNORECASE)

# Glyphs conversions put before a bullet: "-", "*", "+", "•", "●", "▪", Word's Symbol bullet
# as U+F0B7 / U+F0A7, an en dash ... and a numbered item "1.", "2)", "(a)".
_GLYPH = f"[-*+\u2013{BULLET_GLYPHS}]"
# "• The very large majority ...", "\uf0b7\tThe ...", "3. The ...", "(b) The ..."
_CUED_LINE = re.compile(rf"^[ \t]*(?:{_GLYPH}|\(?(?:\d{{1,2}}|[a-z])[.)])(?:[ \t]+\S|[ \t]*$)")
# A line of Ofsted's letterhead, which a converter can drop into the list (the column read after
# page 1's footer): "Aviation House", "T 0300 123 1231", "www.ofsted.gov.uk"
_LETTERHEAD = re.compile(LETTERHEAD_WORDING, re.I)
# A glyph with no text beside it: "\uf0b7"
_GLYPH_ALONE = re.compile(rf"^[ \t]*{_GLYPH}[ \t]*$")
# A page number or "Page 2 of 4" standing alone: furniture, never a bullet.
_PAGE_NUMBER = re.compile(r"^[ \t]*(?:page\s+)?\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?[ \t]*$", re.I)


def _indent(line: str) -> int:
    return len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip(" "))


# Characters that carry no layout: zero-width ones and the byte-order mark; and spaces of other
# widths, which are spaces for indentation.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")


# Both readers below split the same original: split once.
@lru_cache(maxsize=8)
def _lines(original: str) -> tuple[str, ...]:
    """The original's lines: page breaks are line breaks, odd spaces are spaces."""
    return tuple(_joined(original).split("\n"))


@lru_cache(maxsize=8)
def _joined(original: str) -> str:
    """The original's lines joined by "\\n" (what _lines splits)."""
    # the invisible characters and odd spaces are all outside ASCII
    text = original if original.isascii() else _SPACES.sub(" ", _INVISIBLE.sub("", original))
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")


# The word each heading's lines hold, lower-cased: in ASCII text only those lines are tried.
_HEADING_WORD = {"strengths": "strengths", "areas_for_improvement": "areas"}


def _heading_index(original: str, name: str) -> int | None:
    """Index of the first line of the original that `_HEADING[name]` matches, or None."""
    lines, rx = _lines(original), _HEADING[name]
    return next((i for i, line in enumerate(lines) if rx.match(line)), None)


def _may_end(line: str) -> bool:
    """False when `line` cannot hold _END: an ASCII line without "this" or "yours" in any case
    (re.I also folds "ſ" into "s" and "ı" into "i", which str.lower leaves alone)."""
    if not line.isascii():
        return True
    low = line.lower()
    return "this" in low or "yours" in low


def _sections(original: str) -> dict[str, list[str] | None]:
    """The lines under each list heading of the original."""
    joined = _joined(original)
    if joined.isascii():
        return _ascii_sections(joined)
    lines = _lines(original)
    heads = {name: _heading_index(original, name) for name in _HEADING}
    sections: dict[str, list[str] | None] = {}
    for name, head in heads.items():
        if head is None:
            sections[name] = None
            continue
        stop = min([len(lines), *(h for h in heads.values() if h is not None and h > head)])
        body: list[str] = []
        for line in lines[head + 1 : stop]:
            end = _END.search(line) if _may_end(line) else None
            if end:
                if line[: end.start()].strip():
                    body.append(line[: end.start()])
                break
            body.append(line)
        sections[name] = body
    return sections


# A word every match of one of _END's wordings holds, lower-cased: CLOSING_WORDING ends "is
# provided", SIGN_OFF_WORDING is "Yours sincerely" or "Yours faithfully".
_END_WORDS = ("provided", "yours")


def _ascii_sections(joined: str) -> dict[str, list[str] | None]:
    """_sections of an ASCII original, read by offsets in its joined lines: a heading is tried
    only on the lines holding its word, the end only on the lines holding a word every end
    holds, and only the lists' own lines are split."""
    low = lowered(joined)
    heads: dict[str, int | None] = {}
    for name, heading in _HEADING.items():
        line = line_matching(joined, low, heading, _HEADING_WORD[name])
        heads[name] = line[0] if line else None
    sections: dict[str, list[str] | None] = {}
    for name, head in heads.items():
        if head is None:
            sections[name] = None
            continue
        start = joined.find("\n", head) + 1  # where the line after the heading starts
        nexts = [h for h in heads.values() if h is not None and h > head]
        if start == 0 or (nexts and min(nexts) <= start):
            sections[name] = []  # the heading is the last line, or the next one follows it
            continue
        stop = min(nexts) - 1 if nexts else len(joined)  # the list's lines end at stop
        sections[name] = _ascii_body(joined, low, start, stop)
    return sections


def _ascii_body(joined: str, low: str, start: int, stop: int) -> list[str]:
    """The lines of joined[start:stop] up to the first that _END matches, with what stands
    before the match on that line when it is not blank. Only the lines holding a word every
    match holds are searched, found in the lower-cased `low` within the list's own lines."""
    # each word's next place, found again only once passed, so the list's lines are searched
    # once whatever the number of lines holding the words
    places = {word: _found(low, word, start, stop) for word in _END_WORDS}
    at = min(places.values())
    while at < stop:
        line_start = joined.rfind("\n", 0, at) + 1
        line_end = joined.find("\n", at)
        line_end = len(joined) if line_end < 0 else line_end
        line = joined[line_start:line_end]
        if m := _END.search(line):
            body = joined[start : line_start - 1].split("\n") if line_start > start else []
            if line[: m.start()].strip():
                body.append(line[: m.start()])
            return body
        for word, place in places.items():
            if place < line_end:
                places[word] = _found(low, word, line_end, stop)
        at = min(places.values())
    return joined[start:stop].split("\n")


def _found(low: str, word: str, start: int, stop: int) -> int:
    """Where `word` first stands wholly inside low[start:stop], else `stop`."""
    at = low.find(word, start, stop)
    return stop if at < 0 else at


def _furniture(original: str) -> set[str]:
    """Short lines that recur in the document (running headers and footers)."""
    counts = Counter(map(str.strip, _lines(original)))
    counts.pop("", None)
    return {
        line
        for line, n in counts.items()
        if n >= 2 and len(line) <= 100 and not _CUED_LINE.match(line)
    }


def count_bullet_cues(lines: list[str], furniture: set[str]) -> int | None:
    """How many bullets the lines show, or None when no cue shows where each one ends (one
    block of lines with no cue at all, or every glyph set apart from its text).

    Glyphs or numbers, when the list has any, are the count. Otherwise, when some lines are
    indented unlike the list's first line, every line indented like the first starts a bullet
    (a hanging or indented first line); else each blank-line-separated block is one. Page
    numbers, recurring lines and letterhead lines are not read."""
    kept: list[str] = []
    text_lines: list[str] = []
    alone: list[bool] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            kept.append(line)
            continue
        # a page number opens with a digit or "page"
        if (
            stripped in furniture
            or ((stripped[0].isdigit() or stripped[0] in "pP") and _PAGE_NUMBER.match(line))
            or _LETTERHEAD.fullmatch(stripped)
        ):
            continue
        kept.append(line)
        text_lines.append(line)
        # Glyphs alone on their lines (the glyph is all a stripped line holds), two or more in
        # a row: the converter set all the glyphs apart from their texts (pdftotext), so the
        # count is known but not where each text ends.
        alone.append(len(stripped) == 1 and _GLYPH_ALONE.match(line) is not None)
    if not text_lines:
        return 0
    cued = sum(1 for line in text_lines if _CUED_LINE.match(line))
    if any(a and b for a, b in pairwise(alone)):
        return None
    if cued:
        return cued
    first_indent = _indent(text_lines[0])
    # When some lines are indented unlike the first, the first lines of bullets stand out (a
    # hanging or indented first line): every line indented like the first starts a bullet, and
    # a blank line (a page break inside a bullet) does not.
    varied = any(_indent(line) != first_indent for line in text_lines)
    if varied:
        return sum(1 for line in text_lines if _indent(line) == first_indent)
    starts = 0
    after_blank = True
    for line in kept:
        if not line.strip():
            after_blank = True
            continue
        if after_blank:
            starts += 1
        after_blank = False
    if starts == 1 and len(text_lines) > 1:
        return None
    return starts


def check_bullet_cues(original: str, letter: Letter) -> list[Issue]:
    """Each list has as many findings as the original text shows bullets, read from its own
    cues (findings.cue_count_mismatch); a list of several lines with no cue at all cannot be
    split with certainty (findings.bullets_unmarked), unless the record reads it as one."""
    issues: list[Issue] = []
    furniture = _furniture(original)
    for name, lines in _sections(original).items():
        if lines is None:
            continue  # check_findings_accounted reports a missing heading
        findings = len(getattr(letter, name))
        shown = count_bullet_cues(lines, furniture)
        if shown is None:
            if findings != 1:
                issues.append(
                    error(
                        "findings.bullets_unmarked",
                        name,
                        f"nothing in the text under '{_HEADINGS[name]}' (a glyph beside its "
                        "text, a number, an indented first line, a blank line) shows where a "
                        f"bullet ends, so the {findings} findings of the record cannot be "
                        "confirmed",
                        found=findings,
                    )
                )
        elif shown != findings:
            issues.append(
                error(
                    "findings.cue_count_mismatch",
                    name,
                    f"the letter as converted shows {shown} bullets under '{_HEADINGS[name]}' "
                    f"(glyphs, numbers, indented first lines or blank lines) but {name} has "
                    f"{findings} findings",
                    expected=shown,
                    found=findings,
                )
            )
    return issues


#: Checks of the original text, run by `validate` when it is given the original.
ORIGINAL_CHECKS: list[OriginalCheck] = [check_bullet_cues]
