"""Inspections and the people and dates of a letter: the kind rule, the inventory, outcomes, the
address block and the sign-off, each with text that must trigger a check and text that must not.

The real Worcestershire and Dudley letters are the base; a case changes the record (a realistic
wrong answer) or the letter (a wording or layout real letters use) and names what must follow.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ofsted_extractor.engines.rules import RulesEngine, find_inspections
from ofsted_extractor.loading import load_text
from ofsted_extractor.schema import InspectionKind, Issue, Letter
from ofsted_extractor.validators import (
    read_performance,
    read_summary,
    read_verdict,
    status_for,
    validate,
)
from ofsted_extractor.validators.inspections import kind_named

ROOT = Path(__file__).resolve().parent.parent

SLAC: InspectionKind = "inspection of safeguarding and looked after children"
CRA: InspectionKind = "unannounced inspection of contact, referral and assessment"
FULL: InspectionKind = "full inspection of safeguarding"

# The Worcestershire summary's first paragraph, which the wording cases replace.
WORCS_OPENING = (
    "Children's services in Worcestershire County Council perform poorly because of "
    "inadequacies in safeguarding."
)


def raw_letter(name: str) -> str:
    return (ROOT / "examples" / f"{name}-2011.txt").read_text(encoding="utf-8")


def letter_text(name: str) -> str:
    """The letter as the validators see it: the markdown markers dropped."""
    return raw_letter(name).replace("## ", "").replace("**", "")


def gold_dict(name: str) -> dict[str, Any]:
    data = json.loads((ROOT / "eval" / "gold" / f"{name}-2011.json").read_text(encoding="utf-8"))
    letter: dict[str, Any] = data["letter"]
    return letter


def errors(issues: list[Issue]) -> list[tuple[str, str]]:
    return [(i.code, i.field) for i in issues if i.severity == "error"]


def codes(issues: list[Issue]) -> set[str]:
    return {i.code for i in issues}


def worcs_with_summary(sentences: str) -> str:
    """Worcestershire's letter whose first summary paragraph reports `sentences` instead."""
    text = letter_text("worcestershire")
    start = text.index(WORCS_OPENING)
    end = text.index("\n", start)
    return text[:start] + WORCS_OPENING + " " + sentences + text[end:]


def record_for(text: str, inspections: list[dict[str, Any]]) -> Letter:
    """Worcestershire's gold record with the summary of `text` and these inspections."""
    record = gold_dict("worcestershire")
    record["summary"] = read_summary(text)
    record["safeguarding_inspections"] = inspections
    return Letter.model_validate(record)


# --- The kind rule: one kind per sentence, the same for engine and validator -------------------

KIND_CASES = [
    pytest.param("In May 2010, a full inspection of safeguarding and looked after children "
                 "services found safeguarding to be good.", SLAC,
                 id="full-inspection-of-safeguarding-and-looked-after-children-services"),
    pytest.param("In May 2010, an announced inspection of safeguarding and looked after children "
                 "found safeguarding to be adequate.", SLAC,
                 id="announced-inspection-of-safeguarding-and-looked-after-children"),
    pytest.param("In May 2010, the inspection of safeguarding and looked after children's services "
                 "found that safeguarding was good.", SLAC,
                 id="looked-after-childrens-services"),
    pytest.param("The safeguarding and looked-after children inspection in May 2010 judged "
                 "safeguarding services to be good.", SLAC, id="looked-after-hyphenated"),
    pytest.param("In May 2010, an unannounced inspection of front-door services took place.", CRA,
                 id="unannounced-front-door-services"),
    pytest.param("In May 2010, an unannounced inspection of contact, referral and assessment "
                 "arrangements took place.", CRA, id="unannounced-contact-referral-assessment"),
    pytest.param("The full inspection of safeguarding services in May 2010 found them to be "
                 "good.", FULL, id="the-full-inspection-of-safeguarding-services"),
    pytest.param("In May 2010, an announced inspection of safeguarding found that arrangements "
                 "were good.", FULL, id="announced-inspection-of-safeguarding"),
    pytest.param("In November 2010, a full inspection of safeguarding found that there had been "
                 "only limited progress and safeguarding remained inadequate.", FULL,
                 id="full-inspection-of-safeguarding"),
    pytest.param("The joint area review in May 2008 found that outcomes were good.", None,
                 id="joint-area-review-is-no-kind"),
]  # fmt: skip


@pytest.mark.parametrize(("sentence", "kind"), KIND_CASES)
def test_the_kind_rule_gives_one_kind_to_engine_and_validator(
    sentence: str, kind: InspectionKind | None
) -> None:
    assert kind_named(sentence) == kind
    engine = [insp.kind for insp, _, _ in find_inspections(sentence)]
    assert engine == ([kind] if kind else [])


@pytest.mark.parametrize(("sentence", "kind"), [c for c in KIND_CASES if c.values[1]])
def test_a_record_following_the_kind_rule_passes_and_any_other_kind_is_an_error(
    sentence: str, kind: InspectionKind
) -> None:
    text = worcs_with_summary(sentence)
    right = find_inspections(sentence)[0][0].model_dump(mode="json", exclude={"span"})
    assert errors(validate(text, record_for(text, [right]))) == []
    for other in {SLAC, CRA, FULL} - {kind}:
        wrong = {**right, "kind": other}
        if other == CRA:
            wrong["outcome"] = None  # an unannounced inspection gives no grade
        found = errors(validate(text, record_for(text, [wrong])))
        assert ("inspection.kind_mismatch", "safeguarding_inspections[0].kind") in found


# --- The inventory: every dated, named inspection is listed ----------------------------------


@pytest.mark.parametrize(
    ("name", "index", "month"),
    [
        pytest.param("worcestershire", 0, "August 2010", id="worcs-unannounced-august-2010"),
        pytest.param("worcestershire", 1, "November 2010", id="worcs-full-november-2010"),
        pytest.param("worcestershire", 2, "July 2011", id="worcs-further-unannounced-july-2011"),
        pytest.param("dudley", 0, "March 2011", id="dudley-unannounced-march-2011"),
        pytest.param(
            "dudley", 1, "July 2010", id="dudley-previous-inspection-of-these-arrangements"
        ),
    ],
)
def test_an_inspection_left_out_is_an_error(name: str, index: int, month: str) -> None:
    record = gold_dict(name)
    del record["safeguarding_inspections"][index]
    issues = validate(letter_text(name), Letter.model_validate(record))
    unlisted = [i for i in issues if i.code == "inspection.unlisted"]
    assert [i.severity for i in unlisted] == ["error"]
    assert month in (unlisted[0].expected or "")
    assert status_for(issues) == "flagged"


def test_an_inspection_left_out_is_an_error_even_without_a_verdict_line() -> None:
    text = letter_text("worcestershire").replace(
        "Children's services assessment\tPerforms poorly (1)", ""
    )
    record = gold_dict("worcestershire")
    del record["safeguarding_inspections"][1]
    issues = validate(text, Letter.model_validate(record))
    assert ("inspection.unlisted", "safeguarding_inspections") in errors(issues)
    gold_issues = validate(text, Letter.model_validate(gold_dict("worcestershire")))
    assert not [code for code, _ in errors(gold_issues) if code.startswith("inspection.")]


TWO_DATES = (
    "Unannounced inspections of contact, referral and assessment arrangements in June 2009 and "
    "again in July 2010 found no areas for priority action."
)
HISTORY_DATES = (
    "In March 2011, an unannounced inspection of contact, referral and assessment arrangements "
    "found that the areas identified in June 2009 and July 2010 had been addressed."
)


@pytest.mark.parametrize(
    ("sentence", "dates"),
    [
        pytest.param(TWO_DATES, ["2009-06", "2010-07"], id="dates-in-a-list-are-two-inspections"),
        pytest.param(HISTORY_DATES, ["2011-03"], id="later-dates-are-history"),
    ],
)
def test_each_date_listed_with_the_first_is_an_inspection_and_must_be_listed(
    sentence: str, dates: list[str]
) -> None:
    found = [
        insp.model_dump(mode="json", exclude={"span"}) for insp, _, _ in find_inspections(sentence)
    ]
    assert [f["date"] for f in found] == dates
    text = worcs_with_summary(sentence)
    assert errors(validate(text, record_for(text, found))) == []
    for left_out in range(len(found)):
        rest = found[:left_out] + found[left_out + 1 :]
        issues = validate(text, record_for(text, rest))
        assert ("inspection.unlisted", "safeguarding_inspections") in errors(issues)


def test_an_inspection_that_names_no_kind_is_only_a_warning_when_unlisted() -> None:
    text = worcs_with_summary("The fostering service was inspected in May 2010 and judged good.")
    issues = validate(text, record_for(text, []))
    assert errors(issues) == []
    assert "inspection.unlisted_unnamed" in codes(issues)


def test_an_undated_mention_of_an_inspection_needs_no_item() -> None:
    text = worcs_with_summary(
        "Until a further full inspection of safeguarding has taken place, the local authority "
        "will continue to be assessed as performing poorly."
    )
    issues = validate(text, record_for(text, []))
    assert not codes(issues) & {"inspection.unlisted", "inspection.unlisted_unnamed"}


# --- Outcomes: what the text states, the record must say -------------------------------------


@pytest.mark.parametrize(
    ("name", "index", "wrong"),
    [
        pytest.param("worcestershire", 0, "no priority action", id="priority-action-reversed"),
        pytest.param("worcestershire", 2, "priority action", id="no-priority-action-reversed"),
        pytest.param("worcestershire", 1, "good", id="inadequate-made-good"),
        pytest.param("dudley", 0, "areas for development",
                     id="no-priority-action-made-areas-for-development"),
        pytest.param("dudley", 1, "priority action", id="areas-for-development-made-priority"),
    ],
)  # fmt: skip
def test_an_outcome_the_text_states_otherwise_is_an_error(
    name: str, index: int, wrong: str
) -> None:
    record = gold_dict(name)
    right = record["safeguarding_inspections"][index]["outcome"]
    record["safeguarding_inspections"][index]["outcome"] = wrong
    issues = validate(letter_text(name), Letter.model_validate(record))
    field = f"safeguarding_inspections[{index}].outcome"
    assert ("inspection.outcome_mismatch", field) in errors(issues)
    assert next(i.expected for i in issues if i.field == field) == right


@pytest.mark.parametrize("index", [0, 1, 2], ids=["august-2010", "november-2010", "july-2011"])
def test_an_outcome_left_null_where_the_text_states_one_is_an_error(index: int) -> None:
    record = gold_dict("worcestershire")
    record["safeguarding_inspections"][index]["outcome"] = None
    issues = validate(letter_text("worcestershire"), Letter.model_validate(record))
    field = f"safeguarding_inspections[{index}].outcome"
    assert ("inspection.outcome_missing", field) in errors(issues)


OUTCOME_WORDINGS = [
    pytest.param("An announced inspection of safeguarding and looked after children took place in "
                 "May 2010. Overall effectiveness was judged to be good.", "good",
                 id="grade-in-the-next-sentence"),
    pytest.param("In May 2010, a full inspection of safeguarding found good progress. Safeguarding "
                 "was judged to be adequate.", "adequate", id="good-progress-is-not-a-grade"),
    pytest.param("In May 2010, a full inspection of safeguarding judged arrangements to be good. "
                 "Too many services are only satisfactory, although very few are inadequate.",
                 "good", id="services-in-the-next-sentence-are-not-the-grade"),
    pytest.param("In May 2010, an unannounced inspection of front-door services took place. There "
                 "were no priority actions.", "no priority action", id="no-priority-actions-next"),
    pytest.param("In May 2010, an unannounced inspection of contact, referral and assessment "
                 "arrangements took place. This identified an area for priority action and "
                 "several areas for development.", "priority action",
                 id="priority-action-outranks-areas-for-development"),
]  # fmt: skip


@pytest.mark.parametrize(("sentences", "outcome"), OUTCOME_WORDINGS)
def test_outcomes_are_read_alike_by_engine_and_validator(sentences: str, outcome: str) -> None:
    [(found, _, _)] = find_inspections(sentences)
    assert found.outcome == outcome
    text = worcs_with_summary(sentences)
    right = found.model_dump(mode="json", exclude={"span"})
    assert errors(validate(text, record_for(text, [right]))) == []
    flipped = {**right, "outcome": "inadequate" if outcome != "inadequate" else "good"}
    assert ("inspection.outcome_mismatch", "safeguarding_inspections[0].outcome") in errors(
        validate(text, record_for(text, [flipped]))
    )


def test_an_outcome_the_text_does_not_state_is_only_a_warning() -> None:
    text = worcs_with_summary(
        "In May 2010, an unannounced inspection of front-door services took place."
    )
    item = {"date": "2010-05", "kind": CRA, "outcome": "priority action",
            "evidence": "In May 2010, an unannounced inspection of front-door services took place"}  # fmt: skip
    issues = validate(text, record_for(text, [item]))
    assert errors(issues) == []
    assert "inspection.outcome_not_stated" in codes(issues)


# --- Who and when: realistic wrong answers ---------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(record: dict[str, Any]) -> None:
        head, _, key = path.rpartition(".")
        target = record[head] if head else record
        target[key] = value

    return mutate


WRONG_ANSWERS = [
    pytest.param("worcestershire", _set("recipient.name", "Ms Quinton"),
                 "recipient.name_mismatch", "recipient.name", id="recipient-first-name-dropped"),
    pytest.param("worcestershire", _set("recipient.name", "Gail Quinton"),
                 "recipient.name_mismatch", "recipient.name", id="recipient-title-dropped"),
    pytest.param("dudley", _set("recipient.role", "Director of Children's Services"),
                 "recipient.role_mismatch", "recipient.role", id="recipient-role-guessed"),
    pytest.param("worcestershire", _set("recipient.role", "Worcestershire County Council"),
                 "recipient.role_mismatch", "recipient.role", id="recipient-role-is-the-council"),
    pytest.param("worcestershire", _set("signatory.name", "J. Winstanley"),
                 "signatory.name_mismatch", "signatory.name", id="signatory-initialled-line"),
    pytest.param("dudley", _set("signatory.role", "Divisional Manager"),
                 "signatory.role_mismatch", "signatory.role", id="signatory-role-cut-short"),
    pytest.param("worcestershire", _set("local_authority", "Worcestershire"),
                 "authority.heading_mismatch", "local_authority", id="authority-shortened"),
    pytest.param("dudley", _set("local_authority", "Dudley"),
                 "authority.heading_mismatch", "local_authority", id="dudley-shortened"),
    pytest.param("worcestershire", _set("letter_date", "2011-11-07"),
                 "date.not_in_text", "letter_date", id="date-a-day-early"),
    pytest.param("dudley", _set("letter_date", "2011-11-09"),
                 "date.not_in_text", "letter_date", id="date-a-day-late"),
    pytest.param("worcestershire",
                 lambda r: r.update(grade=2, grade_label="Performs adequately"),
                 "grade.verdict_mismatch", "grade", id="grade-from-last-year-sentence"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "mutate", "code", "field"), WRONG_ANSWERS)
def test_a_realistic_wrong_answer_is_an_error(
    name: str, mutate: Mutation, code: str, field: str
) -> None:
    record = gold_dict(name)
    mutate(record)
    assert (code, field) in errors(validate(letter_text(name), Letter.model_validate(record)))


def test_a_signatory_defaulted_to_the_usual_one_is_an_error() -> None:
    text = letter_text("worcestershire").replace(
        "Juliet Winstanley\n\nJ. Winstanley\n\nDivisional Manager",
        "Paul Ingram\n\nP. Ingram\n\nDivisional Manager",
    )
    record = gold_dict("worcestershire")
    assert ("signatory.name_mismatch", "signatory.name") in errors(
        validate(text, Letter.model_validate(record))
    )
    record["signatory"]["name"] = "Paul Ingram"
    assert errors(validate(text, Letter.model_validate(record))) == []


def test_a_date_off_by_a_day_that_the_letter_writes_elsewhere_is_still_an_error() -> None:
    text = worcs_with_summary("The council was notified on 9 November 2011.")
    record = record_for(text, [])
    record.letter_date = record.letter_date.replace(day=9) if record.letter_date else None
    assert ("date.line_mismatch", "letter_date") in errors(validate(text, record))


LAST_YEAR = "Last year the council performed adequately."


def test_grade_from_another_sentence_is_not_read_and_is_caught() -> None:
    text = worcs_with_summary(LAST_YEAR)
    assert read_verdict(text) == (1, "Performs poorly")
    performance = read_performance(text)
    assert performance is not None and performance[0] == 1
    record = record_for(text, [])
    assert not {c for c, _ in errors(validate(text, record))} & {
        "grade.verdict_mismatch",
        "grade.summary_mismatch",
    }
    record.grade, record.grade_label = 2, "Performs adequately"
    found = errors(validate(text, record))
    assert ("grade.verdict_mismatch", "grade") in found
    assert ("grade.summary_mismatch", "grade") in found
    # Without the verdict line the summary's wording still catches it, and the engine reads it.
    no_verdict = text.replace("Children's services assessment\tPerforms poorly (1)", "")
    assert ("grade.summary_mismatch", "grade") in errors(validate(no_verdict, record))
    assert RulesEngine().extract(load_text(no_verdict)).letter.grade == 1


# --- Address blocks as real letters and conversions lay them out -------------------------------

WORCS_ADDRESS = "8 November 2011\n\nMs Gail Quinton\nDirector of Children's Services\n"
LETTERHEAD = (
    "Aviation House 125 Kingsway London WC2B 6SE T 0300 123 1231\n\nTextphone 0161 618 8524\n"
    "enquiries@ofsted.gov.uk\nwww.ofsted.gov.uk\n\n"
)

ADDRESS_BLOCKS = [
    pytest.param("8 November 2011\n\n" + LETTERHEAD + "Ms Gail Quinton\n"
                 "Director of Children's Services\n", "Ms Gail Quinton", "Quinton",
                 id="letterhead-between-date-and-address"),
    pytest.param("8 November 2011\n\nMr John A Smith\nDirector of Children's Services\n",
                 "Mr John A Smith", "Smith", id="middle-initial"),
    pytest.param("8 November 2011\n\nDr Helen Ashworth-Nolan\nDirector of Children's Services\n",
                 "Dr Helen Ashworth-Nolan", "Ashworth-Nolan", id="double-barrelled-surname"),
    pytest.param("8 November 2011\n\nMs Anna van der Berg\nDirector of Children's Services\n",
                 "Ms Anna van der Berg", "van der Berg", id="surname-with-particles"),
]  # fmt: skip


@pytest.mark.parametrize(("block", "name", "surname"), ADDRESS_BLOCKS)
def test_address_block_variants_are_read_by_engine_and_pass_the_validators(
    block: str, name: str, surname: str
) -> None:
    raw = raw_letter("worcestershire").replace(WORCS_ADDRESS, block)
    raw = raw.replace("Dear Ms Quinton", f"Dear {name.split()[0]} {surname}")
    engine = RulesEngine().extract(load_text(raw)).letter
    assert engine.recipient is not None
    assert (engine.recipient.name, engine.recipient.role) == (
        name,
        "Director of Children's Services",
    )
    text = raw.replace("## ", "").replace("**", "")
    record = gold_dict("worcestershire")
    record["recipient"]["name"] = name
    assert errors(validate(text, Letter.model_validate(record))) == []
    record["recipient"]["name"] = f"{name.split()[0]} {surname}"  # first name dropped
    assert ("recipient.name_mismatch", "recipient.name") in errors(
        validate(text, Letter.model_validate(record))
    )


@pytest.mark.parametrize("name", ["worcestershire", "dudley"])
def test_sign_off_with_or_without_initialled_line_is_read(name: str) -> None:
    engine = RulesEngine().extract(load_text(raw_letter(name))).letter
    assert engine.signatory is not None
    assert engine.signatory.name == "Juliet Winstanley"
    assert errors(validate(letter_text(name), Letter.model_validate(gold_dict(name)))) == []
