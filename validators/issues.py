"""Building Issues: one place that fixes how a failed check is reported."""

from __future__ import annotations

from collections.abc import Callable

from ofsted_extractor.schema import Issue, Letter, Severity

#: A check: (normalised letter text, record) -> issues. Pure: no I/O, never changes the record.
Check = Callable[[str, Letter], list[Issue]]


def error(
    code: str, field: str, message: str, *, expected: object = None, found: object = None
) -> Issue:
    """An error-severity Issue; `expected`/`found` are shown as strings (None stays None)."""
    return _issue("error", code, field, message, expected, found)


def warning(
    code: str, field: str, message: str, *, expected: object = None, found: object = None
) -> Issue:
    """A warning-severity Issue: the text cannot settle the question."""
    return _issue("warning", code, field, message, expected, found)


def _issue(
    severity: Severity, code: str, field: str, message: str, expected: object, found: object
) -> Issue:
    return Issue(
        code=code,
        field=field,
        severity=severity,
        expected=None if expected is None else str(expected),
        found=None if found is None else str(found),
        message=message,
    )
