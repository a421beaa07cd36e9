"""Loading letters: normalisation, the offset map back to the original, and bad inputs."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from noise import RUNNING_HEADER, VARIANTS, to_pdf

from ofsted_extractor.errors import InputError
from ofsted_extractor.loading import LoadedText, load_file, load_text, normalise
from tests.conftest import EXAMPLES
from tests.conftest import example_text as read_example

LETTERS = ["worcestershire-2011", "dudley-2011"]
VERDICTS = {
    "worcestershire-2011": "Children's services assessment\tPerforms poorly (1)",
    "dudley-2011": "Children's services assessment\tPerforms well (3)",
}
# Variants whose needles are copied into the original character for character.
EXACT_COPY = {"crlf", "page_furniture"}


def collapse_blank_runs(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text)


def clean_text(name: str) -> str:
    return normalise(read_example(name))[0]


def bullets(text: str) -> list[str]:
    return [line[2:] for line in text.split("\n") if line.startswith("- ")]


# What a character of the normalised text may have come from, besides itself.
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2010": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u200b": None,
        "\ufeff": None,
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "*": None,
        "_": None,
        "#": None,
    }
)
_BULLET_GLYPHS = "•●▪*+-\u2013"


_HEADER_WORDS = r"\s+".join(map(re.escape, RUNNING_HEADER.split()))
_FURNITURE_LINE = re.compile(
    rf"(?m)^\f?[ \t]*(?:Page\s+\d+\s+of\s+\d+|\d+|{_HEADER_WORDS})[ \t]*\r?$"
)


def same_words(original: str, needle: str) -> bool:
    """Equal once typography, markdown, whitespace and page furniture are ignored."""

    def words(text: str) -> str:
        return " ".join(_FURNITURE_LINE.sub("", text.translate(_TYPOGRAPHY)).split())

    return words(original) == words(needle)


def corresponds(char: str, source: str) -> bool:
    """Whether normalised `char` may stand for original character `source`."""
    if char == source:
        return True
    if char.isspace():
        # Joined lines, collapsed spaces and tabs, line breaks from CR or a form feed, the
        # space of a rewritten bullet marker.
        return source.isspace() or source in _BULLET_GLYPHS
    if char == "-":
        return source in _BULLET_GLYPHS or source in "\u2010\u2014"
    return char in source.translate(_TYPOGRAPHY)


def assert_maps_back(loaded: LoadedText) -> None:
    offsets = loaded.offsets
    assert len(offsets) == len(loaded.text) + 1
    assert offsets[-1] == len(loaded.original)
    assert list(offsets) == sorted(offsets), "offsets must never go backwards"
    for i, char in enumerate(loaded.text):
        source = loaded.original[offsets[i]]
        assert corresponds(char, source), f"text[{i}]={char!r} maps to {source!r}"


# --- The real letters ----------------------------------------------------------------------------


def test_worcestershire_letter_comes_through_unchanged_but_for_blank_runs() -> None:
    raw = read_example("worcestershire-2011")

    loaded = load_file(EXAMPLES / "worcestershire-2011.txt")

    assert loaded.text == collapse_blank_runs(raw)
    assert loaded.original == raw
    assert loaded.format == "txt"
    assert loaded.sha256 == hashlib.sha256(raw.encode()).hexdigest()
    assert_maps_back(loaded)


def test_dudley_letter_loses_its_markdown_and_nothing_else() -> None:
    raw = read_example("dudley-2011")
    expected = (
        collapse_blank_runs(raw)
        .replace(
            "## **Dudley Metropolitan Borough Council children's services** assessment 2011",
            "Dudley Metropolitan Borough Council children's services assessment 2011",
        )
        .replace("## **Strengths**", "Strengths")
        .replace("## ", "")
        .replace("\tD 6 1 1 1\t", "\tD 6 1 1 1")  # trailing whitespace goes
    )

    loaded = load_file(EXAMPLES / "dudley-2011.txt")

    assert loaded.text == expected
    assert "##" not in loaded.text
    assert "**" not in loaded.text
    assert "\nStrengths\n" in loaded.text
    assert_maps_back(loaded)


@pytest.mark.parametrize("name", LETTERS)
def test_address_block_and_signature_keep_one_line_each(name: str) -> None:
    lines = clean_text(name).split("\n")

    assert "Director of Children's Services" in " ".join(lines)
    assert "Yours sincerely" in lines
    assert "Juliet Winstanley" in lines
    assert "Divisional Manager, Children's Services Assessment" in lines


def test_worcestershire_recipient_lines_are_not_joined() -> None:
    text = clean_text("worcestershire-2011")

    assert (
        "\nMs Gail Quinton\nDirector of Children's Services\nWorcestershire County Council\n"
        in (text)
    )
    assert "\nJuliet Winstanley\n\nJ. Winstanley\n" in text


def test_markdown_span_points_at_the_heading_text_not_the_markup() -> None:
    loaded = load_file(EXAMPLES / "dudley-2011.txt")

    span = loaded.locate("Strengths")

    assert span is not None
    assert loaded.original[span.start : span.end] == "Strengths"
    assert loaded.original[span.start - 5 : span.start] == "## **"


# --- Noisy variants ------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", LETTERS)
def test_noisy_variant_normalises_to_the_clean_letter(name: str, variant: str) -> None:
    noisy = VARIANTS[variant](read_example(name))

    text, _ = normalise(noisy)

    assert collapse_blank_runs(text) == collapse_blank_runs(clean_text(name))


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", LETTERS)
def test_noisy_variant_maps_every_character_back(name: str, variant: str) -> None:
    noisy = VARIANTS[variant](read_example(name))

    assert_maps_back(load_text(noisy, path=f"{name}-{variant}"))


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", LETTERS)
def test_located_needles_point_at_the_same_words_in_the_original(name: str, variant: str) -> None:
    clean = clean_text(name)
    found = bullets(clean)
    needles = [VERDICTS[name], found[0], found[-1], min(found, key=len), "Yours sincerely"]
    loaded = load_text(VARIANTS[variant](read_example(name)))

    for needle in needles:
        span = loaded.locate(needle)
        assert span is not None, needle
        original = loaded.original[span.start : span.end]
        if variant in EXACT_COPY:
            assert original.replace("\r", "") == needle
        else:
            assert same_words(original, needle), (original, needle)


def test_variants_are_deterministic_and_really_noisy() -> None:
    clean = read_example("worcestershire-2011")

    for name, build in VARIANTS.items():
        assert build(clean) == build(clean), name
        assert build(clean) != clean, name


# --- Normalisation rules, one by one -------------------------------------------------------------

RULES: list[tuple[str, str, str]] = [
    ("crlf", "a\r\nb\rc", "a\nb\nc"),
    ("form feed mid-line", "a\fb", "a\nb"),
    ("unicode line separators", "a\u2028b\vc", "a\nb\nc"),
    ("soft hyphen at a line break", "inspec\u00ad\ntion of", "inspection of"),
    ("soft hyphen inside a line", "inspec\u00adtion", "inspection"),
    ("nbsp and thin space", "a\u00a0b\u2009c", "a b c"),
    ("zero width and bom", "\ufeffa\u200bb", "ab"),
    (
        "ligatures",
        "\ufb01ve \ufb02at o\ufb00er o\ufb03ce ba\ufb04e",
        "five flat offer office baffle",
    ),
    ("curly quotes", "\u2018x\u2019 \u201cy\u201d it\u2019s", "'x' \"y\" it's"),
    ("dashes", "2010\u20132011 a \u2014 b \u2212 c", "2010-2011 a - b - c"),
    ("rule line kept", "Verdict\n--------\t-----", "Verdict\n--------\t-----"),
    ("em dash rule line", "\u2014\u2014\u2014\t\u2014\u2014", "---\t--"),
    ("glyph bullets", "• a\n●\tb\n▪c\n◦ d", "- a\n- b\n- c\n- d"),
    ("markdown bullets", "* a\n+ b\n  - c", "- a\n- b\n- c"),
    ("numbered list is not a bullet", "1. a\n2. b", "1. a\n2. b"),
    ("heading markers", "## Strengths\n### Areas", "Strengths\nAreas"),
    ("bold and italic", "**a** __b__ *c* x", "a b c x"),
    ("bold over a wrapped line", "**a\nb** c", "a\nb c"),
    ("star glued to a grade", "five A* to C at GCSE", "five A* to C at GCSE"),
    ("trailing whitespace", "a  \nb\t\nc", "a\nb\nc"),
    ("runs of spaces", "a   b", "a b"),
    ("tab runs", "a \t \tb", "a\tb"),
    ("leading spaces", "   a", "a"),
    ("blank runs", "a\n\n\n\n\nb", "a\n\nb"),
    ("blank ends", "\n\n a\n\n", "a"),
    ("page x of y", "a\nPage 3 of 5\nb", "a\nb"),
    ("dashed page number", "a\n- 3 -\nb", "a\nb"),
    ("bare page number at a page edge", "a\n3\n\fb", "a\nb"),
    ("bare number inside a page stays", "a\nb\nc\n4\nd\ne\nf", "a\nb\nc\n4\nd\ne\nf"),
    ("blank lines around a page break", "a\n\n\n\fb", "a\nb"),
    (
        "markup at the top of a page",
        "a\n\f## **Strengths**\n\f • b\n\f   c",
        "a\nStrengths\n- b\nc",
    ),
    (
        "running header at page edges",
        "Head line\na\n\fHead line\nb\n\fHead line\nc",
        "a\nb\nc",
    ),
    # Furniture repeats at page edges; a line that merely repeats is text.
    (
        "line repeated 3 times in a page stays",
        "Ref 1\na\nRef 1\nb\nRef 1\nc",
        "Ref 1\na\nRef 1\nb\nRef 1\nc",
    ),
    ("word symbol bullet", "\uf0b7 a\n\uf0b7\tb", "- a\n- b"),
    (
        "lone glyph, blank, text",
        "Strengths\n\uf0b7\n\nA is good.\n\uf0b7\n\nB is good.\nYours sincerely",
        "Strengths\n\n- A is good.\n\n- B is good.\nYours sincerely",
    ),
    (
        "a list's glyphs first, then its texts",
        "Strengths\n\uf0b7\n\n\uf0b7\nA is good and it\nwraps here.\nB is good.\n\nAreas for further improvement\n\n\uf0b7\n\nC is bad.",
        "Strengths\n\n- A is good and it\nwraps here.\n- B is good.\n\nAreas for further improvement\n\n- C is bad.",
    ),
    (
        "a blank line between two lone glyphs: the first bullet runs to three lines or more",
        "Strengths\n\u2022\n\n\u2022\n\u2022\nMost primary schools are good. Some of them\nare outstanding and the rest of them are satisfactory here.\nAll improved.\nSecondary schools are good and the rest of them are also satisfactory.\nNo school is inadequate.",
        "Strengths\n\n- Most primary schools are good. Some of them\nare outstanding and the rest of them are satisfactory here.\nAll improved.\n- Secondary schools are good and the rest of them are also satisfactory.\n- No school is inadequate.",
    ),
    (
        "no blank line between two lone glyphs: the first bullet has one or two lines",
        "Strengths\n\u2022\n\u2022\n\u2022\nMost primary schools are good. Some of them\nare outstanding and the rest of them are satisfactory here.\nAll improved.\nSecondary schools are good.\nNo school is inadequate.",
        "Strengths\n- Most primary schools are good. Some of them\nare outstanding and the rest of them are satisfactory here.\n- All improved.\n- Secondary schools are good.\nNo school is inadequate.",
    ),
    (
        "glyph lines at page edges are not furniture",
        "Strengths\n\u2022\nA is good.\n\f\u2022\nB is good.\n\f\u2022\nC is good.",
        "Strengths\n- A is good.\n- B is good.\n- C is good.",
    ),
    (
        "hanging first line, no glyph",
        "Strengths\nA is good and\n  wraps.\nB is good.\nC is very\n  good.",
        "Strengths\n- A is good and\nwraps.\n- B is good.\n- C is very\ngood.",
    ),
    (
        "indented first line, no glyph",
        "Strengths\n  A is good and\nwraps.\n  B is good.",
        "Strengths\n- A is good and\nwraps.\n- B is good.",
    ),
    (
        "paragraphs under a heading",
        "Strengths\nA is good.\n\nB is good.",
        "Strengths\n- A is good.\n\n- B is good.",
    ),
    (
        "numbered findings",
        "Strengths\n1. A is good.\n2. B is good.\n(c) C is good.",
        "Strengths\n- A is good.\n- B is good.\n- C is good.",
    ),
    (
        "list heading at page edges stays",
        "Strengths\nA is good.\n\fStrengths\nB is good.\n\fStrengths\nC is good.",
        "Strengths\n- A is good.\nStrengths\n- B is good.\nStrengths\n- C is good.",
    ),
    (
        "letterhead cells beside the address go",
        "8 November 2011      Aviation House\n                     125 Kingsway\nMs A Bee             T 0300 123 1231\nwww.ofsted.gov.uk\nDirector of Children's Services\nDear Ms Bee",
        "8 November 2011\nMs A Bee\nDirector of Children's Services\nDear Ms Bee",
    ),
    (
        "letterhead after the first page's footer goes",
        "8 November 2011\nMs A Bee\nDear Ms Bee\nText\n\fAviation House\n125 Kingsway\nLondon\nMore text",
        "8 November 2011\nMs A Bee\nDear Ms Bee\nText\nMore text",
    ),
    (
        "letterhead above the date stays",
        "Aviation House\nwww.ofsted.gov.uk\n8 November 2011",
        "Aviation House\nwww.ofsted.gov.uk\n8 November 2011",
    ),
    ("line repeated twice stays", "x\nSame\na\nb\nSame\ny", "x\nSame\na\nb\nSame\ny"),
    ("repeated sentence stays", "x\nEnd.\na\nEnd.\nb\nEnd.\ny", "x\nEnd.\na\nEnd.\nb\nEnd.\ny"),
]


@pytest.mark.parametrize(("raw", "expected"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_normalisation_rule(raw: str, expected: str) -> None:
    text, offsets = normalise(raw)

    assert text == expected
    assert len(offsets) == len(text) + 1
    assert offsets[-1] == len(raw)


def _paragraph(seed: int, words: int) -> str:
    rng = random.Random(seed)
    vocabulary = ["the", "local", "authority", "services", "children", "good", "schools", "of"]
    return " ".join(rng.choice(vocabulary) for _ in range(words)).capitalize() + "."


def test_hard_wrapped_paragraphs_join_but_short_lines_stay() -> None:
    paragraph = _paragraph(1, 120)
    bullet = "- " + _paragraph(2, 60)
    clean = f"Ms A Person\nDirector of Something\nA Council\n\n{paragraph}\n\nStrengths\n\n{bullet}"
    wrapped = VARIANTS["wrap_72"](clean)
    assert wrapped.count("\n") > clean.count("\n") + 8

    assert normalise(wrapped)[0] == clean


def test_unwrapped_document_is_left_alone() -> None:
    text = "Short\nlines\nonly\nhere\nnothing\nto\njoin\nat\nall\n" + _paragraph(3, 200)

    assert normalise(text)[0] == text


# --- LoadedText ----------------------------------------------------------------------------------


def test_span_and_locate() -> None:
    loaded = load_text(read_example("dudley-2011"))
    at = loaded.text.index("Strengths")

    assert loaded.span(at, at) == loaded.span(at, at)
    assert loaded.span(at, at).start == loaded.span(at, at).end
    assert loaded.locate("no such words in the letter") is None
    assert loaded.locate("") is None
    second = loaded.locate("children's services", start=at)
    assert second is not None and second.start > loaded.offsets[at]
    with pytest.raises(ValueError):
        loaded.span(0, len(loaded.text) + 1)


# --- PDFs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LETTERS)
def test_pdf_of_a_letter_loads_with_every_line_intact(name: str, tmp_path: Path) -> None:
    clean = clean_text(name)
    pdf = to_pdf(clean, tmp_path / f"{name}.pdf")

    loaded = load_file(pdf)

    assert loaded.format == "pdf"
    assert loaded.sha256 == hashlib.sha256(pdf.read_bytes()).hexdigest()
    lines = set(loaded.text.split("\n"))
    for bullet in bullets(clean):
        assert f"- {bullet}" in lines
    verdict, grade = VERDICTS[name].split("\t")
    assert f"{verdict} {grade}" in lines
    # Every line, with the tabs the PDF turned into spaces; the footers are gone.
    for line in clean.split("\n"):
        assert line.replace("\t", " ").strip() in lines
    assert "Page 1 of" not in loaded.text
    assert_maps_back(loaded)


@pytest.mark.parametrize("line_height", [7, 9, 12], ids=["1.5-spaced", "double", "triple"])
def test_widely_spaced_pdf_keeps_lines_and_paragraphs(line_height: float, tmp_path: Path) -> None:
    clean = clean_text("dudley-2011")
    pdf = to_pdf(clean, tmp_path / "spaced.pdf", line_height=line_height)

    text = load_file(pdf).text

    # Lines come through whole; a paragraph break may be lost where it meets a page break, or
    # where layout rounding makes a paragraph gap look like line spacing.
    lines = text.split("\n")
    for line in clean.split("\n"):
        assert line.replace("\t", " ").strip() in lines
    assert text.count("\n\n") >= 0.8 * clean.count("\n\n")


def test_pdf_of_markdown_keeps_its_headings_apart(tmp_path: Path) -> None:
    pdf = to_pdf(read_example("dudley-2011"), tmp_path / "dudley.pdf")

    lines = load_file(pdf).text.split("\n")

    assert "Dudley Metropolitan Borough Council children's services assessment 2011" in lines
    assert "Strengths" in lines
    assert "Areas for further improvement" in lines


@pytest.mark.parametrize("filename", ["letter.download", "letter.txt", "letter"])
def test_pdf_is_recognised_by_its_magic_number(filename: str, tmp_path: Path) -> None:
    pdf = to_pdf(clean_text("worcestershire-2011"), tmp_path / "letter.pdf")
    renamed = tmp_path / filename
    renamed.write_bytes(pdf.read_bytes())

    assert load_file(renamed).format == "pdf"


def test_pdf_encrypted_with_an_empty_password_loads(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    pdf = to_pdf(clean_text("worcestershire-2011"), tmp_path / "plain.pdf")
    writer = PdfWriter(clone_from=pdf)
    writer.encrypt(user_password="", owner_password="owner")
    locked = tmp_path / "owner-only.pdf"
    with locked.open("wb") as out:
        writer.write(out)

    assert "Performs poorly (1)" in load_file(locked).text


def test_markdown_file_has_md_format(tmp_path: Path) -> None:
    md = tmp_path / "dudley.md"
    md.write_text(read_example("dudley-2011"), encoding="utf-8")

    assert load_file(md).format == "md"


def test_utf8_bom_is_accepted_and_dropped(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + read_example("worcestershire-2011").encode()
    path = tmp_path / "bom.txt"
    path.write_bytes(data)

    loaded = load_file(path)

    assert loaded.text.startswith("Aviation House")
    assert loaded.sha256 == hashlib.sha256(data).hexdigest()


# --- Bad inputs ----------------------------------------------------------------------------------


def _png_like(path: Path) -> Path:
    rng = random.Random(0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(rng.randrange(256) for _ in range(2000))
    )
    return path


def _latin1(path: Path) -> Path:
    text = read_example("worcestershire-2011").replace("Spetchley Road", "Spetchley Road café")
    path.write_bytes(text.encode("latin-1"))
    return path


def _no_text_layer_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(path))
    return path


def _encrypted_pdf(path: Path) -> Path:
    from pypdf import PdfWriter

    plain = to_pdf(clean_text("worcestershire-2011"), path.with_name("plain.pdf"))
    writer = PdfWriter(clone_from=plain)
    # RC4 needs no third-party crypto package, unlike AES.
    writer.encrypt("secret", algorithm="RC4-128")
    with path.open("wb") as out:
        writer.write(out)
    return path


def _truncated_pdf(path: Path) -> Path:
    data = to_pdf(clean_text("worcestershire-2011"), path.with_name("whole.pdf")).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _write(content: bytes) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        path.write_bytes(content)
        return path

    return make


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


RECIPE = b"Pancakes\n\nIngredients\n\n- 100g flour\n- 2 eggs\n- 300ml milk\n\nWhisk and fry.\n"

BAD_INPUTS: list[tuple[str, str, Callable[[Path], Path], str]] = [
    ("missing file", "missing.txt", lambda p: p, "not_found"),
    ("directory", "letters", _directory, "is_directory"),
    ("empty file", "empty.txt", _write(b""), "empty"),
    ("whitespace only", "blank.txt", _write(b" \n\t\n  \r\n"), "empty"),
    ("bom only", "bom.txt", _write(b"\xef\xbb\xbf\n"), "empty"),
    ("binary named txt", "image.txt", _png_like, "binary"),
    ("binary without suffix", "image", _png_like, "binary"),
    ("latin-1 text", "latin1.txt", _latin1, "encoding"),
    ("utf-16 text", "utf16.txt", _write(RECIPE.decode().encode("utf-16")), "encoding"),
    ("pdf without text layer", "scan.pdf", _no_text_layer_pdf, "pdf_no_text"),
    ("encrypted pdf", "locked.pdf", _encrypted_pdf, "pdf_encrypted"),
    ("truncated pdf", "truncated.pdf", _truncated_pdf, "pdf_corrupt"),
    ("text named pdf", "fake.pdf", _write(b"just some text\n"), "pdf_corrupt"),
    ("not a letter", "recipe.txt", _write(RECIPE), "not_a_letter"),
]


@pytest.mark.parametrize(
    ("filename", "make", "code"), [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_an_input_error_naming_the_file(
    filename: str, make: Callable[[Path], Path], code: str, tmp_path: Path
) -> None:
    path = make(tmp_path / filename)

    with pytest.raises(InputError) as caught:
        load_file(path)

    assert caught.value.code == code
    assert filename in str(caught.value)
    assert "\n" not in str(caught.value)


def test_encoding_error_says_where_and_what_to_do(tmp_path: Path) -> None:
    path = _latin1(tmp_path / "latin1.txt")
    offset = path.read_bytes().index(b"\xe9")

    with pytest.raises(InputError) as caught:
        load_file(path)

    assert f"invalid byte 0xe9 at offset {offset}" in str(caught.value)
    assert "UTF-8" in str(caught.value)


def test_pdf_without_text_layer_suggests_ocr(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no text layer.*OCR"):
        load_file(_no_text_layer_pdf(tmp_path / "scan.pdf"))


@pytest.mark.parametrize(
    "raw",
    ["", "   \n\t", "Annual children's services assessment\nDear Sir", "Strengths\n- good"],
    ids=["empty", "whitespace", "heading without verdict", "strengths without heading"],
)
def test_load_text_rejects_what_is_not_a_letter(raw: str) -> None:
    with pytest.raises(InputError) as caught:
        load_text(raw, path="pasted")

    assert caught.value.code in {"empty", "not_a_letter"}
    assert str(caught.value).startswith("pasted: ")


def test_load_text_keeps_the_given_path_and_format() -> None:
    loaded = load_text(read_example("worcestershire-2011"), path="x.pdf", fmt="pdf")

    assert (loaded.path, loaded.format) == ("x.pdf", "pdf")


# --- The steps' guards ---------------------------------------------------------------------------

_GUARD_ALPHABET = (
    "ab Z.\n\n\n\f\t  \r\v*+-_###·•\uf0b7\u00ad\u200b\u00a0\u2028ﬁ‘’“”–—'"
) + "children's services assessment performs well (3) "


def _guard_cases() -> list[str]:
    rng = random.Random(2011)
    cases = [read_example(n) for n in ("worcestershire-2011", "dudley-2011")]
    cases += [variant(case) for case in cases[:2] for variant in VARIANTS.values()]
    cases += ["".join(rng.choices(_GUARD_ALPHABET, k=rng.randint(1, 60))) for _ in range(3000)]
    cases += [
        "Children's services assessment \n\n  Performs well (3)",
        "x\n- \tbullet\n+ one\n*\ttwo\n-  three\n • four",
        "  lead\n\f trail \t\n",
        " \t\f  \n\n \t",
        "# Heading\n  ## Sub \n\f# x\n#no\n   \t- item\n\f  * item\n\t\u2022 x  ",
    ]
    return cases


def test_every_regex_step_gives_what_its_plain_regex_gives() -> None:
    # Each step skips text its guard says the regex cannot match, and some find their matches
    # without the regex engine trying every character (at line starts, or back from line
    # breaks); the result must be exactly re.sub's, offsets included. Differential over real,
    # noisy and random text, every step on its own.
    from ofsted_extractor.loading import _PIPELINE, _LineStartStep, _RegexStep, _sub

    steps = [s for s in _PIPELINE if isinstance(s, _RegexStep)]
    assert sum(s.needs is not None for s in steps) >= 15
    assert sum(isinstance(s, _LineStartStep) for s in steps) >= 5
    for text in _guard_cases():
        offsets = list(range(len(text) + 1))
        for step in steps:
            got_text, got_offsets = step(text, offsets)
            want_text, want_offsets = _sub(text, offsets, step.pattern, step.repl)
            assert (got_text, list(got_offsets)) == (want_text, list(want_offsets)), (
                step.pattern.pattern,
                text,
            )


def test_strip_step_is_the_regex_it_replaced() -> None:
    from ofsted_extractor.loading import _strip, _sub

    for text in [*_guard_cases(), "", " ", "\n\f\t x \u00a0\u2028 y \u3000\n"]:
        offsets = list(range(len(text) + 1))
        got_text, got_offsets = _strip(text, offsets)
        want_text, want_offsets = _sub(text, offsets, r"^\s+|\s+$", "")
        assert (got_text, list(got_offsets)) == (want_text, list(want_offsets)), text


def test_list_headings_are_found_where_a_pattern_on_every_line_finds_them() -> None:
    # _bullet_cues reads only the lines holding a heading word (in ASCII text); it must find
    # exactly the headings a fullmatch on every line finds, the long s and other cases included.
    from ofsted_extractor.loading import _LIST_HEADING, _heading_candidates, _is_list_heading

    rng = random.Random(7)
    words = [
        "Strengths",
        "STRENGTHS",
        "Key strengths",
        "Areas for improvement",
        "areas",
        "Areas for further development:",
        "Important weaknesses and areas for improvement",
        "ſtrengths",
        "Areaſ for improvement",
        "strengths and",
        "x",
        "",
        "  ",
        "\f",
    ]
    cases = [*_guard_cases()]
    cases += ["\n".join(rng.choices(words, k=rng.randint(1, 12))) for _ in range(2000)]
    found_any = 0
    for text in cases:
        bounds = [(s, s + len(line)) for s, line in _line_spans(text)]
        want = [i for i, (s, e) in enumerate(bounds) if _LIST_HEADING.fullmatch(text[s:e].strip())]
        got = [i for i in _heading_candidates(text, bounds) if _is_list_heading(text, bounds[i])]
        assert got == want, text
        found_any += bool(want)
    assert found_any > 1000


def _line_spans(text: str) -> list[tuple[int, str]]:
    out, start = [], 0
    for line in text.split("\n"):
        out.append((start, line))
        start += len(line) + 1
    return out


def test_the_lines_kept_for_the_last_text_are_never_another_texts() -> None:
    from ofsted_extractor.loading import _lines

    texts = ["a\nbb\n", "a\nbb\n" + "", "".join(["x", "\n", "y"]), "", "\n\n", "a\nbb\n"[:-1]]
    for _ in range(2):
        for text in texts:
            assert list(_lines(text)) == [(s, s + len(line)) for s, line in _line_spans(text)]


def test_one_page_furniture_is_what_the_paged_reading_finds_on_one_page() -> None:
    # text with no form feed skips the running-header count (one page has none); the page
    # numbers it removes must be exactly those the general reading removes
    from ofsted_extractor.loading import _lines, _one_page_furniture, _paged_furniture

    rng = random.Random(5)
    pieces = [
        "Page 2 of 5",
        "page 3",
        "- 4 -",
        "[ 7 ]",
        "12",
        "3 / 9",
        "  2  ",
        "",
        " ",
        "\t",
        "- A bullet.",
        "Strengths",
        "1 Performs excellently",
        "2011",
        "Pages",
        "p 2",
        "[x]",
    ]
    cases = [t.replace("\f", "") for t in _guard_cases()]
    cases += ["\n".join(rng.choices(pieces, k=rng.randint(1, 10))) for _ in range(3000)]
    removed = 0
    for text in cases:
        bounds = _lines(text)
        assert _one_page_furniture(text, bounds) == _paged_furniture(text, bounds), text
        removed += bool(_paged_furniture(text, bounds))
    assert removed > 1000


def test_a_letter_is_told_from_other_text_as_the_two_patterns_tell_it() -> None:
    # load_text looks for the heading and a verdict or "Strengths" line only where their first
    # words stand (in ASCII text); it must decide as the two case-insensitive searches do
    from ofsted_extractor.loading import _LETTER_BODY, _LETTER_HEADING, _is_a_letter

    rng = random.Random(3)
    pieces = [
        "children's services assessment",
        "Children's Services Assessment",
        "CHILDREN'S",
        "services",
        "Performs well",
        "performs  poorly",
        "xPerforms well",
        "Performs wellx",
        "Performs\nexcellently",
        "Strengths",
        "STRENGTHS",
        " Strengths",
        "Strengths:",
        "ſtrengths",
        "Performſ well",
        "\n",
        " ",
        "performs",
        "strengths\n",
        "é",
    ]
    cases = [*_guard_cases(), *(read_example(n) for n in ("worcestershire-2011", "dudley-2011"))]
    cases += ["".join(rng.choices(pieces, k=rng.randint(1, 8))) for _ in range(5000)]
    letters = 0
    for text in cases:
        want = bool(_LETTER_HEADING.search(text) and _LETTER_BODY.search(text))
        assert _is_a_letter(text) == want, text
        letters += want
    assert 100 < letters < len(cases) - 100


def test_page_breaks_and_lone_form_feeds_are_found_as_the_regex_finds_them() -> None:
    # both are found from the form feeds (str.find) instead of a pattern tried at every
    # character; the matches must be exactly finditer's, so the edits are re.sub's
    from ofsted_extractor.loading import _LONE_FORM_FEED, _PAGE_BREAK, _page_breaks, _sub

    rng = random.Random(11)
    alphabet = ["\f", "\n", " ", "\t", "x", "\n\f", "\f\n", "  \n", "y\f"]
    cases = [*_guard_cases(), "", "\f", "\f\f", "\n\f", " \f ", "a\f\f\nb"]
    cases += ["".join(rng.choices(alphabet, k=rng.randint(1, 20))) for _ in range(3000)]
    breaks = 0
    for text in cases:
        want = [m.span() for m in _PAGE_BREAK.finditer(text)]
        assert [m.span() for m in _page_breaks(text)] == want, repr(text)
        breaks += len(want)
        offsets = list(range(len(text) + 1))
        got_text, got_offsets = _LONE_FORM_FEED(text, offsets)
        want_text, want_offsets = _sub(text, offsets, r"(?<![\n\f])\f", "\n\f")
        assert (got_text, list(got_offsets)) == (want_text, list(want_offsets)), repr(text)
    assert breaks > 3000


def test_a_line_ending_in_a_word_and_a_hyphen_is_what_the_pattern_says() -> None:
    import re

    from ofsted_extractor.loading import _ends_in_word_hyphen

    rng = random.Random(13)
    pieces = ["a", "Z", "9", "_", "-", "é", "ſ", "١", " ", ".", "\u00b2", "\u2160", "x-", "--", "'"]
    for _ in range(50_000):
        line = "".join(rng.choices(pieces, k=rng.randint(0, 5)))
        assert _ends_in_word_hyphen(line) == bool(re.search(r"\w-$", line)), repr(line)
