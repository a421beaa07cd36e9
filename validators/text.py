"""Small text tools shared by the checks: whitespace-insensitive search and number words.

Records are compared with the letter text "verbatim but whitespace-insensitive": a tab in the
.txt letter may be a space in the PDF's text layer, a hard-wrapped line may or may not have been
joined, and an LLM may collapse a blank line between paragraphs. None of that changes what the
letter says, so none of it should make a check fail. Typographic quotes and dashes are folded
for the same reason (the loader straightens them, an LLM may not).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from functools import lru_cache

from ofsted_extractor.textutil import MONTHS
from ofsted_extractor.textutil import NUMBER_WORDS as _WORDS

# Folding table: what the loader normalises, so a record written from the raw file still matches.
_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)

# Per-character alternatives used when a needle becomes a search pattern.
_ALTERNATIVES = {
    "'": "['\u2018\u2019]",
    '"': '["\u201c\u201d]',
    "-": "[-\u2013\u2014]",
}

#: Every character str.isspace() and the pattern `\s` accept (the same set; a test holds it).
WHITESPACE_CHARS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_EVERY_SPACE = str.maketrans(dict.fromkeys(WHITESPACE_CHARS, " "))
# Two or more spaces: "  ", "    "
_SPACE_RUN = re.compile("  +")


# Every ASCII whitespace character (what str.isspace and \s accept) made a space, as bytes.
_ASCII_SPACE_BYTES = bytes(32 if c < 128 and chr(c) in WHITESPACE_CHARS else c for c in range(256))


@lru_cache(maxsize=8192)
def squash(s: str) -> str:
    """Return `s` with typographic quotes/dashes folded and every whitespace run made one space.

    Cached: the checks squash the same finding texts and evidences many times a letter. str.split
    splits at the runs of whitespace (the characters WHITESPACE_CHARS lists) and drops them at the
    ends: what replacing each run by a space and stripping gives, without a replacement per
    space."""
    if s.isascii():
        # every whitespace character made a space by a byte table: when no two stand together,
        # squashing is stripping (str.split and join make a string per word)
        spaced = s.encode("ascii").translate(_ASCII_SPACE_BYTES)
        if b"  " not in spaced:
            return spaced.decode("ascii").strip(" ")
        return " ".join(s.split())
    return " ".join(s.translate(_FOLD).split())


@lru_cache(maxsize=4096)
def needle_pattern(needle: str, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile `needle` into a pattern that matches it across any whitespace and quote style."""
    words = squash(needle).split(" ")
    parts = ["".join(_ALTERNATIVES.get(ch, re.escape(ch)) for ch in word) for word in words]
    return re.compile(r"\s+".join(parts), re.IGNORECASE if ignore_case else 0)


class _Squashed:
    """A haystack folded and squashed once (`squash` without the strip), so a plain `str.find`
    replaces a regex per needle; `at` and `end` map a squashed index back to the haystack.

    Only the whitespace runs of two or more characters are stored: run j became the one space
    at squashed index sq[j] and stood for haystack[first[j]:last[j]]. They are found only when
    a span is asked for (`contains` needs the squashed text alone, and most haystacks are asked
    nothing else).
    """

    # a letter's checks build a score of these, most for a finding or an evidence
    __slots__ = ("_lower", "_lower_found", "_runs_found", "_spaced", "text")

    def __init__(self, haystack: str) -> None:
        # the folding table maps only non-ASCII characters
        folded = haystack if haystack.isascii() else haystack.translate(_FOLD)
        # every whitespace character made a space (a byte table for ASCII, which costs nothing
        # per call), so the runs are runs of spaces and the squashed text is the spaced text
        # with each run of two or more made one space (what `\s+` -> " " gives)
        if folded.isascii():
            spaced = folded.encode("ascii").translate(_ASCII_SPACE_BYTES).decode("ascii")
        else:
            spaced = folded.translate(_EVERY_SPACE)
        self._spaced = spaced
        # most needles and finding texts: no run to squash, so no pattern runs
        self.text = _SPACE_RUN.sub(" ", spaced) if "  " in spaced else spaced
        # found when first asked for (functools.cached_property takes a lock on every read)
        self._runs_found: tuple[list[int], list[int], list[int], list[int]] | None = None
        self._lower_found = False
        self._lower: str | None = None

    @property
    def _runs(self) -> tuple[list[int], list[int], list[int], list[int]]:
        """sq, first, last and shift (haystack index minus squashed index after run j)."""
        if self._runs_found is None:
            self._runs_found = self._find_runs()
        return self._runs_found

    def _find_runs(self) -> tuple[list[int], list[int], list[int], list[int]]:
        sq: list[int] = []
        first: list[int] = []
        last: list[int] = []
        shift: list[int] = []
        if len(self.text) == len(self._spaced):
            return sq, first, last, shift
        removed = 0
        # a run of one whitespace character maps one to one, so only longer runs are kept
        for m in _SPACE_RUN.finditer(self._spaced):
            start, end = m.span()
            sq.append(start - removed)
            first.append(start)
            last.append(end)
            removed += end - start - 1
            shift.append(removed)
        return sq, first, last, shift

    @property
    def squashed_any(self) -> bool:
        """True when some whitespace run of two or more characters was made one space."""
        return len(self.text) != len(self._spaced)

    @property
    def sq(self) -> list[int]:
        return self._runs[0]

    @property
    def first(self) -> list[int]:
        return self._runs[1]

    @property
    def last(self) -> list[int]:
        return self._runs[2]

    @property
    def shift(self) -> list[int]:
        return self._runs[3]

    @property
    def lower(self) -> str | None:
        """The squashed text lower-cased, for a search that ignores case; None when str.lower()
        changes the length of a character ("İ"), so the search falls back to a regex."""
        if not self._lower_found:
            lowered = self.text.lower()
            self._lower = lowered if len(lowered) == len(self.text) else None
            self._lower_found = True
        return self._lower

    def at(self, k: int) -> int:
        """Haystack index of squashed[k] (a whitespace run's first character)."""
        sq, first, _last, shift = self._runs
        j = bisect_right(sq, k) - 1
        if j >= 0 and sq[j] == k:
            return first[j]
        return k + (shift[j] if j >= 0 else 0)

    def end(self, k: int) -> int:
        """One past the haystack index of the last character squashed[k] stands for."""
        sq, _first, last, _shift = self._runs
        j = bisect_right(sq, k) - 1
        if j >= 0 and sq[j] == k:
            return last[j]
        return self.at(k) + 1


@lru_cache(maxsize=64)
def _squashed(haystack: str) -> _Squashed:
    return _Squashed(haystack)


def find_span(
    haystack: str, needle: str, start: int = 0, *, ignore_case: bool = False
) -> tuple[int, int] | None:
    """Return (start, end) of the first whitespace-insensitive occurrence of `needle` in
    `haystack` at or after `start`, or None. An empty needle is never found."""
    key = squash(needle)
    if not key:
        return None
    hay = _squashed(haystack)
    text = hay.text
    if ignore_case:
        if hay.lower is None or len(key.lower()) != len(key):
            m = needle_pattern(needle, ignore_case).search(haystack, start)
            return (m.start(), m.end()) if m else None
        text, key = hay.lower, key.lower()
    if not hay.squashed_any:
        # the squashed text is the haystack's characters one to one: a match is its own span
        k = text.find(key, min(start, len(text)))
        return None if k < 0 else (k, k + len(key))
    # the squashed index of the first character at or after `start`
    i = bisect_left(range(len(text)), start, key=hay.at) if start else 0
    while True:
        k = text.find(key, i)
        if k < 0:
            return None
        first, last = hay.at(k), hay.end(k + len(key) - 1)
        # a match may not begin or end inside a whitespace run it only partly covers: the
        # needle has no whitespace at its edges, so this holds; and its start is >= `start`
        if first >= start:
            return first, last
        i = k + 1


def find_spans(haystack: str, needle: str) -> list[tuple[int, int]]:
    """Every non-overlapping whitespace-insensitive occurrence of `needle`, in order (what
    `needle_pattern(needle).finditer(haystack)` finds, without compiling a pattern)."""
    key = squash(needle)
    if not key or key not in _squashed(haystack).text:
        return []  # what the first find_span would say, without its set-up
    spans: list[tuple[int, int]] = []
    at = 0
    while (found := find_span(haystack, needle, at)) is not None:
        spans.append(found)
        at = found[1] if found[1] > found[0] else found[1] + 1
    return spans


def contains(haystack: str, needle: str, *, ignore_case: bool = False) -> bool:
    """True if `needle` occurs in `haystack`, ignoring whitespace; never if `needle` is blank.

    What `find_span(haystack, needle, ignore_case=ignore_case) is not None` says, without
    mapping the match back to the haystack (every check asks this many times a letter)."""
    key = squash(needle)
    if not key:
        return False
    if len(haystack) > _SHORT_HAYSTACK:
        hay = _squashed(haystack)
        text, lower = hay.text, hay.lower if ignore_case else None
    else:
        # a short haystack (a finding, an evidence) is squashed by the cached `squash`, which
        # the checks have often asked already; its stripped ends hold no match of a needle
        # without whitespace at its edges
        text = squash(haystack)
        lower = text.lower() if ignore_case else None
        if lower is not None and len(lower) != len(text):
            lower = None
    if not ignore_case:
        return key in text
    if lower is None or len(key.lower()) != len(key):
        return needle_pattern(needle, ignore_case).search(haystack) is not None
    return key.lower() in lower


#: Longer haystacks (the letter) are squashed into _squashed's small cache, not squash's large
#: one: squash keeps 8192 strings.
_SHORT_HAYSTACK = 1000


@lru_cache(maxsize=8)
def lowered(text: str) -> str:
    """`text.lower()`, kept for the letter being checked: several readers search its lower-cased
    form for the words their patterns hold."""
    return text.lower()


def line_matching(
    text: str, low: str, pattern: re.Pattern[str], word: str
) -> tuple[int, int] | None:
    """(start, end) of the first line of ASCII `text` that `pattern` matches at its start,
    trying only the lines that hold `word` (searched in `low`, the text lower-cased), each
    once: a heading's line is found without running its pattern on every line."""
    at = low.find(word)
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        if pattern.match(text[start:end]):
            return start, end
        at = low.find(word, end)
    return None


def short(s: str, width: int = 60) -> str:
    """Return `s` squashed and cut to about `width` characters, for messages."""
    s = squash(s)
    return s if len(s) <= width else s[: width - 3].rstrip() + "..."


# --- Searching only where a match can start --------------------------------------------------
# Python's re tries a pattern that opens with \b, ^ (multiline) or a re.I letter at every
# character of the text. Where every match must hold a known word, the word's occurrences (found
# at memory speed) say where to try it; `finditer_at` then gives what finditer would.


def occurrences(text: str, needle: str, start: int = 0, end: int | None = None) -> Iterator[int]:
    """Every index at which `needle` occurs in text[start:end], overlapping ones included."""
    stop = len(text) if end is None else end
    at = text.find(needle, start, stop)
    while at >= 0:
        yield at
        at = text.find(needle, at + 1, stop)


def line_starts(text: str, positions: Iterable[int]) -> Iterator[int]:
    """The start of the line holding each of `positions` (ascending), each line once."""
    last = -1
    for pos in positions:
        start = text.rfind("\n", 0, pos) + 1
        if start != last:
            yield start
            last = start


def finditer_at(
    pattern: re.Pattern[str], text: str, starts: Iterable[int], endpos: int | None = None
) -> Iterator[re.Match[str]]:
    """What `pattern.finditer(text, 0, endpos)` gives, when every match starts at one of
    `starts` (ascending) and none is empty: the pattern is tried only there."""
    stop = len(text) if endpos is None else endpos
    end = 0
    for pos in starts:
        if pos >= end and (m := pattern.match(text, pos, stop)) is not None:
            end = m.end()
            yield m


def is_word_char(char: str) -> bool:
    """True for an ASCII character that the pattern `\\w` matches (letters, digits, "_")."""
    return char.isalnum() or char == "_"


def search_at(
    pattern: re.Pattern[str], text: str, starts: Iterable[int], endpos: int | None = None
) -> re.Match[str] | None:
    """What `pattern.search(text, 0, endpos)` gives, when every match starts at one of `starts`
    (ascending)."""
    return next(finditer_at(pattern, text, starts, endpos), None)


# --- Numbers --------------------------------------------------------------------------------

# Words that state a count without a numeral: "none of them is inadequate" is 0,
# "both are good" is 2 (of 2), "a single unit" is 1.
_SPECIAL: dict[str, int] = {"none": 0, "no": 0, "both": 2, "single": 1, "hundred": 100}
_TENS = {w: v for w, v in _WORDS.items() if v >= 20 and v % 10 == 0}

#: Every number word this module reads, with its value ("thirty-four" included).
NUMBER_WORDS: dict[str, int] = {**_WORDS, **_SPECIAL}

# One token: digits ("12", "1,200") or a word, possibly hyphenated ("thirty-four").
_TOKEN = re.compile(r"\d[\d,]*|[A-Za-z]+(?:-[A-Za-z]+)*")


def number_value(word: str) -> int | None:
    """Value of one number token: '12' -> 12, 'Eight' -> 8, 'thirty-four' -> 34, else None."""
    w = word.lower().replace(",", "")
    if w.isdigit():
        return int(w)
    return NUMBER_WORDS.get(w)


def numbers_in(s: str) -> set[int]:
    """Every number `s` states, as digits or words.

    'eight of the 12' -> {8, 12}; 'thirty four' -> {30, 4, 34}; 'one hundred' -> {1, 100};
    'none of them' -> {0}. Numbers inside hyphenated words ('16-year-olds') are read too: the
    set is deliberately generous, because it is used to confirm a number, not to find one.
    """
    found: set[int] = set()
    previous: int | None = None
    # an ASCII text is lower-cased whole (its tokens are the same); in other text a character
    # such as the Kelvin sign lower-cases to an ASCII letter and would join a token
    tokens = _TOKEN.findall(s.lower()) if s.isascii() else _TOKEN.findall(s)
    for token in tokens:
        # number_value inlined (this runs for every word of every evidence): a digit token is
        # digits and commas; a word token is ASCII letters and hyphens
        value: int | None
        if token[0].isdigit():
            value = int(token.replace(",", ""))
            found.add(value)
        else:
            word = token.lower()
            value = NUMBER_WORDS.get(word)
            if value is not None:
                found.add(value)
            if "-" in word:
                for part in word.split("-"):
                    v = NUMBER_WORDS.get(part)
                    if v is not None:
                        found.add(v)
                        value = v if value is None else value
        # "thirty four" written with a space is one number as well as two.
        if previous is not None and value is not None:
            if previous in _TENS.values() and 0 < value < 10:
                found.add(previous + value)
            if value == 100 and 0 < previous < 10:
                found.add(previous * 100)
        previous = value
    return found


__all__ = [
    "MONTHS",
    "NUMBER_WORDS",
    "contains",
    "find_span",
    "find_spans",
    "finditer_at",
    "is_word_char",
    "line_starts",
    "lowered",
    "number_value",
    "numbers_in",
    "occurrences",
    "search_at",
    "short",
    "squash",
]
