"""Strengths and areas for improvement against the bullets under their headings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ofsted_extractor.schema import Finding, Issue, Letter
from ofsted_extractor.validators.issues import error, warning
from ofsted_extractor.validators.reading import (
    BULLET_LISTS,
    read_bullets,
    read_list_sections,
)
from ofsted_extractor.validators.text import contains, short, squash

#: The headings of the two lists, for messages.
HEADINGS = {"strengths": "Strengths", "areas_for_improvement": "Areas for further improvement"}
_HEADINGS = HEADINGS
_OTHER = {"strengths": "areas_for_improvement", "areas_for_improvement": "strengths"}


def _findings(letter: Letter, list_name: str) -> list[Finding]:
    findings: list[Finding] = getattr(letter, list_name)
    return findings


def _first_index(bullets: list[str]) -> dict[str, int]:
    """Each bullet's first index, so that a list's findings are looked up in linear time:
    `_first_index(bullets).get(squash(text))` is the index of the bullet `text` is (exactly,
    whitespace-insensitively), else None."""
    index: dict[str, int] = {}
    for k, b in enumerate(bullets):
        index.setdefault(b, k)
    return index


def _part_of(text: str, bullets: list[str]) -> int | None:
    return next((k for k, b in enumerate(bullets) if contains(b, text)), None)


def check_finding_lists(text: str, letter: Letter) -> list[Issue]:
    """Each list has one finding per bullet under its heading (findings.count_mismatch); findings
    under a heading with nothing under it are a warning (findings.no_bullets). A missing heading
    is check_findings_accounted's error."""
    bullets = read_bullets(text)
    sections = read_list_sections(text)
    issues: list[Issue] = []
    for list_name in BULLET_LISTS:
        findings = _findings(letter, list_name)
        expected = bullets[list_name]
        heading = _HEADINGS[list_name]
        if not expected:
            if findings and sections[list_name] is not None:
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
    index = {name: _first_index(bullets[name]) for name in BULLET_LISTS}
    issues: list[Issue] = []
    for list_name in BULLET_LISTS:
        own, other = bullets[list_name], bullets[_OTHER[list_name]]
        own_index, other_index = index[list_name], index[_OTHER[list_name]]
        for i, finding in enumerate(_findings(letter, list_name)):
            key = squash(finding.text)
            if key and key in own_index:
                # a bullet of its own list, so in the letter too (a bullet is the letter's
                # lines joined): the usual finding is settled without searching the letter
                continue
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
            elif not own and key not in other_index:
                # This list's heading was not read, so the text cannot say which bullet this
                # is meant to be; check_finding_lists has already warned.
                continue
            elif key in other_index or (
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
        index = _first_index(bullets[list_name])
        for i, finding in enumerate(_findings(letter, list_name)):
            k = index.get(squash(finding.text))
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


# A word of the letter, for accounting: "fostering", "12", "A" (glyphs and punctuation are not).
_WORD = re.compile(r"[^\W_]+")
# Uncovered runs shorter than this many words that hold no letter at all (a stray page number
# "3" or "2 of 4" left between bullets) say nothing and are not reported.
_ALPHA = re.compile(r"[^\W\d_]")


# In ASCII text the words are the runs of letters and digits: every other byte made a space
# (and, for keys, every capital its small letter) by bytes.translate, str.split finds them
# faster than the pattern does. A byte table costs nothing per call; str.translate with a
# mapping looks each character up anew, which a letter's many short finding texts pay often.
_WORD_BYTES = bytes(c if chr(c).isalnum() else 32 for c in range(128)) + b" " * 128
_KEY_BYTES = bytes(ord(chr(c).lower()) if chr(c).isalnum() else 32 for c in range(128)) + (
    b" " * 128
)


def _words(s: str) -> list[str]:
    # an ASCII text's whitespace runs are spaces here anyway, so it is not squashed first
    squashed = s if s.isascii() else squash(s)
    if squashed.isascii():
        return squashed.encode("ascii").translate(_WORD_BYTES).decode("ascii").split()
    return _WORD.findall(squashed)


def _keys(s: str) -> list[str]:
    """The words of `s` lower-cased, for comparing: as many as _words(s), in the same order. An
    ASCII text is lower-cased whole: its words stay where they were."""
    squashed = s if s.isascii() else squash(s)
    if squashed.isascii():
        return squashed.encode("ascii").translate(_KEY_BYTES).decode("ascii").split()
    return [w.lower() for w in _words(s)]


# _KEY_BYTES, but the NUL byte stands for itself: it parts the findings' texts in _targets.
_KEY_SEP_BYTES = b"\x00" + _KEY_BYTES[1:]


def _targets(findings: list[Finding]) -> list[str]:
    """Each finding's words as _cover_joined searches for them, " f1 ... fk " (blank when it
    has none): `" " + " ".join(_keys(text)) + " "`.

    ASCII texts are read together, one translation and one split for the whole record rather
    than some per finding (a letter has a dozen): the texts are joined with NUL between spaces,
    which the key table keeps and str.split does not split at, so after squashing the record's
    words each NUL stands alone between two spaces and parts the targets exactly (a text
    holding a NUL of its own is read alone)."""
    texts = [finding.text for finding in findings]
    if not texts:
        return []
    raw = " \x00 ".join(texts)
    if not raw.isascii() or raw.count("\x00") != len(texts) - 1:
        return [" " + " ".join(_keys(text)) + " " for text in texts]
    spaced = raw.encode("ascii").translate(_KEY_SEP_BYTES).decode("ascii")
    return (" " + " ".join(spaced.split()) + " ").split("\x00")


def _uncovered_runs(section: str, findings: list[Finding]) -> list[str]:
    """The runs of `section`'s words that no finding's text covers, in order."""
    keys = _keys(section)
    if len(keys) > _INDEXED_WORDS:
        covered = _cover_indexed(keys, findings)
    else:
        found = _cover_joined(keys, findings)
        if found is None:
            return []  # a whole record covers every word
        covered = found
    # the runs are the stretches between covered words, found with list.index at C speed
    runs: list[str] = []
    at = 0
    # the words as written, read only when some are uncovered (a whole record covers them all)
    words = _words(section) if _index(covered, False, 0) is not None else []
    while (start := _index(covered, False, at)) is not None:
        end = _index(covered, True, start)
        end = len(words) if end is None else end
        runs.append(" ".join(words[start:end]))
        at = end
    return [run for run in runs if _ALPHA.search(run)]


def _cover_joined(keys: list[str], findings: list[Finding]) -> list[bool] | None:
    """Which of `keys` the findings cover (each finding the first run of its words not yet
    wholly covered), or None when they cover all of them.

    The words are searched as one string, " w1 w2 ... wn ", at C speed: a finding's words
    " f1 ... fk " occur there exactly where they occur as a run of whole words (no word holds a
    space). A character is marked covered with the spaces either side of its word, so a word
    is covered when its characters are, and every character is when every word is."""
    joined = " " + " ".join(keys) + " "
    marks = bytearray(len(joined))
    for target in _targets(findings):
        if target.isspace():  # a finding without words
            continue
        at = joined.find(target)
        # the first occurrence not yet wholly covered, so a finding given twice covers one
        # bullet once
        while at >= 0:
            if marks.find(0, at + 1, at + len(target) - 1) >= 0:
                marks[at : at + len(target)] = b"\x01" * len(target)
                break
            at = joined.find(target, at + 1)
    if keys and marks.find(0) < 0:
        return None
    covered: list[bool] = []
    pos = 1
    for key in keys:
        covered.append(marks[pos] == 1)
        pos += len(key) + 1
    return covered


def _cover_indexed(keys: list[str], findings: list[Finding]) -> list[bool]:
    """Which of `keys` the findings cover, as _cover_joined reads it, for a long section: where
    each run of three words starts is indexed, so a finding's candidates are where its first
    three words are (one place, as a rule) and the work stays linear however many bullets share
    a first word ("The"); searching the joined words from the start for every finding would
    not be."""
    covered = [False] * len(keys)
    at_trigram: dict[tuple[str, ...], list[int]] = {}
    for i in range(len(keys) - 2):
        at_trigram.setdefault((keys[i], keys[i + 1], keys[i + 2]), []).append(i)
    for finding in findings:
        needle = _keys(finding.text)
        n = len(needle)
        if not n or n > len(keys):
            continue
        candidates: Iterable[int]
        if n >= 3:
            candidates = at_trigram.get((needle[0], needle[1], needle[2]), ())
        else:  # list.index finds where the first word is at C speed
            candidates = _indices(keys, needle[0], len(keys) - n + 1)
        for i in candidates:
            if keys[i : i + n] == needle and not all(covered[i : i + n]):
                covered[i : i + n] = [True] * n
                break
    return covered


#: Sections longer than this many words get a trigram index (see _uncovered_runs).
_INDEXED_WORDS = 800


def _indices(keys: list[str], key: str, stop: int) -> Iterator[int]:
    """Every index of `key` in `keys[:stop]`, in order."""
    i = -1
    while True:
        try:
            i = keys.index(key, i + 1, stop)
        except ValueError:
            return
        yield i


def _index(flags: list[bool], value: bool, start: int) -> int | None:
    """Index of the first `value` in `flags` at or after `start`, else None."""
    try:
        return flags.index(value, start)
    except ValueError:
        return None


def check_findings_accounted(text: str, letter: Letter) -> list[Issue]:
    """Everything written under each list's heading is accounted for by that list's findings:
    an inventory of the text, so a record that leaves bullets out is flagged however the
    conversion marked them (glyphs, numbers, indentation only, nothing at all).

    Codes: findings.missing (the heading has text under it and the list is empty);
    findings.unaccounted_text (words under the heading that no finding's text covers);
    findings.no_heading (the letter has no such heading, so the list cannot be confirmed
    complete).
    """
    issues: list[Issue] = []
    for list_name, section in read_list_sections(text).items():
        heading = _HEADINGS[list_name]
        findings = _findings(letter, list_name)
        if section is None:
            issues.append(
                error(
                    "findings.no_heading",
                    list_name,
                    f"the letter has no '{heading}' heading, so {list_name} "
                    f"({len(findings)} findings) cannot be confirmed complete",
                    found=len(findings),
                )
            )
            continue
        runs = _uncovered_runs(text[section[0] : section[1]], findings)
        if not runs:
            continue
        if not findings:
            issues.append(
                error(
                    "findings.missing",
                    list_name,
                    f"{list_name} is empty but the letter has text under '{heading}': "
                    f"'{short(runs[0], 80)}'; give one finding per bullet",
                    expected="one finding per bullet",
                    found=0,
                )
            )
            continue
        for run in runs:
            issues.append(
                error(
                    "findings.unaccounted_text",
                    list_name,
                    f"the letter says '{short(run, 80)}' under '{heading}' and no finding of "
                    f"{list_name} contains it: a bullet (or part of one) is left out",
                    found=run,
                )
            )
    return issues
