"""Disagreements: where an engine's letter and the rules engine's differ, and which the text
supports. Run by the pipeline for engines that ask for it (the LLM engine), so no engine builds
another; the engine's values stay in the record, this only reports.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Literal

from ofsted_extractor.schema import (
    GRADE_LABELS,
    Disagreement,
    Finding,
    Letter,
    SafeguardingInspection,
)
from ofsted_extractor.validators.counts import stated_judgement, stated_quantity


def _squash(s: str) -> str:
    return " ".join(s.split()).lower()


@functools.lru_cache(maxsize=4)
def _squashed_letter(text: str) -> str:
    # One letter is asked about thirty times per comparison: squash it once, not each time.
    return _squash(text)


def _in_text(text: str, value: str) -> bool:
    return bool(value) and _squash(value) in _squashed_letter(text)


def _scalar_values(letter: Letter) -> dict[str, str | None]:
    def s(v: object) -> str | None:
        return None if v is None else str(v)

    return {
        "local_authority": letter.local_authority,
        "assessment_year": s(letter.assessment_year),
        "letter_date": s(letter.letter_date),
        "recipient.name": letter.recipient.name if letter.recipient else None,
        "recipient.role": letter.recipient.role if letter.recipient else None,
        "signatory.name": letter.signatory.name if letter.signatory else None,
        "signatory.role": letter.signatory.role if letter.signatory else None,
        "grade": s(letter.grade),
        "grade_label": letter.grade_label,
    }


def _supported(text: str, field_name: str, value: str | None, letter: Letter) -> bool:
    """Does the letter text bear this value out? Deliberately simple: a verbatim occurrence."""
    if value is None:
        return False
    if field_name == "letter_date":
        d = dt.date.fromisoformat(value)
        return _in_text(text, f"{d.day} {d.strftime('%B')} {d.year}")
    if field_name == "assessment_year":
        return _in_text(text, f"children's services assessment {value}")
    if field_name == "grade":
        label = GRADE_LABELS.get(int(value))
        return label is not None and _in_text(text, f"{label} ({value})")
    if field_name == "grade_label":
        return letter.grade is not None and _in_text(text, f"{value} ({letter.grade})")
    if field_name.endswith(".topic"):
        return False  # a topic is a reading, not a quote; the text cannot settle it here
    if field_name == "safeguarding_inspections":
        # each item's evidence must be the letter's; an empty list is supported by nothing
        return bool(value) and _quotes_in(text, value)
    return _in_text(text, value)


def compare_with_rules(text: str, llm: Letter, rules: Letter) -> list[Disagreement]:
    """Fields where the LLM's letter and the rules engine's differ, with which the text supports.

    Compares the scalars, the number of findings in each list, each finding's topic and
    counts, and the safeguarding inspections. The LLM's values are kept in the record; this
    only reports.

    Args:
        text: the normalised letter text.
        llm: the LLM engine's letter.
        rules: the rules engine's letter.

    Returns:
        One Disagreement per differing field, in a fixed order.
    """
    out: list[Disagreement] = []

    def add(
        name: str, a: str | None, b: str | None, backed: tuple[bool, bool] | None = None
    ) -> None:
        if a == b:
            return
        la, lb = backed or (_supported(text, name, a, llm), _supported(text, name, b, rules))
        support: Literal["llm", "rules", "both", "neither"] = (
            "both" if la and lb else "llm" if la else "rules" if lb else "neither"
        )
        out.append(Disagreement(field=name, llm=a, rules=b, supported_by_text=support))

    mine, theirs = _scalar_values(llm), _scalar_values(rules)
    for name in mine:
        add(name, mine[name], theirs[name])
    for list_name in ("strengths", "areas_for_improvement"):
        a_list, b_list = getattr(llm, list_name), getattr(rules, list_name)
        if len(a_list) != len(b_list):
            add(f"{list_name}.length", str(len(a_list)), str(len(b_list)))
        b_by_text = {_squash(f.text): f for f in b_list}
        for i, finding in enumerate(a_list):
            other = b_by_text.get(_squash(finding.text))
            if other is not None:
                add(f"{list_name}[{i}].topic", finding.topic, other.topic)
                add(
                    f"{list_name}[{i}].counts",
                    _counts_text(finding),
                    _counts_text(other),
                    (_counts_supported(text, finding), _counts_supported(text, other)),
                )
    add(
        "safeguarding_inspections",
        _inspections_text(llm.safeguarding_inspections),
        _inspections_text(rules.safeguarding_inspections),
    )
    return out


def _counts_text(finding: Finding) -> str:
    """A finding's counts as one comparable line: "8 of 12 good or better; 0 inadequate"."""
    return "; ".join(
        f"{c.count}{f' of {c.total}' if c.total is not None else ''}"
        f"{f' {c.judgement}' if c.judgement else ''} [{_squash(c.evidence)}]"
        for c in finding.counts
    )


def _inspections_text(items: list[SafeguardingInspection]) -> str:
    return "; ".join(f"{i.date} {i.kind}: {i.outcome} [{_squash(i.evidence)}]" for i in items)


def _counts_supported(text: str, finding: Finding) -> bool:
    """Each count's evidence is the letter's, and states that count, total and judgement."""
    for c in finding.counts:
        if not _in_text(text, c.evidence):
            return False
        stated = stated_quantity(c.evidence)
        if stated is not None:
            n, total, total_is_count = stated
            total = n if total_is_count else total
            if n != c.count or (total is not None and c.total is not None and total != c.total):
                return False
        judged = stated_judgement(c.evidence)
        if c.judgement is not None and judged is not None and judged != c.judgement.lower():
            return False
    return bool(finding.counts)


def _quotes_in(text: str, value: str) -> bool:
    """Every bracketed quote of an inspections line occurs in the text."""
    quotes = re.findall(r"\[([^\]]*)\]", value)
    return all(_in_text(text, q) for q in quotes)
