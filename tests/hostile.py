"""Conversions that real letters went through and the clean ones did not: the layouts issue 7
reports from letters this project has never seen, each written as a class of variation.

Every transform takes a clean letter (one line per paragraph or bullet, "- " bullets) and gives
the text another converter would have made of the PDF. The trust test runs the rules engine on
each and holds the promise: a `passed` record is right and complete. A transform the engine can
read gives the gold record; one it cannot must leave the record `flagged`.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable

# "- The very large majority ..." at the start of a line
_BULLET = re.compile(r"^- (?P<text>.*)$", re.M)

OFSTED_FOOTER = "Piccadilly Gate Store Street Manchester M1 2WD T 0300 123 1231 www.ofsted.gov.uk"
LETTERHEAD = (
    "Aviation House",
    "125 Kingsway",
    "London WC2B 6SE",
    "T 0300 123 1231",
    "Textphone 0161 618 8524",
    "enquiries@ofsted.gov.uk",
    "www.ofsted.gov.uk",
)


def _wrap_bullet(text: str, first: str, rest: str, width: int = 78) -> str:
    return "\n".join(textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest))


def _wrapped(text: str) -> str:
    """Every paragraph but the bullets hard-wrapped at 78 columns, as a PDF-to-text converter
    gives the whole page (a converter that wraps the bullets wraps the rest too)."""
    out = []
    for line in text.split("\n"):
        if line.startswith("- ") or len(line) <= 78 or "\t" in line:
            out.append(line)
        else:
            out.append(_wrap_bullet(line, "", ""))
    return "\n".join(out)


def glyphs_lost_indented(text: str) -> str:
    """The bullet glyphs are gone; each bullet is marked only by its first line's indentation
    and the text is hard-wrapped (a PDF-to-text conversion that dropped the Symbol font)."""
    text = _wrapped(text)
    return _BULLET.sub(lambda m: _wrap_bullet(m["text"], "     ", ""), text)


def glyphs_lost_paragraphs(text: str) -> str:
    """No glyphs at all, each bullet a paragraph of its own separated by blank lines."""
    return _BULLET.sub(lambda m: m["text"] + "\n", text)


def glyph_alone_on_its_line(text: str) -> str:
    """pdftotext's default output of a Word bullet: the glyph alone, a blank line, the text."""
    text = _wrapped(text)
    return _BULLET.sub(lambda m: "\u2022\n\n" + _wrap_bullet(m["text"], "", "") + "\n", text)


def private_use_glyph(text: str) -> str:
    """pypdf's output of Word's Symbol-font bullet: U+F0B7 before the text."""
    return _BULLET.sub(lambda m: "\uf0b7 " + m["text"], text)


def layout_hanging_indent(text: str) -> str:
    """pdftotext -layout: the glyph at the line start, continuation lines indented under it."""
    text = _wrapped(text)
    return _BULLET.sub(lambda m: _wrap_bullet(m["text"], "\u2022    ", "      "), text)


def numbered(text: str) -> str:
    """The bullets came out as a numbered list."""
    counter = iter(range(1, 1000))
    return _BULLET.sub(lambda m: f"{next(counter) % 10 or 10}. {m['text']}", text)


def footer_mid_list(text: str) -> str:
    """A page break inside the list: Ofsted's address footer and a page number between bullets,
    once under each heading."""
    out: list[str] = []
    seen = 0
    lines = text.split("\n")
    for i, line in enumerate(lines):
        out.append(line)
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.startswith("- ") and nxt.startswith("- ") and seen < 2:
            seen += 1
            out += ["", OFSTED_FOOTER, f"{seen}", "\f"]
    return "\n".join(out)


def letterhead_interleaved(text: str) -> str:
    """The letterhead column lands between the date and the recipient's address lines."""
    lines = text.split("\n")
    date = next(
        (i for i, line in enumerate(lines) if re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", line)),
        None,
    )
    if date is None:
        return text
    return "\n".join(
        [*LETTERHEAD, "", *lines[: date + 1], "", *LETTERHEAD[3:], "", *lines[date + 1 :]]
    )


def letterhead_after_first_footer(text: str) -> str:
    """The letterhead column comes out after page one's footer, in the middle of the summary."""
    head, sep, rest = text.partition("\n\n")
    paragraphs = rest.split("\n\n")
    cut = min(len(paragraphs), 12)
    moved = [
        *paragraphs[:cut],
        OFSTED_FOOTER + "\n1\n\f" + "\n".join(LETTERHEAD),
        *paragraphs[cut:],
    ]
    return head + sep + "\n\n".join(moved)


#: The hostile conversions, by readable name.
HOSTILE: dict[str, Callable[[str], str]] = {
    "glyphs_lost_indented": glyphs_lost_indented,
    "glyphs_lost_paragraphs": glyphs_lost_paragraphs,
    "glyph_alone_on_its_line": glyph_alone_on_its_line,
    "private_use_glyph": private_use_glyph,
    "layout_hanging_indent": layout_hanging_indent,
    "numbered": numbered,
    "footer_mid_list": footer_mid_list,
    "letterhead_interleaved": letterhead_interleaved,
    "letterhead_after_first_footer": letterhead_after_first_footer,
}
