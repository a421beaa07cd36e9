"""Who and when: the authority, recipient, signatory, letter date and assessment year."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from ofsted_extractor.schema import Issue, Letter, Person
from ofsted_extractor.textutil import LETTERHEAD_WORDING
from ofsted_extractor.validators.issues import error, warning
from ofsted_extractor.validators.reading import read_heading, read_letter_date
from ofsted_extractor.validators.text import (
    MONTHS,
    contains,
    finditer_at,
    is_word_char,
    line_starts,
    lowered,
    occurrences,
    search_at,
    short,
    squash,
)

# The salutation: "Dear Ms Quinton".
SALUTATION = re.compile(r"^[^\S\n]*Dear[^\S\n]+(?P<name>[^\n,]+?)[^\S\n]*,?[^\S\n]*$", re.MULTILINE)

# The closing before the signatory's typed name: "Yours sincerely".
CLOSING = re.compile(r"Yours\s+(?:sincerely|faithfully)", re.IGNORECASE)

# The date line that opens the address block: "8 November 2011".
_DATE_LINE = re.compile(
    rf"^[^\S\n]*\d{{1,2}}(?:st|nd|rd|th)?[^\S\n]+(?:{'|'.join(MONTHS)})[^\S\n]+(?:19|20)\d\d[^\S\n]*$",
    re.MULTILINE,
)

# A name line of the address block: a title, then names, the last the salutation's surname:
#   "Ms Gail Quinton", "Mr John A Smith", "Dr Amrit Holroyd-Bennett", "Ms Anna van der Berg"
_NAME_LINE = re.compile(r"^[A-Z][\w'.-]*\s+(?:[\w'.-]+\s+){0,4}[A-Z][\w'-]+$")

# A line of Ofsted's letterhead column: "T 0300 123 1231", "Textphone 0161 618 8524"
_LETTERHEAD = re.compile(LETTERHEAD_WORDING, re.I)

# An initialled signature under the typed name, which is not the name: "J. Winstanley",
# "J Winstanley", "J.A. Winstanley".
_INITIALLED = re.compile(r"^(?:[A-Z]\.?\s*){1,3}[A-Z][\w'-]+$")


# A month's name, where a date line can be: "November"
_MONTH_NAME = re.compile("|".join(MONTHS))


# The patterns above open with ^ (multiline) or re.I, which the regex engine tries at every
# character; every match holds a known word, so they are tried only where it stands (in ASCII
# text for "yours" in any case: re.I folds "ſ" into "s", which str.lower does not).
@lru_cache(maxsize=8)
def _salutation(text: str) -> re.Match[str] | None:
    """SALUTATION.search(text), tried only on the lines holding "Dear"."""
    return search_at(SALUTATION, text, line_starts(text, occurrences(text, "Dear")))


def _date_lines(text: str, end: int) -> list[re.Match[str]]:
    """_DATE_LINE's matches in text[:end], tried only on the lines holding a month's name."""
    months = (m.start() for m in _MONTH_NAME.finditer(text, 0, end))
    return list(finditer_at(_DATE_LINE, text, line_starts(text, months), end))


@lru_cache(maxsize=8)
def _closings(text: str) -> tuple[re.Match[str], ...]:
    """CLOSING.finditer(text)."""
    if not text.isascii():
        return tuple(CLOSING.finditer(text))
    return tuple(finditer_at(CLOSING, text, occurrences(lowered(text), "yours")))


def _nonblank_lines(text: str, start: int, end: int) -> list[str]:
    return [squash(line) for line in text[start:end].splitlines() if line.strip()]


@lru_cache(maxsize=8)
def read_addressee(text: str) -> tuple[str, str | None] | None:
    """The address block's name line and the line after it (the role line), e.g.
    ('Ms Gail Quinton', "Director of Children's Services"); None when there is no date line and
    salutation, or no line between them ends with the salutation's surname.

    The name line is found by the surname 'Dear Ms Quinton' greets, so letterhead lines that a
    conversion puts between the date and the address are passed over."""
    dear = _salutation(text)
    if dear is None:
        return None
    dates = _date_lines(text, dear.start())
    if not dates:
        return None
    surname = dear["name"].split()[-1].rstrip(",:;")
    # below the date as usual; failing that anywhere above "Dear" (some layouts put the address
    # above the date)
    for start in (dates[-1].end(), 0):
        lines = _nonblank_lines(text, start, dear.start())
        for i, line in enumerate(lines):
            if _NAME_LINE.match(line) and line.split()[-1] == surname:
                # the letterhead column can be read between the name and the role
                role = next((x for x in lines[i + 1 :] if not _LETTERHEAD.fullmatch(x)), None)
                return line, role
    return None


@lru_cache(maxsize=8)
def read_sign_off(text: str) -> tuple[str, str | None] | None:
    """The typed name after 'Yours sincerely' and the line after it that is not an initialled
    signature (the role), e.g. ('Juliet Winstanley', "Divisional Manager, Children's Services
    Assessment"); None when there is no closing or nothing after it."""
    closings = _closings(text)
    if not closings:
        return None
    closing = closings[-1]
    lines = [line for line in _nonblank_lines(text, closing.end(), len(text)) if line.strip(",")]
    lines = [line for line in lines if not _INITIALLED.match(line)]
    if not lines:
        return None
    return lines[0], lines[1] if len(lines) > 1 else None


@lru_cache(maxsize=64)
def _date_pattern(date: dt.date) -> re.Pattern[str]:
    # "8 November 2011", also "08 November 2011" and "8th November 2011".
    return re.compile(
        rf"\b0?{date.day}(?:st|nd|rd|th)?\s+{MONTHS[date.month - 1]}\s+{date.year}\b",
        re.IGNORECASE,
    )


def _date_written(text: str, date: dt.date) -> bool:
    """Whether `_date_pattern(date)` occurs in `text`. In ASCII text it is read at each place the
    month's name stands, in any case, without compiling a pattern per date (and without trying
    one at every character): whitespace before it, and before that a whole word that is the
    day ("8", "08", "8th"); whitespace after it, then the year ending a word."""
    if not text.isascii():
        return _date_pattern(date).search(text) is not None
    low = lowered(text)
    month, year = MONTHS[date.month - 1].lower(), str(date.year)
    days = {zero + str(date.day) + suffix for zero in ("", "0") for suffix in _DAY_SUFFIXES}
    for at in occurrences(low, month):
        day_end = at
        while day_end > 0 and low[day_end - 1].isspace():
            day_end -= 1
        day_start = day_end
        while day_start > 0 and is_word_char(low[day_start - 1]):
            day_start -= 1
        if day_end == at or low[day_start:day_end] not in days:
            continue
        year_start = after = at + len(month)
        while year_start < len(low) and low[year_start].isspace():
            year_start += 1
        year_end = year_start + len(year)
        if year_start == after or not low.startswith(year, year_start):
            continue
        if year_end == len(low) or not is_word_char(low[year_end]):
            return True
    return False


_DAY_SUFFIXES = ("", "st", "nd", "rd", "th")


def check_authority(text: str, letter: Letter) -> list[Issue]:
    """local_authority is filled (missing.local_authority) and is the heading's authority
    (authority.heading_mismatch); without a heading it must at least occur in the text
    (authority.not_in_text) and the heading's absence is a warning (heading.missing)."""
    heading = read_heading(text)
    expected = heading[0] if heading else None
    if letter.local_authority is None or not letter.local_authority.strip():
        return [
            error(
                "missing.local_authority",
                "local_authority",
                "local_authority is missing: take it from the heading 'X children's services "
                "assessment YYYY'" + (f", here '{expected}'" if expected else ""),
                expected=expected,
            )
        ]
    found = letter.local_authority
    if heading is not None:
        if squash(found) == heading[0]:
            return []
        return [
            error(
                "authority.heading_mismatch",
                "local_authority",
                f"local_authority is '{found}' but the heading names '{heading[0]}' "
                f"('{heading[0]} children's services assessment {heading[1]}'): use the "
                "heading's name",
                expected=heading[0],
                found=found,
            )
        ]
    issues = [
        warning(
            "heading.missing",
            "local_authority",
            "the text has no heading 'X children's services assessment YYYY', so "
            "local_authority cannot be confirmed against it",
        )
    ]
    if not contains(text, found):
        issues.append(
            error(
                "authority.not_in_text",
                "local_authority",
                f"local_authority '{found}' does not occur in the letter: copy the authority's "
                "name as the letter writes it",
                found=found,
            )
        )
    return issues


def _person_issues(text: str, person: Person | None, field: str, where: str) -> list[Issue]:
    """Shared by recipient and signatory: filled, and name and role occur in the text."""
    if person is None:
        return [error(f"missing.{field}", field, f"{field} is missing: {where}")]
    issues: list[Issue] = []
    if not contains(text, person.name):
        issues.append(
            error(
                f"{field}.name_not_in_text",
                f"{field}.name",
                f"{field}.name '{person.name}' does not occur in the letter: {where}",
                found=person.name,
            )
        )
    if person.role is None:
        issues.append(
            warning(
                f"missing.{field}.role",
                f"{field}.role",
                f"{field}.role is missing: the letter usually gives the job title under the name",
            )
        )
    elif not contains(text, person.role):
        issues.append(
            error(
                f"{field}.role_not_in_text",
                f"{field}.role",
                f"{field}.role '{person.role}' does not occur in the letter: copy the job title "
                "line as written",
                found=person.role,
            )
        )
    return issues


def _role_matches(role: str, line: str | None, text: str) -> bool:
    """The role is the role line as written, or that line and its hard-wrapped continuation."""
    if line is None:
        return True
    role = squash(role)
    return role == line or (role.startswith(line + " ") and contains(text, role))


def check_recipient(text: str, letter: Letter) -> list[Issue]:
    """recipient is filled (missing.recipient), its name and role occur in the text
    (recipient.name_not_in_text, recipient.role_not_in_text; missing role is a warning), and the
    name agrees with the salutation 'Dear Ms Quinton' (recipient.salutation_mismatch). Where the
    address block can be read, the name is its whole name line, title and first name included
    (recipient.name_mismatch), and the role is the line under it (recipient.role_mismatch)."""
    where = "copy the addressee's name, with title, from the address block above 'Dear ...'"
    issues = _person_issues(text, letter.recipient, "recipient", where)
    salutation = _salutation(text)
    if letter.recipient is not None and salutation is not None:
        surname = salutation["name"].split()[-1].lower()
        if surname not in (w.lower() for w in letter.recipient.name.split()):
            issues.append(
                error(
                    "recipient.salutation_mismatch",
                    "recipient.name",
                    f"recipient.name '{letter.recipient.name}' is not the person the letter "
                    f"greets ('Dear {salutation['name']}'): take the addressee from the address "
                    "block",
                    expected=salutation["name"],
                    found=letter.recipient.name,
                )
            )
    addressee = read_addressee(text)
    if letter.recipient is None or addressee is None:
        return issues
    name_line, role_line = addressee
    if squash(letter.recipient.name) != name_line:
        issues.append(
            error(
                "recipient.name_mismatch",
                "recipient.name",
                f"recipient.name is '{letter.recipient.name}' but the address block's name line "
                f"is '{name_line}': copy the whole line, title, first name and surname",
                expected=name_line,
                found=letter.recipient.name,
            )
        )
    role = letter.recipient.role
    if role is not None and not _role_matches(role, role_line, text):
        issues.append(
            error(
                "recipient.role_mismatch",
                "recipient.role",
                f"recipient.role is '{role}' but the line under the addressee's name is "
                f"'{short(role_line or '', 80)}': copy that line as written",
                expected=role_line,
                found=role,
            )
        )
    return issues


def check_signatory(text: str, letter: Letter) -> list[Issue]:
    """signatory is filled (missing.signatory), its name and role occur in the text
    (signatory.name_not_in_text, signatory.role_not_in_text; missing role is a warning), and
    the name stands after 'Yours sincerely' (signatory.not_after_closing). Where the sign-off
    can be read, the name is its typed name, not the initialled signature
    (signatory.name_mismatch), and the role is the job-title line (signatory.role_mismatch)."""
    where = "copy the typed name after 'Yours sincerely'"
    issues = _person_issues(text, letter.signatory, "signatory", where)
    closing = next(iter(_closings(text)), None)
    if letter.signatory is not None and closing is not None:
        # an occurrence at or after the closing's end is one in the text that follows it (the
        # name has no whitespace at its edges): no span of the whole letter is mapped back
        before = contains(text, letter.signatory.name)
        after = contains(text[closing.end() :], letter.signatory.name)
        if before and not after:
            issues.append(
                error(
                    "signatory.not_after_closing",
                    "signatory.name",
                    f"signatory.name '{letter.signatory.name}' does not appear after "
                    f"'{squash(closing[0])}': {where}",
                    found=letter.signatory.name,
                )
            )
    sign_off = read_sign_off(text)
    if letter.signatory is None or sign_off is None:
        return issues
    name_line, role_line = sign_off
    if squash(letter.signatory.name) != name_line:
        issues.append(
            error(
                "signatory.name_mismatch",
                "signatory.name",
                f"signatory.name is '{letter.signatory.name}' but the typed name after "
                f"'Yours sincerely' is '{name_line}': use that name",
                expected=name_line,
                found=letter.signatory.name,
            )
        )
    role = letter.signatory.role
    if role is not None and not _role_matches(role, role_line, text):
        issues.append(
            error(
                "signatory.role_mismatch",
                "signatory.role",
                f"signatory.role is '{role}' but the job-title line of the sign-off is "
                f"'{short(role_line or '', 80)}': copy that line as written",
                expected=role_line,
                found=role,
            )
        )
    return issues


def check_letter_date(text: str, letter: Letter) -> list[Issue]:
    """letter_date is filled (missing.letter_date), written in the text as '8 November 2011'
    (date.not_in_text, whose `expected` is the text's own date line when it has one) and, when
    the text has a date line, is that line's date (date.line_mismatch)."""
    dated = read_letter_date(text)
    expected = dated.isoformat() if dated else None
    if letter.letter_date is None:
        return [
            error(
                "missing.letter_date",
                "letter_date",
                "letter_date is missing: take the date line above the address ('8 November "
                "2011') as ISO" + (f", here {expected}" if expected else ""),
                expected=expected,
            )
        ]
    date = letter.letter_date
    if _date_written(text, date):
        if dated is None or dated == date:
            return []
        # Written somewhere, but not on the date line: "off by a day" can land on another date.
        return [
            error(
                "date.line_mismatch",
                "letter_date",
                f"letter_date is {date.isoformat()} but the date line above the address says "
                f"'{dated.day} {MONTHS[dated.month - 1]} {dated.year}' ({expected})",
                expected=expected,
                found=date.isoformat(),
            )
        ]
    written = f"{date.day} {MONTHS[date.month - 1]} {date.year}"
    hint = (
        f"; the letter is dated '{dated.day} {MONTHS[dated.month - 1]} {dated.year}' ({expected})"
        if dated
        else ""
    )
    return [
        error(
            "date.not_in_text",
            "letter_date",
            f"letter_date is {date.isoformat()} but the letter never says '{written}'{hint}",
            expected=expected,
            found=date.isoformat(),
        )
    ]


def check_assessment_year(text: str, letter: Letter) -> list[Issue]:
    """assessment_year is filled (missing.assessment_year) and is the heading's year
    (year.heading_mismatch); the letter date's year should be the same year (date.year_mismatch,
    a warning: a letter could be dated early the next year)."""
    heading = read_heading(text)
    heading_year = heading[1] if heading else None
    issues: list[Issue] = []
    if letter.assessment_year is None:
        issues.append(
            error(
                "missing.assessment_year",
                "assessment_year",
                "assessment_year is missing: take the year of the heading 'X children's services "
                "assessment YYYY'" + (f", here {heading_year}" if heading_year else ""),
                expected=heading_year,
            )
        )
    elif heading_year is not None and letter.assessment_year != heading_year:
        issues.append(
            error(
                "year.heading_mismatch",
                "assessment_year",
                f"assessment_year is {letter.assessment_year} but the heading says "
                f"'children's services assessment {heading_year}': set it to {heading_year}",
                expected=heading_year,
                found=letter.assessment_year,
            )
        )
    year = heading_year or letter.assessment_year
    if letter.letter_date is not None and year is not None and letter.letter_date.year != year:
        issues.append(
            warning(
                "date.year_mismatch",
                "letter_date",
                f"letter_date {letter.letter_date.isoformat()} is not in the assessment year "
                f"{year}: check the date line",
                expected=year,
                found=letter.letter_date.year,
            )
        )
    return issues
