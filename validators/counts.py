"""Counts against their evidence: the phrase is the letter's, and it states the numbers and the
judgement the record gives."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from ofsted_extractor.schema import Count, Finding, Issue, Letter
from ofsted_extractor.textutil import (
    APPROXIMATORS,
    CHANGE_VERBS,
    CONCERN,
    FRACTIONS,
    JUDGEMENT,
    PREDICATE,
    alternation,
    fraction_of,
)
from ofsted_extractor.validators.issues import error
from ofsted_extractor.validators.text import (
    NUMBER_WORDS,
    contains,
    find_span,
    is_word_char,
    number_value,
    numbers_in,
    short,
    squash,
)


def iter_counts(letter: Letter) -> Iterator[tuple[str, Finding, Count]]:
    """Every count of every finding with its field path, e.g. 'strengths[4].counts[0]'."""
    for where, finding, count in counts_of(letter):
        yield count_path(where), finding, count


#: Where a count stands: its list's name, its finding's index, its own index
Where = tuple[str, int, int]


def counts_of(letter: Letter) -> Iterator[tuple[Where, Finding, Count]]:
    """Every count of every finding with where it stands. The checks below name a count's field
    path only in an issue: most counts raise none, and formatting every path cost more than
    some of the checks' own reading."""
    for list_name in ("strengths", "areas_for_improvement"):
        findings: list[Finding] = getattr(letter, list_name)
        for i, finding in enumerate(findings):
            for j, count in enumerate(finding.counts):
                yield (list_name, i, j), finding, count


def count_path(where: Where) -> str:
    """The field path of a count: ('strengths', 4, 0) -> 'strengths[4].counts[0]'."""
    list_name, i, j = where
    return f"{list_name}[{i}].counts[{j}]"


def _contains(haystack: str, needle: str) -> bool:
    """`contains(haystack, needle)`, answered first by a plain substring test: a squashed needle
    (single spaces, none at its ends, quotes and dashes folded) that occurs in the haystack as it
    is occurs in it squashed too, as squashing changes only whitespace runs and typographic
    characters the needle does not hold. Only a miss pays for the whitespace-insensitive search.
    (Private to this module: validators/text.py is not this module's to change.)"""
    key = squash(needle)
    return bool(key) and (key in haystack or contains(haystack, needle))


def _contains_ignoring_case(haystack: str, needle: str) -> bool:
    """`contains(haystack, needle, ignore_case=True)`, answered first by a substring test of the
    lower-cased texts when both are ASCII (str.lower keeps an ASCII text's length and spaces, so
    a hit there is a hit in the lower-cased squashed haystack; other text goes to `contains`,
    whose folding of case differs from str.lower's)."""
    key = squash(needle)
    if not key:
        return False
    if key.isascii() and haystack.isascii() and key.lower() in haystack.lower():
        return True
    return contains(haystack, needle, ignore_case=True)


def _stated(numbers: set[int]) -> str:
    return ", ".join(str(n) for n in sorted(numbers)) or "no number"


def check_count_evidence(text: str, letter: Letter) -> list[Issue]:
    """Each count's evidence is a non-empty verbatim phrase of the letter (count.evidence_empty,
    count.evidence_not_in_text) inside its own finding's text (count.evidence_not_in_finding)."""
    issues: list[Issue] = []
    # A finding whose squashed text stands in the letter as it is: an evidence standing as it
    # is in that text stands in the letter too, so the letter (the longest haystack) is searched
    # once a finding rather than once a count. Otherwise each count searches it, as before.
    verbatim: dict[int, bool] = {}
    for where, finding, count in counts_of(letter):
        empty = not count.evidence.strip()
        if not empty:
            key = squash(count.evidence)
            if key in finding.text:
                known = verbatim.get(id(finding))
                if known is None:
                    known = verbatim[id(finding)] = squash(finding.text) in text
                if known:
                    continue  # in the finding and so in the letter: no issue
        in_text = not empty and _contains(text, count.evidence)
        if in_text and _contains(finding.text, count.evidence):
            continue
        path = count_path(where)
        field = f"{path}.evidence"
        if empty:
            issues.append(
                error(
                    "count.evidence_empty",
                    field,
                    f"{path} has no evidence: copy the phrase of the finding that states it, "
                    "from the number to the end of the judgement",
                )
            )
        elif not in_text:
            issues.append(
                error(
                    "count.evidence_not_in_text",
                    field,
                    f"{field} '{short(count.evidence)}' does not occur in the letter: copy the "
                    "phrase verbatim from the finding's text, or drop the count if the letter "
                    "does not state it",
                    found=count.evidence,
                )
            )
        else:
            issues.append(
                error(
                    "count.evidence_not_in_finding",
                    field,
                    f"{field} '{short(count.evidence)}' is in the letter but not in this "
                    f"finding's text '{short(finding.text, 40)}': move the count to the finding "
                    "that states it",
                    found=count.evidence,
                )
            )
    return issues


def check_count_numbers(text: str, letter: Letter) -> list[Issue]:
    """count and total are stated in the evidence as digits or words
    (count.count_not_in_evidence, count.total_not_in_evidence), and count <= total
    (count.count_exceeds_total)."""
    issues: list[Issue] = []
    for where, _finding, count in counts_of(letter):
        quantity = stated_quantity(count.evidence)
        opening = quantity[0] if quantity is not None else None
        if count.total is None and count.count == opening:
            continue  # the count is the quantity the phrase opens with, and there is no total
        if (
            (count.count == opening or _surely_states(count.evidence, count.count))
            and (
                count.total is None
                or count.total == opening
                or _surely_states(count.evidence, count.total)
            )
            and (count.total is None or count.count <= count.total)
        ):
            continue  # the usual case, settled without reading every number of the evidence
        stated = numbers_in(count.evidence)
        if opening is not None:
            stated.add(opening)  # "Half of the 12" states 6
        if (
            count.count in stated
            and (count.total is None or count.total in stated)
            and (count.total is None or count.count <= count.total)
        ):
            continue
        path = count_path(where)
        quote = short(count.evidence)
        if count.count not in stated:
            issues.append(
                error(
                    "count.count_not_in_evidence",
                    f"{path}.count",
                    f"{path}.count is {count.count} but its evidence '{quote}' states "
                    f"{_stated(stated)}: set count to the number the phrase gives ('none' is 0)",
                    expected=_stated(stated),
                    found=count.count,
                )
            )
        if count.total is not None and count.total not in stated:
            issues.append(
                error(
                    "count.total_not_in_evidence",
                    f"{path}.total",
                    f"{path}.total is {count.total} but its evidence '{quote}' states "
                    f"{_stated(stated)}: set total to the 'of N' the phrase gives, or null when "
                    "it gives none",
                    expected=_stated(stated),
                    found=count.total,
                )
            )
        if count.total is not None and count.count > count.total:
            issues.append(
                error(
                    "count.count_exceeds_total",
                    f"{path}.count",
                    f"{path}.count {count.count} is more than its total {count.total}: in "
                    f"'{quote}' the count is the part and the total the whole",
                    expected=f"<= {count.total}",
                    found=count.count,
                )
            )
    return issues


# The number words numbers_in reads, by value: 0 -> ("zero", "none", "no"), 34 -> ("thirty-four",)
_WORDS_BY_VALUE: dict[int, tuple[str, ...]] = {}
for _word, _value in NUMBER_WORDS.items():
    _WORDS_BY_VALUE[_value] = (*_WORDS_BY_VALUE.get(_value, ()), _word)


def _surely_states(evidence: str, value: int) -> bool:
    """True only when `value in numbers_in(evidence)`, found by substring search (False says
    nothing: the caller then asks numbers_in). In ASCII text numbers_in reads tokens of digits
    and commas ("1,200" is 1200) and of letters joined by hyphens, each hyphen part a number of
    its own: `value` is stated when its digits stand with no digit or comma before them and no
    digit after their commas, or one of its words stands with no letter either side (and no
    hyphen either side when the word has one: "thirty-four-year" states 30 and 4, not 34)."""
    if type(value) is not int or value < 0 or not evidence.isascii():
        return False
    low = evidence.lower()
    n = len(low)
    digits = str(value)
    at = low.find(digits)
    while at >= 0:
        end = at + len(digits)
        if at == 0 or low[at - 1] not in _DIGITS_AND_COMMA:
            while end < n and low[end] == ",":
                end += 1
            if end == n or not low[end].isdigit():
                return True
        at = low.find(digits, at + 1)
    for word in _WORDS_BY_VALUE.get(value, ()):
        at = low.find(word)
        while at >= 0:
            end = at + len(word)
            before = low[at - 1] if at > 0 else " "
            after = low[end] if end < n else " "
            if not (before.isalpha() or after.isalpha()) and not (
                "-" in word and "-" in (before, after)
            ):
                return True
            at = low.find(word, at + 1)
    return False


_DIGITS_AND_COMMA = "0123456789,"


def check_count_judgement(text: str, letter: Letter) -> list[Issue]:
    """A non-null judgement occurs in the evidence, case-insensitively
    (count.judgement_not_in_evidence)."""
    issues: list[Issue] = []
    for where, _finding, count in counts_of(letter):
        if count.judgement is None or _contains_ignoring_case(count.evidence, count.judgement):
            continue
        path = count_path(where)
        issues.append(
            error(
                "count.judgement_not_in_evidence",
                f"{path}.judgement",
                f"{path}.judgement '{count.judgement}' does not occur in its evidence "
                f"'{short(count.evidence)}': use the judgement as written in the phrase "
                "(lower case, without adverbs), or null when it gives none",
                found=count.judgement,
            )
        )
    return issues


# The quantity a count's evidence opens with says which number is the count and which the
# total. Each form is anchored at the start of the evidence (the guide's evidence starts at the
# quantity); an evidence that opens otherwise is left to the generous checks above.
# a number token, checked by number_value: "12", "eight", "thirty-four"
_NUM = r"(?:\d{1,4}|[a-z]+(?:-[a-z]+)?)"
_DETERMINER = r"(?:the\s+(?:local\s+authority|authority|council)'s|the|these|those|its|their|them)"
_QUANTITY_FORMS: list[tuple[str, re.Pattern[str]]] = [
    # "Of the 19 homes commissioned from other agencies, 18 are good or better"
    ("of_the_total", re.compile(rf"^of\s+the\s+(?P<total>{_NUM})\s[^,]*,\s+(?P<count>{_NUM})\b")),
    # "Of the 15 schools in the area, including the two academies, 12 are good or better"
    ("of_the_total", re.compile(
        rf"^of\s+the\s+(?P<total>{_NUM})\s[^,]*(?:,[^,]*)*?,\s+(?P<count>{_NUM})\s+"
        r"(?:is|are|was|were|have|has|remain)\b")),
    # "the number of inadequate schools has reduced from five to two", "the number in an
    # Ofsted category of concern has fallen to one"
    ("reduced", re.compile(
        rf"^the\s+number\s+(?:of|in)\s.+?\s(?:has|have)\s+{alternation(CHANGE_VERBS)}\s+"
        rf"(?:from\s+{_NUM}\s+)?to\s+(?P<count>{_NUM})\b")),
    # "good, as are 11 of the 14 children's homes it runs"
    ("as_are", re.compile(
        rf"^{JUDGEMENT},?\s+as\s+(?:is|are|was|were)\s+(?P<count>{_NUM})\s+of\s+{_DETERMINER}\b"
        rf"(?:\s+(?P<total>{_NUM})\b)?")),
    # "Half of the 12 children's centres ..." (6 of 12), "a third of the nine" (3 of 9)
    ("fraction", re.compile(
        rf"^(?:(?P<approx>{alternation(APPROXIMATORS)})\s+)?(?P<fraction>{alternation(list(FRACTIONS))})"
        rf"\s+of\s+{_DETERMINER}\s+(?P<total>{_NUM})\b")),
    # "All six of the children's homes ..." (6 of 6), "each of the five units" (5 of 5)
    ("all", re.compile(rf"^(?:all|each)\s+(?:of\s+(?:the|its|their)\s+)?(?P<count>{_NUM})\b")),
    # "none of them is inadequate", "None of the 12 homes is inadequate" (0 of 12)
    ("none", re.compile(rf"^none\b(?:\s+of\s+{_DETERMINER}\s+(?P<total>{_NUM})\b)?")),
    # "a further two are satisfactory"
    ("further", re.compile(rf"^a\s+further\s+(?P<count>{_NUM})\b")),
    # "eight out of 12 schools ...", "nine out of the 11 ..."
    ("of", re.compile(
        rf"^(?P<count>{_NUM})\s+out\s+of\s+(?:{_DETERMINER}\s+)?(?P<total>{_NUM})\b")),
    # "eight of the 12 ...", "four of the local authority's 34 ...", "Two of these ..."
    ("of", re.compile(
        rf"^(?:only\s+)?(?P<count>{_NUM})\s+of\s+{_DETERMINER}\b(?:\s+(?P<total>{_NUM})\b)?")),
    # "the remaining one is satisfactory", "The other two ..."
    ("remaining", re.compile(rf"^the\s+(?:remaining|other)\s+(?P<count>{_NUM})\b")),
    # "the three pupil referral units ...", "the council's two homes" (3 of 3, 2 of 2)
    ("the_n", re.compile(
        rf"^(?:the\s+(?:local\s+authority|authority|council)'s|the|its|their)\s+"
        rf"(?P<count>{_NUM})\s")),
    # "one short-stay school was ...", "Four are satisfactory"
    ("bare", re.compile(rf"^(?P<count>{_NUM})\s")),
]  # fmt: skip
# "are good or better", "was judged satisfactory": the judgement the evidence predicates
_PREDICATE = re.compile(PREDICATE.pattern, re.I)
# The same for lower-cased ASCII text (its words are lower case), without the leading \b, which
# _predicate checks: the regex engine then tries it only at the first letters of its verbs
_PREDICATE_LOWER = re.compile(PREDICATE.pattern.removeprefix(r"\b"))
# "the number of inadequate schools": a judgement used as an adjective, when no predicate is
_ANY_JUDGEMENT = re.compile(rf"\b{JUDGEMENT}\b", re.I)
# "the number in an Ofsted category of concern": a status said of schools, when no grade is
_CONCERN = re.compile(CONCERN, re.I)


# The readers of one evidence below are pure functions of their strings, and check_count_numbers
# and check_count_roles read the same evidence: cached, each is read once.
@lru_cache(maxsize=4096)
def stated_quantity(evidence: str) -> tuple[int | None, int | None, bool] | None:
    """(count, total, total_is_count) an evidence phrase opens with, or None if no known form.

    "eight of the 12 ..." -> (8, 12, False); "All six of ..." -> (6, None, True);
    "Two of these ..." -> (2, None, False); "Half of the 12 ..." -> (6, 12, False); a fraction
    that is not a whole number of things ("half of the 7") or is approximate ("over half of the
    12") -> (None, 7, False): the phrase states no count.
    """
    phrase = squash(evidence).lower()
    for kind, pattern in _QUANTITY_FORMS:
        m = pattern.match(phrase)
        if not m:
            continue
        groups = m.groupdict()
        total_word = groups.get("total")
        total = number_value(total_word) if total_word else None
        if kind == "fraction":
            if total is None:
                continue
            if groups["approx"]:
                return None, total, False
            return fraction_of(groups["fraction"], total), total, False
        count = 0 if kind == "none" else number_value(groups["count"] or "")
        if count is None:
            continue  # "the special school ..." is not a quantity; try the next form
        return count, total, kind in ("all", "the_n")
    return None


@lru_cache(maxsize=4096)
def stated_judgement(evidence: str) -> str | None:
    """The judgement an evidence phrase gives: its first predicate ("are good or better"), or
    failing that its first judgement word ("the number of inadequate schools")."""
    return _stated_judgement(evidence)


def _stated_judgement(evidence: str) -> str | None:
    predicate = _predicate(evidence)
    if predicate is not None:
        return " ".join(predicate[1].lower().split())
    m = _ANY_JUDGEMENT.search(evidence)
    if not m:
        concern = _CONCERN.search(evidence)
        return " ".join(concern.group(0).lower().split()) if concern else None
    return " ".join(m.group(0).lower().split())


@lru_cache(maxsize=4096)
def _predicate(s: str) -> tuple[int, str] | None:
    """(start, judgement as written) of the first _PREDICATE match in `s`, or None. In ASCII text
    the case-sensitive pattern reads s.lower() (the same positions), passing over a match that
    does not start a word; other text is searched with the re.I pattern (it folds "ſ" into "s",
    which str.lower does not)."""
    if not s.isascii():
        m = _PREDICATE.search(s)
        return (m.start(), m["judgement"]) if m else None
    low = s.lower()
    m = _PREDICATE_LOWER.search(low)
    while m is not None and m.start() > 0 and is_word_char(low[m.start() - 1]):
        m = _PREDICATE_LOWER.search(low, m.start() + 1)
    return (m.start(), s[m.start("judgement") : m.end("judgement")]) if m else None


# "..., including the two academies, 12 are good or better": a number after a comma, right
# before the predicate, is what the predicate is said of
_OWNER_BEFORE_PREDICATE = re.compile(rf",\s+(?P<owner>{_NUM})\s*$")


@lru_cache(maxsize=4096)
def predicate_owner(evidence: str) -> int | None:
    """The number an evidence's predicate is said of when that is not the number the evidence
    opens with: "the 15 primary schools ..., including the two academies, 12 are good" -> 12.
    None when the predicate belongs to the opening quantity (or "Of the N ..., M" says so)."""
    return _predicate_owner(evidence)


@lru_cache(maxsize=4096)
def _predicate_reading(evidence: str) -> tuple[int | None, str | None]:
    """(predicate_owner(evidence), stated_judgement(evidence)), read together: check_count_roles
    asks both of every count, and one cache entry a count costs less than two (most evidences
    are read once, so most questions miss)."""
    return _predicate_owner(evidence), _stated_judgement(evidence)


def _predicate_owner(evidence: str) -> int | None:
    phrase = squash(evidence)
    if phrase.lower().startswith("of the"):
        return None
    pred = _predicate(phrase)
    if pred is None:
        return None
    m = _OWNER_BEFORE_PREDICATE.search(phrase[: pred[0]])
    return number_value(m.group("owner")) if m else None


# "Over two thirds of |the 18 services are good|": an evidence that a fraction precedes
_FRACTION_BEFORE = re.compile(
    rf"\b(?:(?:{alternation(APPROXIMATORS)})\s+)?{alternation(list(FRACTIONS))}\s+of\s*$", re.I
)


@lru_cache(maxsize=4096)
def fraction_before(finding_text: str, evidence: str) -> str | None:
    """The fraction ("two thirds of") right before the evidence in its finding, if any: then
    the evidence's number is the whole the fraction is taken of, not a count."""
    start = _find_start(finding_text, evidence)
    if start is None:
        return None
    # the pattern ends in "of" and whitespace; no other character folds into "o" or "f" (re.I),
    # so a text that does not end so is not searched
    if finding_text[:start].rstrip()[-2:].lower() != "of":
        return None
    m = _FRACTION_BEFORE.search(finding_text[:start])
    return squash(m.group(0)) if m else None


def _find_start(haystack: str, needle: str) -> int | None:
    """Where `find_span(haystack, needle)` starts, by a plain `str.find` when the haystack is
    ASCII and its own squashed form (a finding's text usually is: then squashing maps every
    index to itself)."""
    if haystack.isascii() and squash(haystack) == haystack:
        key = squash(needle)
        at = haystack.find(key) if key else -1
        return at if at >= 0 else None
    span = find_span(haystack, needle)
    return span[0] if span is not None else None


def check_count_roles(text: str, letter: Letter) -> list[Issue]:
    """The count is the number the quantity phrase counts, the total the whole it counts out of,
    and the judgement the one the phrase predicates (count.count_mismatch,
    count.total_mismatch, count.judgement_mismatch).

    The generous checks only ask that a number occurs somewhere in the evidence; this one
    catches a count given the total's value ("Five of the six" as 6) and a judgement taken from
    the wrong words ("made good progress and was judged satisfactory" as good)."""
    issues: list[Issue] = []
    for where, finding, count in counts_of(letter):
        fraction = fraction_before(finding.text, count.evidence)
        stated = stated_quantity(count.evidence)
        owner, judged = _predicate_reading(count.evidence)
        if fraction is None and owner is None and _roles_agree(count, stated, judged):
            continue  # the usual case: no issue, so no path or quote is written
        path = count_path(where)
        quote = short(count.evidence)
        if fraction is not None:
            issues.append(
                error(
                    "count.fraction_made_total",
                    f"{path}.count",
                    f"{path}.count is {count.count} but '{quote}' follows '{fraction}': the "
                    "number is the whole the fraction is taken of; the count is the fraction of "
                    "it (half of 12 is 6), or no count when that is not a whole number",
                    found=count.count,
                )
            )
        if stated is not None:
            n, total, total_is_count = stated
            if total_is_count:
                total = n
            if n is None:
                issues.append(
                    error(
                        "count.fraction_unresolved",
                        f"{path}.count",
                        f"{path}.count is {count.count} but '{quote}' is a fraction that is not "
                        "a whole number of things (or only an approximate one): it states no "
                        "count, so leave it out of the record",
                        found=count.count,
                    )
                )
            if n is not None and count.count != n:
                issues.append(
                    error(
                        "count.count_mismatch",
                        f"{path}.count",
                        f"{path}.count is {count.count} but '{quote}' counts {n}: the count is "
                        "the number of things with the judgement, not the whole",
                        expected=n,
                        found=count.count,
                    )
                )
            if total is None and count.total is not None and n is not None:
                issues.append(
                    error(
                        "count.total_unstated",
                        f"{path}.total",
                        f"{path}.total is {count.total} but '{quote}' states no whole it counts "
                        "out of: the total is null unless the same phrase states it",
                        found=count.total,
                    )
                )
            if total is not None and count.total is not None and count.total != total:
                issues.append(
                    error(
                        "count.total_mismatch",
                        f"{path}.total",
                        f"{path}.total is {count.total} but '{quote}' counts out of {total}",
                        expected=total,
                        found=count.total,
                    )
                )
        if owner is not None:
            issues.append(
                error(
                    "count.predicate_of_another_count",
                    f"{path}.count",
                    f"{path}.count is {count.count} but in '{quote}' the judgement is said of "
                    f"{owner}: count that number, from 'Of the N' if the phrase opens so",
                    expected=owner,
                    found=count.count,
                )
            )
        if count.judgement is None and judged is not None:
            issues.append(
                error(
                    "count.judgement_missing",
                    f"{path}.judgement",
                    f"{path}.judgement is null but '{quote}' judges them '{judged}': give the "
                    "judgement the phrase states",
                    expected=judged,
                )
            )
        if (
            count.judgement is not None
            and judged is not None
            and squash(count.judgement).lower() != judged
        ):
            issues.append(
                error(
                    "count.judgement_mismatch",
                    f"{path}.judgement",
                    f"{path}.judgement is '{count.judgement}' but '{quote}' judges them "
                    f"'{judged}': use the judgement the phrase states of what it counts",
                    expected=judged,
                    found=count.judgement,
                )
            )
    return issues


def _roles_agree(
    count: Count, stated: tuple[int | None, int | None, bool] | None, judged: str | None
) -> bool:
    """True when check_count_roles has nothing to say of `count` from its evidence's opening
    quantity `stated` and judgement `judged`: each of its conditions below, negated."""
    if stated is not None:
        n, total, total_is_count = stated
        if total_is_count:
            total = n
        if n is None or count.count != n:
            return False
        if count.total is not None and (total is None or count.total != total):
            return False
    if judged is None:
        return True
    return count.judgement is not None and squash(count.judgement).lower() == judged
