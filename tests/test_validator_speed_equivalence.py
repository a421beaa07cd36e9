"""The validators' fast readers read exactly what the plain patterns they replace read.

Speed work on the validators keeps every reader's answer: each fast reader (a guard before a
pattern, a scan by hand instead of a pattern retried at every character) is held here equal to
the old version, kept below as the oracle, over the real letters and their noise variants, the
hostile conversions, synthetic letters in every text surface, and random strings built from the
letters' own words with odd characters mixed in (the Kelvin sign and the long s, which re.I folds
and str.lower does not; unusual spaces; dots and semicolons that end nothing).
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import re
from functools import cache

import pytest

from ofsted_extractor.eval.synth import TEXT_SURFACES, generate
from ofsted_extractor.loading import normalise
from ofsted_extractor.schema import Finding
from ofsted_extractor.validators import counts, layout, parties, reading
from ofsted_extractor.validators import findings as fnd
from ofsted_extractor.validators import inventory_counts as ic
from ofsted_extractor.validators.inventory_counts import StatedCount
from ofsted_extractor.validators.reading import (
    AREAS_HEADING,
    BULLET_LISTS,
    CLOSING_PARAGRAPH,
    LISTS_END,
    STRENGTHS_HEADING,
    _cut_closing,
    _sections,
    read_bullets,
    read_list_sections,
)
from ofsted_extractor.validators.text import (
    WHITESPACE_CHARS,
    _Squashed,
    contains,
    find_span,
    find_spans,
    is_word_char,
    number_value,
    numbers_in,
    squash,
)
from tests.conftest import REAL_LETTERS, example_text
from tests.hostile import HOSTILE
from tests.noise import VARIANTS

# --- The corpus ----------------------------------------------------------------------------------

# the letters' words and the characters that trip readers, one space apart
_SOUP = (
    "the of these those its their them none None of the 12 twelve Twelve thirty-four 5 2011 85% "
    "half Half a third two thirds two-thirds quarter three-quarters fifth over more than nearly "
    "number Number has have reduced fallen from to as is are was were remain remains good "
    "outstanding satisfactory adequate inadequate inspected or better schools school children's "
    "centres homes units settings services sixth forms level stage aged year years grade in per "
    "cent and made judged rated to be now only still also recently all both each remaining other "
    "further Of The local authority's council's out e.g. 2.5 1,200 category concern special "
    "measures notice improve a_b _ 2_x , , . . ; ; - \u212a \u017f \u0130 \u00a0 \u2009 \x85 \u2019 \u2013"
)
_WORDS = _SOUP.split(" ")


def _random_strings(n: int, seed: int) -> list[str]:
    """Word soup from the letters' vocabulary, joined by assorted whitespace and punctuation."""
    rng = random.Random(seed)
    seps = [" ", " ", " ", "  ", "\n", "\t", ", ", ". ", "; ", ".", ";", "\u00a0", "-"]
    out = []
    for _ in range(n):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(1, 40))]
        out.append("".join(w + rng.choice(seps) for w in words).strip(rng.choice(["", " ", "."])))
    return out


@cache
def _letters() -> tuple[tuple[str, str], ...]:
    """(original, normalised) of every letter of the corpus."""
    raws: list[str] = []
    for real in REAL_LETTERS:
        raws.append(example_text(real))
        raws += [variant(example_text(real)) for variant in VARIANTS.values()]
    synthetic = generate(40, 5)
    for letter in synthetic:
        raws += [letter.render(surface) for surface in TEXT_SURFACES]
    for letter in synthetic[:8]:
        raws += [transform(letter.render("clean")) for transform in HOSTILE.values()]
    return tuple((raw, normalise(raw)[0]) for raw in raws)


@cache
def _bullets() -> tuple[str, ...]:
    """Every bullet of the corpus's letters, and random strings."""
    found = [b for _raw, text in _letters() for bs in read_bullets(text).values() for b in bs]
    return tuple(found + _random_strings(3000, 11))


def _sentences_of_bullets() -> list[str]:
    return [bullet[s:e] for bullet in _bullets() for s, e in _old_sentences(bullet)]


def test_the_corpus_is_large_and_holds_non_ascii_text() -> None:
    assert len(_letters()) > 150
    assert len(_bullets()) > 4000
    assert any(not b.isascii() for b in _bullets())


# --- validators.inventory_counts ------------------------------------------------------------------

_OLD_SENTENCES = re.compile(r"[^.;]+(?:[.;](?=\s|$)|$)")


def _old_sentences(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _OLD_SENTENCES.finditer(text)]


def _old_judged_after(clause: str, pos: int) -> int | None:
    """validators.inventory_counts._judged_after before its guard."""
    rest = clause[pos:]
    of = ic._OF_DETERMINER.match(rest)
    skipped = of.end() if of else 0
    verb = ic._VERB.search(rest, skipped)
    if verb is None:
        return None
    noun_phrase = rest[skipped : verb.start()]
    if noun_phrase.strip():
        first = ic._STRETCH_END.search(noun_phrase)
        stretch = noun_phrase[: first.start()] if first else noun_phrase
        if not ic._SERVICE.search(stretch):
            return None
    judged = ic._JUDGED.match(rest, verb.start()) or ic._AND_JUDGED.search(rest, verb.end())
    return pos + judged.end() if judged else None


def _old_sentence_counts(sentence: str) -> list[StatedCount]:
    """validators.inventory_counts._sentence_counts before its guards."""
    found: list[StatedCount] = []
    taken: list[tuple[int, int]] = []

    def free(m: re.Match[str]) -> bool:
        return not any(m.start() < te and ts < m.end() for ts, te in taken)

    def keep(m: re.Match[str], count: int | None, at: str = "count") -> None:
        taken.append((m.start(), m.end()))
        s, e = (m.start(at), m.end(at)) if at else (m.start(), m.end())
        found.append(StatedCount(count, s, e, m.group(0)))

    for m in ic._CHANGE.finditer(sentence):
        what = m.group("what")
        if m.group("concern") or (what and ic._SERVICE.search(what)):
            keep(m, ic._value(m.group("count")))
        else:
            taken.append((m.start(), m.end()))
    for m in ic._AS_ARE.finditer(sentence):
        if free(m):
            keep(m, ic._value(m.group("count")))
    for m in ic._FRACTION.finditer(sentence):
        if not free(m):
            continue
        if not m.group("approx") and _old_judged_after(sentence, m.end()) is not None:
            total = ic._value(m.group("total")) or 0
            keep(m, ic.fraction_of(m.group("fraction"), total), "fraction")
        else:
            taken.append((m.start(), m.end()))
    for m in ic._OF_THE_TOTAL.finditer(sentence):
        if free(m) and _old_judged_after(sentence, m.end()) is not None:
            keep(m, ic._value(m.group("count")))
    for m in ic._NONE.finditer(sentence):
        if free(m) and _old_judged_after(sentence, m.end()) is not None:
            keep(m, 0, "")
    for m in ic._QUANTITY.finditer(sentence):
        if not free(m) or ic._NOT_PROVISION_BEFORE.search(sentence[: m.start()]):
            continue
        end = _old_judged_after(sentence, m.end())
        if end is not None:
            of = ic._OF_DETERMINER.match(sentence, m.end())
            taken.append((m.start(), of.end() if of else m.end()))
            phrase = sentence[m.start() : end]
            found.append(StatedCount(ic._value(m.group(0)), m.start(), m.end(), phrase))
    return sorted(found, key=lambda c: c.start)


def test_sentences_are_the_old_patterns_sentences() -> None:
    tricky = ["", ".", "a.b. c", "x;y; z.", "2.5 of the 12.", ". . .", "a.\n", "end.\u00a0next"]
    for text in [*tricky, *_bullets()]:
        assert ic._sentences(text) == _old_sentences(text), repr(text)


def test_sentence_counts_are_the_unguarded_readers_counts() -> None:
    sentences = _sentences_of_bullets()
    assert sum(1 for s in sentences if _old_sentence_counts(s)) > 500
    for sentence in sentences:
        assert ic._sentence_counts(sentence) == _old_sentence_counts(sentence), repr(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Half of the 12 children's centres are good",
        "the number of inadequate schools has reduced from five to two",
        "good, as are 11 of the 14 children's homes it runs",
        "Of the 15 schools in the area, including the two academies, 12 are good",
        "None of the 12 homes is inadequate",
        # re.I folds the Kelvin sign and the long s; str.lower does not, so no guard may skip
        "Half of the 12 \u017fchools are good",
        "None of the 12 homes i\u017f inadequate",
    ],
    ids=["fraction", "change", "as-are", "of-the-total", "none", "long-s", "long-s-in-verb"],
)
def test_each_guarded_form_still_reads_its_count(sentence: str) -> None:
    assert ic._sentence_counts(sentence) == _old_sentence_counts(sentence)
    assert ic._sentence_counts(sentence)


# --- validators.text -----------------------------------------------------------------------------

_OLD_TOKEN = re.compile(r"\d[\d,]*|[A-Za-z]+(?:-[A-Za-z]+)*")


def _old_numbers_in(s: str) -> set[int]:
    """validators.text.numbers_in before number_value was inlined."""
    found: set[int] = set()
    previous: int | None = None
    for token in _OLD_TOKEN.findall(s):
        parts = [token] if token[0].isdigit() else [token, *token.split("-")]
        value: int | None = None
        for part in parts:
            v = number_value(part)
            if v is not None:
                found.add(v)
                value = v if value is None else value
        if previous is not None and value is not None:
            if previous in (20, 30, 40, 50, 60, 70, 80, 90) and 0 < value < 10:
                found.add(previous + value)
            if value == 100 and 0 < previous < 10:
                found.add(previous * 100)
        previous = value
    return found


def test_numbers_in_reads_what_it_read_before_number_value_was_inlined() -> None:
    phrases = ["thirty four", "one hundred", "Thirty-Four of the 1,200", "\u0664\u0662 homes"]
    for phrase in [*phrases, *_bullets()]:
        assert numbers_in(phrase) == _old_numbers_in(phrase), repr(phrase)


_OLD_FOLD = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
    | {"\u00a0": " "}
)


def _old_squashed(haystack: str) -> tuple[object, ...]:
    """validators.text._Squashed's fields as it built them before its fast path."""
    folded = haystack.translate(_OLD_FOLD)
    sq, first, last, shift = [], [], [], []
    removed = 0
    for m in re.finditer(r"\s{2,}", folded):
        sq.append(m.start() - removed)
        first.append(m.start())
        last.append(m.end())
        removed += m.end() - m.start() - 1
        shift.append(removed)
    text = re.sub(r"\s+", " ", folded)
    lowered = text.lower()
    return text, sq, first, last, shift, lowered if len(lowered) == len(text) else None


def test_a_squashed_haystack_is_what_it_was_before_its_fast_path() -> None:
    odd = [
        "",
        " ",
        "\n\n",
        "a  b",
        "a\tb",
        "a\u3000\u2029b",
        "a\x1cb",
        "x\u00a0 y",
        " lead",
        "trail ",
        "\u2019quoted\u2019",
        "\u0130",
    ]
    letters = [text for pair in _letters() for text in pair]
    for haystack in [*odd, *_bullets(), *letters]:
        hay = _Squashed(haystack)
        got = (hay.text, hay.sq, hay.first, hay.last, hay.shift, hay.lower)
        assert got == _old_squashed(haystack), repr(haystack)


# --- validators.findings -------------------------------------------------------------------------


def _old_uncovered_runs(section: str, findings: list[Finding]) -> list[str]:
    """validators.findings._uncovered_runs before it searched with list.index."""
    words = list(re.finditer(r"[^\W_]+", squash(section)))
    keys = [w[0].lower() for w in words]
    covered = [False] * len(words)
    for finding in findings:
        needle = [w[0].lower() for w in re.finditer(r"[^\W_]+", squash(finding.text))]
        n = len(needle)
        if not n:
            continue
        for i in range(len(keys) - n + 1):
            if keys[i : i + n] == needle and not all(covered[i : i + n]):
                covered[i : i + n] = [True] * n
                break
    runs: list[list[str]] = []
    for word, done in zip(words, covered, strict=True):
        if done:
            if runs and runs[-1]:
                runs.append([])
            continue
        if not runs:
            runs.append([])
        runs[-1].append(word[0])
    return [" ".join(r) for r in runs if r and any(re.search(r"[^\W\d_]", w) for w in r)]


def _finding_lists(bullets: list[str], rng: random.Random) -> list[list[Finding]]:
    """Records' lists a section meets: whole, one left out, one given twice, halves, noise."""
    whole = [Finding(text=b, topic="other") for b in bullets]
    halves = [
        Finding(text=" ".join(b.split()[: len(b.split()) // 2]), topic="other") for b in bullets
    ]
    noise = [Finding(text=s, topic="other") for s in _random_strings(3, rng.randint(0, 99))]
    lists = [whole, whole[1:], whole + whole[:1], halves, noise, []]
    return [*lists, rng.sample(whole, len(whole))]


@pytest.mark.parametrize("indexed_above", [800, 0], ids=["list-index", "trigram-index"])
def test_uncovered_runs_are_what_the_slice_by_slice_search_found(
    indexed_above: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a long section's words are indexed by trigram; 0 makes every section take that path
    monkeypatch.setattr(fnd, "_INDEXED_WORDS", indexed_above)
    rng = random.Random(3)
    checked = 0
    for _raw, text in _letters():
        bullets = read_bullets(text)
        for name, section in read_list_sections(text).items():
            if section is None:
                continue
            body = text[section[0] : section[1]]
            for findings in _finding_lists(bullets[name], rng):
                assert fnd._uncovered_runs(body, findings) == _old_uncovered_runs(body, findings)
                checked += 1
    for soup in _random_strings(300, 5):
        findings = [Finding(text=s, topic="other") for s in soup.split(".")]
        assert fnd._uncovered_runs(soup, findings) == _old_uncovered_runs(soup, findings)
    assert checked > 1000


def test_the_whitespace_list_is_every_character_str_isspace_and_backslash_s_accept() -> None:
    every = [chr(c) for c in range(0x110000)]
    assert set(WHITESPACE_CHARS) == {c for c in every if c.isspace()}
    assert set(WHITESPACE_CHARS) == {c for c in every if re.match(r"\s", c)}


# --- validators.reading --------------------------------------------------------------------------


def _old_sections(text: str) -> tuple[tuple[str, tuple[int, int] | None], ...]:
    """validators.reading._sections before it tried only the lines holding a heading's word."""
    heads: dict[str, re.Match[str] | None] = {}
    for key, heading in zip(BULLET_LISTS, (STRENGTHS_HEADING, AREAS_HEADING), strict=True):
        heads[key] = next((m for m in re.finditer(r"[^\n]+", text) if heading.match(m[0])), None)
    sections: dict[str, tuple[int, int] | None] = {}
    for key, head in heads.items():
        if head is None:
            sections[key] = None
            continue
        start = head.end()
        ends = [len(text)]
        ends += [h.start() for h in heads.values() if h is not None and h.start() > start]
        closing = LISTS_END.search(text, start)
        if closing is not None:
            ends.append(closing.start())
        sections[key] = (start, min(ends))
    return tuple(sections.items())


def _list_soup(n: int, seed: int) -> list[str]:
    """Random texts with list headings, closings and sign-offs among the word soup."""
    rng = random.Random(seed)
    pieces = [
        "Strengths", "## **Major strengths**", "strengths:", "Areas for further improvement",
        "Important weaknesses and areas for development", "  Yours sincerely", "Yours faithfully,",
        "This children's services assessment is provided in accordance with", "this is provided",
        "\u017ftrengths", "AREAS FOR IMPROVEMENT", "   ", "", "yours", "This", "Areas\tfor development",
        "This children's\tservices assessment is provided.", "Strengths\t", "is provided",
        "Yours\tsincerely", "yOURS  faithfully",
    ]  # fmt: skip
    texts = []
    for soup in _random_strings(n, seed):
        lines = soup.split(" ")
        for _ in range(rng.randint(0, 6)):
            lines.insert(rng.randint(0, len(lines)), rng.choice(pieces))
        texts.append(rng.choice(["\n", " ", "\n\n"]).join(lines))
    return texts


def test_list_sections_are_where_the_line_by_line_reading_put_them() -> None:
    texts = [text for pair in _letters() for text in pair] + _list_soup(1500, 8)
    assert sum(1 for t in texts if _old_sections(t)[0][1] is not None) > 300
    for text in texts:
        assert _sections(text) == _old_sections(text), repr(text)


def test_a_bullet_loses_a_glued_closing_paragraph_as_before() -> None:
    closings = [
        " This children's services assessment is provided in accordance with section 138",
        " This children's services assessment is provided",
        "This children\u2019s services assessment is provided.",
    ]
    glued = [b + closing for b in _bullets()[:500] for closing in closings]
    bullets = [*_bullets(), *glued, *_list_soup(500, 4)]
    for bullet in bullets:
        assert _cut_closing(bullet) == CLOSING_PARAGRAPH.sub("", bullet), repr(bullet)


# --- validators.layout ---------------------------------------------------------------------------


def _old_layout_lines(original: str) -> list[str]:
    text = layout._SPACES.sub(" ", layout._INVISIBLE.sub("", original))
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").split("\n")


def _old_layout_sections(original: str) -> dict[str, list[str] | None]:
    """validators.layout._sections before it skipped lines that cannot end the lists."""
    lines = _old_layout_lines(original)
    heads = {
        name: next((i for i, line in enumerate(lines) if rx.match(line)), None)
        for name, rx in layout._HEADING.items()
    }
    sections: dict[str, list[str] | None] = {}
    for name, head in heads.items():
        if head is None:
            sections[name] = None
            continue
        stop = min([len(lines), *(h for h in heads.values() if h is not None and h > head)])
        body: list[str] = []
        for line in lines[head + 1 : stop]:
            end = layout._END.search(line)
            if end:
                if line[: end.start()].strip():
                    body.append(line[: end.start()])
                break
            body.append(line)
        sections[name] = body
    return sections


def test_the_originals_lines_and_lists_are_what_they_were() -> None:
    texts = [text for pair in _letters() for text in pair] + _list_soup(1500, 9)
    texts += ["a\u200bb\u00a0c\r\nd\fe", "Strengths\n- one\nTHIS children's services assessment"]
    for text in texts:
        assert list(layout._lines(text)) == _old_layout_lines(text), repr(text)
        assert layout._sections(text) == _old_layout_sections(text), repr(text)


# --- validators.counts ---------------------------------------------------------------------------


def test_only_o_and_f_fold_into_o_and_f() -> None:
    # fraction_before relies on it to skip texts that do not end in "of"
    folding = {chr(c) for c in range(0x110000) if re.fullmatch("of", "o" + chr(c), re.I)}
    assert folding == {"f", "F"}
    assert {chr(c) for c in range(0x110000) if re.fullmatch("o", chr(c), re.I)} == {"o", "O"}


def _old_fraction_before(finding_text: str, evidence: str) -> str | None:
    span = find_span(finding_text, evidence)
    if span is None:
        return None
    m = counts._FRACTION_BEFORE.search(finding_text[: span[0]])
    return squash(m.group(0)) if m else None


def test_a_fraction_before_an_evidence_is_found_as_before() -> None:
    rng = random.Random(6)
    fractions = ["half of ", "two thirds of\n", "over Half OF the ", "a quarter of  ", "of ", ""]
    for bullet in _bullets()[:3000]:
        words = bullet.split(" ")
        cut = rng.randint(0, len(words))
        evidence = " ".join(words[cut : cut + rng.randint(1, 8)])
        text = " ".join(words[:cut]) + " " + rng.choice(fractions) + evidence
        for finding_text in (bullet, text):
            counts.fraction_before.cache_clear()
            got = counts.fraction_before(finding_text, evidence)
            assert got == _old_fraction_before(finding_text, evidence), (finding_text, evidence)


def _old_squash(s: str) -> str:
    return re.sub(r"\s+", " ", s.translate(_OLD_FOLD)).strip()


def test_squash_is_what_the_pattern_made_of_it() -> None:
    odd = ["", " ", " a ", "\u2018a\u2019\u00a0\u2013b", "x\u3000\u2029y\x1c", "\u0130 \u212a"]
    for s in [*odd, *_bullets(), *(text for pair in _letters() for text in pair)]:
        assert squash(s) == _old_squash(s), repr(s)


def test_words_and_keys_are_what_the_pattern_found() -> None:
    for s in [*_bullets(), *(text for _raw, text in _letters())]:
        words = [m[0] for m in re.finditer(r"[^\W_]+", _old_squash(s))]
        assert fnd._words(s) == words, repr(s)
        assert fnd._keys(s) == [w.lower() for w in words], repr(s)


def test_not_provision_before_is_the_patterns_search() -> None:
    rng = random.Random(12)
    endings = ["level ", "Key Stage\t", "aged  ", "AGES ", "year\n", "grade ", "one in ", "12 in "]
    endings += ["twenty-one IN ", "1234 in ", "_12 in ", "x-12 in ", "12in ", "stage", "in "]
    texts = [*_bullets(), *_random_strings(500, 2)]
    prefixes = [t[: rng.randint(0, len(t))] for t in texts]
    prefixes += [t[: rng.randint(0, len(t))] + rng.choice(endings) for t in texts]
    for before in prefixes:
        want = ic._NOT_PROVISION_BEFORE.search(before) is not None
        assert ic._not_provision_before(before) == want, repr(before)


def test_a_word_is_searched_where_the_re_i_pattern_finds_it() -> None:
    rng = random.Random(13)
    texts = [*_bullets(), "Schools", "preschools are", "pre-schools", "isn't", "This is", "_is"]
    for text in texts:
        pos = rng.randint(0, len(text))
        for pattern, lower in ((ic._VERB, ic._VERB_LOWER), (ic._SERVICE, ic._SERVICE_LOWER)):
            for at in (0, pos):
                m = pattern.search(text, at)
                assert ic._search_word(pattern, lower, text, at) == (m.span() if m else None)


# --- The readers of the letter's fixed lines (validators.reading, validators.parties) -----------


def _seen(m: re.Match[str] | None) -> object:
    return None if m is None else (m.span(), m.groups())


def _fixed_lines_soup(n: int, seed: int) -> list[str]:
    """Random texts holding the fixed lines a letter has, whole, broken and in odd cases."""
    rng = random.Random(seed)
    pieces = [
        "Worcestershire County Council children's services assessment 2011",
        "  Dudley CHILDREN'S SERVICES ASSESSMENT 2010  ", "children's services assessment 2011",
        "Children's services assessment\tPerforms poorly (1)", "children\u2019s services assessment",
        "CHILDREN'S SERVICES ASSESSMENT\n  performs well", "children's services assessment performs",
        "8 November 2011", "  08th November 2011 ", "31 February 2011", "8 november 2011",
        "Dear Ms Quinton,", "  Dear Mr Smith", "Dear", "Ms Gail Quinton", "Yours sincerely",
        "YOURS  FAITHFULLY", "yours\tsincerely", "yours", "Director of Children's Services",
        "May 2011", "7 May", "\u017fervices", "chıldren's services assessment 2011",
    ]  # fmt: skip
    texts = []
    for soup in _random_strings(n, seed):
        lines = soup.split(" ")
        for _ in range(rng.randint(1, 6)):
            lines.insert(rng.randint(0, len(lines)), rng.choice(pieces))
        texts.append(rng.choice(["\n", " ", "\n\n"]).join(lines))
    return texts


def _fixed_line_texts() -> list[str]:
    return [text for pair in _letters() for text in pair] + _fixed_lines_soup(1500, 14)


def test_the_fixed_lines_are_found_where_the_patterns_find_them() -> None:
    for text in _fixed_line_texts():
        assert _seen(reading._verdict_line(text)) == _seen(reading.VERDICT_LINE.search(text))
        assert _seen(reading._heading_line_match(text)) == _seen(reading.HEADING_LINE.search(text))
        want = [_seen(m) for m in reading.DATE_LINE.finditer(text)]
        assert [_seen(m) for m in reading._date_lines(text)] == want, repr(text)
        assert _seen(parties._salutation(text)) == _seen(parties.SALUTATION.search(text))
        want = [_seen(m) for m in parties.CLOSING.finditer(text)]
        assert [_seen(m) for m in parties._closings(text)] == want, repr(text)
        for end in (len(text), len(text) // 2):
            want = [_seen(m) for m in parties._DATE_LINE.finditer(text, 0, end)]
            assert [_seen(m) for m in parties._date_lines(text, end)] == want, repr(text)


def test_a_date_is_written_where_its_pattern_finds_it() -> None:
    rng = random.Random(15)
    dates = [dt.date(2011, 11, 8), dt.date(2010, 5, 1), dt.date(2009, 12, 31), dt.date(999, 1, 10)]
    forms = ["8 November 2011", "08 November 2011", "8th  NOVEMBER\n2011", "18 November 2011",
             "8 November 20110", "8 Novembers 2011", "x8 November 2011", "1 May 2010", "01st may 2010",
             "001 May 2010", "10 January 999", "010 January 999", "31 December 2009.", "8 November"]  # fmt: skip
    texts = [*_fixed_line_texts()[-300:], *forms]
    texts += [
        rng.choice(_bullets()) + " " + rng.choice(forms) + rng.choice(["", "_", "1", " x"])
        for _ in range(2000)
    ]
    for text in texts:
        for date in dates:
            want = parties._date_pattern(date).search(text) is not None
            assert parties._date_written(text, date) == want, (text, date)


def _old_find_span(haystack: str, needle: str, start: int = 0) -> tuple[int, int] | None:
    """validators.text.find_span (case kept) before its shortcut for an unsquashed haystack."""
    key = squash(needle)
    if not key:
        return None
    hay = _Squashed(haystack)
    i = bisect.bisect_left(range(len(hay.text)), start, key=hay.at) if start else 0
    while True:
        k = hay.text.find(key, i)
        if k < 0:
            return None
        first, last = hay.at(k), hay.end(k + len(key) - 1)
        if first >= start:
            return first, last
        i = k + 1


def test_find_span_and_find_spans_find_what_they_found() -> None:
    rng = random.Random(16)
    for bullet in [*_bullets()[:2000], *(text for _raw, text in _letters()[:30])]:
        words = bullet.split(" ")
        cut = rng.randint(0, len(words))
        needle = " ".join(words[cut : cut + rng.randint(1, 3)])
        for start in (0, rng.randint(0, len(bullet)), len(bullet), len(bullet) + 3):
            assert find_span(bullet, needle, start) == _old_find_span(bullet, needle, start)
        spans, at = [], 0
        while (found := _old_find_span(bullet, needle, at)) is not None:
            spans.append(found)
            at = found[1] if found[1] > found[0] else found[1] + 1
        assert find_spans(bullet, needle) == spans, (bullet, needle)


def test_is_word_char_is_backslash_w_on_ascii() -> None:
    for c in map(chr, range(128)):
        assert is_word_char(c) == bool(re.match(r"\w", c)), repr(c)


def test_contains_says_what_find_span_finds() -> None:
    rng = random.Random(17)
    texts = [*_bullets()[:3000], *(text for _raw, text in _letters()[:20]), "\u0130stanbul x"]
    for text in texts:
        words = text.split(" ")
        cut = rng.randint(0, len(words))
        needles = [" ".join(words[cut : cut + rng.randint(1, 4)]), rng.choice(_bullets())[:30]]
        needles += [needles[0].upper(), " ", "\u0130", "\u212a"]
        for needle in needles:
            for ignore_case in (False, True):
                want = find_span(text, needle, ignore_case=ignore_case) is not None
                assert contains(text, needle, ignore_case=ignore_case) == want, (text, needle)


def test_the_predicate_is_found_where_the_re_i_pattern_finds_it() -> None:
    assert counts.PREDICATE.pattern.startswith(r"\b")
    rng = random.Random(18)
    phrases = ["Eight ARE Good", "this is good", "12 were judged to be outstanding", "xis good"]
    phrases += ["it i\u017f good", "Thi\u017f is good", "have  been\tinspected"]
    for bullet in [*phrases, *_bullets()]:
        text = bullet[rng.randint(0, len(bullet) // 2) :]
        for s in (bullet, text):
            m = counts._PREDICATE.search(s)
            want = (m.start(), m["judgement"]) if m else None
            assert counts._predicate.__wrapped__(s) == want, repr(s)
