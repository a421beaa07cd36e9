"""Strengths and areas for improvement against the bullets under their headings."""

from __future__ import annotations

from extractor.schema import Finding, Issue, Letter
from validators.issues import error, warning
from validators.reading import BULLET_LISTS, read_bullets
from validators.text import contains, short, squash

_HEADINGS = {"strengths": "Strengths", "areas_for_improvement": "Areas for further improvement"}
_OTHER = {"strengths": "areas_for_improvement", "areas_for_improvement": "strengths"}


def _findings(letter: Letter, list_name: str) -> list[Finding]:
    findings: list[Finding] = getattr(letter, list_name)
    return findings


def _bullet_index(text: str, bullets: list[str]) -> int | None:
    """Index of the bullet `text` is (exactly, whitespace-insensitively), else None."""
    s = squash(text)
    return next((k for k, b in enumerate(bullets) if b == s), None)


def _part_of(text: str, bullets: list[str]) -> int | None:
    return next((k for k, b in enumerate(bullets) if contains(b, text)), None)


def check_finding_lists(text: str, letter: Letter) -> list[Issue]:
    """Each list has one finding per bullet under its heading (findings.count_mismatch); a list
    whose heading or bullets the text lacks is a warning (findings.no_bullets)."""
    bullets = read_bullets(text)
    issues: list[Issue] = []
    for list_name in BULLET_LISTS:
        findings = _findings(letter, list_name)
        expected = bullets[list_name]
        heading = _HEADINGS[list_name]
        if not expected:
            if findings:
                issues.append(
                    warning(
                        "findings.no_bullets",
                        list_name,
                        f"the text has no bullets under a '{heading}' heading, so the "
                        f"{len(findings)} {list_name} cannot be confirmed",
                        found=len(findings),
                    )
                )
            continue
        if len(findings) == len(expected):
            continue
        missing = [b for b in expected if not any(squash(f.text) == b for f in findings)]
        hint = (
            "; missing bullets: " + "; ".join(f"'{short(b, 50)}'" for b in missing)
            if missing
            else ""
        )
        issues.append(
            error(
                "findings.count_mismatch",
                list_name,
                f"{list_name} has {len(findings)} findings but the letter has {len(expected)} "
                f"bullets under '{heading}': give exactly one finding per bullet{hint}",
                expected=len(expected),
                found=len(findings),
            )
        )
    return issues


def check_finding_texts(text: str, letter: Letter) -> list[Issue]:
    """Each finding's text is one whole bullet of its own list.

    Codes: finding.text_empty; finding.not_in_text (not in the letter at all);
    finding.wrong_list (a bullet of the other heading); finding.partial_bullet (only part of a
    bullet); finding.not_a_bullet (in the letter, but not a bullet of either list).
    """
    bullets = read_bullets(text)
    issues: list[Issue] = []
    for list_name in BULLET_LISTS:
        own, other = bullets[list_name], bullets[_OTHER[list_name]]
        for i, finding in enumerate(_findings(letter, list_name)):
            field = f"{list_name}[{i}].text"
            quote = short(finding.text)
            if not finding.text.strip():
                issues.append(
                    error(
                        "finding.text_empty",
                        field,
                        f"{field} is empty: copy the bullet's text verbatim, without the '- '",
                    )
                )
            elif not contains(text, finding.text):
                issues.append(
                    error(
                        "finding.not_in_text",
                        field,
                        f"{field} '{quote}' does not occur in the letter: copy the bullet's text "
                        "verbatim, or remove the finding if no bullet says it",
                        found=finding.text,
                    )
                )
            elif _bullet_index(finding.text, own) is not None:
                continue
            elif not own and _bullet_index(finding.text, other) is None:
                # This list's heading was not read, so the text cannot say which bullet this
                # is meant to be; check_finding_lists has already warned.
                continue
            elif _bullet_index(finding.text, other) is not None or (
                _part_of(finding.text, own) is None and _part_of(finding.text, other) is not None
            ):
                issues.append(
                    error(
                        "finding.wrong_list",
                        field,
                        f"{field} '{quote}' is a bullet under '{_HEADINGS[_OTHER[list_name]]}', "
                        f"not under '{_HEADINGS[list_name]}': move it to {_OTHER[list_name]}",
                        expected=_OTHER[list_name],
                        found=list_name,
                    )
                )
            elif (k := _part_of(finding.text, own)) is not None:
                issues.append(
                    error(
                        "finding.partial_bullet",
                        field,
                        f"{field} '{quote}' is only part of bullet {k + 1} under "
                        f"'{_HEADINGS[list_name]}': use the whole bullet's text",
                        expected=own[k],
                        found=finding.text,
                    )
                )
            else:
                issues.append(
                    error(
                        "finding.not_a_bullet",
                        field,
                        f"{field} '{quote}' is in the letter but is not a bullet under "
                        f"'{_HEADINGS[list_name]}': findings are the bullets only",
                        found=finding.text,
                    )
                )
    return issues


def check_finding_order(text: str, letter: Letter) -> list[Issue]:
    """Findings follow the letter's bullet order (finding.out_of_order, a warning)."""
    bullets = read_bullets(text)
    issues: list[Issue] = []
    for list_name in BULLET_LISTS:
        last = -1
        for i, finding in enumerate(_findings(letter, list_name)):
            k = _bullet_index(finding.text, bullets[list_name])
            if k is None:
                continue
            if k < last:
                issues.append(
                    warning(
                        "finding.out_of_order",
                        f"{list_name}[{i}]",
                        f"{list_name}[{i}] is bullet {k + 1} under '{_HEADINGS[list_name]}' but "
                        f"comes after bullet {last + 1}: keep the letter's order",
                        expected=k,
                        found=i,
                    )
                )
            last = max(last, k)
    return issues


def check_finding_duplicates(text: str, letter: Letter) -> list[Issue]:
    """No bullet is given twice, in one list or across both (finding.duplicate)."""
    seen: dict[str, str] = {}
    issues: list[Issue] = []
    for list_name in BULLET_LISTS:
        for i, finding in enumerate(_findings(letter, list_name)):
            key = squash(finding.text)
            path = f"{list_name}[{i}]"
            if not key:
                continue
            if key in seen:
                issues.append(
                    error(
                        "finding.duplicate",
                        f"{path}.text",
                        f"{path} repeats {seen[key]} ('{short(finding.text)}'): each bullet is "
                        "one finding, given once",
                        found=finding.text,
                    )
                )
            else:
                seen[key] = path
    return issues
