"""The count checks' fast paths say what the plain readers they replace said.

validators/counts.py and validators/inventory_counts.py read an ASCII sentence once, lower-cased,
with case-sensitive patterns and memoised searches, test a needle's presence as a substring
before searching whitespace-insensitively, and write a count's field path only for an issue.
Each check is held here equal to its old version (kept below as the oracle, as it was before
that work) over synthetic letters in every text surface and hostile conversion, every mutated
record eval/mutations.py makes of their gold, and hostile rewrites of each count's evidence and
judgement (the long s and the Kelvin sign, which re.I folds and str.lower does not; curly quotes;
odd whitespace; capitals; blanks). The sentence reader is held equal to the unguarded reader of
test_validator_speed_equivalence over long and hostile sentences too, and it must read a long
sentence in time linear in its length.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from functools import cache

import pytest

from ofsted_extractor.eval.mutations import MUTATORS
from ofsted_extractor.eval.synth import TEXT_SURFACES, generate
from ofsted_extractor.loading import load_text
from ofsted_extractor.schema import Count, Issue, Letter
from ofsted_extractor.validators import counts
from ofsted_extractor.validators import inventory_counts as ic
from ofsted_extractor.validators.issues import error, warning
from ofsted_extractor.validators.reading import read_bullets
from ofsted_extractor.validators.text import (
    contains,
    find_span,
    find_spans,
    numbers_in,
    short,
    squash,
)
from tests.hostile import HOSTILE
from tests.test_validator_speed_equivalence import (
    _old_sentence_counts,
    _old_sentences,
    _random_strings,
)

# --- The oracles: the checks as they were before the speed work ---------------------------------


def _old_fraction_before(finding_text: str, evidence: str) -> str | None:
    span = find_span(finding_text, evidence)
    if span is None:
        return None
    if finding_text[: span[0]].rstrip()[-2:].lower() != "of":
        return None
    m = counts._FRACTION_BEFORE.search(finding_text[: span[0]])
    return squash(m.group(0)) if m else None


def _old_check_count_evidence(text: str, letter: Letter) -> list[Issue]:
    issues: list[Issue] = []
    for path, finding, count in counts.iter_counts(letter):
        field = f"{path}.evidence"
        if not count.evidence.strip():
            issues.append(
                error(
                    "count.evidence_empty",
                    field,
                    f"{path} has no evidence: copy the phrase of the finding that states it, "
                    "from the number to the end of the judgement",
                )
            )
        elif not contains(text, count.evidence):
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
        elif not contains(finding.text, count.evidence):
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


def _old_check_count_numbers(text: str, letter: Letter) -> list[Issue]:
    issues: list[Issue] = []
    for path, _finding, count in counts.iter_counts(letter):
        stated = numbers_in(count.evidence)
        quantity = counts.stated_quantity(count.evidence)
        if quantity is not None and quantity[0] is not None:
            stated.add(quantity[0])
        quote = short(count.evidence)
        if count.count not in stated:
            issues.append(
                error(
                    "count.count_not_in_evidence",
                    f"{path}.count",
                    f"{path}.count is {count.count} but its evidence '{quote}' states "
                    f"{counts._stated(stated)}: set count to the number the phrase gives "
                    "('none' is 0)",
                    expected=counts._stated(stated),
                    found=count.count,
                )
            )
        if count.total is not None and count.total not in stated:
            issues.append(
                error(
                    "count.total_not_in_evidence",
                    f"{path}.total",
                    f"{path}.total is {count.total} but its evidence '{quote}' states "
                    f"{counts._stated(stated)}: set total to the 'of N' the phrase gives, or "
                    "null when it gives none",
                    expected=counts._stated(stated),
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


def _old_check_count_judgement(text: str, letter: Letter) -> list[Issue]:
    issues: list[Issue] = []
    for path, _finding, count in counts.iter_counts(letter):
        if count.judgement is None or contains(count.evidence, count.judgement, ignore_case=True):
            continue
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


def _old_check_count_roles(text: str, letter: Letter) -> list[Issue]:
    issues: list[Issue] = []
    for path, finding, count in counts.iter_counts(letter):
        quote = short(count.evidence)
        fraction = _old_fraction_before(finding.text, count.evidence)
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
        stated = counts.stated_quantity(count.evidence)
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
        owner = counts.predicate_owner(count.evidence)
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
        judged = counts.stated_judgement(count.evidence)
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


def _old_stated_counts(bullet: str) -> list[ic.StatedCount]:
    """The bullet's counts as the unguarded sentence reader found them."""
    found: list[ic.StatedCount] = []
    for start, end in _old_sentences(bullet):
        for c in _old_sentence_counts(bullet[start:end]):
            found.append(ic.StatedCount(c.count, start + c.start, start + c.end, c.phrase))
    return found


def _old_check_counts_recorded(text: str, letter: Letter) -> list[Issue]:
    issues: list[Issue] = []
    all_counts = [
        (squash(finding.text), count) for _p, finding, count in counts.iter_counts(letter)
    ]
    by_text: dict[str, list[Count]] = {}
    for where, count in all_counts:
        by_text.setdefault(where, []).append(count)
    for list_name, bullets in read_bullets(text).items():
        for i, bullet in enumerate(bullets):
            stated_here = _old_stated_counts(bullet)
            if not stated_here:
                continue
            own = by_text.get(bullet, [])
            if not own:
                own = [count for _where, count in all_counts]
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


Check = Callable[[str, Letter], list[Issue]]
PAIRS: list[tuple[Check, Check]] = [
    (counts.check_count_evidence, _old_check_count_evidence),
    (counts.check_count_numbers, _old_check_count_numbers),
    (counts.check_count_judgement, _old_check_count_judgement),
    (counts.check_count_roles, _old_check_count_roles),
    (ic.check_counts_recorded, _old_check_counts_recorded),
]

# --- The records --------------------------------------------------------------------------------

# what a converter or a model may do to a phrase; "ſ" and "K" (the Kelvin sign) fold into "s"
# and "k" under re.I, not under str.lower
_REWRITES = {
    "long-s": lambda s: s.replace("s", "\u017f"),
    "kelvin": lambda s: s.replace("k", "\u212a"),
    "capitals": str.upper,
    "double-spaces": lambda s: s.replace(" ", "  "),
    "line-breaks": lambda s: s.replace(" ", "\n", 2),
    "tabs-and-nbsp": lambda s: s.replace(" ", "\t", 1).replace(" ", "\u00a0", 1),
    "file-separator": lambda s: s.replace(" ", "\x1c", 1),
    "curly": lambda s: s.replace("'", "\u2019").replace("-", "\u2013"),
    "padded": lambda s: f"  {s} ",
    "blank": lambda _s: "   ",
    "empty": lambda _s: "",
    "cut": lambda s: s[: len(s) // 2],
}


def _with_count(letter: Letter, ln: str, i: int, j: int, **change: object) -> Letter:
    copy = letter.model_copy(deep=True)
    finding = getattr(copy, ln)[i]
    finding.counts[j] = finding.counts[j].model_copy(update=change)
    return copy


def _with_finding_text(letter: Letter, ln: str, i: int, text: str) -> Letter:
    copy = letter.model_copy(deep=True)
    getattr(copy, ln)[i].text = text
    return copy


def _hostile_records(letter: Letter) -> Iterator[Letter]:
    """The record with one count's evidence or judgement, or one finding's text, rewritten."""
    for ln in ("strengths", "areas_for_improvement"):
        for i, finding in enumerate(getattr(letter, ln)):
            for j, count in enumerate(finding.counts):
                for rewrite in _REWRITES.values():
                    yield _with_count(letter, ln, i, j, evidence=rewrite(count.evidence))
                    if count.judgement is not None:
                        yield _with_count(letter, ln, i, j, judgement=rewrite(count.judgement))
                yield _with_count(letter, ln, i, j, judgement=None)
                yield _with_count(letter, ln, i, j, total=count.count + 1)
                # an evidence whose predicate is said of a later number than it opens with
                owned = f"the 15 schools, including the two academies, {count.count} are good"
                yield _with_count(letter, ln, i, j, evidence=owned)
            if finding.counts:
                for rewrite in _REWRITES.values():
                    yield _with_finding_text(letter, ln, i, rewrite(finding.text))


@cache
def _cases() -> tuple[tuple[str, Letter], ...]:
    """(normalised text, record) pairs: gold, mutated and hostile records of synthetic letters
    in every text surface and hostile conversion."""
    out: list[tuple[str, Letter]] = []
    for n, letter in enumerate(generate(7, 33)):
        texts = [letter.render(surface) for surface in TEXT_SURFACES]
        if n < 3:
            texts += [transform(letter.render("clean")) for transform in HOSTILE.values()]
        for k, raw in enumerate(texts):
            text = load_text(raw).text
            out.append((text, letter.gold))
            if k == 0:
                for mutate in MUTATORS.values():
                    out += [(text, mutated) for _what, mutated in mutate(text, letter.gold)]
                out += [(text, record) for record in _hostile_records(letter.gold)]
            # the letter's text rewritten, the record not: nothing may be found where it was not
            if k == 1:
                for name in ("long-s", "kelvin", "capitals", "double-spaces"):
                    out.append((_REWRITES[name](text), letter.gold))
    return tuple(out)


def test_the_records_reach_every_issue_the_count_checks_raise() -> None:
    codes = {
        issue.code
        for text, record in _cases()
        for check, _old in PAIRS
        for issue in check(text, record)
    }
    assert {
        "count.evidence_empty",
        "count.evidence_not_in_text",
        "count.evidence_not_in_finding",
        "count.count_not_in_evidence",
        "count.total_not_in_evidence",
        "count.count_exceeds_total",
        "count.judgement_not_in_evidence",
        "count.count_mismatch",
        "count.total_mismatch",
        "count.total_unstated",
        "count.judgement_missing",
        "count.judgement_mismatch",
        "count.unrecorded",
        "count.predicate_of_another_count",
    } <= codes


@pytest.mark.parametrize(("check", "old"), PAIRS, ids=[new.__name__ for new, _old in PAIRS])
def test_each_count_check_raises_exactly_the_issues_it_raised(check: Check, old: Check) -> None:
    crashed = 0
    for text, record in _cases():
        try:
            want = old(text, record)
        except KeyError:
            # the old reader crashed on "Three quarterſ of the 20" (see the test below); the new
            # one must read it
            crashed += 1
            check(text, record)
            continue
        assert check(text, record) == want
    assert crashed < 20


@pytest.mark.parametrize(
    ("sentence", "count"),
    [
        ("Three quarter\u017f of the 20 schools are good.", 15),
        ("Two THIRD\u017f of the 9 units are good.", 6),
        ("Half of the 12 \u017fchools are good.", 6),
    ],
    ids=["long-s-in-quarters", "long-s-in-capital-thirds", "long-s-in-the-noun"],
)
def test_a_fraction_re_i_folds_is_read_not_a_crash(sentence: str, count: int) -> None:
    # re.I reads "quarterſ" as "quarters", str.lower does not: the old reader looked the
    # lower-cased fraction up in FRACTIONS and raised a KeyError, so validate crashed on it
    assert [c.count for c in ic._sentence_counts(sentence)] == [count]


def test_a_fraction_before_an_evidence_is_found_as_before_in_hostile_findings() -> None:
    phrases = ["two thirds of the 12 schools are good", "Half  of\tthe 9 units are good"]
    finding_texts = [
        "Over two thirds of the 12 schools are good.",
        "Over two thirds of  the 12 schools are good.",
        "Over two thirds of\u00a0the 12 schools are good.",
        "Over two thirds \u017fof the 12 schools are good.",
        "Half of the 9 units are good; half  of\tthe 9 units are good",
        "",
    ]
    for finding_text in finding_texts:
        for evidence in [*phrases, "the 12 schools are good", "the 9 units", "", " "]:
            counts.fraction_before.cache_clear()
            got = counts.fraction_before(finding_text, evidence)
            assert got == _old_fraction_before(finding_text, evidence), (finding_text, evidence)


# --- The sentence reader ------------------------------------------------------------------------


def _long_sentences(seed: int) -> list[str]:
    """Sentences of many quantities, forms and verbs, as a list or a garbled conversion makes."""
    rng = random.Random(seed)
    parts = [
        "12 schools",
        "eight of the 12 special schools",
        "Half of the 10 homes",
        "none of the 4 units",
        "of the 15 schools in the area, 12",
        "the number of inadequate schools has fallen from five to two",
        "are good",
        "and was judged satisfactory",
        "is good, as are 11 of the 14 children's homes",
        "aged 14",
        "one in five",
        "made good progress",
        ", ",
        "Ofsted",
        "x-12 in 5 schools are good",
        "85% of 3 settings are outstanding",
        "\u017fchools",
        "  ",
    ]
    out = []
    for size in (20, 60, 200):
        for _ in range(8):
            out.append(" ".join(rng.choice(parts) for _ in range(size)) + ".")
    return out


def test_long_and_hostile_sentences_are_read_as_the_unguarded_reader_reads_them() -> None:
    sentences = _long_sentences(5) + _random_strings(1500, 21)
    sentences += [s.replace(" ", "\t") for s in sentences[:50]]
    sentences += [s.upper() for s in sentences[:50]]
    assert sum(1 for s in sentences if _old_sentence_counts(s)) > 50
    for sentence in sentences:
        try:
            want = _old_sentence_counts(sentence)
        except KeyError:  # the old reader's crash on a folded fraction (fixed: see above)
            continue
        assert ic._sentence_counts(sentence) == want, repr(sentence)


def test_an_ascii_sentence_is_read_as_its_non_ascii_path_reads_it() -> None:
    # the two paths of _sentence_counts share no pattern object: each is held to the other
    for sentence in _long_sentences(6) + _random_strings(800, 22):
        if sentence.isascii():
            assert ic._ascii_sentence_counts(sentence) == ic._folded_sentence_counts(sentence)


def test_the_lower_cased_patterns_are_the_re_i_patterns_without_re_i() -> None:
    assert ic._QUANTITY.flags & re.I
    assert ic._CHANGE_LOW.pattern == ic._CHANGE.pattern.replace("Ofsted", "ofsted")
    assert not ic._CHANGE_LOW.flags & re.I
    with pytest.raises(AssertionError):
        ic._lower_pattern(re.compile(r"\Sschools", re.I))


class _CountingPattern:
    """A pattern that adds up how far its searches looked (from where each started to where it
    matched, or to the end)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.looked = 0

    def search(self, text: str, pos: int = 0, endpos: int = 1 << 62) -> re.Match[str] | None:
        m = self.pattern.search(text, pos, endpos)
        self.looked += (m.start() if m else min(len(text), endpos)) - pos
        return m

    def match(self, text: str, pos: int = 0, endpos: int = 1 << 62) -> re.Match[str] | None:
        return self.pattern.match(text, pos, endpos)


@pytest.mark.parametrize("size", [50, 200, 800])
def test_a_long_sentence_is_searched_about_once_from_its_quantities(
    monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    # "12 schools, 13 schools, ... are good": every quantity looks for the verb after it; the
    # old reader searched from each of them to the end (time growing with the square)
    sentence = ", ".join(f"{n % 900 + 1} schools and" for n in range(size)) + " all are good."
    verbs = _CountingPattern(ic._VERB_LOWER)
    ands = _CountingPattern(ic._AND_JUDGED_LOW)
    monkeypatch.setattr(ic, "_VERB_LOWER", verbs)
    monkeypatch.setattr(ic, "_AND_JUDGED_LOW", ands)
    found = ic._ascii_sentence_counts(sentence)
    assert found == _old_sentence_counts(sentence)
    assert verbs.looked + ands.looked <= 3 * len(sentence)


def test_every_fraction_holds_a_word_its_guard_looks_for() -> None:
    for key in ic.FRACTIONS:
        assert any(word in key for word in ic._FRACTION_WORDS), key
        assert ic._may_hold_fraction(key), key
    assert {ic._may_hold_fraction(w) for w in ic._FRACTION_WORDS} == {True}


def test_a_number_surely_stated_is_one_numbers_in_reads() -> None:
    # _surely_states may say False when the number is there (numbers_in then decides), never
    # True when it is not
    texts = [
        *_random_strings(1500, 23),
        "12,000 schools",
        "1,12 homes",
        "012 units",
        "thirty-four-year-olds",
        "x-thirty-four",
        "no-one",
        "twelve-year",
        "12_000",
        "a12b",
        "one hundred",
        "none of them",
        "Both are good",
    ]
    values = [0, 1, 2, 4, 5, 12, 30, 34, 100, 120, 1200, 12000]
    said = 0
    for text in texts:
        found = numbers_in(text)
        for value in values:
            if counts._surely_states(text, value):
                said += 1
                assert value in found, (text, value)
    assert said > 150
    assert not counts._surely_states("12,000 schools", 12)
    assert not counts._surely_states("thirty-four-year-olds", 34)
    assert counts._surely_states("Eight of the 12 schools", 12)
    assert counts._surely_states("eight of the twelve schools", 8)


def test_the_written_out_guards_say_what_their_patterns_say() -> None:
    for word in ic.JUDGEMENT.strip("(?:)").split("|"):
        assert ic._may_count(word.replace(r"\s+", " ")), word
    for text in [*_random_strings(1500, 24), "good", "INADEQUATE", "the numbers", "inspecte"]:
        low = text.lower()
        want = "number" in low or ic._JUDGEMENT_NEEDS.search(low) is not None
        assert ic._may_count(low) == want, text
        assert ic._may_hold_fraction(low) or ic._FRACTION_NEEDS.search(low) is None, text


def test_check_count_roles_reads_an_evidences_predicate_as_the_public_readers_do() -> None:
    # check_count_roles asks _predicate_reading for both answers at once; each must be what
    # predicate_owner and stated_judgement (which the old check asked) give, owners included
    owned = [
        "the 15 primary schools in the area, including the two academies, 12 are good",
        "The 15 schools, with the 2 academies, 12 are Good",
        "the 9 units, of which 3 are new, 4 were judged satisfactory",
        "the 9 units, 4 \u017fare good",
        "Of the 15 schools in the area, 12 are good",
    ]
    evidences = [*owned, *_long_sentences(8), *_random_strings(1500, 26)]
    evidences += [s.upper() for s in owned] + [s.replace(" ", "\t") for s in owned]
    owners = 0
    for evidence in evidences:
        counts._predicate_reading.cache_clear()
        got = counts._predicate_reading(evidence)
        assert got == (counts.predicate_owner(evidence), counts.stated_judgement(evidence))
        owners += got[0] is not None
    assert owners >= 6
