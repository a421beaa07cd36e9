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
from dataclasses import dataclass
from functools import lru_cache

from ofsted_extractor.schema import Count, Issue, Letter
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
from ofsted_extractor.validators.counts import iter_counts
from ofsted_extractor.validators.issues import error, warning
from ofsted_extractor.validators.reading import read_bullets
from ofsted_extractor.validators.text import (
    find_spans,
    finditer_at,
    is_word_char,
    number_value,
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
# "the number of ... has fallen to": every _CHANGE match holds "number"
_CHANGE_NEEDS = "number"
# ", as are 11 of": every _AS_ARE match holds this (a pattern opening with a literal is fast)
_AS_ARE_NEEDS = re.compile(r"as\s+(?:is|are|was|were)\s")
# "half of", "two thirds of", "a quarter of": every fraction ends in one of these words, then "of"
_FRACTION_NEEDS = re.compile(
    "(?:"
    + "|".join(sorted({key.replace("-", " ").split()[-1] for key in FRACTIONS}, reverse=True))
    + r")\s+of\s"
)
# "of the 15 ...": every _OF_THE_TOTAL match starts where this does
_OF_THE_NEEDS = re.compile(r"of\s+the\s")
# "none of": every _NONE match holds "none"
_NONE_NEEDS = "none"
# "are good", "inadequate": a judgement, which every count but a changed number's is read with
# (the judgement words are lower case, so this pattern reads a lower-cased ASCII sentence)
_JUDGEMENT_NEEDS = re.compile(JUDGEMENT)


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
    kept = before.rstrip()
    if len(kept) == len(before):
        return False
    low = kept.lower()
    for word in _NOT_PROVISION_WORDS:
        if low.endswith(word) and (len(low) == len(word) or not is_word_char(low[-len(word) - 1])):
            return True
    if not low.endswith("in"):
        return False
    head = low[:-2]
    quantity_end = len(head.rstrip())
    if quantity_end == len(head):
        return False
    start = quantity_end
    while start > 0 and (is_word_char(head[start - 1]) or head[start - 1] == "-"):
        start -= 1
    token = head[start:quantity_end]
    return (token.isdigit() and len(token) <= 3) or token in NUMBER_WORDS


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
    for start, end in _sentences(bullet):
        for c in _sentence_counts(bullet[start:end]):
            found.append(StatedCount(c.count, start + c.start, start + c.end, c.phrase))
    return tuple(found)


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
    found: list[StatedCount] = []
    taken: list[tuple[int, int]] = []

    def free(m: re.Match[str]) -> bool:
        return not any(m.start() < te and ts < m.end() for ts, te in taken)

    def keep(m: re.Match[str], count: int | None, at: str = "count") -> None:
        taken.append((m.start(), m.end()))
        s, e = (m.start(at), m.end(at)) if at else (m.start(), m.end())
        found.append(StatedCount(count, s, e, m.group(0)))

    # the guards' lower-cased sentence; None (no guard) when it is not ASCII
    low = sentence.lower() if sentence.isascii() else None
    if low is not None and _CHANGE_NEEDS not in low and _JUDGEMENT_NEEDS.search(low) is None:
        return []  # every form but a changed number is kept only with a judgement
    quantities = list(_QUANTITY.finditer(sentence))
    if not quantities and low is not None and _NONE_NEEDS not in low:
        return []  # every form but "none of" counts with a quantity
    change = low is None or _CHANGE_NEEDS in low
    for m in _CHANGE.finditer(sentence) if change else ():
        what = m.group("what")
        if m.group("concern") or (what and _SERVICE.search(what)):
            keep(m, _value(m.group("count")))
        else:
            taken.append((m.start(), m.end()))  # "the number of looked after children"
    as_are = low is None or _AS_ARE_NEEDS.search(low) is not None
    for m in _AS_ARE.finditer(sentence) if as_are else ():
        if free(m):
            keep(m, _value(m.group("count")))
    fraction = low is None or _FRACTION_NEEDS.search(low) is not None
    for m in _FRACTION.finditer(sentence) if fraction else ():
        if not free(m):
            continue
        if not m.group("approx") and _judged_after(sentence, m.end()) is not None:
            keep(m, fraction_of(m.group("fraction"), _value(m.group("total")) or 0), "fraction")
        else:
            taken.append((m.start(), m.end()))  # "over half of the 12": no count, no 12
    of_the = (
        _OF_THE_TOTAL.finditer(sentence)
        if low is None
        else finditer_at(_OF_THE_TOTAL, sentence, (g.start() for g in _OF_THE_NEEDS.finditer(low)))
    )
    for m in of_the:
        if free(m) and _judged_after(sentence, m.end()) is not None:
            keep(m, _value(m.group("count")))
    none = low is None or _NONE_NEEDS in low
    for m in _NONE.finditer(sentence) if none else ():
        if free(m) and _judged_after(sentence, m.end()) is not None:
            keep(m, 0, "")
    for m in quantities:
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


def check_counts_recorded(text: str, letter: Letter) -> list[Issue]:
    """Every count a bullet states is in the record (count.unrecorded); a fraction that is not a
    whole number of things ("half of the 7") is named, as no count can hold it
    (count.fraction_unresolved)."""
    issues: list[Issue] = []
    counts = [(squash(finding.text), count) for _path, finding, count in iter_counts(letter)]
    # each bullet's own counts found by its text, not by a pass over every count a bullet
    by_text: dict[str, list[Count]] = {}
    for where, count in counts:
        by_text.setdefault(where, []).append(count)
    for list_name, bullets in read_bullets(text).items():
        for i, bullet in enumerate(bullets):
            stated_here = stated_counts(bullet)
            if not stated_here:
                continue  # nothing to account for: where the record's counts stand is moot
            # The counts of the finding that is this bullet (letters repeat phrases, so another
            # bullet's count must not account for this one's); all counts when no finding is.
            own = by_text.get(bullet, [])
            if not own:
                own = [count for _where, count in counts]
            # where each count of the record stands in this bullet, if it does
            covered: list[tuple[int, int, int]] = []
            for count in own:
                if not count.evidence.strip():
                    continue
                for start, end in find_spans(bullet, count.evidence):
                    covered.append((start, end, count.count))
            used: set[int] = set()
            for stated in stated_here:
                field = f"{list_name}[{i}]"
                if stated.count is None:
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
                match = next(
                    (
                        k
                        for k, (s, e, n) in enumerate(covered)
                        if k not in used
                        and s <= stated.start
                        and stated.end <= e
                        and n == stated.count
                    ),
                    None,
                )
                if match is not None:
                    used.add(match)
                    continue
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
