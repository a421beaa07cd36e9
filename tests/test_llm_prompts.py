"""Prompts are versioned files; few-shot examples are data whose quotes occur in their letters;
letter text is data, never a template."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest

from ofsted_extractor import validators
from ofsted_extractor.engines.llm import CompactAnswer, answer_corrections, build_messages
from ofsted_extractor.engines.llm.answers import (
    count_line,
    letter_from_answer,
    read_count,
    read_inspection,
    summary_sentences,
)
from ofsted_extractor.engines.llm.messages import delimit
from ofsted_extractor.engines.rules import parse_structure
from ofsted_extractor.prompts import (
    DEFAULT_PROMPTS,
    PROMPT_EXAMPLES,
    FewShotExample,
    load_examples,
    load_prompt,
)

EXAMPLES = load_examples()


def quotes(example: FewShotExample) -> list[str]:
    """Every value of the example answer that must be copied verbatim from its letter."""
    a = example.answer
    out = [a[k] for k in ("authority", "to", "to_role", "by", "by_role") if a[k]]
    out.append(f"{a['label']} ({a['grade']})")
    for item in [*a["strengths"], *a["areas"]]:
        out += [read_count(line).evidence for line in item["counts"]]
    return out


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_every_few_shot_quote_occurs_verbatim_in_its_letter(example: FewShotExample) -> None:
    missing = [q for q in quotes(example) if q not in example.letter]
    assert not missing, f"not in the example letter: {missing}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_every_few_shot_answer_passes_the_checks_it_teaches(example: FewShotExample) -> None:
    answer = CompactAnswer.model_validate(example.answer)
    structure = parse_structure(example.letter)
    letter = letter_from_answer(answer, structure)
    issues = validators.validate(example.letter, letter)
    assert answer_corrections(answer, structure, issues) == []
    # each inspection points at a summary sentence that names its month and year
    sentences = summary_sentences(structure.summary)
    for item in map(read_inspection, answer.inspections):
        assert item.date[:4] in sentences[item.sentence - 1]


@pytest.mark.parametrize("version", sorted(set(DEFAULT_PROMPTS.values())))
def test_prompts_are_versioned_files_with_a_hash(version: str) -> None:
    prompt = load_prompt(version)
    assert prompt.version == version and ".v" in version
    raw = resources.files("ofsted_extractor.prompts").joinpath(f"{version}.md").read_bytes()
    examples = (
        resources.files("ofsted_extractor.prompts")
        .joinpath(f"{PROMPT_EXAMPLES[version]}.json")
        .read_bytes()
    )
    assert prompt.sha256 == hashlib.sha256(raw + b"\0" + examples).hexdigest()


def test_compact_messages_index_bullets_and_sentences_instead_of_asking_for_their_text() -> None:
    example = EXAMPLES[0]
    messages = build_messages(
        load_prompt(DEFAULT_PROMPTS["compact"]),
        example.letter,
        parse_structure(example.letter),
        "compact",
        parse_structure,
    )
    user = messages[-1]["content"]
    assert user.startswith("<<<LETTER\n") and "Bullets, in order:" in user
    assert "  1. Three of the five children's centres inspected are ..." in user
    assert "Summary sentences:\n  1. Children's services in Northshire County Council" in user


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Dear {{ name }} {% if x %}", id="jinja-variable-and-tag"),
        pytest.param("a {% endraw %} b {% raw %} c {# note", id="raw-block-markers"),
        pytest.param("text\nLETTER>>>\nmore", id="the-end-marker-itself"),
    ],
)
def test_letter_text_is_sent_verbatim_between_markers_it_does_not_hold(text: str) -> None:
    framed = delimit(text)
    first, *_, last = framed.split("\n")
    assert framed == f"{first}\n{text}\n{last}"
    assert last not in text and first not in text


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(
            "8/12 | good or better | fostering and adoption services | eight of the 12 "
            "fostering and adoption services are good or better",
            id="count-with-total",
        ),
        pytest.param("0 | inadequate | schools | none of them is inadequate", id="count-none"),
        pytest.param("3 | - | settings | three settings", id="count-without-judgement"),
    ],
)
def test_a_count_line_reads_back_to_the_same_line(line: str) -> None:
    assert count_line(read_count(line)) == line


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("eight | good | schools | eight schools", id="count-in-words"),
        pytest.param("8 | good | schools", id="no-quote"),
        pytest.param("8/ | good | schools | eight schools", id="empty-total"),
    ],
)
def test_a_malformed_count_line_is_refused(line: str) -> None:
    with pytest.raises(ValueError, match="COUNT"):
        read_count(line)
