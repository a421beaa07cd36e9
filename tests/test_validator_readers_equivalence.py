"""The validators' readers, made cheaper, read exactly what they read before.

Each rewritten reader is held equal to its old version, kept here as the oracle, over the corpus
of tests.test_validator_speed_equivalence (the real letters and their noise variants, hostile
conversions, synthetic letters in every text surface) and over hostile variants of it: text
outside ASCII, the long s "ſ" and the Kelvin sign (which re.I folds and str.lower does not),
odd spacing.
"""

from __future__ import annotations

import random
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from functools import cache
from itertools import pairwise

import pytest

from ofsted_extractor.loading import normalise
from ofsted_extractor.schema import Finding, Letter
from ofsted_extractor.validators import findings as fnd
from ofsted_extractor.validators import inspections as insp
from ofsted_extractor.validators import layout, reading
from ofsted_extractor.validators.reading import (
    BULLET_LINE,
    BULLET_LISTS,
    CLOSING_PARAGRAPH,
    GLYPH_ONLY_LINE,
    HEADING_LINE,
    STRENGTHS_HEADING,
    paragraph_around,
    read_bullets,
)
from ofsted_extractor.validators.text import contains, find_span, needle_pattern, squash
from tests.test_validator_speed_equivalence import (
    _letters,
    _list_soup,
    _old_layout_sections,
    _old_sections,
    _old_squash,
    _old_squashed,
    _random_strings,
)

# --- hostile variants ------------------------------------------------------------------------------


def _hostile(text: str) -> Iterator[str]:
    """`text` and variants that trip a reader: characters re.I folds and str.lower does not,
    non-ASCII spaces and quotes, odd spacing, capitals."""
    yield text
    yield text.replace("s", "\u017f", 3)  # the long s
    yield text.replace("k", "\u212a", 3)  # the Kelvin sign
    yield text.replace(" ", "\u00a0", 5).replace("'", "\u2019")
    yield text.replace(" ", "  \t").replace("\n\n", "\n \n\u2029")
    yield text.upper()
    yield text.replace(".", ".\u3000", 4)


@cache
def _texts() -> tuple[str, ...]:
    """Every normalised letter of the corpus, a hostile variant of each, and word soups."""
    texts: list[str] = []
    for n, (_raw, text) in enumerate(_letters()):
        variants = list(_hostile(text))
        texts += [text, variants[1 + n % (len(variants) - 1)]]
    return tuple(texts + _random_strings(300, 17))


def _needles(text: str, rng: random.Random, n: int = 6) -> list[str]:
    """Pieces of `text` (sentences, phrases, a few words, across lines) and a few that are not."""
    words = text.split()
    needles = []
    for _ in range(n):
        if not words:
            break
        i = rng.randrange(len(words))
        needles.append(" ".join(words[i : i + rng.randint(1, 25)]))
    needles += ["", " ", "Yours sincerely", "not in any letter at all", "inspection"]
    return needles


# --- validators.inspections._place ----------------------------------------------------------------


def _old_place(text: str, evidence: str) -> tuple[list[str], int, int] | None:
    """validators.inspections._place before it looked for the letter's paragraph last."""
    paragraphs = insp._summary_paragraphs(text)
    span = find_span(text, evidence)
    if span is not None:
        start, end = paragraph_around(text, span[0])
        paragraphs.append(text[start:end])
    for paragraph in paragraphs:
        p = squash(paragraph)
        pos = find_span(p, evidence)
        if pos is None:
            continue
        starts = [0] + [m.end() for m in re.finditer(r"(?<=\.)\s+(?=\S)", p)]
        first = max(i for i, s in enumerate(starts) if s <= pos[0])
        last = max(i for i, s in enumerate(starts) if s < max(pos[1], pos[0] + 1))
        return [s for s in re.split(r"(?<=\.)\s+(?=\S)", p) if s], first, last
    return None


def _place_cases() -> Iterator[tuple[str, str]]:
    rng = random.Random(29)
    for text in _texts():
        summary = "\n\n".join(insp._summary_paragraphs(text))
        for needle in _needles(summary, rng) + _needles(text, rng, 2):
            yield text, needle


def test_an_evidence_is_placed_in_the_sentences_it_was_placed_in() -> None:
    placed = 0
    for text, evidence in _place_cases():
        got = insp._place(text, evidence)
        want = _old_place(text, evidence)
        assert (got and (list(got[0]), got[1], got[2])) == want, (text[:80], evidence)
        placed += want is not None
    assert placed > 1000


# --- validators.parties: the signatory after the closing -----------------------------------------


def test_a_name_after_a_place_is_one_in_the_text_that_follows_it() -> None:
    rng = random.Random(31)
    found = 0
    for text in _texts():
        for needle in _needles(text, rng, 3):
            # where the closing ends, and places inside whitespace runs and words
            for start in {
                rng.randrange(len(text) + 1),
                text.rfind("sincerely") + 9,
                *(m.end() for m in re.finditer(r"\s\s", text[:400])),
            }:
                start = max(start, 0)
                want = find_span(text, needle, start) is not None
                assert contains(text[start:], needle) == want, (text[:80], needle, start)
                found += want
    assert found > 1000


def test_the_corpus_has_what_the_hostile_variants_promise() -> None:
    texts = _texts()
    assert any("\u017f" in t for t in texts) and any("\u212a" in t for t in texts)
    assert sum(1 for t in texts if not t.isascii()) > 100


# --- validators.layout: the lists of the original ------------------------------------------------


def test_the_originals_lists_are_where_the_line_by_line_reading_put_them() -> None:
    originals = [raw for raw, _text in _letters()]
    originals += [variant for raw in originals[::3] for variant in _hostile(raw)]
    originals += _list_soup(1500, 37)
    # an end word on the heading's own line, on the last line, and lines that hold an end
    # word but do not end the list
    originals += [
        "Strengths yours\n- a\n- b provided\nThis is provided",
        "Strengths\n- a sincerely\nYours sincerely",
        "Areas for development\n- one\nthis children's services assessment is provided",
        "Strengths\n- one\n\nAreas for improvement\n- two\nYours\tfaithfully\n- three",
        "Strengths",
        "Strengths\n",
    ]
    listed = 0
    for original in originals:
        assert layout._sections(original) == _old_layout_sections(original), repr(original)
        listed += layout._sections(original)["strengths"] is not None
    assert listed > 300


# --- validators.reading: the heading ---------------------------------------------------------------


def _heading_soup() -> list[str]:
    """Texts with heading lines among other lines holding "children", in odd spacing and case."""
    rng = random.Random(41)
    pieces = [
        "Dudley children's services assessment 2011",
        "  ## **Dudley Council** children\u2019s services   assessment 2010 \t ",
        "Annual children's services assessment",
        "This children's services assessment is provided in accordance with section 138",
        "X CHILDREN'S SERVICES ASSESSMENT 2009\r",
        "children's services assessment 2011",
        "Kent children's services assessment 1999 and more",
        "Kent children's services assessment 2011.",
        "Kent children's services assessment 20111",
        "The children of Kent",
        "Kent children's services assessment 2011",
    ]
    texts = []
    for soup in _random_strings(1500, 43):
        lines = soup.split(" ")
        for _ in range(rng.randint(0, 4)):
            lines.insert(rng.randint(0, len(lines)), rng.choice(pieces))
        texts.append(rng.choice(["\n", "\n\n", " \n"]).join(lines))
    return texts


def test_the_heading_is_the_line_the_pattern_finds() -> None:
    found = 0
    for text in [*_texts(), *_heading_soup()]:
        want = HEADING_LINE.search(text)
        got = reading._heading_line_match.__wrapped__(text)
        assert (got and got.span()) == (want and want.span()), repr(text)
        found += want is not None
    assert found > 500


# --- validators.inspections: kinds, dates and outcomes of sentences ------------------------------


def _old_kind_named(s: str) -> str | None:
    """validators.inspections.kind_named before its word guards."""
    if insp._SLAC.search(s):
        return "inspection of safeguarding and looked after children"
    if insp._CRA.search(s):
        return insp._CRA_KIND
    if insp._FULL.search(s):
        return "full inspection of safeguarding"
    return None


def _old_dates_inspection(sentence: str) -> bool:
    return bool(insp._INSPECTION.search(sentence) and insp.MONTH_YEAR.search(sentence))


def _old_outcomes_stated(window: str, kind: str | None) -> set[str]:
    stated: set[str] = set()
    for sentence in insp._sentences(window):
        for m in insp._PRIORITY.finditer(sentence):
            negated = bool(insp._NEGATION.search(sentence, 0, m.start()))
            stated.add("no priority action" if negated else "priority action")
        if insp._DEVELOPMENT.search(sentence):
            stated.add("areas for development")
        if kind != insp._CRA_KIND and insp._GRADE_SUBJECT.search(sentence):
            for g in insp._GRADE_PREDICATE.finditer(sentence):
                stated.add(g["grade"].lower())
    if "priority action" in stated:
        stated.discard("areas for development")
    return stated


def _inspection_sentences() -> list[str]:
    """The sentences of every letter, hostile variants of them, and soups of inspection words."""
    sentences = [s for text in _texts() for s in insp._sentences(text.replace("\n", " "))]
    phrases = [
        "In June 2010 an unannounced inspection of contact, referral and assessment",
        "a full inspection of safeguarding and looked after children services in May 2011",
        "Looked-after children\u2019s services and safeguarding were inspected in March 2009",
        "the previous inspection of these arrangements",
        "The joint area review in June 2008",
        "an inspection of contact, referral and assessment arrangements in May 2010",
        "There were no priority actions",
        "identified an area for priority action",
        "areas for development",
        "judged to be good",
        "remained inadequate or better",
        "overall effectiveness was judged to be outstanding",
        "SAFEGUARDING INSPECTION IN JULY 2010",
        "in\u017fpected in May 2010",
        "unannounced",
        "\u212aent was inspected in April 2011",
    ]
    rng = random.Random(47)
    soups = []
    for soup in _random_strings(2000, 53):
        words = soup.split(" ")
        for _ in range(rng.randint(1, 4)):
            words.insert(rng.randint(0, len(words)), rng.choice(phrases))
        soups.append(" ".join(words))
    return sentences + [v for s in phrases for v in _hostile(s)] + soups


def test_sentences_name_kinds_date_inspections_and_state_outcomes_as_before() -> None:
    sentences = _inspection_sentences()
    assert sum(1 for s in sentences if _old_dates_inspection(s)) > 300
    assert sum(1 for s in sentences if _old_kind_named(s)) > 300
    assert sum(1 for s in sentences if _old_outcomes_stated(s, None)) > 300
    for sentence in sentences:
        assert insp.kind_named(sentence) == _old_kind_named(sentence), sentence
        assert insp._dates_inspection(sentence) == _old_dates_inspection(sentence), sentence
        for kind in (None, insp._CRA_KIND, "full inspection of safeguarding"):
            want = _old_outcomes_stated(sentence, kind)
            assert insp.outcomes_stated(sentence, kind) == want, (sentence, kind)  # type: ignore[arg-type]


# --- validators.findings: a bullet is in the letter -------------------------------------------------


def test_every_bullet_read_is_in_the_letter() -> None:
    # check_finding_texts settles a finding that is a bullet of its list without searching the
    # letter: it holds because a bullet is the letter's lines joined, which this keeps true
    bullets = 0
    texts = [*_texts(), *(v for raw, _ in _letters()[::4] for v in _hostile(normalise(raw)[0]))]
    for text in texts:
        for found in read_bullets(text).values():
            for bullet in found:
                assert not bullet or contains(text, bullet), (text[:80], bullet)
                bullets += 1
    assert bullets > 2000


def test_a_blank_finding_is_empty_even_where_a_bullet_is_blank(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # no reader makes a blank bullet today; were one made, a blank finding is still empty
    blank = {"strengths": ["", "Good schools."], "areas_for_improvement": []}
    monkeypatch.setattr(fnd, "read_bullets", lambda text: blank)
    letter = Letter(strengths=[Finding(text=" ", topic="other")])
    codes = [i.code for i in fnd.check_finding_texts("Strengths\n- Good schools.", letter)]
    assert codes == ["finding.text_empty"]


# --- validators.text: spans and containment --------------------------------------------------------


class _OldHay:
    """validators.text._Squashed as it was built before its fast paths (every field at once)."""

    def __init__(self, haystack: str) -> None:
        fields = _old_squashed(haystack)
        self.text, self.sq, self.first, self.last, self.shift, self.lower = fields  # type: ignore[assignment]

    def at(self, k: int) -> int:
        j = bisect_right(self.sq, k) - 1
        if j >= 0 and self.sq[j] == k:
            return self.first[j]
        return k + (self.shift[j] if j >= 0 else 0)

    def end(self, k: int) -> int:
        j = bisect_right(self.sq, k) - 1
        if j >= 0 and self.sq[j] == k:
            return self.last[j]
        return self.at(k) + 1


def _old_find_span(
    haystack: str, needle: str, start: int = 0, *, ignore_case: bool = False
) -> tuple[int, int] | None:
    """validators.text.find_span before its fast paths, case ignored or kept."""
    key = _old_squash(needle)
    if not key:
        return None
    hay = _OldHay(haystack)
    text = hay.text
    if ignore_case:
        if hay.lower is None or len(key.lower()) != len(key):
            m = needle_pattern(needle, ignore_case).search(haystack, start)
            return (m.start(), m.end()) if m else None
        text, key = hay.lower, key.lower()
    i = bisect_left(range(len(text)), start, key=hay.at) if start else 0
    while True:
        k = text.find(key, i)
        if k < 0:
            return None
        first, last = hay.at(k), hay.end(k + len(key) - 1)
        if first >= start:
            return first, last
        i = k + 1


def test_spans_and_containment_are_what_the_old_search_found() -> None:
    rng = random.Random(59)
    haystacks = [*_texts()[::3], *_random_strings(1500, 61), "\u0130stanbul  x", "a \u212a  b"]
    found = 0
    for haystack in haystacks:
        needles = _needles(haystack, rng, 2)
        needles += [needles[0].upper(), needles[1].lower(), "\u0130", "\u212a", "\u017f"]
        for needle in needles:
            for ignore_case in (False, True):
                for start in (0, rng.randint(0, len(haystack)), len(haystack) + 2):
                    want = _old_find_span(haystack, needle, start, ignore_case=ignore_case)
                    got = find_span(haystack, needle, start, ignore_case=ignore_case)
                    assert got == want, (haystack[:80], needle, start, ignore_case)
                    found += want is not None
                want_any = _old_find_span(haystack, needle, ignore_case=ignore_case) is not None
                assert contains(haystack, needle, ignore_case=ignore_case) == want_any
    assert found > 3000


# --- validators.reading: the bullets ------------------------------------------------------------


def _old_bullets_in(lines: list[str]) -> list[str]:
    """validators.reading._bullets_in before it tried the glyph-only pattern second."""
    if not any(BULLET_LINE.match(line) or GLYPH_ONLY_LINE.match(line) for line in lines):
        return reading._paragraphs(lines)
    bullets: list[str] = []
    previous_blank = True
    glyph_waiting = False
    for line in lines:
        if not line.strip():
            previous_blank = True
            continue
        m = BULLET_LINE.match(line)
        if GLYPH_ONLY_LINE.match(line):
            glyph_waiting = True
        elif m:
            bullets.append(m["text"])
            glyph_waiting = False
        elif glyph_waiting:
            bullets.append(line)
            glyph_waiting = False
        elif bullets and not previous_blank:
            bullets[-1] += " " + line
        previous_blank = False
    return bullets


def _old_read_bullets(text: str) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {key: [] for key in BULLET_LISTS}
    for key, section in reading._sections(text):
        if section is not None:
            lines = text[section[0] : section[1]].splitlines()
            bullets = _old_bullets_in(lines)
            result[key] = [_old_squash(CLOSING_PARAGRAPH.sub("", b)) for b in bullets]
    return result


def _bullet_soup() -> list[str]:
    """Lists in odd shapes: glyphs alone on their lines, numbers, wrapped lines, closings."""
    rng = random.Random(67)
    pieces = [
        "- one bullet", "\u2022", "\uf0b7", "1. first", "(a) lettered", "b) also", "  wrapped on",
        "", "   ", "- ", "* starred", "\u2013 dashed", "This is provided here", "PROVIDED",
        "- glued This children's services assessment is provided in accordance with it",
        "- \u017fo provided", "\t- tabbed",
    ]  # fmt: skip
    texts = []
    for soup in _random_strings(800, 71):
        lines = [rng.choice(pieces) for _ in range(rng.randint(1, 12))]
        lines.insert(rng.randint(0, 2), rng.choice(["Strengths", "Areas for improvement"]))
        texts.append(soup + "\n" + "\n".join(lines) + "\n" + rng.choice(["", "Yours sincerely"]))
    return texts


def test_the_bullets_are_what_the_line_by_line_reading_found() -> None:
    read = 0
    for text in [*_texts(), *_bullet_soup()]:
        want = _old_read_bullets(text)
        assert read_bullets(text) == want, repr(text)
        read += sum(map(len, want.values()))
    assert read > 3000


# --- validators.reading: the summary ---------------------------------------------------------------


def _old_read_summary(text: str) -> str | None:
    """validators.reading.read_summary before it looked for the heading by its word."""
    verdict = reading.VERDICT_LINE.search(text)
    if verdict is None:
        return None
    lines = text[verdict.end() :].splitlines()
    end = next((i for i, line in enumerate(lines) if STRENGTHS_HEADING.match(line)), None)
    if end is None:
        return None
    paragraphs: list[list[str]] = [[]]
    for line in lines[1:end]:
        if reading.RULE_LINE.match(line):
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        paragraphs[-1].append(line)
    joined = [_old_squash(" ".join(p)) for p in paragraphs if p]
    return "\n\n".join(joined) if joined else None


def _summary_soup() -> list[str]:
    """Verdict lines, rules, paragraphs and Strengths headings in odd orders and line breaks."""
    rng = random.Random(73)
    pieces = [
        "Children's services assessment\tPerforms well (3)", "------\t----", "", "Strengths",
        "## **Key strengths**", "strengths:", "the strengths of it", "Areas for improvement",
        "Children's services assessment Performs poorly Strengths", "\r", "a\x0cb", "x\x1cy",
        "Children's services assessment\n  performs adequately", "STRENGTHS", "\u017ftrengths",
        "intro\x0cStrengths", "text\r------", "line\x1e## Strengths", "words\x0b\x0bmore",
    ]  # fmt: skip
    texts = []
    for soup in _random_strings(1500, 79):
        lines = soup.split(" ")
        for _ in range(rng.randint(1, 6)):
            lines.insert(rng.randint(0, len(lines)), rng.choice(pieces))
        texts.append(rng.choice(["\n", "\n\n", " \n"]).join(lines))
    return texts


def test_the_summary_is_what_the_line_by_line_reading_found() -> None:
    found = 0
    for text in [*_texts(), *_summary_soup()]:
        want = _old_read_summary(text)
        assert reading.read_summary(text) == want, repr(text)
        found += want is not None
    assert found > 500


# --- validators.layout: the cues counted ----------------------------------------------------------


def _old_count_bullet_cues(lines: list[str], furniture: set[str]) -> int | None:
    """validators.layout.count_bullet_cues before it read each line once."""
    kept = [
        line
        for line in lines
        if not line.strip()
        or not (
            line.strip() in furniture
            or layout._PAGE_NUMBER.match(line)
            or layout._LETTERHEAD.fullmatch(line.strip())
        )
    ]
    text_lines = [line for line in kept if line.strip()]
    if not text_lines:
        return 0
    cued = sum(1 for line in text_lines if layout._CUED_LINE.match(line))
    alone = [bool(layout._GLYPH_ALONE.match(line)) for line in text_lines]
    if any(a and b for a, b in pairwise(alone)):
        return None
    if cued:
        return cued
    first_indent = layout._indent(text_lines[0])
    if any(layout._indent(line) != first_indent for line in text_lines):
        return sum(1 for line in text_lines if layout._indent(line) == first_indent)
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


def _cue_soup() -> list[list[str]]:
    rng = random.Random(83)
    pieces = [
        "\u2022", " \uf0b7 ", "\u2022\t", "\u2022\x0b", "- one", "  wrapped", "", "   ", "3",
        "Page 2 of 4", "PAGE 3", "\u0663", "2 / 4", "\u00b2", "1. first", "(a) second",
        "Aviation House", "www.ofsted.gov.uk", "T 0300 123 1231", "\tindented", "plain line",
        "\u3000\u2022", "p", "page", "*", "\u2013 dash",
    ]  # fmt: skip
    return [[rng.choice(pieces) for _ in range(rng.randint(0, 12))] for _ in range(4000)]


def test_the_cues_are_counted_as_line_by_line() -> None:
    cases: list[tuple[list[str], set[str]]] = []
    originals = [raw for raw, _text in _letters()]
    originals += [v for raw in originals[::5] for v in _hostile(raw)]
    for original in originals:
        furniture = layout._furniture(original)
        cases += [(ls, furniture) for ls in layout._sections(original).values() if ls is not None]
    cases += [(ls, {"Aviation House", "\u2022"}) for ls in _cue_soup()]
    counted = set()
    for lines, furniture in cases:
        want = _old_count_bullet_cues(lines, furniture)
        assert layout.count_bullet_cues(lines, furniture) == want, (lines, furniture)
        counted.add(want)
    assert {None, 0, 1, 2, 3} <= counted


# --- validators.reading: where the lists end --------------------------------------------------------


def _closing_soup() -> list[str]:
    """Lists ended (or not) by closings among other "this" and "provided" words."""
    rng = random.Random(89)
    pieces = [
        "Strengths", "Areas for further improvement", "- provided by this school",
        "This children's services assessment is provided in accordance with section 138",
        "THIS CHILDREN'S\nSERVICES ASSESSMENT IS\tPROVIDED.", "thisthis children's services "
        "assessment is provided", "This children\u2019s services assessment is provided",
        "this is provided", "provided", "this", "This children's services assessment is "
        "providedly", "  Yours sincerely", "x Yours faithfully", "Yours\n sincerely",
    ]  # fmt: skip
    texts = []
    for soup in _random_strings(1500, 97):
        words = soup.split(" ")
        for _ in range(rng.randint(1, 7)):
            words.insert(rng.randint(0, len(words)), rng.choice(pieces))
        texts.append(rng.choice(["\n", " ", "\n\n"]).join(words))
    return texts


def test_the_lists_end_where_the_pattern_ends_them() -> None:
    ended = 0
    for text in [*_texts(), *_closing_soup()]:
        want = _old_sections(text)
        assert reading._sections(text) == want, repr(text)
        ended += any(s is not None and s[1] < len(text) for _k, s in want)
    assert ended > 500


# --- validators.reading: the verdict line -------------------------------------------------------


def _verdict_soup() -> list[str]:
    rng = random.Random(101)
    pieces = [
        "Children's services assessment\tPerforms adequately (2)",
        "CHILDREN'S SERVICES ASSESSMENT\n  performs well",
        "children's services assessment\n\nPerforms poorly",
        "children's children's services assessment performs excellently (4)",
        "4\tPerforms excellently\tAn organisation", "performs", "children", "children's centres",
        "Children's services assessment performs", "Children\u2019s services assessment Performs well",
        "Children's services assessment performsperforms well", "children's services assessment "
        "performs   excellently ( 3 )", "performs children's services assessment performs well",
    ]  # fmt: skip
    texts = []
    for soup in _random_strings(1500, 103):
        words = soup.split(" ")
        for _ in range(rng.randint(1, 5)):
            words.insert(rng.randint(0, len(words)), rng.choice(pieces))
        texts.append(rng.choice(["\n", " ", "\n\n"]).join(words))
    return texts


def test_the_verdict_line_is_the_one_the_pattern_finds() -> None:
    found = 0
    for text in [*_texts(), *_verdict_soup()]:
        want = reading.VERDICT_LINE.search(text)
        got = reading._verdict_line.__wrapped__(text)
        assert (got and got.span()) == (want and want.span()), repr(text)
        found += want is not None
    assert found > 1000


# --- validators.findings: the findings inventory's targets ------------------------------------------


def _old_cover_joined(keys: list[str], findings: list[Finding]) -> list[bool] | None:
    """validators.findings._cover_joined before the findings' words were read together: each
    finding's keys read on their own."""
    joined = " " + " ".join(keys) + " "
    marks = bytearray(len(joined))
    for finding in findings:
        needle = fnd._keys(finding.text)
        if not needle:
            continue
        target = " " + " ".join(needle) + " "
        at = joined.find(target)
        while at >= 0:
            if marks.find(0, at + 1, at + len(target) - 1) >= 0:
                marks[at : at + len(target)] = b"\x01" * len(target)
                break
            at = joined.find(target, at + 1)
    if keys and marks.find(0) < 0:
        return None
    covered: list[bool] = []
    pos = 1
    for key in keys:
        covered.append(marks[pos] == 1)
        pos += len(key) + 1
    return covered


def _inventory_cases() -> Iterator[tuple[str, list[str]]]:
    """Sections with finding texts cut from them (whole, in pieces, out of order, repeated,
    blank, punctuation only), in ASCII and hostile variants, some holding a NUL of their own."""
    rng = random.Random(97)
    odd = ["", " ", "  \t", "-", "...", "a\x00b", "\x00", "\u017fo", "\u212a", "x\u00a0y", "A, b."]
    for text in _texts()[:400]:
        words = text.split()
        for _ in range(3):
            i = rng.randrange(max(1, len(words)))
            section = " ".join(words[i : i + rng.randint(0, 120)])
            pieces = _needles(section, rng, rng.randint(0, 14))
            pieces += rng.sample(odd, rng.randint(0, 3))
            rng.shuffle(pieces)
            yield section, pieces
            yield section, [p.upper() for p in pieces]


def test_the_findings_inventory_covers_what_each_finding_alone_covered() -> None:
    covered = uncovered = 0
    for section, pieces in _inventory_cases():
        findings = [Finding(text=p, topic="other") for p in pieces]
        keys = fnd._keys(section)
        want = _old_cover_joined(keys, findings)
        assert fnd._cover_joined(keys, findings) == want, (section, pieces)
        # each target is the finding's own words, as `_keys` reads them alone
        targets = [t if t.strip() else "" for t in fnd._targets(findings)]
        alone = [" " + " ".join(k) + " " if (k := fnd._keys(p)) else "" for p in pieces]
        assert targets == alone, pieces
        covered += want is None
        uncovered += want is not None and any(want)
    assert covered > 100 and uncovered > 100
