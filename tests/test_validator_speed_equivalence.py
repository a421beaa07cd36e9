"""The validators' fast readers read exactly what the plain patterns they replace read.

Speed work on the validators keeps every reader's answer: each fast reader (a guard before a
pattern, a scan by hand instead of a pattern retried at every character) is held here equal to
the old version, kept below as the oracle, over the real letters and their noise variants, the
hostile conversions, synthetic letters in every text surface, and random strings built from the
letters' own words with odd characters mixed in (the Kelvin sign and the long s, which re.I folds
and str.lower does not; unusual spaces; dots and semicolons that end nothing).
"""

from __future__ import annotations

import random
import re
from functools import cache

import pytest

from ofsted_extractor.eval.synth import TEXT_SURFACES, generate
from ofsted_extractor.loading import normalise
from ofsted_extractor.schema import Finding
from ofsted_extractor.validators import findings as fnd
from ofsted_extractor.validators import inventory_counts as ic
from ofsted_extractor.validators.inventory_counts import StatedCount
from ofsted_extractor.validators.reading import read_bullets, read_list_sections
from ofsted_extractor.validators.text import _Squashed, number_value, numbers_in, squash
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
    "measures notice improve , , . . ; ; - \u212a \u017f \u0130 \u00a0 \u2009 \x85 \u2019 \u2013"
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
        if not m.group("approx") and ic._judged_after(sentence, m.end()) is not None:
            total = ic._value(m.group("total")) or 0
            keep(m, ic.fraction_of(m.group("fraction"), total), "fraction")
        else:
            taken.append((m.start(), m.end()))
    for m in ic._OF_THE_TOTAL.finditer(sentence):
        if free(m) and ic._judged_after(sentence, m.end()) is not None:
            keep(m, ic._value(m.group("count")))
    for m in ic._NONE.finditer(sentence):
        if free(m) and ic._judged_after(sentence, m.end()) is not None:
            keep(m, 0, "")
    for m in ic._QUANTITY.finditer(sentence):
        if not free(m) or ic._NOT_PROVISION_BEFORE.search(sentence[: m.start()]):
            continue
        end = ic._judged_after(sentence, m.end())
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
    odd = ["a  b", "a\tb", "a\x1cb", "x\u00a0 y", " lead", "trail ", "\u2019quoted\u2019", "\u0130"]
    for haystack in [*odd, *_bullets(), *(text for _raw, text in _letters()[:20])]:
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


def test_uncovered_runs_are_what_the_slice_by_slice_search_found() -> None:
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
