"""The grade and its label against the scale, the verdict line and the summary's wording."""

from __future__ import annotations

from ofsted_extractor.schema import GRADE_LABELS, Issue, Letter
from ofsted_extractor.validators.issues import error, warning
from ofsted_extractor.validators.reading import read_performance, read_verdict

_LABEL_GRADE: dict[str, int] = {label: grade for grade, label in GRADE_LABELS.items()}


def _verdict_quote(verdict: tuple[int, str]) -> str:
    return f"the verdict line says '{verdict[1]} ({verdict[0]})'"


def check_grade_present(text: str, letter: Letter) -> list[Issue]:
    """grade and grade_label are both filled (missing.grade, missing.grade_label)."""
    verdict = read_verdict(text)
    hint = f"; {_verdict_quote(verdict)}" if verdict else ""
    issues: list[Issue] = []
    if letter.grade is None:
        issues.append(
            error(
                "missing.grade",
                "grade",
                f"grade is missing: fill it from the verdict line{hint}",
                expected=verdict[0] if verdict else None,
            )
        )
    if letter.grade_label is None:
        issues.append(
            error(
                "missing.grade_label",
                "grade_label",
                f"grade_label is missing: fill it from the verdict line{hint}",
                expected=verdict[1] if verdict else None,
            )
        )
    return issues


def check_grade_label(text: str, letter: Letter) -> list[Issue]:
    """grade and grade_label are the same point of the four-point scale (grade.label_mismatch)."""
    if letter.grade is None or letter.grade_label is None:
        return []
    if GRADE_LABELS.get(letter.grade) == letter.grade_label:
        return []
    verdict = read_verdict(text)
    hint = f"; {_verdict_quote(verdict)}" if verdict else ""
    return [
        error(
            "grade.label_mismatch",
            "grade",
            f"grade is {letter.grade} but grade_label '{letter.grade_label}' means grade "
            f"{_LABEL_GRADE[letter.grade_label]}{hint}",
            expected=GRADE_LABELS.get(letter.grade),
            found=letter.grade_label,
        )
    ]


def check_grade_verdict(text: str, letter: Letter) -> list[Issue]:
    """grade and grade_label agree with the verdict line (grade.verdict_mismatch); a text
    without a verdict line is a warning (grade.no_verdict)."""
    verdict = read_verdict(text)
    if verdict is None:
        return [
            warning(
                "grade.no_verdict",
                "grade",
                "the text has no verdict line ('Children's services assessment  Performs ... (n)')"
                ", so the grade cannot be confirmed; check it was not taken from the scale table",
            )
        ]
    issues: list[Issue] = []
    if letter.grade is not None and letter.grade != verdict[0]:
        issues.append(
            error(
                "grade.verdict_mismatch",
                "grade",
                f"grade is {letter.grade} but {_verdict_quote(verdict)}: set grade to {verdict[0]}",
                expected=verdict[0],
                found=letter.grade,
            )
        )
    if letter.grade_label is not None and letter.grade_label != verdict[1]:
        issues.append(
            error(
                "grade.verdict_mismatch",
                "grade_label",
                f"grade_label is '{letter.grade_label}' but {_verdict_quote(verdict)}: set "
                f"grade_label to '{verdict[1]}'",
                expected=verdict[1],
                found=letter.grade_label,
            )
        )
    return issues


def check_grade_summary(text: str, letter: Letter) -> list[Issue]:
    """The grade agrees with the summary's "Children's services in X perform <adverb>"
    (grade.summary_mismatch). Uses grade_label's grade when grade is missing."""
    performance = read_performance(text)
    grade = letter.grade
    if grade is None and letter.grade_label is not None:
        grade = _LABEL_GRADE[letter.grade_label]
    if performance is None or grade is None or grade == performance[0]:
        return []
    return [
        error(
            "grade.summary_mismatch",
            "grade",
            f"grade is {grade} ('{GRADE_LABELS[grade]}') but the summary says "
            f'"{performance[1]}", which means grade {performance[0]} '
            f"('{GRADE_LABELS[performance[0]]}')",
            expected=performance[0],
            found=grade,
        )
    ]
