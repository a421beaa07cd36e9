"""The counts inventory (validators.inventory_counts): every quantity phrase of a bullet that
counts provision under eval/LABELLING.md is accounted for by a count of the record.

It reads the letter with its own reader, so these tests give it text directly: phrasings that
state a count, phrasings with numbers that are not counts, and records that leave a count out.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ofsted_extractor.engines.rules import RulesEngine
from ofsted_extractor.eval.synth import generate
from ofsted_extractor.loading import load_text
from ofsted_extractor.schema import Count, Finding, Issue, Letter
from ofsted_extractor.validators import CHECKS_BY_NAME, validate
from ofsted_extractor.validators.inventory_counts import check_counts_recorded, stated_counts

ROOT = Path(__file__).resolve().parents[1]
LETTERS = ["worcestershire-2011", "dudley-2011"]


def gold(name: str) -> Letter:
    data = json.loads((ROOT / "eval" / "gold" / f"{name}.json").read_text(encoding="utf-8"))
    return Letter.model_validate(data["letter"])


def letter_text(name: str) -> str:
    return load_text((ROOT / "examples" / f"{name}.txt").read_text(encoding="utf-8")).text


def one_bullet_letter(bullet: str) -> str:
    """The least text the inventory reads: the two headings and one bullet."""
    return f"Strengths\n\n- {bullet}\n\nAreas for further improvement\n\n- Too little.\n"


def record(bullet: str, *counts: Count) -> Letter:
    return Letter(strengths=[Finding(text=bullet, topic="other", counts=list(counts))])


def codes(issues: list[Issue], severity: str = "error") -> list[str]:
    return [i.code for i in issues if i.severity == severity]


# --- what the reader counts -----------------------------------------------------------------

STATED = {
    "n-of-the-total": ("As in 2010, eight of the 12 fostering and adoption services are good or better.", [8]),
    "possessive-total": ("Since last year, four of the local authority's 34 children's centres have been inspected.", [4]),
    "all-n": ("All six of the children's homes run by the local authority are good or better.", [6]),
    "each-of-the-n": ("Each of the five pupil referral units is good.", [5]),
    "none-of-them": ("Eight of the 12 services are good and none of them is inadequate.", [8, 0]),
    "none-of-the-n": ("None of the 12 children's homes is inadequate.", [0]),
    "bare-number": ("Four are satisfactory and one is now inadequate.", [4, 1]),
    "the-other-n": ("One school sixth form is good but the other two are only satisfactory.", [1, 2]),
    "the-remaining-n-is": ("Of the 19 homes commissioned from other agencies, 18 are good or better and the remaining one is satisfactory.", [18, 1]),
    "of-the-total-with-a-parenthesis": ("Of the 15 primary schools in the area, including the two academies, 12 are good or better.", [12]),
    "a-further-m": ("Ten day nurseries are good and a further three are outstanding.", [10, 3]),
    "half-of-the-n": ("Half of the 12 children's centres are good or better.", [6]),
    "a-third-of-the-n": ("A third of the nine special schools are outstanding.", [3]),
    "half-of-an-odd-n-has-no-whole-count": ("Half of the seven special schools are good.", [None]),
    "as-are-m-of-the-n": ("The adoption agency is good, as are 11 of the 14 children's homes it runs.", [11]),
    "only-satisfactory-with-relative-clause": ("Three of the eight independent fostering agencies it uses are only satisfactory.", [3]),
    "category-of-concern-from-to": ("Most primary schools are good and the number in an Ofsted category of concern has fallen from four to one.", [1]),
    "number-of-inadequate-reduced": ("The large majority of primary schools are good and the number of inadequate schools has reduced from five to two.", [2]),
    "number-judged-inadequate-risen": ("The number of secondary schools judged inadequate has risen from one to three.", [3]),
    "number-without-judgement": ("Since last year, the number of pupil referral units in the local authority has reduced from nine to three.", [3]),
    "judged-to-be": ("However, one short-stay school was recently judged to be inadequate.", [1]),
    "list-sharing-a-predicate": ("Provision, including all seven special schools and the three pupil referral units, are good or better.", [7, 3]),
    "digits": ("Of the 7 nurseries, 5 are outstanding.", [5]),
    "of-the-total-then-a-list": ("Of the 12 children's homes, two are outstanding, eight are good and the remaining two are satisfactory.", [2, 8, 2]),
    "dropped-to": ("The number of inadequate primary schools has dropped to two.", [2]),
    "special-measures": ("The number of schools in special measures has gone down from five to two.", [2]),
    "as-is-one-of-the-two": ("The council's fostering service is outstanding, as is one of the two adoption agencies it uses.", [1]),
    "possessive-of-the-council": ("Three of the council's four children's homes are good.", [3]),
    "out-of-n": ("Eight out of 12 primary schools are good or better.", [8]),
    "each-was-judged": ("Each of the three pupil referral units was judged good.", [3]),
}  # fmt: skip


@pytest.mark.parametrize("bullet,expected", STATED.values(), ids=STATED.keys())
def test_the_reader_finds_every_count_a_bullet_states(bullet: str, expected: list[int]) -> None:
    assert [c.count for c in stated_counts(bullet)] == expected


NOT_COUNTS = {
    "ages": "Results for 11-year-olds match the averages and five-year-olds do well.",
    "aged": "Pupils aged 14 to 19 with complex needs are good at making progress.",
    "years-and-durations": "Over the last five years, the achievement of five-year-olds has risen.",
    "duration-then-a-count": "Over the last two years, schools have been good.",
    "exam-results": "The proportion achieving five A* to C at GCSE and two A level passes is good.",
    "level": "The proportion of 19-year-olds gaining level 2 qualifications is satisfactory.",
    "percentages": "Some 85% of schools are good and 90 per cent of settings are good or better.",
    "a-fifth-of-them": "There has been a slight increase and a fifth of them are outstanding.",
    "over-half": "Good progress had been made and now over half are good or better.",
    "over-half-of-the-n": "Over half of the 12 primary schools are good or better.",
    "event-without-judgement": "Seven schools have closed and become academies.",
    "adjective-judgement": "One outstanding school has recently become an academy.",
    "capacity": "The centres are good, with one having outstanding capacity to improve.",
    "years": "Provisional results for 2011 show that 2010 was good.",
    "number-of-children": "The number of looked after children has risen from 300 to 350.",
    "area-for-development": "The inspection reported that one area for development had yet to be addressed.",
    "key-stage": "There were no Key Stage 2 results that were good.",
    "one-in-five": "One in five primary schools is inadequate.",
}


@pytest.mark.parametrize("bullet", NOT_COUNTS.values(), ids=NOT_COUNTS.keys())
def test_numbers_that_are_not_counts_are_not_read(bullet: str) -> None:
    assert stated_counts(bullet) == []


# --- the check ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LETTERS)
def test_the_gold_records_account_for_every_count(name: str) -> None:
    assert check_counts_recorded(letter_text(name), gold(name)) == []


@pytest.mark.parametrize("name", LETTERS)
def test_the_rules_engine_accounts_for_every_count_of_the_real_letters(name: str) -> None:
    doc = load_text((ROOT / "examples" / f"{name}.txt").read_text(encoding="utf-8"))
    letter = RulesEngine().extract(doc).letter
    assert check_counts_recorded(doc.text, letter) == []


def _gold_counts(name: str) -> list[tuple[str, int, int]]:
    g = gold(name)
    return [
        (ln, i, j)
        for ln in ("strengths", "areas_for_improvement")
        for i, f in enumerate(getattr(g, ln))
        for j, _ in enumerate(f.counts)
    ]


@pytest.mark.parametrize("name", LETTERS)
def test_every_gold_count_left_out_is_reported(name: str) -> None:
    text = letter_text(name)
    for ln, i, j in _gold_counts(name):
        mutated = gold(name)
        dropped = getattr(mutated, ln)[i].counts.pop(j)
        found = codes(check_counts_recorded(text, mutated))
        assert found == ["count.unrecorded"], dropped.evidence


@pytest.mark.parametrize(
    ("sentence", "counts"),
    [
        pytest.param(
            "One secondary school in an Ofsted category of concern made good progress and was "
            "judged satisfactory.",
            [1],
            id="judgement-coordinated-after-another-predicate",
        ),
        pytest.param("Seven schools have closed and become academies.", [], id="no-judgement"),
        pytest.param(
            "Of the four special schools, 2 are good and a further one is satisfactory.",
            [2, 1],
            id="a-further-one",
        ),
    ],
)
def test_stated_counts_of_a_sentence(sentence: str, counts: list[int]) -> None:
    from ofsted_extractor.validators.inventory_counts import stated_counts

    assert [c.count for c in stated_counts(sentence)] == counts


def test_a_phrase_repeated_in_another_bullet_does_not_account_for_this_one() -> None:
    from ofsted_extractor.schema import Count, Finding, Letter

    bullet = "Six of these are good. The remaining one is satisfactory."
    text = (
        f"Strengths\n\n- {bullet}\n- Also: {bullet}\n\nAreas for further improvement\n\n- None.\n"
    )

    def count(n: int, ev: str) -> Count:
        judgement = "good" if n == 6 else "satisfactory"
        return Count(subject="x", count=n, judgement=judgement, evidence=ev)

    full = [count(6, "Six of these are good"), count(1, "The remaining one is satisfactory")]
    letter = Letter(
        strengths=[
            Finding(text=bullet, topic="other", counts=full[:1]),
            Finding(text=f"Also: {bullet}", topic="other", counts=full),
        ],
        areas_for_improvement=[Finding(text="None.", topic="other")],
    )
    found = [(i.code, i.field) for i in check_counts_recorded(text, letter)]
    assert found == [("count.unrecorded", "strengths[0]")]


def test_a_left_out_count_is_an_error_of_validate_and_names_its_bullet() -> None:
    mutated = gold("worcestershire-2011")
    mutated.strengths[4].counts.pop(1)  # "none of them is inadequate"
    issues = [
        i
        for i in validate(letter_text("worcestershire-2011"), mutated)
        if i.code == "count.unrecorded"
    ]
    assert [(i.severity, i.field, i.expected) for i in issues] == [("error", "strengths[4]", "0")]


LEFT_OUT = {
    "a-further-m": (
        "Of the 19 homes run by agencies, 12 are good or better and a further five are satisfactory.",
        [Count(subject="homes run by agencies", count=12, total=19, judgement="good or better", evidence="Of the 19 homes run by agencies, 12 are good or better")],
    ),
    "as-are-m-of-the-n": (
        "The adoption agency is good, as are 11 of the 14 children's homes it runs.",
        [],
    ),
    "category-of-concern": (
        "Most primary schools are good and the number in an Ofsted category of concern has fallen from four to one.",
        [],
    ),
    "half-of-the-n": ("Half of the 12 children's centres are good or better.", []),
}  # fmt: skip


@pytest.mark.parametrize("bullet,counts", LEFT_OUT.values(), ids=LEFT_OUT.keys())
def test_a_record_without_a_stated_count_is_flagged(bullet: str, counts: list[Count]) -> None:
    issues = check_counts_recorded(one_bullet_letter(bullet), record(bullet, *counts))
    assert codes(issues) == ["count.unrecorded"]


WRONG_ROLES = {
    # the count given the total's value: the phrase's count 6 is not accounted for
    "half-made-the-total": (
        "Half of the 12 children's centres are good or better.",
        Count(subject="children's centres", count=12, total=None, judgement="good or better", evidence="Half of the 12 children's centres are good or better"),
    ),
    "count-set-to-total": (
        "Of the 15 primary schools in the area, including the two academies, 12 are good or better.",
        Count(subject="primary schools", count=15, total=15, judgement="good or better", evidence="Of the 15 primary schools in the area, including the two academies, 12 are good or better"),
    ),
    "another-number-of-the-bullet": (
        "Of the 15 primary schools in the area, including the two academies, 12 are good or better.",
        Count(subject="academies", count=2, total=None, judgement="good or better", evidence="two academies, 12 are good or better"),
    ),
}  # fmt: skip


@pytest.mark.parametrize("bullet,count", WRONG_ROLES.values(), ids=WRONG_ROLES.keys())
def test_a_count_with_the_wrong_number_does_not_account_for_the_phrase(
    bullet: str, count: Count
) -> None:
    issues = check_counts_recorded(one_bullet_letter(bullet), record(bullet, count))
    assert codes(issues) == ["count.unrecorded"]


RIGHT = {
    "half-of-the-n": Count(subject="children's centres", count=6, total=12, judgement="good or better", evidence="Half of the 12 children's centres are good or better"),
}  # fmt: skip


def test_a_resolved_fraction_passes_every_check() -> None:
    bullet = "Half of the 12 children's centres are good or better."
    issues = validate(one_bullet_letter(bullet), record(bullet, RIGHT["half-of-the-n"]))
    assert [i.code for i in issues if i.code.startswith("count.")] == []


def test_a_fraction_that_is_not_whole_is_a_warning_when_left_out() -> None:
    bullet = "Half of the seven special schools are good."
    issues = check_counts_recorded(one_bullet_letter(bullet), record(bullet))
    assert (codes(issues), codes(issues, "warning")) == ([], ["count.fraction_unresolved"])


def test_a_count_invented_for_a_fraction_that_is_not_whole_is_an_error() -> None:
    bullet = "Half of the seven special schools are good."
    invented = Count(
        subject="special schools",
        count=7,
        total=None,
        judgement="good",
        evidence="Half of the seven special schools are good",
    )
    issues = CHECKS_BY_NAME["check_count_roles"](
        one_bullet_letter(bullet), record(bullet, invented)
    )
    assert codes(issues) == ["count.fraction_unresolved"]


# --- the synthetic letters exercise these phrasings -------------------------------------------

SYNTHETIC_PHRASINGS = {
    "fraction-of-the-n": r"\b(?:Half|A third|A quarter|Two thirds|Three quarters) of the",
    "approximate-fraction": r"\bOver (?:half|a third|a quarter|two thirds|three quarters) of the",
    "of-the-n-with-an-aside": r"\bOf the \w+ [^,.]+, including [^,.]+, \w+ (?:is|are)",
    "a-further-m": r"\ba further \w+ (?:is|are) satisfactory",
    "as-are-m-of-the-n": r", as are \w+ of the \w+ ",
    "category-of-concern": r"the number in an Ofsted category of concern has",
    "judged-inadequate-from-to": r"judged (?:to be )?inadequate has \w+ from",
    "relative-clause": r" it (?:runs|uses|commissions|maintains) (?:is|are) ",
    "each-of-the-n": r"\bEach of the \w+ ",
    "out-of-n": r"\b\w+ out of \w+ ",
}


def test_the_synthetic_set_uses_every_new_phrasing_and_its_gold_accounts_for_every_count() -> None:
    seen: set[str] = set()
    for letter in generate(60, 2011):
        text = load_text(letter.text).text
        assert check_counts_recorded(text, letter.gold) == [], letter.id
        seen |= {k for k, p in SYNTHETIC_PHRASINGS.items() if re.search(p, text)}
    assert seen == set(SYNTHETIC_PHRASINGS)


def test_the_rules_engine_raises_no_count_issue_on_the_synthetic_letters() -> None:
    engine = RulesEngine()
    for letter in generate(60, 2011):
        doc = load_text(letter.render("pdftotext"))
        issues = validate(doc.text, engine.extract(doc).letter)
        assert [i.code for i in issues if i.code.startswith("count.")] == [], letter.id
