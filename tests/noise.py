"""Builders of noisy variants of a clean letter, as PDF converters, editors and pastes make them.

Every builder is a pure, deterministic function of the clean text (random ones use a fixed seed).
The loader must normalise each variant to the same text as the clean letter; `VARIANTS` names
them all so tests can parametrise over them. `to_pdf` writes a real PDF of a text.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path

RUNNING_HEADER = "Ofsted letter reference 2011/117"


def _wrap_line(line: str, width: int, indent: str = "") -> list[str]:
    """Greedy wrap at spaces only (a tab stays inside its 'word'), like a text renderer."""
    if len(line) <= width:
        return [line]
    words = line.split(" ")
    lines: list[str] = []
    current = words[0]
    for word in words[1:]:
        if len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = indent + word
    lines.append(current)
    return lines


def wrap(text: str, width: int = 80) -> str:
    """Hard-wrap every line longer than `width` columns; continuation lines are not indented."""
    return "\n".join(part for line in text.split("\n") for part in _wrap_line(line, width))


def rewrap_moved(text: str) -> str:
    """Wrap at 65 columns, indenting the continuation lines of bullets by two spaces."""
    out: list[str] = []
    for line in text.split("\n"):
        indent = "  " if line.startswith("- ") else ""
        out.extend(_wrap_line(line, 65, indent))
    return "\n".join(out)


def curly_quotes(text: str) -> str:
    """Straight quotes become typographic ones: apostrophes ’, opening ‘ and “, closing ”."""
    text = re.sub(r"(?<=\w)'", "\u2019", text)
    text = re.sub(r"'(?=\w)", "\u2018", text)
    text = text.replace("'", "\u2019")
    text = re.sub(r'"(?=\w)', "\u201c", text)
    return text.replace('"', "\u201d")


def markdown_headings(text: str) -> str:
    """Markdown heading markers and bold on the headings, bold on the verdict, one italic."""
    out: list[str] = []
    for line in text.split("\n"):
        if line.startswith("#"):
            out.append(line)
        elif line == "Annual children's services assessment":
            out.append("## " + line)
        elif m := re.fullmatch(r"(.+) (children's services assessment \d{4})", line):
            out.append(f"## **{m.group(1)}** {m.group(2)}")
        elif line == "Strengths":
            out.append("## **Strengths**")
        elif line == "Areas for further improvement":
            out.append("### __Areas for further improvement__")
        elif m := re.fullmatch(r"(Children's services assessment\t)(Performs .*)", line):
            out.append(f"{m.group(1)}**{m.group(2)}**")
        else:
            out.append(
                line.replace("Education and Inspections Act", "*Education and Inspections Act*")
            )
    return "\n".join(out)


def markdown_bullets(text: str) -> str:
    """Bullets written as markdown list items, alternately "* " and "+ "."""
    markers = itertools.cycle(["* ", "+ "])
    return re.sub(r"(?m)^- ", lambda _: next(markers), text)


def page_furniture(
    text: str,
    lines_per_page: int = 40,
    header: str | None = RUNNING_HEADER,
    footer: str = "Page {page} of {pages}",
) -> str:
    """Split into pages like pdftotext: header first, footer last, a form feed starts each page.

    Pages break between two non-blank lines (a break at a blank line would lose the paragraph
    break there, as it does in a real conversion). The document ends with a form feed.
    """
    lines = text.split("\n")
    breaks: list[int] = []
    at = lines_per_page
    while at < len(lines):
        while at < len(lines) and not (lines[at - 1].strip() and lines[at].strip()):
            at += 1
        if at < len(lines):
            breaks.append(at)
        at += lines_per_page
    starts = [0, *breaks]
    ends = [*breaks, len(lines)]
    pages: list[str] = []
    for number, (start, end) in enumerate(zip(starts, ends, strict=True), start=1):
        body = lines[start:end]
        head = [header] if header is not None else []
        foot = [footer.format(page=number, pages=len(starts))]
        pages.append("\n".join([*head, *body, *foot]))
    return "\n\f".join(pages) + "\n\f"


def crlf(text: str) -> str:
    """Windows line endings."""
    return text.replace("\n", "\r\n")


_LIGATURE_OF = {"ffi": "\ufb03", "ffl": "\ufb04", "ff": "\ufb00", "fi": "\ufb01", "fl": "\ufb02"}


def ligatures(text: str) -> str:
    """Every other ff, fi, fl, ffi, ffl becomes its ligature character, as PDF fonts give it."""
    count = itertools.count()
    return re.sub(
        r"ffi|ffl|ff|fi|fl",
        lambda m: _LIGATURE_OF[m.group()] if next(count) % 2 == 0 else m.group(),
        text,
    )


def unicode_bullets(text: str) -> str:
    """Bullets as glyphs: "• ", "•<tab>", "● ", "▪ " in turn."""
    markers = itertools.cycle(["• ", "•\t", "● ", "▪ "])
    return re.sub(r"(?m)^- ", lambda _: next(markers), text)


def nbsp_and_spaces(text: str, seed: int = 7) -> str:
    """Some spaces become no-break, thin or double spaces; trailing and leading spaces appear."""
    rng = random.Random(seed)
    out: list[str] = []
    for line in text.split("\n"):
        chars: list[str] = []
        for char in line:
            roll = rng.random()
            if char != " ":
                chars.append(char)
            elif roll < 0.05:
                chars.append("\u00a0")
            elif roll < 0.08:
                chars.append("  ")
            elif roll < 0.10:
                chars.append("\u2009")
            else:
                chars.append(char)
        noisy = "".join(chars)
        roll = rng.random()
        if noisy and roll < 0.2:
            noisy += " " * rng.randint(1, 3)
        elif noisy and not noisy.startswith(("- ", "\t")) and roll < 0.3:
            noisy = " " + noisy
        out.append(noisy)
    return "\n".join(out)


def en_dashes(text: str) -> str:
    """Bullets start with an en dash, rule lines are em dashes, every other hyphen is U+2010."""
    text = re.sub(r"(?m)^- ", "\u2013 ", text)
    text = re.sub(r"(?m)^-{3,}(?=\t)|(?<=\t)-{3,}$", lambda m: "\u2014" * len(m.group()), text)
    count = itertools.count()
    return re.sub(r"(?<=\w)-(?=\w)", lambda m: "\u2010" if next(count) % 2 == 0 else "-", text)


def zero_width(text: str) -> str:
    """A byte-order mark at the start and a zero-width space after every 97th character."""
    return "\ufeff" + re.sub(r"(.{97})", "\\1\u200b", text, flags=re.DOTALL)


def pdftotext_style(text: str) -> str:
    """What pdftotext gives: wrapped at 80, bare page numbers as footers, curly quotes."""
    wrapped = wrap(text, 80)
    paged = page_furniture(
        wrapped, lines_per_page=50, header=None, footer="{:>40}".format("{page}")
    )
    return curly_quotes(paged)


def everything(text: str) -> str:
    """Every kind of noise at once, in the order a real conversion chain would add them."""
    text = markdown_headings(text)
    text = rewrap_moved(text)
    text = page_furniture(text, lines_per_page=35)
    for noise in (curly_quotes, ligatures, unicode_bullets, en_dashes, nbsp_and_spaces):
        text = noise(text)
    return crlf(text)


#: The text variants, by readable name, for parametrised tests.
VARIANTS: dict[str, Callable[[str], str]] = {
    "crlf": crlf,
    "wrap_80": partial(wrap, width=80),
    "wrap_72": partial(wrap, width=72),
    "rewrap_moved": rewrap_moved,
    "curly_quotes": curly_quotes,
    "markdown_headings": markdown_headings,
    "markdown_bullets": markdown_bullets,
    "page_furniture": page_furniture,
    "ligatures": ligatures,
    "unicode_bullets": unicode_bullets,
    "nbsp_and_spaces": nbsp_and_spaces,
    "en_dashes": en_dashes,
    "zero_width": zero_width,
    "pdftotext_style": pdftotext_style,
    "everything": everything,
}

# Characters the core PDF fonts cannot encode, and what to write instead.
_LATIN1_FALLBACK = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2010": "-",
        "\u2022": "-",
        "\u2009": " ",
        "\u200b": "",
        "\ufeff": "",
    }
)


def to_pdf(text: str, path: Path, *, footer: bool = True, line_height: float = 5) -> Path:
    """Write `text` as a real PDF (Helvetica 11pt, A4, lines wrapped by fpdf2); return `path`.

    Tabs become four spaces and characters outside latin-1 are replaced, because the core fonts
    encode latin-1 only. With `footer`, every page ends with "Page N of M". `line_height` is in
    mm: 5 is single spacing, 9 double spacing.
    """
    from fpdf import FPDF

    class _Letter(FPDF):
        def footer(self) -> None:
            if footer:
                self.set_y(-15)
                self.set_font("Helvetica", size=9)
                self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")

    safe = text.translate(_LATIN1_FALLBACK).replace("\t", "    ")
    safe = safe.encode("latin-1", "replace").decode("latin-1")
    pdf = _Letter(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in safe.split("\n"):
        if line.strip():
            pdf.multi_cell(0, line_height, line, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(line_height)
    pdf.output(str(path))
    return path
