"""Reading input files into normalised letter text with a map back to the original offsets.

STUB: the interface below is fixed; the implementation is being written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from extractor.schema import SourceFormat, Span


@dataclass(frozen=True)
class LoadedText:
    """A letter's text, normalised, with `offsets` mapping each normalised char to the original.

    `offsets` has len(text) + 1 entries; offsets[i] is the index in `original` of text[i], and
    offsets[len(text)] == len(original).
    """

    path: str
    format: SourceFormat
    sha256: str
    original: str
    text: str
    offsets: tuple[int, ...]

    def span(self, start: int, end: int) -> Span:
        """Map a [start, end) range of `text` to a Span in `original`."""
        raise NotImplementedError

    def locate(self, needle: str, start: int = 0) -> Span | None:
        """Find `needle` verbatim in `text` (from `start`) and return its original Span."""
        raise NotImplementedError


def normalise(raw: str) -> tuple[str, tuple[int, ...]]:
    """Normalise raw letter text; return (text, offsets). See module docs for the rules."""
    raise NotImplementedError


def load_text(raw: str, *, path: str = "<text>", fmt: SourceFormat = "txt") -> LoadedText:
    """Normalise already-read text and check that it is an assessment letter."""
    raise NotImplementedError


def load_file(path: str | Path) -> LoadedText:
    """Read a .txt, .md or .pdf file. Raises InputError naming the file and the problem."""
    raise NotImplementedError
