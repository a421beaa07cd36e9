"""Prompts are versioned files; few-shot examples are data whose quotes occur in their letters."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest

from ofsted_extractor import validators
from ofsted_extractor.engines.llm import CompactAnswer, answer_corrections, build_messages
from ofsted_extractor.engines.rules import parse_structure
from ofsted_extractor.prompts import DEFAULT_PROMPTS, FewShotExample, load_examples, load_prompt

EXAMPLES = load_examples()


def quotes(example: FewShotExample) -> list[str]:
    """Every value of the example answer that must be copied verbatim from its letter."""
    a = example.answer
    out = [a[k] for k in ("local_authority", "recipient_name", "recipient_role") if a[k]]
    out += [a[k] for k in ("signatory_name", "signatory_role") if a[k]]
    out.append(f"{a['grade_label']} ({a['grade']})")
    for item in [*a["strengths"], *a["areas_for_improvement"]]:
        out += [c["evidence"] for c in item["counts"]]
    out += [i["evidence"] for i in a["safeguarding_inspections"]]
    return out


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_every_few_shot_quote_occurs_verbatim_in_its_letter(example: FewShotExample) -> None:
    missing = [q for q in quotes(example) if q not in example.letter]
    assert not missing, f"not in the example letter: {missing}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_every_few_shot_answer_passes_the_checks_it_teaches(example: FewShotExample) -> None:
    answer = CompactAnswer.model_validate(example.answer)
    structure = parse_structure(example.letter)
    assert answer_corrections(answer, example.letter, structure, validators.validate) == []


@pytest.mark.parametrize("version", sorted(set(DEFAULT_PROMPTS.values())))
def test_prompts_are_versioned_files_with_a_hash(version: str) -> None:
    prompt = load_prompt(version)
    assert prompt.version == version and ".v" in version
    raw = resources.files("ofsted_extractor.prompts").joinpath(f"{version}.md").read_bytes()
    examples = resources.files("ofsted_extractor.prompts").joinpath("examples.v1.json").read_bytes()
    assert prompt.sha256 == hashlib.sha256(raw + b"\0" + examples).hexdigest()


def test_compact_messages_number_the_bullets_instead_of_asking_for_their_text() -> None:
    example = EXAMPLES[0]
    messages = build_messages(
        load_prompt(DEFAULT_PROMPTS["compact"]),
        example.letter,
        parse_structure(example.letter),
        "compact",
        parse_structure,
    )
    user = messages[-1]["content"]
    assert user.startswith("Letter:\n") and "Bullet numbers:" in user
    assert "  1. Three of the five children's centres inspected are ..." in user


def test_letter_text_with_template_markup_is_sent_verbatim() -> None:
    # instructor renders messages through Jinja when given a validation context.
    from instructor.v2.core.templating import apply_template  # type: ignore[attr-defined]

    text = "Dear {{ name }} {% if x %}"
    messages = build_messages(
        load_prompt(DEFAULT_PROMPTS["full"]), text, parse_structure(text), "full", parse_structure
    )
    assert apply_template(messages[-1]["content"], {"text": "x"}) == "Letter:\n" + text
