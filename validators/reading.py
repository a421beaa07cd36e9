"""What the letter text itself says, read with plain patterns: what a record is checked against.

Every reader takes the normalised letter text and returns None (or empty lists) when the text
does not show the part, so a check can tell "the record disagrees with the text" from "the text
cannot settle it".
"""

from __future__ import annotations

import datetime as dt
import re

from extractor.schema import GRADE_LABELS
from extractor.textutil import AREAS_WORDING, STRENGTHS_WORDING
from validators.text import MONTHS, squash

_ADVERB_GRADE: dict[str, int] = {"poorly": 1, "adequately": 2, "well": 3, "excellently": 4}

# The verdict line, the only place the authority's own grade is stated:
#   "Children's services assessment\tPerforms poorly (1)"
# The leading label and the bracketed digit are what the scale table rows
# ("4\tPerforms excellently\tAn organisation that ...") and the standard paragraph
# ("an assessment of 'performs poorly' does not mean ...") never have. The digit is optional so
# a letter that drops it still yields the label's grade.
VERDICT_LINE = re.compile(
    r"children['\u2018\u2019]s\s+services\s+assessment[^\S\n]*\n?[^\S\n]*"
    r"performs\s+(?P<adverb>poorly|adequately|well|excellently)"
    r"(?:[^\S\n]*\([^\S\n]*(?P<digit>[1-4])[^\S\n]*\))?",
    re.IGNORECASE,
)

# The heading above the verdict line, on a line of its own:
#   "Worcestershire County Council children's services assessment 2011"
# ("Annual children's services assessment" has no year; the closing "This children's services
# assessment is provided ..." is not followed by a year.)
HEADING_LINE = re.compile(
    r"^[^\S\n]*(?P<authority>\S[^\n]*?)[^\S\n]+children['\u2018\u2019]s[^\S\n]+services"
    r"[^\S\n]+assessment[^\S\n]+(?P<year>(?:19|20)\d\d)[^\S\n]*$",
    re.IGNORECASE | re.MULTILINE,
)

# The summary's opening verb: "Children's services in Worcestershire County Council perform
# poorly because of inadequacies in safeguarding." Bounded to one line and 200 characters so it
# cannot run on into another sentence's "performs well".
PERFORMANCE_SENTENCE = re.compile(
    r"Children['\u2018\u2019]s\s+services\s+in\s+(?P<authority>[^\n]{1,200}?)\s+"
    r"performs?\s+(?P<adverb>poorly|adequately|well|excellently)\b",
)

# A date line of its own, as letters are dated: "8 November 2011".
DATE_LINE = re.compile(
    r"^[^\S\n]*(?P<day>\d{1,2})(?:st|nd|rd|th)?[^\S\n]+(?P<month>" + "|".join(MONTHS) + r")"
    r"[^\S\n]+(?P<year>(?:19|20)\d\d)[^\S\n]*$",
    re.MULTILINE,
)

# Headings that open the two bullet lists, possibly with markdown leftovers:
#   "Strengths", "## **Strengths**", "Areas for further improvement"
# and the older wordings "Major strengths", "Important weaknesses and areas for development".
STRENGTHS_HEADING = re.compile(rf"^[#*\s]*{STRENGTHS_WORDING}[#*\s]*$", re.IGNORECASE)
AREAS_HEADING = re.compile(rf"^[#*\s]*{AREAS_WORDING}[#*\s]*$", re.IGNORECASE)

# A bullet line: "- The very large majority ..." (also "•" or "*" when the loader left them).
BULLET_LINE = re.compile(r"^\s*[-\u2022*\u2013]\s+(?P<text>\S.*)$")

# The closing paragraph after the last bullet: "This children's services assessment is provided
# in accordance with section 138 ...". A loader that loses the blank line before it (a page break
# in a PDF) glues it to the last bullet, so a bullet is cut where it starts.
CLOSING_PARAGRAPH = re.compile(
    r"\s*This\s+children['\u2018\u2019]s\s+services\s+assessment\s+is\s+provided\b.*$",
    re.IGNORECASE,
)

# A rule under the verdict line: "--------------------------------\t-------------------".
RULE_LINE = re.compile(r"^[\s\-_=\u2013\u2014]*$")

#: Keys of `read_bullets`, named after the Letter fields they fill.
BULLET_LISTS = ("strengths", "areas_for_improvement")


def read_verdict(text: str) -> tuple[int, str] | None:
    """Grade and label from the verdict line, e.g. (1, 'Performs poorly'); None if no verdict line.

    The label is returned in its schema form (GRADE_LABELS). When the line's bracketed digit
    contradicts its label the digit is returned (it is the grade proper) with the label as written,
    so a check can report the contradiction.
    """
    m = VERDICT_LINE.search(text)
    if m is None:
        return None
    from_label = _ADVERB_GRADE[m["adverb"].lower()]
    label = GRADE_LABELS[from_label]
    grade = int(m["digit"]) if m["digit"] else from_label
    return grade, label


def read_heading(text: str) -> tuple[str, int] | None:
    """Authority and year from the heading 'X children's services assessment 2011', or None."""
    m = HEADING_LINE.search(text)
    if m is None:
        return None
    # Markdown leftovers ("## **Dudley ... services** assessment") are not part of the name.
    authority = squash(m["authority"].replace("**", "").lstrip("# "))
    return authority, int(m["year"])


def read_performance(text: str) -> tuple[int, str] | None:
    """Grade implied by the summary's 'Children's services in X perform <adverb>', with the
    sentence fragment that says it, e.g. (1, "Children's services in ... perform poorly")."""
    m = PERFORMANCE_SENTENCE.search(text)
    if m is None:
        return None
    return _ADVERB_GRADE[m["adverb"].lower()], squash(m[0])


def read_letter_date(text: str) -> dt.date | None:
    """The first date standing on a line of its own ('8 November 2011'), or None."""
    for m in DATE_LINE.finditer(text):
        try:
            return dt.date(int(m["year"]), MONTHS.index(m["month"]) + 1, int(m["day"]))
        except ValueError:
            continue
    return None


def read_bullets(text: str) -> dict[str, list[str]]:
    """Bullets under 'Strengths' and under 'Areas for further improvement'.

    Returns {"strengths": [...], "areas_for_improvement": [...]}: each bullet's text without the
    leading "- ", whitespace runs made single spaces. Blank lines between bullets (page breaks)
    do not end a list; a non-bullet line after a blank line (the next heading, or "This children's
    services assessment is provided ...") does. A non-bullet line directly under a bullet is read
    as its hard-wrapped continuation; the standard closing paragraph never is. A list whose
    heading is missing is empty.
    """
    lines = text.splitlines()
    result: dict[str, list[str]] = {key: [] for key in BULLET_LISTS}
    for key, heading in zip(BULLET_LISTS, (STRENGTHS_HEADING, AREAS_HEADING), strict=True):
        start = next((i for i, line in enumerate(lines) if heading.match(line)), None)
        if start is not None:
            result[key] = _bullets_after(lines, start + 1)
    return result


def _bullets_after(lines: list[str], i: int) -> list[str]:
    bullets: list[str] = []
    previous_blank = True
    for line in lines[i:]:
        if not line.strip():
            previous_blank = True
            continue
        if STRENGTHS_HEADING.match(line) or AREAS_HEADING.match(line):
            break
        m = BULLET_LINE.match(line)
        if m:
            bullets.append(m["text"])
        elif bullets and not previous_blank:
            bullets[-1] += " " + line
        else:
            break
        previous_blank = False
    return [squash(CLOSING_PARAGRAPH.sub("", b)) for b in bullets]


def read_summary(text: str) -> str | None:
    """The paragraphs between the verdict line and 'Strengths', joined by a blank line, or None
    when either end is missing. Rule lines under the verdict table are left out."""
    verdict = VERDICT_LINE.search(text)
    if verdict is None:
        return None
    lines = text[verdict.end() :].splitlines()
    end = next((i for i, line in enumerate(lines) if STRENGTHS_HEADING.match(line)), None)
    if end is None:
        return None
    paragraphs: list[list[str]] = [[]]
    # lines[0] is the rest of the verdict line itself.
    for line in lines[1:end]:
        if RULE_LINE.match(line):
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        paragraphs[-1].append(line)
    joined = [squash(" ".join(p)) for p in paragraphs if p]
    return "\n\n".join(joined) if joined else None


def paragraph_around(text: str, pos: int) -> tuple[int, int]:
    """(start, end) of the blank-line-separated paragraph of `text` that contains `pos`."""
    before = text.rfind("\n\n", 0, pos)
    start = 0 if before < 0 else before + 2
    after = text.find("\n\n", pos)
    return start, len(text) if after < 0 else after
