"""The synthetic letter generator: reproducible, varied, and its gold is right by the guide."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from ofsted_extractor.eval.synth import (
    SURFACES,
    TEXT_SURFACES,
    SyntheticLetter,
    generate,
    pdf_available,
    write,
)
from ofsted_extractor.schema import GRADE_LABELS, Letter

N = 200


@pytest.fixture(scope="module")
def letters() -> list[SyntheticLetter]:
    return generate(N, seed=2024)


def _dump(letters: list[SyntheticLetter]) -> list[tuple[str, str, str]]:
    return [(x.text, x.surface, x.gold.model_dump_json()) for x in letters]


def test_the_same_seed_gives_identical_letters_and_gold() -> None:
    assert _dump(generate(20, seed=7)) == _dump(generate(20, seed=7))


def test_different_seeds_give_different_letters() -> None:
    a, b = generate(20, seed=7), generate(20, seed=8)
    assert len({x.text for x in a} & {x.text for x in b}) == 0


def test_a_letter_does_not_depend_on_how_many_are_generated() -> None:
    assert _dump(generate(5, seed=3)) == _dump(generate(10, seed=3)[:5])


@pytest.mark.parametrize("grade", [1, 2, 3, 4], ids=lambda g: f"grade-{g}")
def test_every_grade_occurs_with_its_verdict_line(
    letters: list[SyntheticLetter], grade: int
) -> None:
    with_grade = [x for x in letters if x.gold.grade == grade]
    assert with_grade
    for x in with_grade:
        assert x.gold.grade_label == GRADE_LABELS[grade]
        assert f"Children's services assessment\t{GRADE_LABELS[grade]} ({grade})\n" in x.text
        assert x.gold.summary is not None
        adverb = GRADE_LABELS[grade].split()[1]
        assert x.gold.summary.startswith(
            f"Children's services in {x.gold.local_authority} perform {adverb}"
        )


@pytest.mark.parametrize("year", [2010, 2011], ids=str)
def test_both_assessment_years_occur_and_letters_are_dated_oct_to_dec(
    letters: list[SyntheticLetter], year: int
) -> None:
    of_year = [x for x in letters if x.gold.assessment_year == year]
    assert of_year
    for x in of_year:
        assert x.gold.letter_date is not None
        assert x.gold.letter_date.year == year and x.gold.letter_date.month >= 10
        assert f"children's services assessment {year}\n" in x.text


@pytest.mark.parametrize("surface", SURFACES)
def test_every_surface_form_is_drawn(letters: list[SyntheticLetter], surface: str) -> None:
    assert surface in Counter(x.surface for x in letters)


def test_every_letter_keeps_the_scale_table_and_the_quoting_paragraph(
    letters: list[SyntheticLetter],
) -> None:
    for x in letters:
        for grade, label in GRADE_LABELS.items():
            assert f"\n{grade}\t{label}\t" in x.text
        assert "an assessment of 'performs excellently' does not mean" in x.text
        assert "an assessment of 'performs poorly' does not mean" in x.text


def test_names_roles_and_counts_vary(letters: list[SyntheticLetter]) -> None:
    authorities = {x.gold.local_authority for x in letters}
    assert len(authorities) > N * 0.8
    forms = {
        "County Council",
        "Borough of ",
        "Metropolitan Borough Council",
        "London Borough of",
        "City Council",
    }
    for form in forms:
        assert any(form in (a or "") for a in authorities), form
    roles = {x.gold.recipient.role for x in letters if x.gold.recipient}
    assert any(r and r.startswith("Acting") for r in roles)
    assert any(r and r.startswith("Interim") for r in roles)
    assert {x.gold.recipient.name.split()[0] for x in letters if x.gold.recipient} == {
        "Mr",
        "Ms",
        "Mrs",
        "Dr",
    }
    lengths = Counter(len(x.gold.strengths) for x in letters)
    assert min(lengths) == 1 and max(lengths) == 10
    assert any(not x.gold.areas_for_improvement for x in letters)


@pytest.mark.parametrize(
    "pattern",
    [
        r"\b(?:eight|seven|six|five|four|three|two) of the \d+ ",  # number word of digits
        r"\bAll (?:two|three|four|five|six|seven|eight|nine) of the ",
        r"the remaining one is satisfactory",
        r"the other (?:two|three|four|\d+) are satisfactory",
        r"none of them is inadequate",
        r"\bOf the (?:\d+|four|five|six|seven|eight|nine) [^,]+, \d+ (?:is|are) ",
        r"has reduced from \w+ to \w+",
        r"of the local authority's \d+ [a-z' -]+ have been inspected",
        r"\d+-year-olds",
        r"over the last (?:two|three|four|five) years",
        r"five A\* to C",
        r"\bA (?:fifth|quarter) of ",
    ],
)
def test_count_phrasings_and_distractors_occur(
    letters: list[SyntheticLetter], pattern: str
) -> None:
    assert any(re.search(pattern, x.text, re.IGNORECASE) for x in letters)


def test_gold_counts_follow_the_guide(letters: list[SyntheticLetter]) -> None:
    for x in letters:
        for finding in [*x.gold.strengths, *x.gold.areas_for_improvement]:
            assert f"- {finding.text}\n" in x.text
            for c in finding.counts:
                assert c.evidence in finding.text
                assert c.total is None or c.count <= c.total
                assert c.judgement is None or c.judgement == c.judgement.lower()
                assert not c.evidence.lower().startswith("only ")
        for ins in x.gold.safeguarding_inspections:
            assert x.gold.summary is not None and ins.evidence + "." in x.gold.summary


def test_safeguarding_inspections_of_every_kind_occur(letters: list[SyntheticLetter]) -> None:
    kinds = Counter(i.kind for x in letters for i in x.gold.safeguarding_inspections)
    assert len(kinds) == 3
    outcomes = {i.outcome for x in letters for i in x.gold.safeguarding_inspections}
    assert {"priority action", "no priority action", "inadequate", None} <= outcomes


#: Sentences only the real letters have: a generated letter must not be one with names swapped.
REAL_SENTENCES = [
    "Restructuring of secondary schools means that",
    "A common recommendation in the reports is that services should focus more clearly",
    "with considerable support from the local authority, it is making satisfactory progress",
    "The gap in achievement between five-year-olds from low-income families",
    "Specialist education provision, including all seven special schools",
    "The good quality of the local authority children's homes has been maintained",
    "The quality of privately-run provision for looked after children",
    "There were no published Key Stage 2 results in 2010",
    "This reported that there had been significant improvements",
]


@pytest.mark.parametrize("sentence", REAL_SENTENCES, ids=lambda s: s[:30])
def test_no_letter_reuses_the_real_letters_distinctive_sentences(
    letters: list[SyntheticLetter], sentence: str
) -> None:
    assert not any(sentence in x.text for x in letters)


def test_pdftotext_surface_is_wrapped_paged_and_curly(letters: list[SyntheticLetter]) -> None:
    x = letters[0]
    raw = x.render("pdftotext")
    prose = [line for line in raw.splitlines() if not re.match(r"\d   ", line)]  # not the table
    assert max(len(line) for line in prose) <= 80
    assert "\f" in raw and re.search(r"^Page 1 of \d$", raw, re.MULTILINE)
    assert "\u2019" in raw and "'" not in raw


def test_markdown_surface_has_headings_and_bold(letters: list[SyntheticLetter]) -> None:
    md = letters[0].render("markdown")
    assert "## **Strengths**" in md and "## Areas for further improvement" in md
    assert re.search(r"^## \*\*.+ children's services\*\* assessment 20\d\d$", md, re.MULTILINE)


def _bullets(text: str) -> list[str]:
    return [line[2:] for line in text.splitlines() if line.startswith("- ")]


@pytest.mark.parametrize("surface", TEXT_SURFACES)
def test_every_text_surface_normalises_to_the_clean_bullets(surface: str) -> None:
    from ofsted_extractor.loading import load_text

    # 300 letters: a page break right after the last bullet happens in about 1 in 100
    for x in generate(300, seed=99):
        fmt = "md" if surface == "markdown" else "txt"
        clean = load_text(x.text, fmt="txt").text
        other = load_text(x.render(surface), fmt=fmt).text
        assert _bullets(other) == _bullets(clean), x.id


@pytest.mark.skipif(not pdf_available(), reason="fpdf2 (the pdf extra) is not installed")
def test_pdf_surface_normalises_to_the_clean_bullets(tmp_path: Path) -> None:
    from ofsted_extractor.loading import load_file, load_text

    for x in generate(5, seed=5):
        path = tmp_path / f"{x.id}.pdf"
        path.write_bytes(x.render_pdf())
        assert path.read_bytes().startswith(b"%PDF")
        text = load_file(path).text
        assert _bullets(text) == _bullets(load_text(x.text).text), x.id


def test_every_gold_record_passes_the_validators_on_its_letter() -> None:
    from ofsted_extractor.loading import load_text
    from ofsted_extractor.validators import validate

    failures = []
    for x in generate(N, seed=31):
        issues = validate(load_text(x.text).text, x.gold)
        failures += [f"{x.id}: {i.code}: {i.message}" for i in issues if i.severity == "error"]
    assert failures == []


def test_write_produces_letters_and_gold_in_the_eval_format(tmp_path: Path) -> None:
    paths = write(tmp_path, 3, seed=1, surfaces=["clean", "markdown", "pdftotext"])
    assert len(paths) == 9
    for p in paths:
        record = json.loads(p.read_text())
        assert set(record) == {"letter_file", "surface", "letter"}
        letter_file = p.parent / record["letter_file"]
        assert letter_file.suffix == (".md" if record["surface"] == "markdown" else ".txt")
        assert letter_file.exists()
        Letter.model_validate(record["letter"])
