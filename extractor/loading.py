"""Reading input files into normalised letter text with a map back to the original offsets.

`normalise` turns the text of a letter, however it was produced (a clean .txt, markdown, a PDF's
text layer, pdftotext output), into one canonical form for the parsers:

- line breaks are "\\n"; form feeds (page breaks) are gone; a word hyphenated with a soft hyphen
  at a line break is one word again;
- typography is plain ASCII where it matters for matching: Unicode spaces -> " ", ligatures ->
  letters, curly quotes -> ' and ", en/em dashes and minus -> "-", zero-width characters removed;
- markdown markup is gone ("## " heading markers, **bold**, __bold__, *italic*);
- every bullet starts with "- " (from •, ●, ▪, ◦, ‣, ·, "* ", "+ ", indented "-");
- page furniture is gone: "Page 3 of 5", "- 3 -", bare page numbers at a page edge, and running
  headers/footers (short lines repeated at page edges, or repeated 3+ times);
- no trailing whitespace and no leading spaces on a line; runs of spaces are one space; a run of
  blanks and tabs that contains a tab is one "\\t" (the .txt letters separate the cells of the
  scale table and the verdict line with tabs; PDFs give spaces there);
- runs of blank lines are one blank line; no blank lines at the start or end;
- when the document is hard-wrapped (every line at most ~70-120 columns), the wrapped lines of a
  paragraph or bullet are joined with one space, so each paragraph and each bullet is one line.

Every step carries a map from each output character back to its index in the raw input, so a
value found in the normalised text can be reported as a `Span` of the original.
"""

from __future__ import annotations

import bisect
import codecs
import ctypes
import hashlib
import itertools
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ofsted_extractor.errors import InputError
from ofsted_extractor.limits import PDF_MAGIC, check_pages, reads_as_pdf
from ofsted_extractor.schema import SourceFormat, Span
from ofsted_extractor.textutil import (
    AREAS_WORDING,
    BULLET_GLYPHS,
    LETTERHEAD_WORDING,
    MONTHS,
    STRENGTHS_WORDING,
)

if TYPE_CHECKING:
    from pypdfium2 import PdfPage


@dataclass(frozen=True)
class LoadedText:
    """A letter's text, normalised, with `offsets` mapping each normalised char to the original.

    `offsets` has len(text) + 1 entries; offsets[i] is the index in `original` of text[i], and
    offsets[len(text)] == len(original).
    """

    path: str
    format: SourceFormat
    sha256: str
    original: str
    text: str
    offsets: Sequence[int]

    def span(self, start: int, end: int) -> Span:
        """Map a [start, end) range of `text` to a Span in `original`.

        The span runs from the original position of text[start] to just past the original
        position of text[end - 1], so markup removed after the last character (a closing "**")
        is not included. An empty range maps to an empty span. Raises ValueError when the range
        is not within `text`.
        """
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"range [{start}, {end}) is outside the text (0..{len(self.text)})")
        first = self.offsets[start]
        if start == end:
            return Span(start=first, end=first)
        last = min(self.offsets[end - 1] + 1, len(self.original))
        return Span(start=first, end=max(first, last))

    def locate(self, needle: str, start: int = 0) -> Span | None:
        """Find `needle` verbatim in `text` (from `start`) and return its original Span.

        Returns None when `needle` is empty or not found.
        """
        if not needle:
            return None
        at = self.text.find(needle, start)
        if at < 0:
            return None
        return self.span(at, at + len(needle))


# --- Offset-carrying text edits ------------------------------------------------------------------

# A piece of a replacement: literal text (its characters map to the start of the match) or the
# number of a group of the match (its characters keep their own offsets).
_Piece = str | int
_Repl = str | Callable[[re.Match[str]], str]
_TEMPLATE_REF = re.compile(r"\\(\d+)|\\g<(\w+)>")


def _template_pieces(template: str, rx: re.Pattern[str]) -> list[_Piece]:
    """Split a replacement template such as r"- \\1" into literal and group pieces."""
    pieces: list[_Piece] = []
    pos = 0
    for m in _TEMPLATE_REF.finditer(template):
        if m.start() > pos:
            pieces.append(template[pos : m.start()])
        pieces.append(int(m.group(1)) if m.group(1) else rx.groupindex[m.group(2)])
        pos = m.end()
    if pos < len(template):
        pieces.append(template[pos:])
    return pieces


#: Where each character of a text came from. An array of machine integers: copying a stretch
#: of it is a memory copy, where a list would hold an int object for each character.
Offsets = array  # of int, typecode "q"

# 0, 1, 2, ...: the offsets of a text no step has changed are a slice of it (grown as needed).
_ARANGE: array[int] = array("q")


def _identity(n: int) -> array[int]:
    """array("q", range(n)) by copying a slice of a kept one (the constructor makes an int
    object for every entry: 30 times slower)."""
    global _ARANGE
    if len(_ARANGE) < n:
        _ARANGE = array("q", range(max(n, 2 * len(_ARANGE), 1 << 16)))
    return _ARANGE[:n]


def _sub(
    text: str,
    offsets: Offsets,
    pattern: str | re.Pattern[str],
    repl: _Repl,
    matches: Iterable[re.Match[str]] | None = None,
) -> tuple[str, Offsets]:
    """`re.sub` that also rewrites `offsets` (len(text) + 1 entries, the last one the end).

    Literal replacement characters map to the match start; group references (\\1, \\g<name>)
    keep the offsets of the characters they copy; deleted characters disappear from the map.
    `matches`, when given, are `pattern`'s matches in order (found another way than finditer).
    """
    rx = re.compile(pattern) if isinstance(pattern, str) else pattern
    fixed = _template_pieces(repl, rx) if isinstance(repl, str) else None
    func = None if isinstance(repl, str) else repl
    out: list[str] = []
    out_offsets: Offsets = array("q")
    pos = 0
    for m in rx.finditer(text) if matches is None else matches:
        start, end = m.span()
        out.append(text[pos:start])
        out_offsets.extend(offsets[pos:start])
        pieces: list[_Piece] = [func(m)] if func is not None else fixed or []
        for piece in pieces:
            if isinstance(piece, str):
                out.append(piece)
                out_offsets.extend([offsets[start]] * len(piece))
            else:
                g_start, g_end = m.span(piece)
                if g_start >= 0:
                    out.append(text[g_start:g_end])
                    out_offsets.extend(offsets[g_start:g_end])
        pos = end
    if pos == 0 and not out:
        return text, offsets
    out.append(text[pos:])
    out_offsets.extend(offsets[pos:])
    return "".join(out), out_offsets


def _replace_ranges(
    text: str, offsets: Offsets, edits: Iterable[tuple[int, int, str]]
) -> tuple[str, Offsets]:
    """Replace sorted, non-overlapping [start, end) ranges of `text` with literal strings."""
    out: list[str] = []
    out_offsets: Offsets = array("q")
    pos = 0
    for start, end, new in edits:
        out.append(text[pos:start])
        out_offsets.extend(offsets[pos:start])
        out.append(new)
        out_offsets.extend([offsets[start]] * len(new))
        pos = end
    out.append(text[pos:])
    out_offsets.extend(offsets[pos:])
    return "".join(out), out_offsets


def _lines(text: str) -> Sequence[tuple[int, int]]:
    """(start, end) of every line, end excluding the "\\n". Several steps read the lines of the
    same text (a step that changes nothing hands the same string on): the last text's lines are
    kept, as a tuple, so that no caller can change them for the next."""
    global _LINES_OF
    kept = _LINES_OF
    if kept[0] is text:
        return kept[1]
    bounds: list[tuple[int, int]] = []
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        bounds.append((start, end))
        start = end + 1
    _LINES_OF = (text, tuple(bounds))
    return _LINES_OF[1]


#: The last text `_lines` read, and its lines (one pair, replaced whole: safe across threads).
_LINES_OF: tuple[str, tuple[tuple[int, int], ...]] = ("", ((0, 0),))


# --- Characters ----------------------------------------------------------------------------------

_ZERO_WIDTH = "[\u200b\u200c\u200d\u2060\ufeff\u00ad]"
_UNICODE_SPACES = "[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
_LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
_SINGLE_QUOTES = "[\u2018\u2019\u201a\u201b\u2032]"
_DOUBLE_QUOTES = "[\u201c\u201d\u201e\u201f\u2033]"
# Hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar, minus.
_DASHES = "[\u2010\u2011\u2012\u2013\u2014\u2015\u2212]"

# --- Lines ---------------------------------------------------------------------------------------

# Where a line starts: a page's first line starts after the form feed.
_LINE_START = r"(?m)(?:^|(?<=\f))"
# (Each pattern that starts a line is also kept without _LINE_START, as its *_BODY: a
# _LineStartStep tries the body at line starts only, instead of the regex engine testing
# _LINE_START at every character.)
# Word's Symbol and Wingdings bullets come through as private-use characters (U+F0B7 is the
# Symbol font's round bullet), as pypdf, pdftotext and PDFium give them.
_BULLET_GLYPHS = BULLET_GLYPHS
_BULLET_INDENT_BODY = re.compile(rf"[ \t]+(?=[{_BULLET_GLYPHS}]|[*+-][ \t])")
_BULLET_INDENT = re.compile(_LINE_START + _BULLET_INDENT_BODY.pattern)
# Any bullet but a plain "- ", which is already canonical.
_BULLET_BODY = re.compile(rf"(?!- \S)(?:[{_BULLET_GLYPHS}]|[*+-](?=[ \t]))[ \t]*(?=\S)")
_BULLET = re.compile(_LINE_START + _BULLET_BODY.pattern)
_HEADING_MARK_BODY = re.compile(r"[ \t]*#{1,6}[ \t]+")
_HEADING_MARK = re.compile(_LINE_START + _HEADING_MARK_BODY.pattern)
_LEADING_SPACES_BODY = re.compile(r" +")
_LEADING_SPACES = re.compile(_LINE_START + _LEADING_SPACES_BODY.pattern)
# Bold may run over a wrapped line break but never over a blank line.
_BOLD_STARS = re.compile(r"\*\*(?=\S)((?:(?!\n[ \t]*\n)[^*])+?)(?<=\S)\*\*")
_BOLD_UNDERSCORES = re.compile(r"(?<!\w)__(?=\S)((?:(?!\n[ \t]*\n)[^_])+?)(?<=\S)__(?!\w)")
# A star glued to a word ("five A* to C") is not markup.
_ITALIC_STARS = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")

_PAGE_NUMBER_ANYWHERE = re.compile(
    r"(?i)(?:page\s+\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?|-\s*\d{1,3}\s*-|\[\s*\d{1,3}\s*\])"
)
_PAGE_NUMBER_AT_EDGE = re.compile(r"\d{1,3}(?:\s*/\s*\d{1,3})?")
_SCALE_ROW = re.compile(r"[1-4]\s+Performs\b")
# "8 November 2011"
_DATE_LINE = re.compile(rf"\d{{1,2}} (?:{'|'.join(MONTHS)}) \d{{4}}")
_VERDICT = re.compile(r"(?i)children's services assessment\s+Performs\b")
_RULE = re.compile(r"[-=_][-=_\s]{2,}")
# The verdict table's two cells on lines of their own, as a converter that reads a table cell
# by cell gives them: "Children's services assessment\n\nPerforms well (3)"
_VERDICT_CELLS = re.compile(
    r"(?i)(?<=children's services assessment)[ \t]*\n(?:[ \t]*\n)*[ \t]*"
    r"(?=performs (?:excellently|well|adequately|poorly) \([1-4]\))"
)
# The standard closing paragraph, which a page break can leave right under the last bullet.
_CLOSING_PARAGRAPH = re.compile(r"This children's services assessment is provided\b")
_SECTION_HEADING = re.compile(
    rf"(?i:{STRENGTHS_WORDING}|{AREAS_WORDING}|yours (?:sincerely|faithfully))"
    r"|Dear [A-Z].*"
    r"|[A-Z][^.]{0,80}children's services assessment(?: \d{4})?"
    r"|\d{1,2} (?:January|February|March|April|May|June|July|August|September|October"
    r"|November|December) \d{4}"
)

_FURNITURE_MAX_LEN = 100
# How many non-blank lines at each edge of a page may be headers or footers.
_EDGE_LINES = 2


def _furniture_ranges(text: str) -> list[tuple[int, int]]:
    """Ranges to delete: page-number lines and running headers/footers, with their newline.

    Expects every form feed at the start of a line. A form feed itself is kept (the page break
    is resolved later); only the line content after it goes.
    """
    bounds = _lines(text)
    if "\f" not in text:
        return _one_page_furniture(text, bounds)
    return _paged_furniture(text, bounds)


def _paged_furniture(text: str, bounds: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    keys: list[str] = []
    page_of: list[int] = []
    page = 0
    for start, end in bounds:
        if text.startswith("\f", start):
            page += 1
        page_of.append(page)
        keys.append(text[start:end].replace("\f", " ").strip())
    pages = page + 1

    at_edge: set[int] = set()
    by_page: dict[int, list[int]] = {}
    for i, key in enumerate(keys):
        if key:
            by_page.setdefault(page_of[i], []).append(i)
    for members in by_page.values():
        at_edge.update(members[:_EDGE_LINES])
        at_edge.update(members[-_EDGE_LINES:])

    def may_repeat(key: str) -> bool:
        # What the letter's reading needs is never furniture, however often it repeats: a list
        # heading, a bullet glyph alone on its line (a list of ten gives ten such lines), the
        # verdict, a scale row.
        return (
            bool(key)
            and len(key) < _FURNITURE_MAX_LEN
            and not key.startswith("- ")
            and _LONE_CUE.fullmatch(key) is None
            and _LIST_HEADING.fullmatch(key) is None
            and not _SCALE_ROW.match(key)
            and not _VERDICT.search(key)
            and not _RULE.fullmatch(key)
        )

    # A running header or footer repeats at the edges of pages; a line that merely repeats
    # (a glyph, a short sentence) is not furniture.
    running: set[str] = set()
    if pages > 1:
        edge_counts = Counter(keys[i] for i in at_edge if may_repeat(keys[i]))
        running = {key for key, n in edge_counts.items() if n >= 2}

    ranges: list[tuple[int, int]] = []
    for i, ((start, end), key) in enumerate(zip(bounds, keys, strict=True)):
        if not key:
            continue
        # (each page-number pattern is tried only on a line that starts as it must)
        furniture = (
            key in running
            or (key[0] in "pP-[" and _PAGE_NUMBER_ANYWHERE.fullmatch(key) is not None)
            or (
                key[0].isdigit()
                and i in at_edge
                and _PAGE_NUMBER_AT_EDGE.fullmatch(key) is not None
            )
        )
        if not furniture:
            continue
        content_start = start
        while content_start < end and text[content_start] == "\f":
            content_start += 1
        ranges.append((content_start, end + 1 if end < len(text) else end))
    return ranges


def _one_page_furniture(text: str, bounds: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """`_furniture_ranges` of text with no form feed: one page has no running header or footer
    (that takes two pages), so only page-number lines go: "Page 2 of 5" anywhere, a bare "2" among
    the first and last two lines that are not blank."""
    keyed = []  # (line number, key) of each line that is not blank
    for i, (start, end) in enumerate(bounds):
        key = text[start:end].strip()
        if key:
            keyed.append((i, key))
    at_edge = {i for i, _ in keyed[:_EDGE_LINES]} | {i for i, _ in keyed[-_EDGE_LINES:]}
    ranges: list[tuple[int, int]] = []
    for i, key in keyed:
        if (key[0] in "pP-[" and _PAGE_NUMBER_ANYWHERE.fullmatch(key) is not None) or (
            key[0].isdigit() and i in at_edge and _PAGE_NUMBER_AT_EDGE.fullmatch(key) is not None
        ):
            start, end = bounds[i]
            ranges.append((start, end + 1 if end < len(text) else end))
    return ranges


def _remove_furniture(text: str, offsets: Offsets) -> tuple[str, Offsets]:
    # A form feed inside a line (pdftotext puts it at the start of the next page's first line,
    # but a paste may not) starts a line of its own, so page edges are lines.
    paged = "\f" in text
    if paged:
        text, offsets = _LONE_FORM_FEED(text, offsets)
    ranges = _furniture_ranges(text)
    if ranges:
        text, offsets = _replace_ranges(text, offsets, ((s, e, "") for s, e in ranges))
    if not paged:
        return text, offsets
    # A page break, with the blank lines around it, is one line break: the blank lines at a
    # page's foot are margin, not paragraph breaks, and a paragraph often runs over the break.
    # The indentation of the next page's first line stays: it may be a bullet's only cue.
    return _sub(text, offsets, _PAGE_BREAK, "\n", _page_breaks(text))


# A page break with the blank lines around it: "  \n\n\f\n \n"
_PAGE_BREAK = re.compile(r"[ \t\n]*\f(?:[ \t]*[\n\f])*")


def _page_breaks(text: str) -> list[re.Match[str]]:
    """`_PAGE_BREAK.finditer(text)`, found from the form feeds (the pattern's leading blanks
    would have the regex engine try it at every character): a match starts where the run of
    blanks before a form feed starts, or where the last match ended."""
    matches: list[re.Match[str]] = []
    end = 0
    at = text.find("\f")
    while at >= 0:
        start = at
        while start > end and text[start - 1] in " \t\n":
            start -= 1
        m = _PAGE_BREAK.match(text, start)
        assert m is not None  # blanks, then a form feed
        matches.append(m)
        end = m.end()
        at = text.find("\f", end)
    return matches


# --- The letterhead column ----------------------------------------------------------------------

# One piece of Ofsted's letterhead: "Aviation House", "125 Kingsway", "T", "0300", "Direct",
# "Juliet.Winstanley@ofsted.gov.uk", "www.ofsted.gov.uk" (a narrow column may wrap a phone
# number anywhere, so its digit groups are pieces of their own)
# A line (or a column's cell) of nothing but letterhead: "Direct T 020 7421 6666 Direct F ..."
_LETTERHEAD = re.compile(rf"(?i:{LETTERHEAD_WORDING})")
# The gap between two columns on one line, as layout-keeping converters give it.
_COLUMN_GAP = re.compile(r" {3,}|\t")
# "8 November 2011", alone or followed by the letterhead column
_DATE_START = re.compile(rf"[ \t]*\d{{1,2}} (?:{'|'.join(MONTHS)}) \d{{4}}(?=[ \t]{{2,}}|[ \t]*$)")
_DEAR = re.compile(r"[ \t]*Dear [A-Z]")


def _remove_letterhead(text: str, offsets: Offsets) -> tuple[str, Offsets]:
    """Drop the letterhead column where a converter put it inside the address block or the body.

    A word processor lays the letterhead (Ofsted's address, phone numbers, e-mail) in a column
    beside the date and the recipient's address; converters interleave the two columns, put them
    on the same lines, or move the letterhead after page 1's footer. Between the date and "Dear"
    every letterhead line or column cell goes (above the date, the cells beside an address line);
    after "Dear", runs of two or more letterhead lines go. Whole letterhead lines above the date
    (the usual reading order) stay.
    """
    bounds = _lines(text)
    date = next((i for i, (s, e) in enumerate(bounds) if _DATE_START.fullmatch(text, s, e)), None)
    if date is None:
        date = next((i for i, (s, _) in enumerate(bounds) if _DATE_START.match(text, s)), None)
    if date is None:
        return text, offsets
    dear = next(
        (i for i in range(date, len(bounds)) if _DEAR.match(text, bounds[i][0])), len(bounds)
    )
    ranges: list[tuple[int, int]] = []

    def whole(i: int) -> tuple[int, int]:
        start, end = bounds[i]
        return start, end + 1 if end < len(text) else end

    # Some layouts put the address above the date: there a letterhead cell beside an address
    # line goes too (whole letterhead lines above the date stay, as the letterhead usually is).
    for i in range(dear):
        start, end = bounds[i]
        line = text[start:end]
        if not line.strip():
            continue
        if _LETTERHEAD.fullmatch(line.strip()):
            if i >= date:
                ranges.append(whole(i))
            continue
        # Columns on one line: each cell that is letterhead goes with the gap before it.
        pos = 0
        cells: list[tuple[int, int, int]] = []  # (gap start, cell start, cell end)
        for gap in _COLUMN_GAP.finditer(line):
            cells.append((pos, pos, gap.start()))
            pos = gap.end()
        cells.append((pos, pos, len(line)))
        for k, (_, cell_start, cell_end) in enumerate(cells):
            cell = line[cell_start:cell_end].strip()
            if k and cell and _LETTERHEAD.fullmatch(cell):
                gap_start = cells[k - 1][2]
                ranges.append((start + gap_start, start + cell_end))
        if len(cells) > 1 and _LETTERHEAD.fullmatch(line[: cells[0][2]].strip() or "-"):
            # The letterhead cell first: it goes with the gap after it.
            ranges.append((start, start + cells[1][1]))
    run: list[int] = []
    for i in [*range(dear, len(bounds)), None]:
        if i is not None:
            content = text[bounds[i][0] : bounds[i][1]].strip(" \t\f")
            if not content:
                continue
            if _LETTERHEAD.fullmatch(content):
                run.append(i)
                continue
        if len(run) >= 2:
            ranges.extend(whole(j) for j in run)
        run = []
    if not ranges:
        return text, offsets
    # A form feed at the start of a deleted line stays: it marks the page break.
    cleaned = []
    for start, end in sorted(set(ranges)):
        while start < end and text[start] == "\f":
            start += 1
        cleaned.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in cleaned:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return _replace_ranges(text, offsets, ((s, e, "") for s, e in merged))


# --- Bullets without a glyph on their line -----------------------------------------------------

_LIST_HEADING = re.compile(rf"(?i:{STRENGTHS_WORDING}|{AREAS_WORDING})[ \t]*:?")
# What ends a list: the standard closing paragraph or the sign-off.
_LIST_END = re.compile(r"(?i:This children's services assessment is provided|Yours\s+)")
# A bullet glyph or a list number alone on its line: "•", "\uf0b7", "1.", "(a)"
_LONE_CUE = re.compile(rf"[{_BULLET_GLYPHS}*+o-]|\(?(?:\d{{1,2}}|[a-z]|[ivx]{{1,4}})[.)]")
# A list number before the bullet's text: "1. Most primary schools", "(a) Most ...", "a) Most"
_NUMBERED = re.compile(r"[ \t]*\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)][ \t]+(?=\S)")
_SENTENCE_END = (".", "!", "?", ";", ":")


# pdftotext leaves a blank line between two glyphs of a list when the first one's bullet runs
# to this many lines or more (measured on LibreOffice PDFs: one and two line bullets never have
# one, three and more always); a hint, weighed against the line lengths.
_TALL_BULLET = 3
_HINT_WEIGHT = 2.0


def _opens_sentence(line: str) -> bool:
    """A line that can start a finding: a capital or a number ("34 of the 40 ...")."""
    first = line.lstrip()[:1]
    return first.isupper() or first.isdigit()


def _split_points(lines: list[str], k: int, tall: Sequence[bool | None] = ()) -> list[int]:
    """Indexes into `lines` where each of `k` paragraphs starts (the first text line first).

    A paragraph ends at a blank line or at a line that ends a sentence before a capital; the
    shorter that line (a justified or wrapped paragraph's inner lines are full), the likelier.
    `tall[i]`, when known, says whether paragraph i has `_TALL_BULLET` lines or more. The
    split with the least cost is found by dynamic programming over the candidate ends.
    """
    text_idx = [i for i, line in enumerate(lines) if line.strip()]
    if not text_idx:
        return []
    if k <= 1:
        return [text_idx[0]]
    longest = max(len(lines[i].rstrip()) for i in text_idx)
    # cost of ending a paragraph after text line number t (an index into text_idx)
    end_cost: dict[int, float] = {}
    for t, (a, b) in enumerate(itertools.pairwise(text_idx)):
        line = lines[a].rstrip()
        if b > a + 1:
            end_cost[t] = 0.0
        elif line.endswith(_SENTENCE_END) and _opens_sentence(lines[b]):
            end_cost[t] = len(line) / longest
    n = len(text_idx)

    def hint_cost(par: int, size: int) -> float:
        want = tall[par] if par < len(tall) else None
        if want is None:
            return 0.0
        return 0.0 if (size >= _TALL_BULLET) == want else _HINT_WEIGHT

    # best[j][t]: least cost of j paragraphs covering text lines 0..t, paragraph j-1 ending at t
    inf = float("inf")
    best = [[inf] * n for _ in range(k + 1)]
    back = [[-1] * n for _ in range(k + 1)]
    for t in range(n):
        if t in end_cost or t == n - 1:
            best[1][t] = (end_cost.get(t, 0.0) if t < n - 1 else 0.0) + hint_cost(0, t + 1)
    for j in range(2, k + 1):
        for t in range(n):
            if t not in end_cost and t != n - 1:
                continue
            here = end_cost.get(t, 0.0) if t < n - 1 else 0.0
            for u in range(t):
                if best[j - 1][u] == inf:
                    continue
                cost = best[j - 1][u] + here + hint_cost(j - 1, t - u)
                if cost < best[j][t]:
                    best[j][t], back[j][t] = cost, u
    j = min(k, max((jj for jj in range(1, k + 1) if best[jj][n - 1] < inf), default=1))
    if best[j][n - 1] == inf:
        return [text_idx[0]]
    starts: list[int] = []
    t = n - 1
    while j > 1:
        u = back[j][t]
        starts.append(text_idx[u + 1])
        t, j = u, j - 1
    return [text_idx[0], *reversed(starts)]


def _paragraph_starts(lines: list[str]) -> list[int]:
    """Where bullets start in a list that has no glyph at all: the indentation, else paragraphs."""
    text_idx = [i for i, line in enumerate(lines) if line.strip()]
    # A finding is written in sentences; a list of words is not a list of findings.
    if not any(lines[i].rstrip().endswith(_SENTENCE_END) for i in text_idx):
        return []
    indents = [len(lines[i]) - len(lines[i].lstrip(" ")) for i in text_idx]
    if len(set(indents)) > 1:
        # A hanging (or indented) first line: every line indented like the first starts one.
        return [i for i, n in zip(text_idx, indents, strict=True) if n == indents[0]]
    longest = max(len(lines[i].rstrip()) for i in text_idx)
    # A line that stops mid-sentence before the next one is surely full: a sentence's end on a
    # line shorter than the shortest of those is a paragraph's end (justified text's lines vary
    # a little in characters, a paragraph's last line is short or just short of full).
    full = [
        len(lines[a].rstrip())
        for a, b in itertools.pairwise(text_idx)
        if b == a + 1 and not lines[a].rstrip().endswith(_SENTENCE_END)
    ]
    short = _FULL_SLACK * min(full) if full else _SHORT_LINE * longest
    starts = [text_idx[0]]
    for a, b in itertools.pairwise(text_idx):
        line = lines[a].rstrip()
        if (
            b > a + 1
            or longest > _UNWRAPPED_LEN
            or (line.endswith(_SENTENCE_END) and len(line) < short and _opens_sentence(lines[b]))
        ):
            starts.append(b)
    return starts


# A line shorter than this share of the longest in its list ends a paragraph there (when no
# line is known to be full); this share of the shortest full line, when one is.
_SHORT_LINE = 0.85
_FULL_SLACK = 0.97


def _list_edits(text: str, bounds: Sequence[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """The edits that make one list's bullets "- text" lines: lone glyphs go, "- " goes in."""
    lines = [text[s:e] for s, e in bounds]
    keys = [line.strip() for line in lines]
    if any(key.startswith("- ") for key in keys):
        return []
    edits: list[tuple[int, int, str]] = []
    numbered = [i for i, line in enumerate(lines) if _NUMBERED.match(line)]
    lone = [i for i, key in enumerate(keys) if _LONE_CUE.fullmatch(key)]
    if numbered and not lone:
        for i in numbered:
            m = _NUMBERED.match(lines[i])
            assert m is not None
            edits.append((bounds[i][0], bounds[i][0] + m.end(), "- "))
        return edits
    starts: list[int] = []
    if lone:
        # Runs of lone cues and runs of text; each text run takes the cue run before it (or,
        # when the converter put the glyphs last, the one after it) and splits into that many.
        runs: list[tuple[str, list[int]]] = []
        for i, key in enumerate(keys):
            if not key:
                continue
            kind = "cue" if i in lone else "text"
            if runs and runs[-1][0] == kind:
                runs[-1][1].append(i)
            else:
                runs.append((kind, [i]))
        used: set[int] = set()
        for r, (kind, members) in enumerate(runs):
            if kind != "text":
                continue
            k = 0
            if r > 0 and r - 1 not in used:
                k = len(runs[r - 1][1])
                used.add(r - 1)
            elif r + 1 < len(runs) and (r + 2 >= len(runs)):
                k = len(runs[r + 1][1])
                used.add(r + 1)
            if k == 0:
                continue
            first, last = members[0], members[-1]
            piece = lines[first : last + 1]
            glyphs = runs[r - 1][1] if r - 1 in used and k else runs[r + 1][1]
            # A blank line between two glyphs: the first one's bullet is tall (see _TALL_BULLET).
            tall: list[bool | None] = [b > a + 1 for a, b in itertools.pairwise(glyphs)]
            starts.extend(first + j for j in _split_points(piece, k, [*tall, None]))
        for i in lone:
            start, end = bounds[i]
            edits.append((start, end + 1 if end < len(text) else end, ""))
    else:
        starts = _paragraph_starts(lines)
    for i in starts:
        start = bounds[i][0] + len(lines[i]) - len(lines[i].lstrip(" \t"))
        edits.append((start, start, "- "))
    return sorted(edits)


def _is_list_heading(text: str, bounds: tuple[int, int]) -> bool:
    return _LIST_HEADING.fullmatch(text[bounds[0] : bounds[1]].strip()) is not None


# Every list heading holds one of these (lower-cased): "Strengths", "Areas for improvement"
_HEADING_WORDS = ("strengths", "areas")


def _heading_candidates(text: str, bounds: Sequence[tuple[int, int]]) -> Iterable[int]:
    """The lines that may be list headings, in order: in ASCII text those holding a heading
    word (found at memory speed, instead of a pattern tried on every line); every line of
    other text, whose case-insensitive matching folds what str.lower does not ("ſ" is "s")."""
    if not text.isascii():
        return range(len(bounds))
    low = text.lower()
    starts = [start for start, _ in bounds]
    found: set[int] = set()
    for word in _HEADING_WORDS:
        at = low.find(word)
        while at >= 0:
            found.add(bisect.bisect_right(starts, at) - 1)
            at = low.find(word, at + 1)
    return sorted(found)


def _bullet_cues(text: str, offsets: Offsets) -> tuple[str, Offsets]:
    """Make every bullet under a list heading a "- text" line, whatever cue the converter left.

    Cues: a glyph alone on its line, before a blank line and the text (pdftotext), or all of a
    list's glyphs first and then its texts; a number ("1.", "(a)"); no glyph at all, where the
    first line's indentation or the paragraph breaks show the bullets. Glyphs before the text
    on the same line were made "- " already.
    """
    bounds = _lines(text)
    heads = [i for i in _heading_candidates(text, bounds) if _is_list_heading(text, bounds[i])]
    edits: list[tuple[int, int, str]] = []
    for n, head in enumerate(heads):
        stop = heads[n + 1] if n + 1 < len(heads) else len(bounds)
        end = next(
            (
                i
                for i in range(head + 1, stop)
                if _LIST_END.match(text[bounds[i][0] : bounds[i][1]].lstrip())
            ),
            stop,
        )
        edits.extend(_list_edits(text, bounds[head + 1 : end]))
    if not edits:
        return text, offsets
    # Deletions and insertions at the same place: apply in order, insertions never overlap.
    return _replace_ranges(text, offsets, sorted(edits, key=lambda e: (e[0], e[1])))


# --- Hard-wrapped lines --------------------------------------------------------------------------

# Lines longer than this are not the product of hard wrapping.
_UNWRAPPED_LEN = 160
_MAX_WRAP_WIDTH = 140
_MIN_WRAP_WIDTH = 40
# A line was wrapped if it and the next line's first word would not have fitted in the wrap
# width; proportional fonts make a PDF's lines vary in characters, hence the slack.
_FULL_LINE = 0.6
_WOULD_OVERFLOW = 0.8


def _wrap_width(lines: list[str]) -> int | None:
    """The column a hard-wrapped document was wrapped at, or None if it is not hard-wrapped."""
    lengths = sorted(len(line) for line in lines if line.strip())
    if len(lengths) < 8:
        return None
    width = lengths[int(0.9 * (len(lengths) - 1))]
    too_long = sum(1 for n in lengths if n > _UNWRAPPED_LEN)
    if not _MIN_WRAP_WIDTH <= width <= _MAX_WRAP_WIDTH or too_long > max(1, len(lengths) // 50):
        return None
    return width


def _starts_own_line(line: str) -> bool:
    """A line that is never the continuation of the line before it."""
    return (
        line.startswith("- ")
        or _SCALE_ROW.match(line) is not None
        or _VERDICT.match(line) is not None
        or _RULE.fullmatch(line) is not None
        or _SECTION_HEADING.fullmatch(line.rstrip()) is not None
        or _CLOSING_PARAGRAPH.match(line) is not None
    )


def _address_block(lines: list[str]) -> range:
    """Line indexes from the date line to "Dear ...": one item a line, never wrapped."""
    start = next((i for i, line in enumerate(lines) if _DATE_LINE.fullmatch(line.strip())), None)
    if start is None:
        return range(0)
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("Dear ")), start)
    return range(start, end)


def _ends_in_word_hyphen(line: str) -> bool:
    r"""`re.search(r"\w-$", line)` for a line (no newline in it): re's \w is what str.isalnum
    says, or "_" (the pattern, looked up in re's cache for every line, cost more)."""
    return line.endswith("-") and len(line) > 1 and (line[-2].isalnum() or line[-2] == "_")


def _join_wrapped(text: str, offsets: Offsets) -> tuple[str, Offsets]:
    bounds = _lines(text)
    lines = [text[s:e] for s, e in bounds]
    width = _wrap_width(lines)
    if width is None:
        return text, offsets
    address = _address_block(lines)
    edits: list[tuple[int, int, str]] = []
    for i in range(len(lines) - 1):
        if i in address:
            continue
        line, following = lines[i], lines[i + 1].lstrip(" \t")
        # (every test here is a reason not to join; the cheap ones go first)
        if len(line) < _FULL_LINE * width or not line.strip():
            continue
        # A line led by a tab is a table cell; wrapping indents (if at all) with spaces.
        if lines[i + 1].startswith("\t"):
            continue
        # a next line of nothing but spacing (a stray control character, say) has no word
        words = following.split(maxsplit=1)
        if not words or len(line) + 1 + len(words[0]) < _WOULD_OVERFLOW * width:
            continue
        if _starts_own_line(following) or _VERDICT.match(line) or _RULE.fullmatch(line):
            continue
        # The newline and the continuation's indent become one space; after a hyphen that
        # ends a line inside a word ("19-" / "year-olds") they become nothing.
        next_start = bounds[i + 1][0]
        indent = len(lines[i + 1]) - len(following)
        joint = "" if _ends_in_word_hyphen(line) and following[:1].isalnum() else " "
        edits.append((bounds[i][1], next_start + indent, joint))
    return _replace_ranges(text, offsets, edits)


# --- The pipeline --------------------------------------------------------------------------------

_Step = Callable[[str, Offsets], tuple[str, Offsets]]


#: What a step needs in the text to change anything: substrings, any of which must occur.
_Needs = Callable[[str], bool]


def _any_of(*needles: str) -> _Needs:
    """The text holds one of `needles` (str.__contains__ scans at memory speed, and a character
    wider than the text's widest one is refused without a scan, which the regex engine's
    position-by-position search cannot do)."""
    if not any(needle.isascii() for needle in needles):
        # an ASCII text holds none of them: told in one pass, without a search for each
        return lambda text: not text.isascii() and any(_has(text, needle) for needle in needles)
    return lambda text: any(_has(text, needle) for needle in needles)


def _has(text: str, needle: str) -> bool:
    # One character is found with memchr; a longer needle takes a slower search, so its first
    # character (often absent) is looked for first.
    return needle[0] in text and needle in text


def _at_line_start(*starts: str) -> _Needs:
    """The text holds one of `starts` at the start of a line (of the text, or after a newline or
    a form feed)."""

    def needs(text: str) -> bool:
        # The bare start first: most are absent, and one character is found at memory speed.
        return any(
            _has(text, s) and (text.startswith(s) or f"\n{s}" in text or _has(text, f"\f{s}"))
            for s in starts
        )

    return needs


def _both(a: _Needs, b: _Needs) -> _Needs:
    return lambda text: a(text) and b(text)


@dataclass(frozen=True)
class _RegexStep:
    """A `_sub` step. `needs`, when given, is a condition the text must meet for `pattern` to
    match at all: a cheap test that skips the regex pass over text it cannot change (most
    steps repair a conversion the letter did not go through)."""

    pattern: re.Pattern[str]
    repl: _Repl
    needs: _Needs | None = None

    def __call__(self, text: str, offsets: Offsets) -> tuple[str, Offsets]:
        if self.needs is not None and not self.needs(text):
            return text, offsets
        return _sub(text, offsets, self.pattern, self.repl)


def _line_starts(text: str) -> list[int]:
    """Where each line starts: 0, and after every newline and form feed, in order."""
    starts = [0]
    for brk in ("\n", "\f"):
        at = text.find(brk)
        while at >= 0:
            starts.append(at + 1)
            at = text.find(brk, at + 1)
    if "\f" in text:
        starts.sort()
    return starts


@dataclass(frozen=True)
class _LineStartStep(_RegexStep):
    """A step whose pattern is `_LINE_START + body.pattern`: the body is tried only where a
    line starts and its first character is one of `first` (every body matches at least one
    character and stays on its line, so these are the regex's own matches)."""

    body: re.Pattern[str] = re.compile("")
    first: str = ""

    def __call__(self, text: str, offsets: Offsets) -> tuple[str, Offsets]:
        if self.needs is not None and not self.needs(text):
            return text, offsets
        n, body, first = len(text), self.body, self.first
        matches = [
            m
            for at in _line_starts(text)
            if at < n and text[at] in first and (m := body.match(text, at)) is not None
        ]
        if not matches:
            return text, offsets
        return _sub(text, offsets, self.pattern, self.repl, matches)


@dataclass(frozen=True)
class _TrailingBlanksStep(_RegexStep):
    """`[ \\t]+(?=\\n|\\f|$)` removed: the blanks before each line break and at the end,
    found by looking back from the breaks (the regex engine would try every space)."""

    def __call__(self, text: str, offsets: Offsets) -> tuple[str, Offsets]:
        if self.needs is not None and not self.needs(text):
            return text, offsets
        matches = []
        for end in [*(at - 1 for at in _line_starts(text)[1:]), len(text)]:
            start = end
            while start > 0 and text[start - 1] in " \t":
                start -= 1
            if start < end and (m := self.pattern.match(text, start)) is not None:
                matches.append(m)
        if not matches:
            return text, offsets
        return _sub(text, offsets, self.pattern, self.repl, matches)


@dataclass(frozen=True)
class _StartsWithStep(_RegexStep):
    """A step whose every match starts with the literal `start`: the pattern is tried only
    where `start` stands (str.find), not at every character, which a pattern opening with a
    lookbehind would have the regex engine do. (For a `start` that stands in many places, a
    Python loop over them costs more than the regex's scan: a double space is left to it.)"""

    start: str = ""

    def __call__(self, text: str, offsets: Offsets) -> tuple[str, Offsets]:
        if self.needs is not None and not self.needs(text):
            return text, offsets
        matches = []
        end = 0
        at = text.find(self.start)
        while at >= 0:
            m = self.pattern.match(text, at)
            if m is not None:
                matches.append(m)
                end = m.end()
            at = text.find(self.start, max(end, at + 1))
        if not matches:
            return text, offsets
        return _sub(text, offsets, self.pattern, self.repl, matches)


# A form feed that does not start a line: it gets a line break before it
_LONE_FORM_FEED = _StartsWithStep(re.compile(r"(?<![\n\f])\f"), "\n\f", start="\f")


def _line_start_step(body: re.Pattern[str], first: str, repl: _Repl, needs: _Needs) -> _Step:
    return _LineStartStep(re.compile(_LINE_START + body.pattern), repl, needs, body, first)


def _regex_step(pattern: str | re.Pattern[str], repl: _Repl, needs: _Needs | None = None) -> _Step:
    return _RegexStep(re.compile(pattern) if isinstance(pattern, str) else pattern, repl, needs)


def _chars(char_class: str) -> tuple[str, ...]:
    """The characters of a "[...]" class written as single characters and "a-z" ranges."""
    body, i = char_class[1:-1], 0
    out: list[str] = []
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            out.extend(chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1))
            i += 3
        else:
            out.append(body[i])
            i += 1
    return tuple(out)


def _verdict_cells_apart(text: str) -> bool:
    """Whether "children's services assessment" ends a line and "performs " starts the next
    line that is not blank (what _VERDICT_CELLS needs). Text beyond ASCII always goes to the
    regex: its case-insensitive matching folds characters (the Kelvin sign, the long s) that
    str.lower leaves alone."""
    if not text.isascii():
        return True
    lower, heading = text.lower(), "children's services assessment"
    at = lower.find(heading)
    while at >= 0:
        rest = lower[at + len(heading) :]
        if rest.lstrip(" \t").startswith("\n") and rest.lstrip(" \t\n").startswith("performs "):
            return True
        at = lower.find(heading, at + 1)
    return False


def _strip(text: str, offsets: Offsets) -> tuple[str, Offsets]:
    """`^\\s+|\\s+$` removed (str.strip and the regex's \\s are the same Unicode whitespace)."""
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    if start == 0 and end == len(text):
        return text, offsets
    if start >= end:
        return "", offsets[-1:]
    kept = offsets[start:end]
    kept.append(offsets[-1])
    return text[start:end], kept


# A space or tab that ends a line or a page.
_TRAILING_BLANKS = (" \n", "\t\n", " \f", "\t\f")
_BULLET_MARKS = (*BULLET_GLYPHS, "* ", "*\t", "+ ", "+\t", "- ", "-\t")

_PIPELINE: tuple[_Step, ...] = (
    # Characters.
    _regex_step(r"\r\n?|[\v\u2028\u2029]", "\n", _any_of("\r", "\v", "\u2028", "\u2029")),
    # A soft hyphen at a line break splits a word: the two halves are one word.
    _regex_step(r"\u00ad[ \t]*\n[ \t]*", "", _any_of("\u00ad")),
    _regex_step(_ZERO_WIDTH, "", _any_of(*_chars(_ZERO_WIDTH))),
    _regex_step(_UNICODE_SPACES, " ", _any_of(*_chars(_UNICODE_SPACES))),
    _regex_step(
        "[" + "".join(_LIGATURES) + "]", lambda m: _LIGATURES[m.group()], _any_of(*_LIGATURES)
    ),
    _regex_step(_SINGLE_QUOTES, "'", _any_of(*_chars(_SINGLE_QUOTES))),
    _regex_step(_DOUBLE_QUOTES, '"', _any_of(*_chars(_DOUBLE_QUOTES))),
    _regex_step(_DASHES, "-", _any_of(*_chars(_DASHES))),
    # Markup. Bullets first, so a "* " bullet is not read as the start of an italic.
    _line_start_step(
        _BULLET_INDENT_BODY,
        " \t",
        "",
        _both(_at_line_start(" ", "\t"), _any_of(*_BULLET_MARKS)),
    ),
    # (a "- " bullet is already canonical: only "-" before a tab or two spaces is changed)
    _line_start_step(
        _BULLET_BODY,
        BULLET_GLYPHS + "*+-",
        "- ",
        _at_line_start(*BULLET_GLYPHS, "* ", "*\t", "+ ", "+\t", "-\t", "-  "),
    ),
    _line_start_step(_HEADING_MARK_BODY, " \t#", "", _any_of("#")),
    _regex_step(_BOLD_STARS, r"\1", _any_of("**")),
    _regex_step(_BOLD_UNDERSCORES, r"\1", _any_of("__")),
    _regex_step(_ITALIC_STARS, r"\1", lambda text: text.count("*") >= 2),
    # The letterhead column, before its gap to the address column is closed up.
    _remove_letterhead,
    # Spaces.
    # (a tab alone is replaced by itself: only a space or a tab beside it changes the text)
    _regex_step(r" *\t[ \t]*", "\t", _any_of(" \t", "\t\t", "\t ")),
    _TrailingBlanksStep(
        re.compile(r"[ \t]+(?=\n|\f|$)"),
        "",
        lambda text: text.endswith((" ", "\t")) or any(_has(text, s) for s in _TRAILING_BLANKS),
    ),
    # Indentation stays (as one space) until the bullet cues are read: it can be the only one.
    _regex_step(r"(?<=\S) {2,}", " ", _any_of("  ")),
    _line_start_step(_LEADING_SPACES_BODY, " ", " ", _at_line_start(" ")),
    # Pages, blank lines, bullets, wrapping.
    _remove_furniture,
    _regex_step(_VERDICT_CELLS, " ", _verdict_cells_apart),
    _bullet_cues,
    _line_start_step(_LEADING_SPACES_BODY, " ", "", _at_line_start(" ")),
    _regex_step(r"(\n\n)\n+", r"\1", _any_of("\n\n\n")),
    _strip,
    _join_wrapped,
)


def normalise(raw: str) -> tuple[str, Offsets]:
    """Normalise raw letter text; return (text, offsets). See module docs for the rules.

    `offsets` has len(text) + 1 entries: offsets[i] is the index in `raw` of text[i] (a
    character that replaced others maps to the first of them) and the last entry is len(raw).
    """
    text = raw
    offsets = _identity(len(raw) + 1)
    for step in _PIPELINE:
        text, offsets = step(text, offsets)
    return text, offsets


# --- Loading -------------------------------------------------------------------------------------

_LETTER_HEADING = re.compile(r"(?i)children's services assessment")
_LETTER_BODY = re.compile(
    r"(?i)\bPerforms\s+(?:poorly|adequately|well|excellently)\b|^Strengths$", re.MULTILINE
)


def _is_a_letter(text: str) -> bool:
    """`_LETTER_HEADING.search(text) and _LETTER_BODY.search(text)`. In ASCII text the two
    re.I patterns (each tried at every character: re.I leaves the engine no literal to scan
    for) are tried only where their first words stand in the lower-cased text; text beyond
    ASCII is searched whole, as re.I folds letters there that str.lower does not."""
    if not text.isascii():
        return bool(_LETTER_HEADING.search(text) and _LETTER_BODY.search(text))
    low = text.lower()
    if "children's services assessment" not in low:
        return False
    for word in ("performs", "strengths"):
        at = low.find(word)
        while at >= 0:
            if _LETTER_BODY.match(text, at):  # its \b and ^ look before `at`, as search's do
                return True
            at = low.find(word, at + 1)
    return False


def load_text(raw: str, *, path: str = "<text>", fmt: SourceFormat = "txt") -> LoadedText:
    """Normalise already-read text and check that it is an assessment letter.

    Raises InputError with code "empty" for empty or whitespace-only text and "not_a_letter"
    when the text has no "children's services assessment" heading or no verdict, scale or
    "Strengths" section. `sha256` is that of the text encoded as UTF-8.
    """
    if not raw.strip():
        raise InputError(path, "empty: no text to read", code="empty")
    text, offsets = normalise(raw)
    if not text:
        raise InputError(path, "empty: no text to read", code="empty")
    if not _is_a_letter(text):
        raise InputError(
            path,
            "not an annual children's services assessment letter "
            "(no 'children's services assessment' heading found)",
            code="not_a_letter",
        )
    return LoadedText(
        path=path,
        format=fmt,
        sha256=hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest(),
        original=raw,
        text=text,
        offsets=offsets,
    )


_TEXT_SUFFIXES: dict[str, SourceFormat] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
}
# Control bytes other than tab, newline, form feed and carriage return.
_CONTROL_BYTES = bytes(sorted(frozenset(range(32)) - {9, 10, 12, 13} | {127}))
_SNIFF_BYTES = 8192


def _looks_binary(data: bytes) -> bool:
    sample = data[:_SNIFF_BYTES]
    if b"\0" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > len(sample) * 0.05


_UTF16_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _decode_text(data: bytes, path: str) -> str:
    # Checked before the NUL bytes that make UTF-16 look binary.
    if data.startswith(_UTF16_BOMS):
        raise InputError(path, "UTF-16/32 text, not UTF-8; re-save it as UTF-8", code="encoding")
    if _looks_binary(data):
        raise InputError(path, "binary data, not a text or PDF file", code="binary")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start]
        raise InputError(
            path,
            f"not UTF-8 text (invalid byte 0x{bad:02x} at offset {exc.start}); re-save it as UTF-8",
            code="encoding",
        ) from None


def _pdf_text(data: bytes, path: str, max_pages: int | None = None) -> str:
    """The text layer of a PDF, pages joined with "\\n\\f" (a form feed starts each page).

    PDFium (pypdfium2) reads the text in the order the page draws it, which keeps a word
    processor's columns apart (the letterhead column does not merge into the address), and
    reads AES-encrypted files without another package. Its text has no blank lines, so the
    gaps between lines on the page put them back (see `_page_text`).
    """
    # Imported here: only PDF input needs it.
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == _PDFIUM_PASSWORD_ERROR:
            raise InputError(
                path,
                "PDF is encrypted and needs a password; save an unencrypted copy",
                code="pdf_encrypted",
            ) from None
        raise InputError(path, f"corrupt or truncated PDF ({exc})", code="pdf_corrupt") from None
    try:
        count = len(document)  # from the page tree: no page is read yet
        if max_pages is not None:
            check_pages(path, count, max_pages)
        pages = [_page_text(document[i]) for i in range(count)]
    except pdfium.PdfiumError as exc:
        raise InputError(path, f"corrupt or truncated PDF ({exc})", code="pdf_corrupt") from None
    finally:
        document.close()
    text = "\n\f".join(page.rstrip("\n") for page in pages)
    if not text.replace("\f", "").strip():
        raise InputError(
            path, "PDF has no text layer (scanned image?); run OCR first", code="pdf_no_text"
        )
    return text


# PDFium's FPDF_ERR_PASSWORD.
_PDFIUM_PASSWORD_ERROR = 4
# A step from one line's baseline to the next this much longer than the page's usual line
# spacing is a paragraph gap (single-spaced text steps about 1.15 font sizes, a paragraph with
# space after it 1.5 or more; measured on LibreOffice and fpdf2 PDFs).
_PARAGRAPH_GAP = 1.3
# An average character's width in font sizes, and the most indentation written as spaces.
_CHAR_WIDTH = 0.5
_MAX_INDENT = 60


def _page_text(page: PdfPage) -> str:
    """A page's text with a blank line wherever a paragraph gap or a new column starts."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        n = textpage.count_chars()
        raw = textpage.get_text_range(0, n)
        # PDFium ends a line with "\r\n", and joins a line that ends in a hyphen to the next
        # with U+FFFE in the hyphen's place: that is a hyphen and a line break.
        pieces = [
            (m.start(), m.group(1) + ("-" if m.group(2) == "\ufffe" else ""))
            for m in re.finditer(r"([^\r\n\ufffe]*)(\ufffe|\r?\n|$)", raw)
            if m.end() > m.start() or m.start() < len(raw)
        ]
        lines = [line for _, line in pieces]
        if len(raw) != n:
            # Characters outside the BMP take two units: no char index per unit, so no geometry.
            return "\n".join(lines)
        x, y = ctypes.c_double(), ctypes.c_double()
        baselines: list[float | None] = []
        lefts: list[float] = []
        sizes: list[float] = []
        for pos, line in pieces:
            first = len(line) - len(line.lstrip())
            if first < len(line) and pos + first < n:
                pdfium_c.FPDFText_GetCharOrigin(
                    textpage.raw, pos + first, ctypes.byref(x), ctypes.byref(y)
                )
                baselines.append(y.value)
                lefts.append(x.value)
                sizes.append(pdfium_c.FPDFText_GetFontSize(textpage.raw, pos + first))
            else:
                baselines.append(None)
    finally:
        textpage.close()
    known = [b for b in baselines if b is not None]
    steps = sorted(a - b for a, b in itertools.pairwise(known) if a > b)
    if not steps:
        return "\n".join(lines)
    # The lower quartile: body lines outnumber the address block's spaced-out lines.
    spacing = steps[len(steps) // 4]
    # The left margin: the leftmost x that starts two lines or more (a stray mark is not it).
    starts = Counter(round(left) for left in lefts)
    margin = min((left for left, count in starts.items() if count > 1), default=min(starts))
    out: list[str] = []
    previous: float | None = None
    k = 0
    for line, base in zip(lines, baselines, strict=True):
        if base is not None:
            if previous is not None and (
                base > previous + 1 or previous - base > _PARAGRAPH_GAP * spacing
            ):
                out.append("")
            previous = base
            # Indentation as spaces (about one per character width): a list shown only by
            # its first lines' indentation keeps that cue (see `_bullet_cues`).
            width = max(sizes[k], 1.0) * _CHAR_WIDTH
            indent = min(max(round((lefts[k] - margin) / width), 0), _MAX_INDENT)
            line = " " * indent + line.lstrip()
            k += 1
        out.append(line)
    return "\n".join(out)


def load_file(path: str | Path, *, max_pages: int | None = None) -> LoadedText:
    """Read a .txt, .md or .pdf file. Raises InputError naming the file and the problem.

    A file that starts with "%PDF-" or is named .pdf is read as a PDF (its text layer), none
    of its pages when it has more than `max_pages`; anything else is text, "md" for
    .md/.markdown and "txt" otherwise. Text must be UTF-8 (a BOM is accepted). `sha256` is that
    of the file's bytes. Error codes: not_found, is_directory, unreadable, empty, binary,
    encoding, pdf_encrypted, pdf_corrupt, pdf_no_text, too_many_pages, not_a_letter.
    """
    file = Path(path)
    name = str(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        # what went wrong is asked only when something did (two stats a letter saved)
        if file.is_dir():
            raise InputError(
                name, "is a directory, not a letter file", code="is_directory"
            ) from None
        if not file.exists():
            raise InputError(name, "file not found", code="not_found") from None
        raise InputError(name, f"cannot read file ({exc.strerror})", code="unreadable") from None
    if not data.strip():
        raise InputError(name, "empty file: nothing to read", code="empty")

    suffix = file.suffix.lower()
    fmt: SourceFormat
    if reads_as_pdf(suffix, data):
        fmt = "pdf"
        if PDF_MAGIC not in data[:1024]:
            raise InputError(name, "not a PDF file (no %PDF- header)", code="pdf_corrupt")
        raw = _pdf_text(data, name, max_pages)
    else:
        fmt = _TEXT_SUFFIXES.get(suffix, "txt")
        raw = _decode_text(data, name)
        if not raw.strip():
            raise InputError(name, "empty file: only whitespace", code="empty")
    loaded = load_text(raw, path=name, fmt=fmt)
    return replace(loaded, sha256=hashlib.sha256(data).hexdigest())
