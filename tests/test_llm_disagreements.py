"""Where the LLM and the rules engine disagree, the record says so: both values, and which one
the text supports. Nothing is overwritten."""

from __future__ import annotations

from ofsted_extractor.disagreements import compare_with_rules
from ofsted_extractor.engines.rules import RulesEngine
from ofsted_extractor.loading import load_text
from tests.conftest import example_text


def test_counts_and_inspections_the_llm_and_rules_disagree_on_are_reported_with_support() -> None:
    doc = load_text(example_text("worcestershire-2011"))
    rules = RulesEngine().extract(doc).letter
    llm = rules.model_copy(deep=True)
    llm.strengths[4].counts[0].count = 12  # "eight of the 12 ..." read as 12
    llm.safeguarding_inspections = llm.safeguarding_inspections[:1]

    found = {d.field: d for d in compare_with_rules(doc.text, llm, rules)}

    counts = found["strengths[4].counts"]
    assert counts.llm is not None and counts.llm.startswith("12 of 12 good or better")
    assert counts.rules is not None and counts.rules.startswith("8 of 12 good or better")
    assert counts.supported_by_text == "rules"
    assert found["safeguarding_inspections"].supported_by_text == "both"
    assert llm.strengths[4].counts[0].count == 12  # reported, never overwritten


def test_a_grade_the_verdict_line_contradicts_is_reported_as_the_rules_one() -> None:
    doc = load_text(example_text("dudley-2011"))
    rules = RulesEngine().extract(doc).letter
    llm = rules.model_copy(update={"grade": 2, "grade_label": "Performs adequately"})
    found = {d.field: d for d in compare_with_rules(doc.text, llm, rules)}
    assert (found["grade"].llm, found["grade"].rules) == ("2", "3")
    assert found["grade"].supported_by_text == "rules"
    assert found["grade_label"].supported_by_text == "rules"


def test_identical_records_have_no_disagreements() -> None:
    doc = load_text(example_text("dudley-2011"))
    rules = RulesEngine().extract(doc).letter
    assert compare_with_rules(doc.text, rules.model_copy(deep=True), rules) == []
