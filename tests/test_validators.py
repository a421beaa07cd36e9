"""Validators: what the letter text can prove about a record.

The two real letters and their hand-labelled gold records are the fixtures. The gold records must
pass; every failing case changes one thing in a gold record (or removes one thing from a letter)
and names the issue code and field path that must report it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ofsted_extractor.schema import Issue, Letter
from ofsted_extractor.validators import (
    CHECKS,
    CHECKS_BY_NAME,
    read_bullets,
    read_heading,
    read_letter_date,
    read_performance,
    read_summary,
    read_verdict,
    status_for,
    validate,
)
from ofsted_extractor.validators.text import contains, numbers_in
from tests.conftest import example_text, gold_record

LETTERS = ("worcestershire", "dudley")

WORCS_VERDICT = "Children's services assessment\tPerforms poorly (1)"
DUDLEY_VERDICT = "Children's services assessment\tPerforms well (3)"


def normalised(raw: str) -> str:
    """The little the loader does that matters here: drop the markdown markers."""
    return raw.replace("## ", "").replace("**", "")


def letter_text(name: str) -> str:
    return normalised(example_text(f"{name}-2011"))


def gold_dict(name: str) -> dict[str, Any]:
    return gold_record(f"{name}-2011")


def gold(name: str) -> Letter:
    return Letter.model_validate(gold_dict(name))


def errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == "error"]


def issue_at(issues: list[Issue], code: str, field: str) -> Issue:
    """The issue with this code and field; fails listing what was reported instead."""
    for issue in issues:
        if issue.code == code and issue.field == field:
            return issue
    reported = [(i.code, i.field) for i in issues]
    raise AssertionError(f"no {code} at {field}; reported: {reported}")


# --- The gold records agree with their letters -------------------------------------------------


@pytest.mark.parametrize("name", LETTERS)
def test_gold_record_has_no_errors_against_its_letter(name: str) -> None:
    issues = validate(letter_text(name), gold(name))
    assert errors(issues) == []
    assert status_for(issues) == "passed"


@pytest.mark.parametrize("name", LETTERS)
def test_gold_record_passes_when_tabs_are_runs_of_spaces(name: str) -> None:
    # A PDF's text layer gives the table cells as spaces, not tabs.
    text = letter_text(name).replace("\t", "    ")
    assert errors(validate(text, gold(name))) == []


@pytest.mark.parametrize("name", LETTERS)
def test_validate_never_changes_the_record(name: str) -> None:
    record = gold(name)
    before = record.model_dump()
    validate(letter_text(name), record)
    assert record.model_dump() == before


# --- Reading the text itself -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("worcestershire", (1, "Performs poorly"), id="worcestershire-poorly-1"),
        pytest.param("dudley", (3, "Performs well"), id="dudley-well-3-despite-garbled-table"),
    ],
)
def test_read_verdict_reads_the_verdict_line(name: str, expected: tuple[int, str]) -> None:
    assert read_verdict(letter_text(name)) == expected


@pytest.mark.parametrize(
    ("name", "verdict"),
    [
        pytest.param("worcestershire", WORCS_VERDICT, id="worcestershire-scale-table-and-quote"),
        pytest.param("dudley", DUDLEY_VERDICT, id="dudley-garbled-table-missing-row"),
    ],
)
def test_read_verdict_is_not_fooled_by_scale_table_or_standard_paragraph(
    name: str, verdict: str
) -> None:
    text = letter_text(name)
    assert verdict in text
    trap = text.replace(verdict, "")
    # What remains still has "4\tPerforms excellently\t..." and "an assessment of 'performs
    # poorly' does not mean ...": neither is a verdict.
    assert "'performs poorly'" in trap and "Performs excellently\t" in trap
    assert read_verdict(trap) is None


def test_read_verdict_accepts_spaces_for_the_tab() -> None:
    text = letter_text("worcestershire").replace(
        WORCS_VERDICT, "Children's services assessment   Performs poorly (1)"
    )
    assert read_verdict(text) == (1, "Performs poorly")


@pytest.mark.parametrize(
    ("name", "strengths", "areas"),
    [
        pytest.param("worcestershire", 6, 3, id="worcestershire-6-3"),
        pytest.param("dudley", 7, 3, id="dudley-7-3-markdown-headings"),
    ],
)
def test_read_bullets_counts_the_bullets_under_each_heading(
    name: str, strengths: int, areas: int
) -> None:
    bullets = read_bullets(letter_text(name))
    assert len(bullets["strengths"]) == strengths
    assert len(bullets["areas_for_improvement"]) == areas


@pytest.mark.parametrize("name", LETTERS)
def test_read_bullets_gives_the_bullet_texts_without_the_dash(name: str) -> None:
    bullets = read_bullets(letter_text(name))
    record = gold(name)
    assert bullets["strengths"] == [f.text for f in record.strengths]
    assert bullets["areas_for_improvement"] == [f.text for f in record.areas_for_improvement]


def test_read_bullets_joins_hard_wrapped_continuation_lines() -> None:
    text = "Strengths\n\n- First line\nwraps here.\n- Second.\n\nClosing paragraph.\n"
    assert read_bullets(text) == {
        "strengths": ["First line wraps here.", "Second."],
        "areas_for_improvement": [],
    }


@pytest.mark.parametrize(
    ("name", "authority"),
    [
        pytest.param("worcestershire", "Worcestershire County Council", id="worcestershire"),
        pytest.param("dudley", "Dudley Metropolitan Borough Council", id="dudley-markdown"),
    ],
)
def test_read_heading_reads_authority_and_year(name: str, authority: str) -> None:
    assert read_heading(letter_text(name)) == (authority, 2011)


@pytest.mark.parametrize("name", LETTERS)
def test_read_summary_is_the_gold_summary(name: str) -> None:
    assert read_summary(letter_text(name)) == gold(name).summary


def test_read_performance_and_date() -> None:
    text = letter_text("worcestershire")
    performance = read_performance(text)
    assert performance is not None and performance[0] == 1
    assert str(read_letter_date(text)) == "2011-11-08"


@pytest.mark.parametrize(
    ("phrase", "number"),
    [
        pytest.param("eight of the 12", 8, id="word"),
        pytest.param("eight of the 12", 12, id="digits"),
        pytest.param("All six of the children's homes", 6, id="all-six"),
        pytest.param("none of them is inadequate", 0, id="none"),
        pytest.param("the remaining one is satisfactory", 1, id="remaining-one"),
        pytest.param("The other two are satisfactory", 2, id="other-two"),
        pytest.param("thirty-four children's centres", 34, id="hyphenated"),
        pytest.param("ninety nine homes", 99, id="tens-and-units"),
    ],
)
def test_numbers_in_reads_digits_and_number_words(phrase: str, number: int) -> None:
    assert number in numbers_in(phrase)


def test_contains_ignores_whitespace_and_quote_style() -> None:
    assert contains("Children's\tservices  in\nDudley", "Children\u2019s services in Dudley")
    assert not contains("anything", "   ")


# --- One change, one issue ---------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """Set a value at a dotted path with [i] indices, e.g. 'strengths[4].counts[0].count'."""

    def mutate(record: dict[str, Any]) -> None:
        keys: list[str | int] = []
        for part in path.split("."):
            name, *indices = part.replace("]", "").split("[")
            keys.append(name)
            keys.extend(int(i) for i in indices)
        target: Any = record
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return mutate


def _drop_strength(i: int) -> Mutation:
    def mutate(record: dict[str, Any]) -> None:
        del record["strengths"][i]

    return mutate


def _add_strength(text: str) -> Mutation:
    def mutate(record: dict[str, Any]) -> None:
        record["strengths"].append({"text": text, "topic": "secondary", "counts": []})

    return mutate


def _move_strength_to_areas(i: int) -> Mutation:
    def mutate(record: dict[str, Any]) -> None:
        record["areas_for_improvement"].append(record["strengths"].pop(i))

    return mutate


def _repeat_strength(i: int) -> Mutation:
    def mutate(record: dict[str, Any]) -> None:
        record["strengths"].append(dict(record["strengths"][i], counts=[]))

    return mutate


def _swap_people(record: dict[str, Any]) -> None:
    record["recipient"], record["signatory"] = record["signatory"], record["recipient"]


FOSTERING = "strengths[4].counts[0]"  # "eight of the 12 fostering and adoption services ..."

CASES = [
    # grade
    pytest.param("worcestershire", _set("grade", 3), "grade.label_mismatch", "grade",
                 id="grade-3-with-label-performs-poorly"),
    pytest.param("worcestershire", _set("grade", 3), "grade.verdict_mismatch", "grade",
                 id="grade-3-contradicts-verdict-poorly-1"),
    pytest.param("worcestershire", _set("grade", None), "missing.grade", "grade",
                 id="grade-missing"),
    # counts
    pytest.param("worcestershire", _set(f"{FOSTERING}.count", 9),
                 "count.count_not_in_evidence", f"{FOSTERING}.count",
                 id="count-9-for-eight-of-the-12"),
    pytest.param("worcestershire", _set(f"{FOSTERING}.total", 13),
                 "count.total_not_in_evidence", f"{FOSTERING}.total",
                 id="total-13-for-eight-of-the-12"),
    pytest.param("worcestershire",
                 lambda r: (_set(f"{FOSTERING}.count", 12)(r), _set(f"{FOSTERING}.total", 8)(r)),
                 "count.count_exceeds_total", f"{FOSTERING}.count",
                 id="count-12-of-8"),
    pytest.param("worcestershire",
                 _set(f"{FOSTERING}.evidence", "eight of the 12 fostering services are good"),
                 "count.evidence_not_in_text", f"{FOSTERING}.evidence",
                 id="evidence-not-in-letter"),
    pytest.param("worcestershire",
                 _set(f"{FOSTERING}.evidence", "two of them are outstanding"),
                 "count.evidence_not_in_finding", f"{FOSTERING}.evidence",
                 id="evidence-from-another-bullet"),
    pytest.param("worcestershire", _set(f"{FOSTERING}.judgement", "outstanding"),
                 "count.judgement_not_in_evidence", f"{FOSTERING}.judgement",
                 id="judgement-not-in-evidence"),
    pytest.param("dudley", _set("strengths[0].counts[0].count", 6),
                 "count.count_mismatch", "strengths[0].counts[0].count",
                 id="count-6-for-five-of-the-six"),
    pytest.param("worcestershire", lambda r: r["strengths"][4]["counts"].pop(1),
                 "count.unrecorded", "strengths[4]",
                 id="none-of-them-left-out"),
    pytest.param("worcestershire", lambda r: r["strengths"][2]["counts"].clear(),
                 "count.unrecorded", "strengths[2]",
                 id="number-of-inadequate-schools-left-out"),
    pytest.param("worcestershire", _set("strengths[2].counts[0].judgement", None),
                 "count.judgement_missing", "strengths[2].counts[0].judgement",
                 id="judgement-null-for-the-number-of-inadequate-schools"),
    pytest.param("worcestershire", _set("strengths[5].counts[2].count", 19),
                 "count.count_mismatch", "strengths[5].counts[2].count",
                 id="count-19-for-of-the-19-18-are"),
    pytest.param("worcestershire", _set("strengths[5].counts[2].total", 18),
                 "count.total_mismatch", "strengths[5].counts[2].total",
                 id="total-18-for-of-the-19-18-are"),
    pytest.param("dudley", _set("strengths[3].counts[0].judgement", "good"),
                 "count.judgement_mismatch", "strengths[3].counts[0].judgement",
                 id="judgement-good-from-made-good-progress-was-judged-satisfactory"),
    # findings
    pytest.param("worcestershire", _drop_strength(2), "findings.count_mismatch", "strengths",
                 id="one-strength-dropped"),
    pytest.param("worcestershire", _add_strength("All secondary schools are outstanding."),
                 "finding.not_in_text", "strengths[6].text",
                 id="strength-added-not-in-letter"),
    pytest.param("worcestershire", _move_strength_to_areas(0),
                 "finding.wrong_list", "areas_for_improvement[3].text",
                 id="strength-moved-to-areas"),
    pytest.param("worcestershire",
                 _set("strengths[4].text", "As in 2010, eight of the 12 fostering and adoption "
                      "services are good or better"),
                 "finding.partial_bullet", "strengths[4].text",
                 id="strength-cut-short"),
    pytest.param("worcestershire", _repeat_strength(1), "finding.duplicate", "strengths[6].text",
                 id="strength-given-twice"),
    # who and when
    pytest.param("worcestershire", _set("local_authority", "Worcester City Council"),
                 "authority.heading_mismatch", "local_authority",
                 id="authority-worcester-city-council"),
    pytest.param("worcestershire", _set("recipient.name", "Mr John Smith"),
                 "recipient.name_not_in_text", "recipient.name",
                 id="recipient-name-not-in-letter"),
    pytest.param("worcestershire", _swap_people, "recipient.salutation_mismatch",
                 "recipient.name", id="recipient-and-signatory-swapped"),
    pytest.param("worcestershire", _swap_people, "signatory.not_after_closing",
                 "signatory.name", id="signatory-is-the-addressee"),
    pytest.param("dudley", _set("signatory.role", "Director of Inspection"),
                 "signatory.role_not_in_text", "signatory.role",
                 id="signatory-role-not-in-letter"),
    pytest.param("worcestershire", _set("letter_date", "2011-11-09"),
                 "date.not_in_text", "letter_date", id="date-9-november-2011"),
    pytest.param("worcestershire", _set("assessment_year", 2010),
                 "year.heading_mismatch", "assessment_year", id="assessment-year-2010"),
    # summary
    pytest.param("dudley", _set("summary", "Children's services in Dudley perform well."),
                 "summary.not_in_text", "summary", id="summary-not-verbatim"),
    pytest.param("dudley", _set("summary", None), "missing.summary", "summary",
                 id="summary-missing"),
    # safeguarding inspections
    pytest.param("worcestershire", _set("safeguarding_inspections[0].date", "2010-09"),
                 "inspection.date_not_in_evidence", "safeguarding_inspections[0].date",
                 id="inspection-2010-09-for-august-2010"),
    pytest.param("worcestershire",
                 _set("safeguarding_inspections[1].kind",
                      "unannounced inspection of contact, referral and assessment"),
                 "inspection.kind_mismatch", "safeguarding_inspections[1].kind",
                 id="full-inspection-labelled-unannounced"),
    pytest.param("dudley",
                 _set("safeguarding_inspections[0].evidence",
                      "The unannounced inspection carried out in March 2011 identified areas"),
                 "inspection.evidence_not_in_text", "safeguarding_inspections[0].evidence",
                 id="inspection-evidence-not-verbatim"),
    pytest.param("worcestershire",
                 lambda r: r["safeguarding_inspections"].append(r["safeguarding_inspections"][0]),
                 "inspection.duplicate", "safeguarding_inspections[3]",
                 id="inspection-listed-twice"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "mutate", "code", "field"), CASES)
def test_one_change_is_reported_as_an_error(
    name: str, mutate: Mutation, code: str, field: str
) -> None:
    record = gold_dict(name)
    mutate(record)
    issues = validate(letter_text(name), Letter.model_validate(record))
    issue = issue_at(issues, code, field)
    assert issue.severity == "error"
    assert issue.message
    assert status_for(issues) == "flagged"


def test_consistent_grade_and_label_still_contradict_the_verdict_line() -> None:
    record = gold_dict("worcestershire")
    record["grade"], record["grade_label"] = 2, "Performs adequately"
    issues = validate(letter_text("worcestershire"), Letter.model_validate(record))
    assert not any(i.code == "grade.label_mismatch" for i in issues)
    grade = issue_at(issues, "grade.verdict_mismatch", "grade")
    assert (grade.expected, grade.found) == ("1", "2")
    label = issue_at(issues, "grade.verdict_mismatch", "grade_label")
    assert label.expected == "Performs poorly"
    # The summary's "perform poorly" says the same as the verdict line.
    assert issue_at(issues, "grade.summary_mismatch", "grade").expected == "1"


def test_count_message_names_what_the_evidence_states() -> None:
    record = gold_dict("worcestershire")
    record["strengths"][4]["counts"][0]["count"] = 9
    issues = validate(letter_text("worcestershire"), Letter.model_validate(record))
    issue = issue_at(issues, "count.count_not_in_evidence", f"{FOSTERING}.count")
    assert issue.expected == "8, 12"
    assert "eight of the 12" in issue.message


def test_wrong_letter_date_is_told_the_letters_own_date() -> None:
    record = gold_dict("worcestershire")
    record["letter_date"] = "2011-11-09"
    issues = validate(letter_text("worcestershire"), Letter.model_validate(record))
    assert issue_at(issues, "date.not_in_text", "letter_date").expected == "2011-11-08"


def test_wrong_inspection_month_is_told_the_evidence_month() -> None:
    record = gold_dict("worcestershire")
    record["safeguarding_inspections"][0]["date"] = "2010-09"
    issues = validate(letter_text("worcestershire"), Letter.model_validate(record))
    field = "safeguarding_inspections[0].date"
    assert issue_at(issues, "inspection.date_not_in_evidence", field).expected == "2010-08"


# --- What the text cannot settle is a warning --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "verdict"),
    [
        pytest.param("worcestershire", WORCS_VERDICT, id="worcestershire"),
        pytest.param("dudley", DUDLEY_VERDICT, id="dudley"),
    ],
)
def test_text_without_verdict_line_gives_a_warning_not_a_grade(name: str, verdict: str) -> None:
    text = letter_text(name).replace(verdict, "")
    issues = validate(text, gold(name))
    assert issue_at(issues, "grade.no_verdict", "grade").severity == "warning"
    assert not any(i.code == "grade.verdict_mismatch" for i in issues)


def test_without_verdict_line_the_summary_wording_still_checks_the_grade() -> None:
    text = letter_text("worcestershire").replace(WORCS_VERDICT, "")
    record = gold_dict("worcestershire")
    record["grade"], record["grade_label"] = 4, "Performs excellently"
    issues = validate(text, Letter.model_validate(record))
    assert issue_at(issues, "grade.summary_mismatch", "grade").expected == "1"


def test_unlisted_inspection_is_an_error() -> None:
    record = gold_dict("worcestershire")
    del record["safeguarding_inspections"][1]
    issues = validate(letter_text("worcestershire"), Letter.model_validate(record))
    unlisted = issue_at(issues, "inspection.unlisted", "safeguarding_inspections")
    assert unlisted.severity == "error"
    assert "November 2010" in (unlisted.expected or "")


def test_findings_out_of_the_letters_order_are_a_warning() -> None:
    record = gold_dict("dudley")
    record["strengths"][0], record["strengths"][1] = record["strengths"][1], record["strengths"][0]
    issues = validate(letter_text("dudley"), Letter.model_validate(record))
    assert issue_at(issues, "finding.out_of_order", "strengths[1]").severity == "warning"
    assert errors(issues) == []


def test_an_outcome_the_letter_states_otherwise_is_an_error() -> None:
    record = gold_dict("worcestershire")
    record["safeguarding_inspections"][1]["outcome"] = "outstanding"
    issues = validate(letter_text("worcestershire"), Letter.model_validate(record))
    field = "safeguarding_inspections[1].outcome"
    mismatch = issue_at(issues, "inspection.outcome_mismatch", field)
    assert (mismatch.severity, mismatch.expected) == ("error", "inadequate")


# --- The registry --------------------------------------------------------------------------------


def test_every_check_can_be_run_by_name() -> None:
    assert list(CHECKS_BY_NAME.values()) == CHECKS
    text, record = letter_text("worcestershire"), gold("worcestershire")
    for name, check in CHECKS_BY_NAME.items():
        assert name.startswith("check_")
        assert errors(check(text, record)) == []


def test_status_for_flags_only_errors() -> None:
    warn = Issue(code="x", field="grade", severity="warning", message="m")
    err = Issue(code="x", field="grade", severity="error", message="m")
    assert status_for([]) == "passed"
    assert status_for([warn]) == "passed"
    assert status_for([warn, err]) == "flagged"


def test_list_whose_heading_is_missing_cannot_pass() -> None:
    # Without the heading nothing proves the list complete, so the record is not `passed`.
    text = letter_text("worcestershire").replace("\nStrengths\n", "\n")
    issues = validate(text, gold("worcestershire"))
    assert [(i.code, i.field) for i in errors(issues)] == [("findings.no_heading", "strengths")]


def test_older_heading_wordings_are_read() -> None:
    text = (
        "Major strengths\n\n- One.\n- Two.\n\n"
        "Important weaknesses and areas for development\n\n- Three.\n"
    )
    assert read_bullets(text) == {
        "strengths": ["One.", "Two."],
        "areas_for_improvement": ["Three."],
    }


def test_closing_paragraph_glued_to_the_last_bullet_is_not_part_of_it() -> None:
    # What a loader gives when a page break swallows the blank line before the closing.
    text = (
        "Areas for further improvement\n\n- Last bullet. This children's services assessment "
        "is provided in accordance with section 138 of the Education and Inspections Act 2006.\n"
    )
    assert read_bullets(text)["areas_for_improvement"] == ["Last bullet."]


def test_find_span_agrees_with_the_whitespace_and_quote_insensitive_pattern() -> None:
    # find_span searches a squashed copy of the haystack; the compiled pattern is its definition.
    import random

    from ofsted_extractor.validators.text import find_span, find_spans, needle_pattern

    rnd = random.Random(2011)
    alphabet = "ab c\n\t\u2019'-\u2013\u201c\"A  "
    for _ in range(20_000):
        hay = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 30)))
        i = rnd.randint(0, len(hay))
        needle = hay[i : rnd.randint(i, len(hay))] if rnd.random() < 0.5 else rnd.choice("ab'-")
        start = rnd.randint(0, len(hay)) if rnd.random() < 0.3 else 0
        ignore_case = rnd.random() < 0.3
        m = needle_pattern(needle, ignore_case).search(hay, start) if needle.strip() else None
        want = (m.start(), m.end()) if m else None
        assert find_span(hay, needle, start, ignore_case=ignore_case) == want, (hay, needle, start)
        every = [m.span() for m in needle_pattern(needle).finditer(hay)] if needle.strip() else []
        assert find_spans(hay, needle) == every, (hay, needle)


# --- Count semantics on phrasings the real letters do not use ----------------------------------

_SEMANTICS_BULLET = (
    "Half of the 12 children's centres are good or better. Of the 15 primary schools in the "
    "area, including the two academies, 12 are good or better. The adoption agency is "
    "outstanding, as are 11 of the 14 children's homes it runs. The number of secondary "
    "schools judged inadequate has risen from one to three."
)
_SEMANTICS_TEXT = (
    f"Strengths\n\n- {_SEMANTICS_BULLET}\n\nAreas for further improvement\n\n- Too little.\n"
)
_RIGHT_COUNTS = [
    ("children's centres", 6, 12, "good or better",
     "Half of the 12 children's centres are good or better"),
    ("primary schools in the area", 12, 15, "good or better",
     "Of the 15 primary schools in the area, including the two academies, 12 are good or better"),
    ("children's homes it runs", 11, 14, "outstanding",
     "outstanding, as are 11 of the 14 children's homes it runs"),
    ("secondary schools", 3, None, "inadequate",
     "The number of secondary schools judged inadequate has risen from one to three"),
]  # fmt: skip


def _semantics_record() -> dict[str, Any]:
    counts = [
        {"subject": s, "count": n, "total": t, "judgement": j, "evidence": e}
        for s, n, t, j, e in _RIGHT_COUNTS
    ]
    return {
        "strengths": [{"text": _SEMANTICS_BULLET, "topic": "children's centres", "counts": counts}],
        "areas_for_improvement": [{"text": "Too little.", "topic": "other", "counts": []}],
    }


def _count_issues(record: dict[str, Any]) -> list[tuple[str, str]]:
    issues = validate(_SEMANTICS_TEXT, Letter.model_validate(record))
    return [(i.code, i.field) for i in issues if i.code.startswith("count.")]


def test_the_right_counts_of_the_newer_phrasings_raise_nothing() -> None:
    assert _count_issues(_semantics_record()) == []


C = "strengths[0].counts"
SEMANTIC_CASES = [
    pytest.param(_set(f"{C}[0].count", 12), ("count.count_mismatch", f"{C}[0].count"),
                 id="fraction-made-into-the-total"),
    pytest.param(_set(f"{C}[0].total", 6), ("count.total_mismatch", f"{C}[0].total"),
                 id="total-set-to-the-fraction-count"),
    pytest.param(_set(f"{C}[1].count", 15), ("count.count_mismatch", f"{C}[1].count"),
                 id="count-set-to-the-total-past-a-parenthesis"),
    pytest.param(_set(f"{C}[1].total", 12), ("count.total_mismatch", f"{C}[1].total"),
                 id="total-set-to-the-count"),
    pytest.param(_set(f"{C}[1].count", 2), ("count.count_mismatch", f"{C}[1].count"),
                 id="count-set-to-another-number-of-the-bullet"),
    pytest.param(_set(f"{C}[2].count", 14), ("count.count_mismatch", f"{C}[2].count"),
                 id="as-are-count-set-to-the-total"),
    pytest.param(_set(f"{C}[2].judgement", "good or better"),
                 ("count.judgement_not_in_evidence", f"{C}[2].judgement"),
                 id="as-are-judgement-of-another-phrase"),
    pytest.param(_set(f"{C}[3].judgement", None), ("count.judgement_missing", f"{C}[3].judgement"),
                 id="judged-inadequate-left-null"),
    pytest.param(_set(f"{C}[3].count", 1), ("count.count_mismatch", f"{C}[3].count"),
                 id="risen-from-a-to-b-given-a"),
    # the old engine's readings: the total read as a count of its own
    pytest.param(lambda r: r["strengths"][0]["counts"][0].update(
                     count=12, total=12, evidence="the 12 children's centres are good or better"),
                 ("count.fraction_made_total", f"{C}[0].count"),
                 id="fraction-total-read-as-all-of-them"),
    pytest.param(lambda r: r["strengths"][0]["counts"][1].update(
                     count=15, total=15, evidence="the 15 primary schools in the area, including "
                     "the two academies, 12 are good or better"),
                 ("count.predicate_of_another_count", f"{C}[1].count"),
                 id="total-before-an-aside-read-as-all-of-them"),
    pytest.param(lambda r: r["strengths"][0]["counts"][1].update(
                     count=2, total=None, evidence="two academies, 12 are good or better"),
                 ("count.predicate_of_another_count", f"{C}[1].count"),
                 id="number-of-the-aside-read-as-a-count"),
    pytest.param(lambda r: r["strengths"][0]["counts"].pop(0),
                 ("count.unrecorded", "strengths[0]"), id="fraction-count-left-out"),
    pytest.param(lambda r: r["strengths"][0]["counts"].pop(2),
                 ("count.unrecorded", "strengths[0]"), id="as-are-count-left-out"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "expected"), SEMANTIC_CASES)
def test_count_semantics_are_checked(mutate: Mutation, expected: tuple[str, str]) -> None:
    record = _semantics_record()
    mutate(record)
    found = _count_issues(record)
    assert expected in found
    issues = validate(_SEMANTICS_TEXT, Letter.model_validate(record))
    assert status_for(issues) == "flagged"
