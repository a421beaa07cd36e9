"""The counts inventory: every quantity phrase of a bullet that counts provision under
eval/LABELLING.md must be accounted for by a count of the record.

The other count checks confirm what a record says; this one finds what it leaves out. It reads
the bullets itself, with its own reader (no call to the rules engine: a bug shared by engine and
validator would otherwise make every check pass); only word lists (number words, judgements,
service nouns, fractions) come from extractor.textutil.

Only the bullets are read: the schema keeps counts on findings (strengths and areas for
improvement) and has no place for a count stated in the summary, so a summary count cannot be
"left out" of a record.

A phrase is accounted for when a count of the record (of any finding: a finding merged or split
by mistake is the findings checks' business) has an evidence that occurs in the bullet over the
phrase's quantity and gives the phrase's number as its count.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

from ofsted_extractor.schema import Count, Finding, Issue, Letter
from ofsted_extractor.textutil import (
    APPROXIMATORS,
    CHANGE_VERBS,
    CONCERN,
    FRACTIONS,
    JUDGEMENT,
    NUMBER_WORDS,
    SERVICE_NOUNS,
    alternation,
    fraction_of,
    word_alternation,
)
from ofsted_extractor.validators.issues import error, warning
from ofsted_extractor.validators.reading import read_bullets
from ofsted_extractor.validators.text import (
    find_spans,
    finditer_at,
    is_word_char,
    number_value,
    occurrences,
    short,
    squash,
)

# A quantity word: digits (never a year, a percentage or part of "16-year-olds") or a number
# word from the shared list. "12", "eight", "thirty-four"; not "2011", "85%", "five-year-olds".
_Q = r"(?<![\w-])(?:\d{1,3}|" + word_alternation(NUMBER_WORDS) + r")(?![\w%-])(?!\s+per\s*cent)"
_DETERMINER = (
    r"(?:the\s+(?:local\s+authority|authority|council)'s|the|these|those|its|their|them)\b"
)
# A predicate that states an inspection judgement: "are good or better", "is now inadequate",
# "was recently judged to be satisfactory", "have been inspected"
_JUDGED = re.compile(
    r"\s*(?:is|are|was|were|remains?|remained|(?:has|have|had)\s+been)\s+"
    r"(?:(?:now|only|still|also|all|both|recently|currently|again|judged|rated|graded|found"
    r"|to\s+be|as|this\s+year|last\s+year|since)\s+)*"
    rf"(?P<judgement>{JUDGEMENT})\b",
    re.I,
)
# A judgement coordinated after another predicate: "... made good progress and was judged
# satisfactory" (the judgement is said of the same subject)
_AND_JUDGED = re.compile(rf"\s+and{_JUDGED.pattern}", re.I)
# The first verb of a clause (where the predicate, if any, starts)
_VERBS = (
    r"(?:is|are|was|were|remains?|remained|has|have|had|made|make|makes|become|became"
    r"|closed|show|shows|showed|match|matches|belong|belongs|having|continue|continues)\b"
)
_VERB = re.compile(rf"\b{_VERBS}", re.I)
# Words before a number that show it is not counting provision: "level 2", "Key Stage 2",
# "aged 14", "one in five" (a proportion)
_NOT_PROVISION_BEFORE = re.compile(
    rf"(?:\b(?:level|stage|aged?|ages|year|years|grade)|{_Q}\s+in)\s+$", re.I
)
# The words of _NOT_PROVISION_BEFORE's first branch, for _not_provision_before
_NOT_PROVISION_WORDS = ("level", "stage", "age", "aged", "ages", "year", "years", "grade")
# The last letters of those words and of "in", for _not_provision_at
_NOT_PROVISION_LAST = frozenset(word[-1] for word in (*_NOT_PROVISION_WORDS, "in"))
# "eight", "12", "thirty-four" on their own (the string _Q is built into the patterns below)
_QUANTITY = re.compile(_Q, re.I)
# "schools", "children's centres", "sixth form": a noun of provision
_SERVICE = re.compile(rf"\b{SERVICE_NOUNS}\b", re.I)
# _VERB and _SERVICE for lower-cased ASCII text, without the leading \b (checked by _search_word):
# a case-sensitive pattern opening with literals is tried only where one of their first letters
# stands, where the re.I pattern opening with \b is tried at every character
_VERB_LOWER = re.compile(_VERBS)
_SERVICE_LOWER = re.compile(rf"{SERVICE_NOUNS}\b")
# "of the 12 ", "of these ", "of the local authority's 34 " after the quantity
_OF_DETERMINER = re.compile(
    rf"\s+(?:of\s+{_DETERMINER}\b(?:\s+(?P<total>{_Q}))?|out\s+of\s+(?:{_DETERMINER}\s+)?{_Q})",
    re.I,
)
# Where a noun phrase's first stretch ends: "special schools|, the ..." or "years, |12 schools"
_STRETCH_END = re.compile(rf",|{_Q}", re.I)
# A sentence or a clause after a semicolon ends at a "." or ";" followed by whitespace or the
# end: "Five of these were outstanding, one was good." ("2.5" and "e.g." go on). _sentences reads
# them by hand: the pattern `[^.;]+(?:[.;](?=\s|$)|$)` it replaces is retried at every character
# before a "." that ends nothing, which made it quadratic.
_SENTENCE_END = ".;"

# Whole-phrase forms, read before single quantities; each names the group that holds the count.
# "the number of inadequate schools has reduced from five to two" (count: the later figure)
_CHANGE = re.compile(
    r"\bthe\s+number\s+(?:of\s+(?P<what>[^,.;]+?)|(?P<concern>" + CONCERN + r"))\s+"
    rf"(?:has|have)\s+{alternation(CHANGE_VERBS)}\s+(?:from\s+{_Q}\s+)?to\s+(?P<count>{_Q})",
    re.I,
)
# "good, as are 11 of the 14 children's homes it runs"
_AS_ARE = re.compile(
    rf"\b{JUDGEMENT},?\s+as\s+(?:is|are|was|were)\s+(?P<count>{_Q})\s+of\s+{_DETERMINER}"
    rf"(?:\s+{_Q})?",
    re.I,
)
# "Half of the 12 children's centres", "over half of the 12" (approximate: no count)
_FRACTION = re.compile(
    rf"\b(?:(?P<approx>{alternation(APPROXIMATORS)})\s+)?(?P<fraction>"
    rf"{alternation(list(FRACTIONS))})\s+of\s+{_DETERMINER}\s+(?P<total>{_Q})",
    re.I,
)
# "Of the 15 schools in the area, including the two academies, 12 are"
_OF_THE_TOTAL = re.compile(
    rf"\bof\s+the\s+{_Q}\s+[^,.;]+?,(?:[^.;]*?,)??\s+(?P<count>{_Q})(?=\s+(?:is|are|was|were"
    r"|have|has|remain)\b)",
    re.I,
)
# "none of them", "None of the 12 homes"
_NONE = re.compile(rf"\bnone\s+of\s+{_DETERMINER}(?:\s+{_Q})?", re.I)

# Guards: what a lower-cased ASCII sentence must hold for each whole-phrase form to match, tested
# at memory speed before a pattern that would be tried at every position (\b and re.I give the
# regex engine no literal to scan for). Non-ASCII text skips the guards: re.I also folds "ſ"
# into "s" and "K" (the Kelvin sign) into "k", which str.lower leaves alone.
# "the number of ... has fallen to": every _CHANGE match holds "number" (a substring test)
# ", as are 11 of": every _AS_ARE match holds this (a pattern opening with a literal is fast)
_AS_ARE_NEEDS = re.compile(r"as\s+(?:is|are|was|were)\s")
# "half of", "two thirds of", "a quarter of": every fraction ends in one of these words, then "of"
_FRACTION_NEEDS = re.compile(
    "(?:"
    + "|".join(sorted({key.replace("-", " ").split()[-1] for key in FRACTIONS}, reverse=True))
    + r")\s+of\s"
)
# "half", "third": every _FRACTION_NEEDS match holds one of these words (a test holds them to
# FRACTIONS), tested as substrings before that pattern, which has no literal to scan for
_FRACTION_WORDS = ("half", "third", "quarter", "fifth")
# "of the 15 ...": every _OF_THE_TOTAL match starts where this does
_OF_THE_NEEDS = re.compile(r"of\s+the\s")
# "none of": every _NONE match holds "none" (a substring test)
# "are good", "inadequate": a judgement, which every count but a changed number's is read with
# (the judgement words are lower case, so this pattern reads a lower-cased ASCII sentence)
_JUDGEMENT_NEEDS = re.compile(JUDGEMENT)
# The words one of which every _JUDGEMENT_NEEDS match holds ("good or better" holds "good",
# "inadequate" holds "adequate"): five substring tests (_may_count) replace a pattern tried at
# every letter (a test holds them to the pattern)
_JUDGEMENT_WORDS = ("good", "outstanding", "satisfactory", "adequate", "inspected")


def _lower_pattern(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The re.I `pattern` made case-sensitive for lower-cased ASCII text: in ASCII text a re.I
    pattern whose words are lower-cased matches text.lower() at the same positions and with the
    same spans (re.I folds only "ſ", the Kelvin sign and such non-ASCII letters otherwise, and
    those are not ASCII). A case-sensitive pattern that opens with a literal is also tried only
    where that letter stands. An escape such as \\S or \\B would change meaning when lower-cased:
    there is none; group names are lower case already ("(?P<" is kept)."""
    assert re.search(r"\\[A-Z]", pattern.pattern) is None, pattern.pattern
    return re.compile(pattern.pattern.lower().replace("(?p<", "(?P<"))


# The patterns above for a lower-cased ASCII sentence (see _ascii_sentence_counts)
_QUANTITY_LOW = _lower_pattern(_QUANTITY)
_OF_DETERMINER_LOW = _lower_pattern(_OF_DETERMINER)
_JUDGED_LOW = _lower_pattern(_JUDGED)
_AND_JUDGED_LOW = _lower_pattern(_AND_JUDGED)
_CHANGE_LOW = _lower_pattern(_CHANGE)
_AS_ARE_LOW = _lower_pattern(_AS_ARE)
_FRACTION_LOW = _lower_pattern(_FRACTION)
_OF_THE_TOTAL_LOW = _lower_pattern(_OF_THE_TOTAL)
_NONE_LOW = _lower_pattern(_NONE)
# A character that is not whitespace: where a noun phrase is not blank
_NOT_SPACE = re.compile(r"\S")


@dataclass(frozen=True)
class StatedCount:
    """A quantity phrase of a bullet: its count (None when it cannot be a whole number) and
    where the quantity stands in the bullet."""

    count: int | None
    start: int
    end: int
    phrase: str


def _value(token: str) -> int | None:
    return 0 if token.lower() == "none" else number_value(token)


def _search_word(
    pattern: re.Pattern[str], lower: re.Pattern[str], text: str, pos: int = 0
) -> tuple[int, int] | None:
    """The span of `pattern.search(text, pos)` for a re.I pattern "\\b(?:words)...", whose
    `lower` is the same without the leading \\b and without re.I: in ASCII text `lower` is
    searched in text.lower() (the same positions) and a match not at a word's start is passed
    over; other text is searched with `pattern` (re.I folds "ſ" and "K", str.lower does not)."""
    if not text.isascii():
        m = pattern.search(text, pos)
        return m.span() if m else None
    low = text.lower()
    m = lower.search(low, pos)
    while m is not None and m.start() > 0 and is_word_char(low[m.start() - 1]):
        m = lower.search(low, m.start() + 1)
    return m.span() if m else None


def _not_provision_before(before: str) -> bool:
    """`_NOT_PROVISION_BEFORE.search(before)`, read from the end of an ASCII text instead of
    tried at each of its characters: `before` ends in whitespace, and before that in one of
    the words (at a word's start) or in "in" after whitespace after a quantity (a whole run of
    letters, digits and hyphens: the quantity's lookbehind allows no other start)."""
    if not before.isascii():
        return _NOT_PROVISION_BEFORE.search(before) is not None
    return _not_provision_at(before.lower(), len(before))


def _judged_after(clause: str, pos: int) -> int | None:
    """Where the judgement ends, when what follows a quantity at `pos` is '[of the N] [noun
    phrase of provision] predicate-with-judgement' within the clause; else None."""
    rest = clause[pos:]
    of = _OF_DETERMINER.match(rest)
    skipped = of.end() if of else 0
    verb = _search_word(_VERB, _VERB_LOWER, rest, skipped)
    if verb is None:
        return None
    noun_phrase = rest[skipped : verb[0]]
    if noun_phrase.strip():
        # the first stretch of the noun phrase names the provision: "special schools, the ...
        # and the three units, are" is about schools; "years, 12 schools have been" is not
        first = _STRETCH_END.search(noun_phrase)
        stretch = noun_phrase[: first.start()] if first else noun_phrase
        if _search_word(_SERVICE, _SERVICE_LOWER, stretch) is None:
            return None
    judged = _JUDGED.match(rest, verb[0])
    if judged is None and _may_hold(rest, "and", verb[1]):
        judged = _AND_JUDGED.search(rest, verb[1])
    return pos + judged.end() if judged else None


def _may_hold(text: str, word: str, start: int = 0) -> bool:
    """False when ASCII `text` holds no `word` in any case at or after `start`, so a re.I pattern
    that needs the word cannot match there (other text is always searched)."""
    return not text.isascii() or word in text[start:].lower()


def stated_counts(bullet: str) -> list[StatedCount]:
    """Every quantity phrase of one bullet that counts provision with a judgement, in order."""
    return list(_stated_counts(bullet))


# A record is often validated more than once against the same letter (a re-asked or compared
# answer): the bullets' counts are read once.
@lru_cache(maxsize=256)
def _stated_counts(bullet: str) -> tuple[StatedCount, ...]:
    found: list[StatedCount] = []
    if bullet.isascii():
        # lower-cased once; a bullet none of whose sentences can count is not split
        low = bullet.lower()
        if not _may_count(low):
            return ()
        for start, end in _sentences(bullet):
            found += _ascii_sentence_counts(bullet[start:end], low[start:end], start)
        return tuple(found)
    for start, end in _sentences(bullet):
        for c in _sentence_counts(bullet[start:end]):
            found.append(StatedCount(c.count, start + c.start, start + c.end, c.phrase))
    return tuple(found)


def _may_count(low: str) -> bool:
    """False when lower-cased ASCII `low` holds neither "number" (a changed number) nor a
    judgement word (_JUDGEMENT_WORDS: every other form is kept only with a judgement), so no
    sentence of it counts (written out: a generator over the words cost twice as much)."""
    return (
        "number" in low
        or "good" in low
        or "outstanding" in low
        or "satisfactory" in low
        or "adequate" in low
        or "inspected" in low
    )


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or clause of `text`: a run of characters other than "." and
    ";" up to one of them that whitespace or the end follows (kept in the sentence), or up to the
    end. Where a "." or ";" is followed by anything else, the run it closes is no sentence and the
    next one starts after it (as the pattern this replaces found them)."""
    spans: list[tuple[int, int]] = []
    n = len(text)
    p = 0
    while p < n:
        if text[p] in _SENTENCE_END:
            p += 1
            continue
        q = _next_end(text, p)
        if q == n:
            spans.append((p, n))
            break
        if q + 1 == n or text[q + 1].isspace():
            spans.append((p, q + 1))
        p = q + 1
    return spans


def _next_end(text: str, start: int) -> int:
    """Index of the first "." or ";" at or after `start`, else len(text)."""
    dot = text.find(".", start)
    semi = text.find(";", start, dot if dot >= 0 else len(text))
    if semi >= 0:
        return semi
    return dot if dot >= 0 else len(text)


def _sentence_counts(sentence: str) -> list[StatedCount]:
    """The counts of one sentence (offsets within it). Whole-phrase forms are read first and
    take their span, so "Half of the 12" is never also read as a count of 12."""
    if sentence.isascii():
        return _ascii_sentence_counts(sentence)
    return _folded_sentence_counts(sentence)


def _folded_sentence_counts(sentence: str) -> list[StatedCount]:
    """_sentence_counts of a sentence that is not ASCII: every re.I pattern is searched in the
    sentence as it is (re.I folds "ſ" into "s" and the Kelvin sign into "k", which str.lower
    does not), with no guard."""
    found: list[StatedCount] = []
    taken: list[tuple[int, int]] = []

    def free(m: re.Match[str]) -> bool:
        return not any(m.start() < te and ts < m.end() for ts, te in taken)

    def keep(m: re.Match[str], count: int | None, at: str = "count") -> None:
        taken.append((m.start(), m.end()))
        s, e = (m.start(at), m.end(at)) if at else (m.start(), m.end())
        found.append(StatedCount(count, s, e, m.group(0)))

    for m in _CHANGE.finditer(sentence):
        what = m.group("what")
        if m.group("concern") or (what and _SERVICE.search(what)):
            keep(m, _value(m.group("count")))
        else:
            taken.append((m.start(), m.end()))  # "the number of looked after children"
    for m in _AS_ARE.finditer(sentence):
        if free(m):
            keep(m, _value(m.group("count")))
    for m in _FRACTION.finditer(sentence):
        if not free(m):
            continue
        if not m.group("approx") and _judged_after(sentence, m.end()) is not None:
            # (fraction_of reads a fraction re.I matched through a folded letter: "quarterſ")
            keep(m, fraction_of(m.group("fraction"), _value(m.group("total")) or 0), "fraction")
        else:
            taken.append((m.start(), m.end()))  # "over half of the 12": no count, no 12
    for m in _OF_THE_TOTAL.finditer(sentence):
        if free(m) and _judged_after(sentence, m.end()) is not None:
            keep(m, _value(m.group("count")))
    for m in _NONE.finditer(sentence):
        if free(m) and _judged_after(sentence, m.end()) is not None:
            keep(m, 0, "")
    for m in _QUANTITY.finditer(sentence):
        if not free(m) or _not_provision_before(sentence[: m.start()]):
            continue
        end = _judged_after(sentence, m.end())
        if end is not None:
            # "eight of the 12": the total is part of this phrase, not a count of its own
            of = _OF_DETERMINER.match(sentence, m.end())
            taken.append((m.start(), of.end() if of else m.end()))
            phrase = sentence[m.start() : end]
            found.append(StatedCount(_value(m.group(0)), m.start(), m.end(), phrase))
    return sorted(found, key=lambda c: c.start)


def _ascii_sentence_counts(
    sentence: str, low: str | None = None, offset: int = 0
) -> list[StatedCount]:
    """_sentence_counts of an ASCII sentence, read in its lower-cased form `low` (the same
    positions) with the case-sensitive patterns (_lower_pattern): the sentence is lower-cased
    once, each form is tried only when a guard (a substring test) says it can match, and what
    follows a form or a quantity is read by one _Reader, which keeps its searches' answers.

    `low` is the sentence lower-cased when the caller has it; the counts' positions are given
    `offset` added (the sentence's place in its bullet)."""
    if low is None:
        low = sentence.lower()
    if not _may_count(low):
        return []
    change = "number" in low
    quantities = [m.span() for m in _QUANTITY_LOW.finditer(low)]
    none = "none" in low
    if not quantities and not none:
        return []  # every form but "none of" counts with a quantity
    found: list[StatedCount] = []
    # the spans the forms take; the matches of one form do not overlap one another, so each
    # is held against the spans of the forms before it (`blocked`, None while there are none)
    taken: list[tuple[int, int]] = []
    reader = _Reader(low, quantities)
    if change:
        # every _CHANGE match starts at a "the"
        for m in finditer_at(_CHANGE_LOW, low, occurrences(low, "the")):
            what = m["what"]
            if m["concern"] or (what and _word_search(_SERVICE_LOWER, what) is not None):
                _keep(found, taken, sentence, offset, m, _value(m["count"]))
            else:
                taken.append(m.span())  # "the number of looked after children"
    if _AS_ARE_NEEDS.search(low) is not None:
        blocked = _Spans(taken) if taken else None
        for m in _AS_ARE_LOW.finditer(low):
            if blocked is None or blocked.free(m.start(), m.end()):
                _keep(found, taken, sentence, offset, m, _value(m["count"]))
    if _may_hold_fraction(low) and _FRACTION_NEEDS.search(low) is not None:
        blocked = _Spans(taken) if taken else None
        for m in _FRACTION_LOW.finditer(low):
            if blocked is not None and not blocked.free(m.start(), m.end()):
                continue
            if not m["approx"] and reader.judged_after(m.end()) is not None:
                count = fraction_of(m["fraction"], _value(m["total"]) or 0)
                _keep(found, taken, sentence, offset, m, count, "fraction")
            else:
                taken.append(m.span())  # "over half of the 12": no count, no 12
    if "," in low:  # every _OF_THE_TOTAL match holds one, and starts at an _OF_THE_NEEDS
        blocked = _Spans(taken) if taken else None
        starts = (g.start() for g in _OF_THE_NEEDS.finditer(low))
        for m in finditer_at(_OF_THE_TOTAL_LOW, low, starts):
            if blocked is not None and not blocked.free(m.start(), m.end()):
                continue
            if reader.judged_after(m.end()) is not None:
                _keep(found, taken, sentence, offset, m, _value(m["count"]))
    if none:
        blocked = _Spans(taken) if taken else None
        for m in finditer_at(_NONE_LOW, low, occurrences(low, "none")):
            if blocked is not None and not blocked.free(m.start(), m.end()):
                continue
            if reader.judged_after(m.end()) is not None:
                _keep(found, taken, sentence, offset, m, 0, "")
    blocked = _Spans(taken) if taken else None
    # the spans the quantities take are in order and apart, so a quantity can meet only the
    # last of them
    last_end = -1
    for start, end in quantities:
        if start < last_end or (blocked is not None and not blocked.free(start, end)):
            continue
        if _not_provision_at(low, start):
            continue
        judged = reader.judged_after(end)
        if judged is not None:
            # "eight of the 12": the total is part of this phrase, not a count of its own (the
            # reader has just matched "of the 12" after the quantity: where that ended is kept)
            last_end = reader.skipped
            phrase = sentence[start:judged]
            found.append(StatedCount(_value(low[start:end]), offset + start, offset + end, phrase))
    if len(found) > 1:
        found.sort(key=lambda c: c.start)
    return found


def _may_hold_fraction(low: str) -> bool:
    """False when lower-cased `low` holds none of _FRACTION_WORDS, so _FRACTION_NEEDS cannot
    match it (written out: a generator over the words cost twice as much)."""
    return "half" in low or "third" in low or "quarter" in low or "fifth" in low


def _keep(
    found: list[StatedCount],
    taken: list[tuple[int, int]],
    sentence: str,
    offset: int,
    m: re.Match[str],
    count: int | None,
    at: str = "count",
) -> None:
    """Keep the count `m` reads (its quantity: the group `at`, or the whole match when `at` is
    empty; its place in the bullet is `offset` further on), and take the match's span."""
    start, end = m.span()
    taken.append((start, end))
    s, e = m.span(at) if at else (start, end)
    found.append(StatedCount(count, offset + s, offset + e, sentence[start:end]))


class _Spans:
    """Spans taken in a sentence, asked whether a span meets none of them in O(log n): sorted by
    start, with the furthest end of each prefix (a sentence with many forms stays linear)."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self.starts = [s for s, _e in ordered]
        self.ends: list[int] = []
        furthest = -1
        for _s, e in ordered:
            furthest = max(furthest, e)
            self.ends.append(furthest)

    def free(self, start: int, end: int) -> bool:
        """True when no span (ts, te) has start < te and ts < end."""
        k = bisect_left(self.starts, end)
        return k == 0 or self.ends[k - 1] <= start


class _Reader:
    """_judged_after's reading of a lower-cased ASCII sentence `low`, for the positions after
    its forms and quantities (`quantities`: the _QUANTITY_LOW matches), with no slice copied.

    The verb after a position and the coordinated judgement ("... and was judged good") after
    a verb are the leftmost matches at or after it; the last of each is kept and still stands
    when asked from a later position it does not precede, so asking from the ascending positions
    of a sentence's quantities searches each stretch of the sentence about once. The judgement
    at a verb is read once.

    Every position asked about ends a form or a quantity, so the character there is not a word
    character (each pattern ends in a quantity's lookahead or a \\b after a word): no verb can
    start there, and whether a verb starts a word does not depend on where the search began."""

    def __init__(self, low: str, quantities: list[tuple[int, int]]) -> None:
        self.low = low
        self.quantities = quantities
        self.verb_asked = -1
        self.verb: tuple[int, int] | None = None
        self.and_asked = -1
        self.and_start = 0
        self.and_end: int | None = None
        self.judged: dict[int, int | None] = {}
        # where the "of the N" after the position last asked about ended (that position when
        # there was none)
        self.skipped = 0

    def _verb_from(self, at: int) -> tuple[int, int] | None:
        """The first verb at or after `at` that starts a word, kept for the next question."""
        if 0 <= self.verb_asked <= at and (self.verb is None or self.verb[0] >= at):
            return self.verb
        low = self.low
        m = _VERB_LOWER.search(low, at)
        while m is not None and m.start() > 0 and is_word_char(low[m.start() - 1]):
            m = _VERB_LOWER.search(low, m.start() + 1)
        self.verb_asked = at
        self.verb = m.span() if m is not None else None
        return self.verb

    def _and_judged_from(self, at: int) -> int | None:
        """The end of the first _AND_JUDGED match at or after `at`, kept for the next question."""
        if 0 <= self.and_asked <= at and (self.and_end is None or self.and_start >= at):
            return self.and_end
        m = _AND_JUDGED_LOW.search(self.low, at)
        self.and_asked = at
        self.and_start, self.and_end = m.span() if m is not None else (0, None)
        return self.and_end

    def judged_after(self, pos: int) -> int | None:
        """Where the judgement ends, when what follows `pos` is '[of the N] [noun phrase of
        provision] predicate-with-judgement'; else None (what _judged_after says)."""
        low = self.low
        of = _OF_DETERMINER_LOW.match(low, pos)
        skipped = self.skipped = of.end() if of else pos
        verb = self._verb_from(skipped)
        if verb is None:
            return None
        verb_start, verb_end = verb
        if _NOT_SPACE.search(low, skipped, verb_start) is not None:
            # the noun phrase is not blank: its first stretch, up to a comma or a quantity
            # (none starts at `skipped`, after a non-word character), must name provision
            stretch_end = verb_start
            comma = low.find(",", skipped, verb_start)
            if comma >= 0:
                stretch_end = comma
            k = bisect_left(self.quantities, (skipped,))
            if k < len(self.quantities) and self.quantities[k][0] < stretch_end:
                stretch_end = self.quantities[k][0]
            if _word_search(_SERVICE_LOWER, low, skipped, stretch_end) is None:
                return None
        if verb_start in self.judged:
            return self.judged[verb_start]
        judged = _JUDGED_LOW.match(low, verb_start)
        end = judged.end() if judged is not None else self._and_judged_from(verb_end)
        self.judged[verb_start] = end
        return end


def _not_provision_at(low: str, at: int) -> bool:
    """`_not_provision_before(low[:at])` for lower-cased ASCII `low`, read backwards from `at`
    without copying the text before it."""
    k = at
    while k > 0 and low[k - 1].isspace():
        k -= 1
    if k == at or low[k - 1] not in _NOT_PROVISION_LAST:
        return False  # no whitespace before, or no word of them (nor "in") ends there
    for word in _NOT_PROVISION_WORDS:
        n = len(word)
        if low.endswith(word, 0, k) and (k == n or not is_word_char(low[k - n - 1])):
            return True
    if not low.endswith("in", 0, k):
        return False
    head_end = k - 2
    quantity_end = head_end
    while quantity_end > 0 and low[quantity_end - 1].isspace():
        quantity_end -= 1
    if quantity_end == head_end:
        return False
    start = quantity_end
    while start > 0 and (is_word_char(low[start - 1]) or low[start - 1] == "-"):
        start -= 1
    token = low[start:quantity_end]
    return (token.isdigit() and len(token) <= 3) or token in NUMBER_WORDS


def _word_search(
    lower: re.Pattern[str], low: str, pos: int = 0, endpos: int | None = None
) -> int | None:
    """Where `lower` (a _lower_pattern or a pattern of lower-case words without its leading
    \\b) first matches in lower-cased ASCII low[pos:endpos] at the start of a word, as the
    re.I pattern with its \\b would in that slice; else None."""
    stop = len(low) if endpos is None else endpos
    m = lower.search(low, pos, stop)
    while m is not None and m.start() > pos and is_word_char(low[m.start() - 1]):
        m = lower.search(low, m.start() + 1, stop)
    return m.start() if m is not None else None


def _plain_spans(haystack: str, needle: str) -> list[tuple[int, int]]:
    """`find_spans(haystack, needle)` for an ASCII haystack that is its own squashed form (a
    bullet of read_bullets is), by plain `str.find`: squashing then maps every index to itself,
    so the squashed needle's non-overlapping occurrences are the spans. (Private to this module:
    validators/text.py is not this module's to change.)"""
    key = squash(needle)
    if not key:
        return []
    spans: list[tuple[int, int]] = []
    at = haystack.find(key)
    while at >= 0:
        spans.append((at, at + len(key)))
        at = haystack.find(key, at + len(key))
    return spans


def _account(covered: list[tuple[int, int, int]], used: set[int], stated: StatedCount) -> bool:
    """Mark as used, and say whether there is, the first unused count of the record (its
    evidence's span and number, in `covered`) that spans the stated quantity with its number."""
    for k, (s, e, n) in enumerate(covered):
        if n == stated.count and s <= stated.start and stated.end <= e and k not in used:
            used.add(k)
            return True
    return False


def check_counts_recorded(text: str, letter: Letter) -> list[Issue]:
    """Every count a bullet states is in the record (count.unrecorded); a fraction that is not a
    whole number of things ("half of the 7") is named, as no count can hold it
    (count.fraction_unresolved)."""
    issues: list[Issue] = []
    # each bullet's own counts found by its text, not by a pass over every count a bullet
    every_count: list[Count] = []
    by_text: dict[str, list[Count]] = {}
    for list_name in ("strengths", "areas_for_improvement"):
        finding: Finding
        for finding in getattr(letter, list_name):
            if finding.counts:
                every_count += finding.counts
                by_text.setdefault(squash(finding.text), []).extend(finding.counts)
    for list_name, bullets in read_bullets(text).items():
        for i, bullet in enumerate(bullets):
            stated_here = _stated_counts(bullet)
            if not stated_here:
                continue  # nothing to account for: where the record's counts stand is moot
            # The counts of the finding that is this bullet (letters repeat phrases, so another
            # bullet's count must not account for this one's); all counts when no finding is.
            own = by_text.get(bullet) or every_count
            # where each count of the record stands in this bullet, if it does
            covered: list[tuple[int, int, int]] = []
            plain = bullet.isascii() and squash(bullet) == bullet
            for count in own:
                if not count.evidence.strip():
                    continue
                spans = _plain_spans(bullet, count.evidence) if plain else None
                if spans is None:
                    spans = find_spans(bullet, count.evidence)
                for start, end in spans:
                    covered.append((start, end, count.count))
            used: set[int] = set()
            for stated in stated_here:
                if stated.count is None:
                    field = f"{list_name}[{i}]"
                    issues.append(
                        warning(
                            "count.fraction_unresolved",
                            field,
                            f"'{short(stated.phrase)}' in {field} is a fraction that is not a "
                            "whole number of things: no count can hold it",
                            found=stated.phrase,
                        )
                    )
                    continue
                # each count of the record accounts for one stated count: an evidence that
                # runs over two phrases of the same number does not account for both
                if _account(covered, used, stated):
                    continue
                field = f"{list_name}[{i}]"
                issues.append(
                    error(
                        "count.unrecorded",
                        field,
                        f"the bullet {field} states a count of {stated.count} "
                        f"('{short(stated.phrase)}') that no count of the record gives: add a "
                        "count whose evidence runs from the quantity to the judgement",
                        expected=stated.count,
                        found=stated.phrase,
                    )
                )
    return issues
