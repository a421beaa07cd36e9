"""What the letter text itself says, read with plain patterns: what a record is checked against.

Every reader takes the normalised letter text and returns None (or empty lists) when the text
does not show the part, so a check can tell "the record disagrees with the text" from "the text
cannot settle it".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from functools import lru_cache

from ofsted_extractor.schema import GRADE_LABELS
from ofsted_extractor.textutil import (
    ADVERB,
    APOSTROPHE,
    AREAS_WORDING,
    BULLET_GLYPHS,
    CLOSING_WORDING,
    GRADE_BY_ADVERB,
    SERVICES_ASSESSMENT,
    SIGN_OFF_WORDING,
    STRENGTHS_WORDING,
)
from ofsted_extractor.validators.text import (
    MONTHS,
    finditer_at,
    line_matching,
    line_starts,
    lowered,
    occurrences,
    search_at,
    squash,
)

# The verdict line, the only place the authority's own grade is stated:
#   "Children's services assessment\tPerforms poorly (1)"
# The leading label and the bracketed digit are what the scale table rows
# ("4\tPerforms excellently\tAn organisation that ...") and the standard paragraph
# ("an assessment of 'performs poorly' does not mean ...") never have. The digit is optional so
# a letter that drops it still yields the label's grade.
VERDICT_LINE = re.compile(
    rf"{SERVICES_ASSESSMENT}[^\S\n]*\n?[^\S\n]*performs\s+(?P<adverb>{ADVERB})"
    r"(?:[^\S\n]*\([^\S\n]*(?P<digit>[1-4])[^\S\n]*\))?",
    re.IGNORECASE,
)

# The heading above the verdict line, on a line of its own:
#   "Worcestershire County Council children's services assessment 2011"
# ("Annual children's services assessment" has no year; the closing "This children's services
# assessment is provided ..." is not followed by a year.)
HEADING_LINE = re.compile(
    rf"^[^\S\n]*(?P<authority>\S[^\n]*?)[^\S\n]+children{APOSTROPHE}s[^\S\n]+services"
    r"[^\S\n]+assessment[^\S\n]+(?P<year>(?:19|20)\d\d)[^\S\n]*$",
    re.IGNORECASE | re.MULTILINE,
)

# The summary's opening verb: "Children's services in Worcestershire County Council perform
# poorly because of inadequacies in safeguarding." Bounded to one line and 200 characters so it
# cannot run on into another sentence's "performs well".
PERFORMANCE_SENTENCE = re.compile(
    rf"Children{APOSTROPHE}s\s+services\s+in\s+(?P<authority>[^\n]{{1,200}}?)\s+"
    rf"performs?\s+(?P<adverb>{ADVERB})\b",
)

# A date line of its own, as letters are dated: "8 November 2011".
DATE_LINE = re.compile(
    r"^[^\S\n]*(?P<day>\d{1,2})(?:st|nd|rd|th)?[^\S\n]+(?P<month>" + "|".join(MONTHS) + r")"
    r"[^\S\n]+(?P<year>(?:19|20)\d\d)[^\S\n]*$",
    re.MULTILINE,
)

# Headings that open the two bullet lists, possibly with markdown leftovers or a colon:
#   "Strengths", "## **Strengths**", "Areas for further improvement:"
# and the older wordings "Major strengths", "Important weaknesses and areas for development".
STRENGTHS_HEADING = re.compile(rf"^[#*\s]*{STRENGTHS_WORDING}[#*\s]*:?[#*\s]*$", re.IGNORECASE)
AREAS_HEADING = re.compile(rf"^[#*\s]*{AREAS_WORDING}[#*\s]*:?[#*\s]*$", re.IGNORECASE)

# Every glyph a conversion leaves at the start of a bullet: the loader's "-", Word's Symbol-font
# bullet as the private-use U+F0B7 (pypdf), "•", "▪", "●", "◦", "*", an en dash, ...
_GLYPHS = "\\-*\u2013" + BULLET_GLYPHS

# A bullet line: "- The very large majority ...", "\uf0b7 The very ...", "• ...", and numbered or
# lettered items "1. ...", "2) ...", "(a) ...".
BULLET_LINE = re.compile(rf"^\s*(?:[{_GLYPHS}]|\(?(?:\d{{1,2}}|[a-z])[.)])\s+(?P<text>\S.*)$")

# A glyph alone on its line, the bullet's text on the next non-blank line (pdftotext's default
# output of a Word bullet: "\u2022" or "\uf0b7", then a blank line, then the text).
GLYPH_ONLY_LINE = re.compile(rf"^\s*[{_GLYPHS}]\s*$")

# The closing paragraph after the last bullet: "This children's services assessment is provided
# in accordance with section 138 ...". A loader that loses the blank line before it (a page break
# in a PDF) glues it to the last bullet, so a bullet is cut where it starts.
CLOSING_PARAGRAPH = re.compile(rf"\s*{CLOSING_WORDING}.*$", re.IGNORECASE)

# Where the last list ends at the latest: the closing paragraph, or the sign-off "Yours sincerely".
LISTS_END = re.compile(
    rf"{CLOSING_WORDING}|^[^\S\n]*{SIGN_OFF_WORDING}\b", re.IGNORECASE | re.MULTILINE
)

# A rule under the verdict line: "--------------------------------\t-------------------".
RULE_LINE = re.compile(r"^[\s\-_=\u2013\u2014]*$")

#: Keys of `read_bullets`, named after the Letter fields they fill.
BULLET_LISTS = ("strengths", "areas_for_improvement")

_LINE = re.compile(r"[^\n]+")


# A month's name, where a date line can be: "November"
_MONTH_NAME = re.compile("|".join(MONTHS))


# The readers below are pure functions of the text that several checks call: each reads a
# letter once. Their patterns open with ^ (multiline) or re.I, which the regex engine tries at
# every character; every match holds a known word ("children" in any case, a month's name), so
# in ASCII text they are tried only on the lines or at the places holding it (other text is
# searched whole: re.I folds "ı" into "i", which str.lower does not).
@lru_cache(maxsize=8)
def _verdict_line(text: str) -> re.Match[str] | None:
    if not text.isascii():
        return VERDICT_LINE.search(text)
    return search_at(VERDICT_LINE, text, _verdict_starts(lowered(text)))


def _verdict_starts(low: str) -> Iterator[int]:
    """Where a verdict line can start in lower-cased ASCII text: at the last "children" before
    each "performs" (its words between hold neither word), in order; "children" stands far more
    often than "performs" ("children's centres", "children's services")."""
    after = 0  # a verdict ending at a "performs" begins after the one before it
    performs = low.find("performs")
    while performs >= 0:
        children = low.rfind("children", after, performs)
        if children >= 0:
            yield children
        after = performs
        performs = low.find("performs", performs + 1)


@lru_cache(maxsize=8)
def _heading_line_match(text: str) -> re.Match[str] | None:
    if not text.isascii():
        return HEADING_LINE.search(text)
    # the authority and "children" stand on the line the match starts, which ends with the year
    starts = line_starts(text, occurrences(lowered(text), "children"))
    return search_at(HEADING_LINE, text, _ending_in_digit(text, starts))


def _ending_in_digit(text: str, starts: Iterator[int]) -> Iterator[int]:
    """The line starts of ASCII `text` whose line, trailing whitespace left out, ends with a
    digit (a year): a heading line's match ends there, and the paragraphs that also hold
    "children" are not tried."""
    for start in starts:
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        if line.rstrip()[-1:].isdigit():
            yield start


def _date_lines(text: str) -> Iterator[re.Match[str]]:
    """DATE_LINE.finditer(text), tried only on the lines holding a month's name."""
    months = (m.start() for m in _MONTH_NAME.finditer(text))
    return finditer_at(DATE_LINE, text, line_starts(text, months))


@lru_cache(maxsize=8)
def read_verdict(text: str) -> tuple[int, str] | None:
    """Grade and label from the verdict line, e.g. (1, 'Performs poorly'); None if no verdict line.

    The label is returned in its schema form (GRADE_LABELS). When the line's bracketed digit
    contradicts its label the digit is returned (it is the grade proper) with the label as written,
    so a check can report the contradiction.
    """
    m = _verdict_line(text)
    if m is None:
        return None
    from_label = GRADE_BY_ADVERB[m["adverb"].lower()]
    label = GRADE_LABELS[from_label]
    grade = int(m["digit"]) if m["digit"] else from_label
    return grade, label


@lru_cache(maxsize=8)
def read_heading(text: str) -> tuple[str, int] | None:
    """Authority and year from the heading 'X children's services assessment 2011', or None."""
    m = _heading_line_match(text)
    if m is None:
        return None
    # Markdown leftovers ("## **Dudley ... services** assessment") are not part of the name.
    authority = squash(m["authority"].replace("**", "").lstrip("# "))
    return authority, int(m["year"])


@lru_cache(maxsize=8)
def read_performance(text: str) -> tuple[int, str] | None:
    """Grade implied by the summary's 'Children's services in X perform <adverb>', with the
    sentence fragment that says it, e.g. (1, "Children's services in ... perform poorly")."""
    m = PERFORMANCE_SENTENCE.search(text)
    if m is None:
        return None
    return GRADE_BY_ADVERB[m["adverb"].lower()], squash(m[0])


@lru_cache(maxsize=8)
def read_letter_date(text: str) -> dt.date | None:
    """The first date standing on a line of its own ('8 November 2011'), or None."""
    for m in _date_lines(text):
        try:
            return dt.date(int(m["year"]), MONTHS.index(m["month"]) + 1, int(m["day"]))
        except ValueError:
            continue
    return None


def read_list_sections(text: str) -> dict[str, tuple[int, int] | None]:
    """Where each bullet list's body stands in `text`: (start, end) from just after its heading
    to the next list heading, the closing paragraph, "Yours sincerely" or the end of the text;
    None for a list whose heading the text lacks. Keys are BULLET_LISTS."""
    return dict(_sections(text))


# The word every line a heading pattern matches holds, lower-cased: the lines without it are
# not tried (in ASCII text; re.I also folds "ſ" into "s", which str.lower does not).
_HEADING_WORD = {"strengths": "strengths", "areas_for_improvement": "areas"}


# Several checks read the same letter's lists; reading them once per text keeps validate cheap.
@lru_cache(maxsize=8)
def _sections(text: str) -> tuple[tuple[str, tuple[int, int] | None], ...]:
    low = lowered(text) if text.isascii() else None
    heads: dict[str, tuple[int, int] | None] = {}
    for key, heading in zip(BULLET_LISTS, (STRENGTHS_HEADING, AREAS_HEADING), strict=True):
        if low is None:
            line = next((m for m in _LINE.finditer(text) if heading.match(m[0])), None)
            heads[key] = line.span() if line else None
        else:
            heads[key] = line_matching(text, low, heading, _HEADING_WORD[key])
    sections: dict[str, tuple[int, int] | None] = {}
    for key, head in heads.items():
        if head is None:
            sections[key] = None
            continue
        start = head[1]
        ends = [len(text)]
        ends += [h[0] for h in heads.values() if h is not None and h[0] > start]
        # an end at or after the next heading changes nothing, so it is looked for before it
        closing = _lists_end(text, low, start, min(ends))
        if closing is not None:
            ends.append(closing)
        sections[key] = (start, min(ends))
    return tuple(sections.items())


def _lists_end(text: str, low: str | None, start: int, limit: int) -> int | None:
    """Where LISTS_END first matches at or after `start`, or None; None too when that is at or
    after `limit`, a line start (the next heading) or the text's end: no match starting before
    it reaches past it, since no heading line is part of a closing or sign-off.

    In ASCII text it is tried only where a match can begin: at the "this" that opens the closing
    paragraph, the last one before each "provided" (the closing's last word: no other "this"
    stands between), and at the start of a line whose first word is "yours" (the sign-off)."""
    if low is None:
        m = LISTS_END.search(text, start)
        return m.start() if m else None
    closing = -1
    after = start  # the closing that ends at a "provided" begins after the one before it
    provided = low.find("provided", start, limit)
    while provided >= 0:
        this = low.rfind("this", after, provided)
        if this >= 0 and LISTS_END.match(text, this):
            closing = this
            break
        after = provided
        provided = low.find("provided", provided + 1, limit)
    sign_off = low.find("yours", start, limit)
    while sign_off >= 0:
        line = text.rfind("\n", 0, sign_off) + 1
        if line >= start and not text[line:sign_off].strip() and LISTS_END.match(text, line):
            sign_off = line
            break
        sign_off = low.find("yours", sign_off + 1, limit)
    found = [at for at in (closing, sign_off) if at >= 0]
    return min(found) if found else None


def read_bullets(text: str) -> dict[str, list[str]]:
    """Bullets under 'Strengths' and under 'Areas for further improvement'.

    Returns {"strengths": [...], "areas_for_improvement": [...]}: each bullet's text without its
    glyph, whitespace runs made single spaces. A bullet is found by any cue a conversion leaves:
    a glyph or number before the text, a glyph alone on its line with the text on the next
    non-blank line, or, when the list has no glyph at all, each blank-line-separated paragraph.
    A line directly under a bullet is its hard-wrapped continuation; a paragraph that none of
    these cues marks (page furniture, text after the list) is not a bullet: `read_list_sections`
    and `check_findings_accounted` see it. A list whose heading is missing is empty.
    """
    return {key: list(bullets) for key, bullets in _bullets(text)}


@lru_cache(maxsize=8)
def _bullets(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    result: dict[str, tuple[str, ...]] = {key: () for key in BULLET_LISTS}
    for key, section in _sections(text):
        if section is not None:
            body = text[section[0] : section[1]]
            bullets = _bullets_in(body.splitlines())
            if body.isascii() and "provided" not in lowered(text)[section[0] : section[1]]:
                # no bullet holds the closing paragraph (a bullet is the section's lines
                # joined, and every match of CLOSING_PARAGRAPH holds "provided")
                result[key] = tuple(map(squash, bullets))
            else:
                result[key] = tuple(squash(_cut_closing(b)) for b in bullets)
    return tuple(result.items())


def _cut_closing(bullet: str) -> str:
    """The bullet without a closing paragraph glued to it. Every match of CLOSING_PARAGRAPH holds
    "provided", so an ASCII bullet without it is not searched."""
    if bullet.isascii() and "provided" not in bullet.lower():
        return bullet
    return CLOSING_PARAGRAPH.sub("", bullet)


def _bullets_in(lines: list[str]) -> list[str]:
    if not any(BULLET_LINE.match(line) or GLYPH_ONLY_LINE.match(line) for line in lines):
        return _paragraphs(lines)
    bullets: list[str] = []
    previous_blank = True
    glyph_waiting = False
    for line in lines:
        if not line.strip():
            previous_blank = True
            continue
        # a bullet line has text after its glyph, a glyph-only line none: at most one matches
        m = BULLET_LINE.match(line)
        if m:
            bullets.append(m["text"])
            glyph_waiting = False
        elif GLYPH_ONLY_LINE.match(line):
            glyph_waiting = True
        elif glyph_waiting:
            bullets.append(line)
            glyph_waiting = False
        elif bullets and not previous_blank:
            bullets[-1] += " " + line
        previous_blank = False
    return bullets


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank-line-separated paragraphs, each joined into one line."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [" ".join(p) for p in paragraphs if p]


@lru_cache(maxsize=8)
def read_summary(text: str) -> str | None:
    """The paragraphs between the verdict line and 'Strengths', joined by a blank line, or None
    when either end is missing. Rule lines under the verdict table are left out."""
    verdict = _verdict_line(text)
    if verdict is None:
        return None
    rest = text[verdict.end() :]
    if rest.isascii() and not any(b in rest for b in _OTHER_LINE_BREAKS):
        # the lines are split at "\n" alone: the heading is looked for only on the lines
        # holding "strengths", and the lines above it are the summary's
        head = _strengths_line(text, verdict.end())
        if head is None:
            return None
        body = text[verdict.end() : head].split("\n")[1:-1]
    else:
        lines = rest.splitlines()
        end = next((i for i, line in enumerate(lines) if STRENGTHS_HEADING.match(line)), None)
        if end is None:
            return None
        # lines[0] is the rest of the verdict line itself.
        body = lines[1:end]
    paragraphs: list[list[str]] = [[]]
    for line in body:
        if RULE_LINE.match(line):
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        paragraphs[-1].append(line)
    joined = [squash(" ".join(p)) for p in paragraphs if p]
    return "\n\n".join(joined) if joined else None


# The line breaks of ASCII text str.splitlines splits at besides "\n".
_OTHER_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e"


def _strengths_line(text: str, base: int) -> int | None:
    """Where the first line of ASCII `text` after `base` that STRENGTHS_HEADING matches starts
    (`base` itself when it is the line `base` is on), or None; the lines are split at "\n"."""
    low = lowered(text)
    at = low.find("strengths", base)
    while at >= 0:
        start = text.rfind("\n", base, at)
        start = base if start < 0 else start + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        if STRENGTHS_HEADING.match(text[start:end]):
            return start
        at = low.find("strengths", end)
    return None


def paragraph_around(text: str, pos: int) -> tuple[int, int]:
    """(start, end) of the blank-line-separated paragraph of `text` that contains `pos`."""
    before = text.rfind("\n\n", 0, pos)
    start = 0 if before < 0 else before + 2
    after = text.find("\n\n", pos)
    return start, len(text) if after < 0 else after
