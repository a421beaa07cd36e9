"""Size limits checked before a file is read, so a hostile input fails in milliseconds.

A letter is about 10 KB of text, 3 pages and 15,000 characters; the defaults are 30 to 2,000
times that, so only something that is not a letter reaches them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ofsted_extractor.errors import InputError

#: How a PDF file starts.
PDF_MAGIC = b"%PDF-"


def reads_as_pdf(suffix: str, head: bytes) -> bool:
    """Whether a file named with `suffix` whose bytes start with `head` is read as a PDF: the
    magic number wins over a suffix (a PDF saved as .txt is still a PDF), and a .pdf is one."""
    return suffix.lower() == ".pdf" or head.startswith(PDF_MAGIC)


@dataclass(frozen=True)
class Limits:
    """The largest input the pipeline will read.

    Attributes:
        max_bytes: file size in bytes (checked with stat, before reading).
        max_pages: pages of a PDF (counted when PDFium opens it, before any page is read).
        max_chars: characters of extracted text (checked before the engine runs).
    """

    max_bytes: int = 20_000_000
    max_pages: int = 500
    max_chars: int = 500_000


DEFAULT_LIMITS = Limits()


def check_file(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise InputError (code too_large, or too_many_chars for text) when a file is over a limit.

    A file that cannot be examined passes: the loader then reports it with its own code.
    """
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError:
        return
    if size > limits.max_bytes:
        raise InputError(
            str(path),
            f"file is {size:,} bytes, over the limit of {limits.max_bytes:,} (--max-bytes)",
            code="too_large",
        )
    # UTF-8 needs at most 4 bytes a character, so a text file this big is over the character
    # limit whatever it holds: say so without reading (and normalising) all of it. (A PDF's
    # pages are counted by the loader, from the document PDFium opens to read it.)
    if size > 4 * limits.max_chars and not _is_pdf(file):
        raise InputError(
            str(path),
            f"text file is {size:,} bytes, more than {limits.max_chars:,} characters (--max-chars)",
            code="too_many_chars",
        )


def check_pages(path: str, pages: int, max_pages: int) -> None:
    """Raise InputError (code too_many_pages) when a PDF has more than `max_pages` pages."""
    if pages > max_pages:
        raise InputError(
            path,
            f"PDF has {pages:,} pages, over the limit of {max_pages:,} (--max-pages)",
            code="too_many_pages",
        )


def check_text(path: str, text: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise InputError (code too_many_chars) when extracted text is over the limit."""
    if len(text) > limits.max_chars:
        raise InputError(
            path,
            f"text has {len(text):,} characters, over the limit of {limits.max_chars:,} "
            "(--max-chars)",
            code="too_many_chars",
        )


def _is_pdf(file: Path) -> bool:
    """Whether the loader will read `file` as a PDF (its first bytes read only when the name
    does not say)."""
    if reads_as_pdf(file.suffix, b""):
        return True
    try:
        with file.open("rb") as fh:
            return reads_as_pdf(file.suffix, fh.read(len(PDF_MAGIC)))
    except OSError:
        return False
