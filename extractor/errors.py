"""Typed errors under one root. The CLI turns each into one line and an exit code."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any


class ExtractorError(Exception):
    """Root of every error this package raises on purpose."""

    code = "error"


class ConfigurationError(ExtractorError):
    """The tool was set up wrongly: missing API key, unknown engine, bad option value."""

    code = "configuration"


class InputError(ExtractorError):
    """An input file cannot be read as an assessment letter."""

    code = "input"

    def __init__(self, path: str, problem: str, *, code: str = "input") -> None:
        self.path = path
        self.problem = problem
        self.code = code
        super().__init__(f"{path}: {problem}")


class LLMError(ExtractorError):
    """The LLM call failed at the transport or provider level (keeps the original error)."""

    code = "llm"

    def __init__(self, message: str, *, original: BaseException | None = None) -> None:
        self.original = original
        super().__init__(message)


class ExtractionFailed(ExtractorError):
    """The model never produced a record that parsed, after every allowed attempt."""

    code = "extraction_failed"

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        last_completion: str | None = None,
        usage: dict[str, Any] | None = None,
    ) -> None:
        self.attempts = attempts
        self.last_completion = last_completion
        self.usage = usage or {}
        super().__init__(message)


class StoreError(ExtractorError):
    """The output folder or its database cannot be created, read or written (full disk...)."""

    code = "store"


class InternalError(ExtractorError):
    """A bug of ours, met on one input: that input fails with this error (the exception's type
    and message and where it was raised), and a batch goes on past it."""

    code = "internal_error"

    def __init__(self, path: str, original: BaseException) -> None:
        self.path = path
        self.original = original
        super().__init__(f"{path}: {internal_problem(original)}")


def internal_problem(exc: BaseException) -> str:
    """What went wrong, for a bug's one-line message: "internal error (KeyError: 'x') at
    rules.py:628; please report it with this letter"."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"internal error ({type(exc).__name__}: {exc}){where}; please report it with this letter"
