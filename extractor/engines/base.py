"""What every engine gives the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ofsted_extractor.loading import LoadedText
from ofsted_extractor.schema import Disagreement, EngineInfo, Issue, Letter, Usage


@dataclass
class EngineResult:
    """An engine's answer for one letter, before the pipeline validates it."""

    letter: Letter
    usage: Usage = field(default_factory=Usage)
    disagreements: list[Disagreement] = field(default_factory=list)
    #: The LLM's last raw answer, kept when the record may end up flagged.
    last_answer: str | None = None
    #: The validators' issues for `letter` when the engine already ran them on it (they read
    #: no spans), so the pipeline does not run them twice; None: the pipeline runs them.
    issues: list[Issue] | None = None
    #: Ask the pipeline to compare `letter` with the rules engine's (the LLM engine does).
    cross_check: bool = False


class Engine(Protocol):
    """Fills a Letter from loaded text. Must not print or write files."""

    name: str

    def info(self) -> EngineInfo:
        """Name, version and (for LLMs) model, mode and prompt version/hash."""
        ...

    def extract(self, doc: LoadedText) -> EngineResult:
        """Fill the schema from one letter. Raises ExtractorError subclasses on failure."""
        ...
