"""The deterministic engine: fills the letter schema from the normalised text alone.

It reads the letter's fixed structure (date line, address block, heading, verdict line, summary,
two bulleted lists, sign-off), then finds counts and topics with patterns and a lexicon. It is the
embedded default when no LLM is configured and the structure an LLM's answer is checked against.
What it cannot find it leaves empty and names in `Letter.unfilled`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ofsted_extractor.loading import LoadedText
from ofsted_extractor.schema import (
    GRADE_LABELS,
    Count,
    EngineInfo,
    GradeLabel,
    InspectionKind,
    InspectionOutcome,
    Letter,
    SafeguardingInspection,
    Topic,
)
from ofsted_extractor.textutil import (
    APPROXIMATORS,
    AREAS_WORDING,
    CHANGE_VERBS,
    CONCERN,
    FRACTIONS,
    JUDGEMENT,
    JUDGEMENT_WORDS,
    LETTERHEAD_WORDING,
    MONTHS,
    NUMBER,
    NUMBER_WORDS,
    PREDICATE,
    SERVICE_NOUNS,
    STRENGTHS_WORDING,
    alternation,
    fold,
    fraction_of,
    parse_number,
    word_alternation,
)

from .base import EngineResult

ENGINE_VERSION = "1.0"

# --- Structure -------------------------------------------------------------------------------

# "8 November 2011"
DATE_LINE = re.compile(rf"^[ \t]*(\d{{1,2}})[ \t]+({'|'.join(MONTHS)})[ \t]+(\d{{4}})[ \t]*$", re.M)
# A line of Ofsted's letterhead column: "T 0300 123 1231", "www.ofsted.gov.uk"
LETTERHEAD = re.compile(LETTERHEAD_WORDING, re.I)
# "Dear Ms Quinton"
DEAR_LINE = re.compile(r"^[ \t]*Dear\b", re.M)
# "Worcestershire County Council children's services assessment 2011" (an authority name has
# no sentence break, so a paragraph glued to the heading is not taken for the name)
HEADING = re.compile(
    r"^[ \t]*(?P<authority>\S(?:(?!\.\s).)*?)\s+children's\s+services\s+assessment\s+"
    r"(?P<year>(?:19|20)\d\d)[ \t]*$",
    re.M | re.I,
)
# "Children's services assessment<TAB>Performs poorly (1)" -- never a scale-table row
# ("1<TAB>Performs poorly<TAB>An organisation that ..."), which has no "(n)".
VERDICT = re.compile(
    r"^[ \t]*children's\s+services\s+assessment\s+"
    r"(?P<label>performs\s+(?:excellently|well|adequately|poorly))\s*\(\s*(?P<grade>[1-4])\s*\)",
    re.M | re.I,
)
# "Children's services in Worcestershire County Council perform poorly because ..."
SUMMARY_VERB = re.compile(
    r"children's\s+services\s+in\s+.{3,120}?\s+performs?\s+(?P<adverb>excellently|well|adequately|poorly)\b",
    re.I | re.S,
)
# "------------<TAB>-------" under the verdict line
RULE_LINE = re.compile(r"^[\s\-_=]+$")
# "Strengths" (older letters: "Major strengths", "Key strengths")
STRENGTHS_HEAD = re.compile(rf"^[ \t]*{STRENGTHS_WORDING}[ \t]*:?[ \t]*$", re.M | re.I)
# "Areas for further improvement" (older letters: "Important weaknesses and areas for
# development")
AREAS_HEAD = re.compile(rf"^[ \t]*{AREAS_WORDING}[ \t]*:?[ \t]*$", re.M | re.I)
# "- The very large majority of ..."
BULLET = re.compile(r"^[ \t]*-[ \t]+(?P<text>\S.*?)[ \t]*$", re.M)
# "This children's services assessment is provided in accordance with section 138 ..."
CLOSING = re.compile(
    r"^[ \t]*(?:This children's services assessment is provided|Yours\s+)", re.M | re.I
)
# "Yours sincerely"
YOURS = re.compile(r"^[ \t]*Yours\s+(?:sincerely|faithfully)[ \t,]*$", re.M | re.I)
# "J. Winstanley": an initialled signature, not the typed name
INITIALLED = re.compile(r"^[A-Z]\.\s*[A-Z][\w'-]+$")
# "Divisional Manager, Children's Services Assessment"
ROLE_WORDS = re.compile(
    r"\b(?:Manager|Director|Inspector|Officer|Chief|Head|HMI|Lead|Executive|Assessment)\b"
)

LABEL_BY_ADVERB: dict[str, int] = {"poorly": 1, "adequately": 2, "well": 3, "excellently": 4}


@dataclass(frozen=True)
class Block:
    """A piece of the normalised text: `text == doc.text[start:end]`."""

    text: str
    start: int
    end: int


@dataclass
class LetterStructure:
    """The letter's parts as the text lays them out (offsets into the normalised text)."""

    date: Block | None = None
    recipient_name: Block | None = None
    recipient_role: Block | None = None
    heading_authority: Block | None = None
    heading_year: Block | None = None
    verdict: Block | None = None
    summary_paragraphs: list[Block] = field(default_factory=list)
    strengths: list[Block] = field(default_factory=list)
    areas: list[Block] = field(default_factory=list)
    signatory_name: Block | None = None
    signatory_role: Block | None = None

    @property
    def summary(self) -> str | None:
        if not self.summary_paragraphs:
            return None
        return "\n\n".join(p.text for p in self.summary_paragraphs)


def _block(m: re.Match[str], group: str | int = 0) -> Block:
    return Block(m.group(group), m.start(group), m.end(group))


def _lines(text: str, start: int, end: int) -> list[Block]:
    """Non-blank, stripped lines of text[start:end]."""
    out = []
    for m in _LINE.finditer(text, start, end):
        line = m.group(0)
        stripped = line.strip()
        if stripped:
            s = m.start() + (len(line) - len(line.lstrip()))
            out.append(Block(stripped, s, s + len(stripped)))
    return out


# a line's text, without its newline
_LINE = re.compile(r"[^\n]+")


# How a match of each line-led pattern begins after the line's leading spaces and tabs, as
# patterns over the lower-cased text that start with a literal (found with str.find): the
# pattern is tried only at the lines where one of them is the text. The usual wording first:
# the others are looked for only before the line it was found on.
_VERDICT_KEYS = (re.compile(r"children's\s+services\s+assessment\s+performs"),)
_STRENGTHS_KEYS = tuple(map(re.compile, ("strengths", r"major\s+strengths", r"key\s+strengths")))
_AREAS_KEYS = tuple(map(re.compile, (r"areas\s+for", r"important\s+weaknesses\s+and\s+areas")))
_CLOSING_KEYS = tuple(
    map(re.compile, ("this children's services assessment is provided", r"yours\s"))
)
_YOURS_KEYS = (re.compile(r"yours\s+(?:sincerely|faithfully)"),)
# "children's services assessment 2011": the end of every heading (see _search_heading)
_HEADING_TAIL = re.compile(r"children's\s+services\s+assessment\s+(?:19|20)\d\d[ \t]*$", re.M)
# the leading spaces and tabs of a line
_INDENT = re.compile(r"[ \t]*")
# "- The very large majority of": a dash and a space, anywhere; _bullets keeps the ones that
# begin a line (a bullet's text is the rest of its line, without trailing spaces and tabs)
_DASH = re.compile(r"-[ \t]+(\S[^\n]*)")


def _line_starts_of(lower: str, key: re.Pattern[str]) -> list[int]:
    """The starts of the lines where a match of `key` begins, in order. Linear in the text:
    the matches are found in order and each line's start once."""
    found: list[int] = []
    line = 0  # the start of the line of the last match
    searched = 0  # where the search for the line start of the next match begins
    for m in key.finditer(lower):
        at = m.start()
        newline = lower.rfind("\n", searched, at)
        if newline >= 0:
            line = newline + 1
        searched = at
        if not found or found[-1] != line:
            found.append(line)
    return found


def _line_search(
    pattern: re.Pattern[str],
    keys: tuple[re.Pattern[str], ...],
    text: str,
    lower: str | None,
    pos: int = 0,
) -> re.Match[str] | None:
    """`pattern.search(text, pos)` for a pattern (re.M) that matches only at a line start, then
    spaces or tabs, then what one of `keys` matches (in lower case): tried only at the lines
    where a key's match is the first text, not at every character. `lower` is text.lower()
    when the text is ASCII, else None (re.I would fold characters str.lower leaves alone):
    then the plain search."""
    if lower is None:
        return pattern.search(text, pos)
    best: re.Match[str] | None = None
    limit = len(lower)  # a match must begin before the best one found so far
    for key in keys:
        prefix = _literal_prefix(key)
        # each key's occurrences in order, up to the best line, until one starts a match
        at = lower.find(prefix, pos, limit - 1 + len(prefix))
        while at >= 0:
            line = _line_of_first_text(lower, at)
            if line >= pos and key.match(lower, at):
                m = pattern.match(text, line)
                if m is not None:
                    best, limit = m, line
                    break
            at = lower.find(prefix, at + 1, limit - 1 + len(prefix))
    return best


@functools.cache
def _literal_prefix(key: re.Pattern[str]) -> str:
    """The letters a key's pattern starts with: "children's" of "children's\\s+services"."""
    prefix = re.match(r"[a-z' ]*", key.pattern)
    assert prefix is not None and prefix.group(), key.pattern
    return prefix.group()


def _line_of_first_text(lower: str, at: int) -> int:
    """The start of the line of `at` when only spaces and tabs come before `at` on it, else
    -1 (looking back over the spaces and tabs only)."""
    while at > 0 and lower[at - 1] in " \t":
        at -= 1
    return at if at == 0 or lower[at - 1] == "\n" else -1


def _search_heading(text: str, lower: str | None) -> re.Match[str] | None:
    """`HEADING.search(text)`, tried only at the lines that can hold the authority's name: a
    heading ends "children's services assessment 2011", and the name before it is on the same
    line or, if only white space comes before "children's" on its line, on the last line before
    it that is not blank (the authority has no line break; the space after it can)."""
    if lower is None:
        return HEADING.search(text)
    starts: set[int] = set()
    for line in _line_starts_of(lower, _HEADING_TAIL):
        starts.add(line)
        first = lower.find("children's", line)
        if text[line:first].strip():
            continue
        # only white space before "children's": the name is on the last non-blank line above
        end = line - 1
        while end > 0:
            above = text.rfind("\n", 0, end) + 1
            if text[above:end].strip():
                starts.add(above)
                break
            end = above - 1
    for line in sorted(starts):
        m = HEADING.match(text, line)
        if m is not None:
            return m
    return None


def parse_structure(text: str) -> LetterStructure:
    """Find the letter's parts in normalised text. Missing parts stay None/empty."""
    st = LetterStructure()
    dear = DEAR_LINE.search(text)
    date = DATE_LINE.search(text, 0, dear.start() if dear else len(text))
    if date:
        st.date = Block(date.group(0).strip(), date.start(1), date.end(3))
    if dear:
        dear_end = text.find("\n", dear.start())
        salutation = text[dear.start() : dear_end if dear_end >= 0 else len(text)]
        # The address block usually follows the date; some layouts put it above the date.
        address = _lines(text, date.end() if date else 0, dear.start())
        at = _name_line(address, salutation)
        if at is None or (date and at == 0 and not _ends_with_surname(address[0], salutation)):
            above = _lines(text, 0, dear.start())
            found = _name_line(above, salutation)
            if found is not None and _ends_with_surname(above[found], salutation):
                address, at = above, found
        if at is not None:
            st.recipient_name = address[at]
            # the role is the next line that is not the letterhead column read in between
            st.recipient_role = next(
                (b for b in address[at + 1 :] if not LETTERHEAD.fullmatch(b.text)), None
            )

    # the line-led patterns are tried only where their first word begins a line
    lower = text.lower() if text.isascii() else None
    heading = _search_heading(text, lower)
    if heading:
        st.heading_authority = _block(heading, "authority")
        st.heading_year = _block(heading, "year")

    verdict = _line_search(VERDICT, _VERDICT_KEYS, text, lower)
    strengths_head = _line_search(
        STRENGTHS_HEAD, _STRENGTHS_KEYS, text, lower, verdict.end() if verdict else 0
    )
    areas_head = _line_search(
        AREAS_HEAD, _AREAS_KEYS, text, lower, strengths_head.end() if strengths_head else 0
    )
    closing = _line_search(
        CLOSING, _CLOSING_KEYS, text, lower, areas_head.end() if areas_head else 0
    )

    if verdict:
        st.verdict = _block(verdict)
        summary_end = strengths_head.start() if strengths_head else len(text)
        st.summary_paragraphs = [
            b for b in _lines(text, verdict.end(), summary_end) if not RULE_LINE.match(b.text)
        ]
        # the dashed rule may sit on the verdict's own line remainder
        if st.summary_paragraphs and RULE_LINE.match(st.summary_paragraphs[0].text):
            st.summary_paragraphs.pop(0)

    if strengths_head:
        s_end = areas_head.start() if areas_head else (closing.start() if closing else len(text))
        st.strengths = _bullets(text, strengths_head.end(), s_end)
    if areas_head:
        a_end = closing.start() if closing else len(text)
        st.areas = _bullets(text, areas_head.end(), a_end)

    yours = _line_search(YOURS, _YOURS_KEYS, text, lower)
    if yours:
        sign_off = [b for b in _lines(text, yours.end(), len(text)) if not INITIALLED.match(b.text)]
        roles = [b for b in sign_off if ROLE_WORDS.search(b.text)]
        names = [b for b in sign_off if not ROLE_WORDS.search(b.text)]
        if names:
            st.signatory_name = names[0]
        if roles:
            st.signatory_role = roles[-1]
    return st


def _ends_with_surname(line: Block, dear: str) -> bool:
    words = dear.replace(",", " ").split()
    return len(words) > 1 and line.text.split()[-1] == words[-1]


def _name_line(address: list[Block], dear: str) -> int | None:
    """Index of the addressee's name line: the first line of the block that ends with the
    surname 'Dear Ms Quinton' greets (so letterhead lines a conversion puts between the date and
    the address are skipped), else the block's first line."""
    words = dear.replace(",", " ").split()
    surname = words[-1] if len(words) > 1 else None
    for i, line in enumerate(address):
        if surname and len(line.text.split()) <= 6 and line.text.split()[-1] == surname:
            return i
    return 0 if address else None


def _bullets(text: str, start: int, end: int) -> list[Block]:
    """What `BULLET.finditer(text, start, end)` finds: a dash after a line's indent, and the
    rest of the line without trailing spaces and tabs. A dash inside a line matches _DASH too
    and is dropped; its match ends with its line, so no bullet after it is skipped."""
    out = []
    line = searched = 0
    for m in _DASH.finditer(text, start, end):
        dash = m.start()
        # each character is looked at once going back: linear however many dashes a line has
        line = max(line, text.rfind("\n", searched, dash) + 1)
        searched = dash
        spaces = _INDENT.match(text, line)  # always matches, maybe empty
        if line >= start and (spaces.end() if spaces else line) == dash:
            bullet = m.group(1).rstrip(" \t")
            at = m.start(1)
            out.append(Block(bullet, at, at + len(bullet)))
    return out


# --- Topics ----------------------------------------------------------------------------------

# The first service a bullet names decides its topic (see eval/LABELLING.md).
TOPIC_PATTERNS: list[tuple[Topic, re.Pattern[str]]] = [
    (
        "early years and childcare",
        re.compile(
            r"early years|childcare|child care|childmind|under fives?\b|nurser|pre-school"
            r"|playgroup|day care",
            re.I,
        ),
    ),
    ("children's centres", re.compile(r"children's centres?", re.I)),
    ("primary", re.compile(r"primary", re.I)),
    ("secondary", re.compile(r"secondary|GCSE|16-year-olds", re.I)),
    ("post-16", re.compile(r"post-16|sixth form|19-year-olds|further education", re.I)),
    (
        "special educational provision",
        re.compile(
            r"special(?:ist)? (?:school|education|educational)|special educational needs", re.I
        ),
    ),
    ("pupil referral units", re.compile(r"pupil referral|short-stay school", re.I)),
    ("fostering and adoption", re.compile(r"fostering|adoption", re.I)),
    ("children's homes", re.compile(r"children's homes?", re.I)),
    (
        "safeguarding and child protection",
        re.compile(
            r"safeguarding|child protection|contact, referral and assessment|children in need", re.I
        ),
    ),
    ("youth offending", re.compile(r"youth offending", re.I)),
]


# All the lexicons in one pattern, a named group each, in TOPIC_PATTERNS order: one pass finds
# the earliest match, and where two lexicons match at the same place the first listed wins (as
# the topic-by-topic search did). The lexicons are lower case, so on ASCII text the
# case-sensitive copy runs over text.lower(): the same positions, and the regex engine can skip
# to the letters a lexicon starts with instead of trying every position.
_TOPICS: list[Topic] = [topic for topic, _ in TOPIC_PATTERNS]
# (No lexicon uses an upper-case escape such as \\S, so lowering its source keeps its meaning.)
_ANY_TOPIC = re.compile(
    "|".join(f"(?P<t{i}>{p.pattern})" for i, (_, p) in enumerate(TOPIC_PATTERNS)), re.I
)
_ANY_TOPIC_LOWER = re.compile(
    "|".join(f"(?P<t{i}>{p.pattern.lower()})" for i, (_, p) in enumerate(TOPIC_PATTERNS))
)


def topic_of(text: str) -> Topic:
    """The topic whose lexicon matches earliest in the bullet; 'other' if none does."""
    # re.I folds characters str.lower leaves alone (the long s, the Kelvin sign)
    m = _ANY_TOPIC_LOWER.search(text.lower()) if text.isascii() else _ANY_TOPIC.search(text)
    return _TOPICS[int(m.lastgroup[1:])] if m and m.lastgroup else "other"


# --- Counts ----------------------------------------------------------------------------------

# What can be counted (see eval/LABELLING.md): services, settings and institutions.
SERVICE = SERVICE_NOUNS
# A word of a noun phrase: never a verb, so "seven schools have closed and become academies"
# stops at "schools".
_WORD = r"(?!(?:is|are|was|were|has|have|had|been|be|become|became|made)\b)[A-Za-z][A-Za-z'-]*"
# Greedy, so "One school sixth form" is the whole phrase, not "school".
_NP = rf"(?P<subject>(?:{_WORD}\s+){{0,5}}{SERVICE})\b"
_DET = r"(?:the\s+(?:local\s+authority|authority|council)'s|the|these|those|its|their|them)"
# "children's homes| it runs": a relative clause naming who runs or uses what is counted
_RELATIVE = (
    r"(?:it|they|the\s+council|the\s+local\s+authority)\s+"
    r"(?:runs|run|uses|use|commissions|commission|maintains|maintain|manages|manage|owns|own)\b"
)
_FRACTION = alternation(list(FRACTIONS))
_APPROX = alternation(APPROXIMATORS)
_CHANGE = alternation(CHANGE_VERBS)
# Quantity patterns, tried in this order; earlier ones win where they overlap.
QUANTITIES: list[tuple[str, re.Pattern[str]]] = [
    # "the number of inadequate schools has reduced from five to two", "the number in an Ofsted
    # category of concern has fallen from four to one" (the later figure is the count)
    (
        "reduced",
        re.compile(
            rf"\bthe\s+number\s+(?:of\s+(?P<subject>[^,.;]+?)|(?P<concern>{CONCERN}))\s+"
            rf"(?:has|have)\s+{_CHANGE}\s+(?:from\s+{NUMBER}\s+)?to\s+(?P<count>{NUMBER})",
            re.I,
        ),
    ),
    # "good, as are 11 of the 14 children's homes it runs": the judgement comes first
    (
        "as_are",
        re.compile(
            rf"\b(?P<judgement>{JUDGEMENT}),?\s+as\s+(?:is|are|was|were)\s+(?P<count>{NUMBER})\s+"
            rf"of\s+{_DET}(?:\s+(?P<total>{NUMBER}))?\s+{_NP}(?P<post>\s+{_RELATIVE})?",
            re.I,
        ),
    ),
    # "Half of the 12 children's centres", "a third of the nine"; "over half of the 12" is
    # approximate and read only so that its total is never taken for a count
    (
        "fraction",
        re.compile(
            rf"\b(?:(?P<approx>{_APPROX})\s+)?(?P<fraction>{_FRACTION})\s+of\s+{_DET}\s+"
            rf"(?P<total>{NUMBER})(?:\s+{_NP})?",
            re.I,
        ),
    ),
    # "Of the 19 homes commissioned from other agencies or local authorities, 18 are"; "Of the
    # 15 schools in the area, including the two academies, 12 are"
    (
        "of_the_total",
        re.compile(
            rf"\bOf\s+the\s+(?P<total>{NUMBER})\s+(?P<subject>[^,.;]+?),(?:[^.;]*?,)??\s+"
            rf"(?P<count>{NUMBER})\b(?=\s+(?:is|are|was|were|have|has|remain)\b)",
            re.I,
        ),
    ),
    # "All six of the children's homes", "all seven special schools", "each of the five units"
    (
        "all",
        re.compile(
            rf"\b(?:all|each)\s+(?:of\s+(?:the|its|their)\s+)?(?P<count>{NUMBER})\s+"
            rf"(?:of\s+{_DET}\s+)?{_NP}",
            re.I,
        ),
    ),
    # "none of them", "None of the 12 children's homes"
    (
        "none",
        re.compile(rf"\bnone\s+of\s+(?:{_DET}\s*)(?:(?P<total>{NUMBER})\s+)?(?:{_NP})?", re.I),
    ),
    # "a further two are satisfactory", "a further three schools"
    ("further", re.compile(rf"\ba\s+further\s+(?P<count>{NUMBER})(?:\s+{_NP})?", re.I)),
    # "eight out of 12 schools", "nine out of the 11 centres"
    (
        "out_of",
        re.compile(
            rf"\b(?P<count>{NUMBER})\s+out\s+of\s+(?:{_DET}\s+)?(?P<total>{NUMBER})(?:\s+{_NP})?",
            re.I,
        ),
    ),
    # "eight of the 12 fostering and adoption services", "Two of these", "three of the six"
    (
        "of",
        re.compile(
            rf"\b(?P<count>{NUMBER})\s+of\s+{_DET}(?:\s+(?P<total>{NUMBER}))?(?:\s+{_NP})?", re.I
        ),
    ),
    # "the remaining one", "The other two"
    ("remaining", re.compile(rf"\bthe\s+(?:remaining|other)\s+(?P<count>{NUMBER})\b", re.I)),
    # "the three pupil referral units", "the council's two homes" (definite: all of them)
    (
        "the_n",
        re.compile(
            rf"\b(?:the\s+(?:local\s+authority|authority|council)'s|the|its|their)\s+"
            rf"(?P<count>{NUMBER})\s+{_NP}",
            re.I,
        ),
    ),
    # "One secondary school", "seven schools"
    ("n_noun", re.compile(rf"\b(?P<count>{NUMBER})\s+{_NP}", re.I)),
    # "Four are satisfactory", "one is now inadequate"
    ("n_bare", re.compile(rf"\b(?P<count>{NUMBER})\s+(?=(?:is|are|was|were)\b)", re.I)),
]
# "the local authority children's homes": the nearest service noun phrase, for anaphora
SERVICE_NP = re.compile(rf"(?:{_WORD}\s+){{0,3}}{SERVICE}\b", re.I)
# Function words and vague quantifiers before a subject: "Most primary schools are good ... the
# number in an Ofsted category of concern" counts "primary schools".
_LEADING_FUNCTION_WORDS = re.compile(
    r"^(?:(?:the|of|a|an|all|its|their|these|those|in|by|to|for|with|from|and|but|most|many"
    r"|some|several|few|very|large|majority|minority)\s+)+",
    re.I,
)
# A sentence ends at a full stop followed by space or the end ("J. Winstanley" is not in bullets).
SENTENCE_END = re.compile(r"\.(?=\s|$)|;")
# A verb between two quantities means they do not share a predicate.
VERB = re.compile(r"\b(?:is|are|was|were|has|have|had|become|became|made|make)\b", re.I)
# "children's homes| run by the local authority| are good", "agencies| it uses| are": a
# post-modifier of the subject
POST_MODIFIER = re.compile(
    r"\s+((?:run|commissioned|maintained|provided|used|managed|owned|inspected)\b[^,.;]*?"
    rf"|in\s+the\s+(?:local\s+authority|area)|{_RELATIVE}[^,.;]*?)\s*$",
    re.I,
)
_TRAILING_PLACE = re.compile(r"\s+in\s+the\s+local\s+authority$", re.I)
# "schools judged inadequate", "schools judged to be inadequate": the judgement of a "number of"
_JUDGED_SUFFIX = re.compile(
    rf"\s+(?:(?:that|which)\s+(?:are|were)\s+)?(?:judged|found|graded|rated)\s+(?:to\s+be\s+|as\s+)?"
    rf"(?P<j>{JUDGEMENT})$",
    re.I,
)
# "schools in an Ofsted category of concern": the status is the judgement
_CONCERN_SUFFIX = re.compile(rf"\s+(?P<j>{CONCERN})$", re.I)
# "the number of inadequate schools": the adjective is the judgement
_JUDGEMENT_PREFIX = re.compile(rf"(?P<j>{JUDGEMENT})\s+(?P<rest>.+)", re.I)
_SERVICE_WORD = re.compile(rf"\b{SERVICE}\b", re.I)
# "one in |five schools": what follows is the denominator of a proportion
_ONE_IN = re.compile(rf"\b{NUMBER}\s+in\s+$", re.I)
# "one| in five schools": the numerator of a proportion
_IN_N = re.compile(rf"\s+in\s+{NUMBER}", re.I)


@dataclass(slots=True)
class _Quantity:
    kind: str
    start: int
    end: int
    count: int | None  # None: a quantity that is not a whole count ("half of the 7")
    total: int | None
    subject: str | None
    judgement: str | None = None
    evidence_end: int | None = None


def _clean_subject(subject: str | None) -> str | None:
    if not subject:
        return None
    s = _LEADING_FUNCTION_WORDS.sub("", " ".join(subject.split()))
    s = _TRAILING_PLACE.sub("", s)
    return s or None


def _lower(words: str) -> str:
    return " ".join(words.lower().split())


def _number_of(subject: str | None, concern: str | None) -> tuple[bool, str | None, str | None]:
    """(is provision, subject, judgement) of "the number of <subject>" or "the number in
    <concern>". "the number of looked after children" counts children, not provision."""
    if concern:
        return True, None, _lower(concern)
    if not subject or not _SERVICE_WORD.search(subject):
        return False, None, None
    judgement = None
    for pattern in (_JUDGED_SUFFIX, _CONCERN_SUFFIX):
        m = pattern.search(subject)
        if m:
            judgement, subject = _lower(m.group("j")), subject[: m.start()]
            break
    jm = _JUDGEMENT_PREFIX.match(subject)
    if judgement is None and jm:
        judgement, subject = _lower(jm.group("j")), jm.group("rest")
    return True, subject, judgement


def _first_word(phrase: str) -> str:
    """The first run of word characters of a phrase, lower case: "one-third" -> "one"."""
    m = _WORD_RUN.match(phrase.lower())
    return m.group() if m else ""


def _second_word(phrase: str) -> str | None:
    """The second run of word characters of a phrase, lower case: "one-third" -> "third"."""
    runs = _WORD_RUN.findall(phrase.lower())
    return runs[1] if len(runs) > 1 else None


_WORD_RUN = re.compile(r"\w+")
_NUMBER_FIRST_WORDS = frozenset(_first_word(w) for w in NUMBER_WORDS)
#: The first word (lower case, as a run of word characters) every match of each quantity
#: pattern starts with, and whether it may start with a digit. Each pattern starts at a word
#: boundary with one of these words followed by a space, a comma or a hyphen, so a match can
#: only start where such a word does; tests/test_rules_engine.py holds the search through
#: these starts equal to a plain finditer.
_FIRST_WORDS: dict[str, tuple[frozenset[str], bool]] = {
    "reduced": (frozenset({"the"}), False),
    "as_are": (frozenset(_first_word(w) for w in JUDGEMENT_WORDS), False),
    "fraction": (frozenset(_first_word(w) for w in (*APPROXIMATORS, *FRACTIONS)), False),
    "of_the_total": (frozenset({"of"}), False),
    "all": (frozenset({"all", "each"}), False),
    "none": (frozenset({"none"}), False),
    "further": (frozenset({"a"}), False),
    "out_of": (_NUMBER_FIRST_WORDS, True),
    "of": (_NUMBER_FIRST_WORDS, True),
    "remaining": (frozenset({"the"}), False),
    "the_n": (frozenset({"the", "its", "their"}), False),
    "n_noun": (_NUMBER_FIRST_WORDS, True),
    "n_bare": (_NUMBER_FIRST_WORDS, True),
}


#: What the word after a pattern's first word must be, for the patterns where it is fixed:
#: (words, or a number). "the" starts three patterns and one in nine of its matches counts
#: anything; "the number ...", "the remaining ...", "the 12 ...", "the council's ..." do.
_NEXT_WORDS: dict[str, tuple[frozenset[str], bool]] = {
    "reduced": (frozenset({"number"}), False),
    "as_are": (frozenset({"as", "or"}), False),  # "good, as are", "good or better, as are"
    "of_the_total": (frozenset({"the"}), False),
    "all": (frozenset({"of"}), True),
    "none": (frozenset({"of"}), False),
    "further": (frozenset({"further"}), False),
    "out_of": (frozenset({"out"}), False),
    "of": (frozenset({"of"}), False),
    "remaining": (frozenset({"remaining", "other"}), False),
    "the_n": (frozenset({"local", "authority", "council"}), True),
    "n_bare": (frozenset({"is", "are", "was", "were"}), False),
}


def _fraction_next_words() -> dict[str, frozenset[str]]:
    """The word after each first word of a fraction match: the phrase's second word ("a
    third", "more than", "one-third"), else what follows the phrase ("half of", "over half")."""
    fraction_firsts = {_first_word(f) for f in FRACTIONS}
    nexts: dict[str, set[str]] = {}
    for phrase in (*APPROXIMATORS, *FRACTIONS):
        second = _second_word(phrase)
        if second is not None:
            follow = {second}
        elif phrase in FRACTIONS:
            follow = {"of"}
        else:
            follow = fraction_firsts
        nexts.setdefault(_first_word(phrase), set()).update(follow)
    return {first: frozenset(words) for first, words in nexts.items()}


_FRACTION_NEXT_WORDS = _fraction_next_words()
#: The patterns whose first word is a number: a hyphenated one ("thirty-four") goes on past
#: its first run of letters, so the next run is still the number's and is not checked.
_NUMBER_LED = frozenset(kind for kind, (_, digits) in _FIRST_WORDS.items() if digits)
_KIND_INDEX = {kind: i for i, (kind, _) in enumerate(QUANTITIES)}
#: Whether each quantity pattern has a count group ("half of the 12" has none).
_HAS_COUNT = tuple("count" in pattern.groupindex for _, pattern in QUANTITIES)


@functools.lru_cache(maxsize=4096)
def _kinds_at(first: str | None, hyphen: str, after: str) -> tuple[int, ...]:
    """The quantity patterns (indices into QUANTITIES) a match of which can start at the word
    `first` (None: a word led by a digit), given whether a hyphen follows it and the next run
    of word characters `after` ("" at the end of the text)."""
    after_is_number = after in _NUMBER_FIRST_WORDS or after[:1].isdigit()
    kinds = []
    for kind, (firsts, digits) in _FIRST_WORDS.items():
        if not (first in firsts if first is not None else digits):
            continue
        if kind == "fraction":
            assert first is not None  # no fraction starts with a digit
            if after not in _FRACTION_NEXT_WORDS[first]:
                continue
        elif kind in _NEXT_WORDS and not (hyphen and kind in _NUMBER_LED):
            allowed, numbers = _NEXT_WORDS[kind]
            if not (after in allowed or (numbers and after_is_number)):
                continue
        kinds.append(_KIND_INDEX[kind])
    return tuple(kinds)


def _trie(words: dict[str, str]) -> str:
    """A regex matching each word followed by its own suffix pattern, as a trie (one branch per
    first letter, so the engine tries a few letters at a word, not every word)."""
    trie: dict[str, Any] = {}
    for word, suffix in words.items():
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = suffix

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            branches.append(node[""])
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return build(trie)


def _candidate_pattern() -> re.Pattern[str]:
    """One pattern finding, in lower-case ASCII text, every word where some quantity pattern
    can start, with the run of word characters after it; a first word whose every pattern
    fixes the next word is found only before an allowed one ("the number", "the 12", not
    "the quality"). Group 1: the word (None for a digit-led one), 2: a hyphen after it, 3:
    the next word."""
    suffixes: dict[str, str] = {}
    words = set().union(*(firsts for firsts, _ in _FIRST_WORDS.values()))
    for word in sorted(words):
        allowed: set[str] = set()
        for kind, (firsts, _) in _FIRST_WORDS.items():
            if word not in firsts:
                continue
            if kind == "fraction":
                allowed |= _FRACTION_NEXT_WORDS[word]
            elif kind in _NEXT_WORDS and kind not in _NUMBER_LED:
                nexts, numbers = _NEXT_WORDS[kind]
                allowed |= nexts | (_NUMBER_FIRST_WORDS if numbers else set())
                if numbers:
                    allowed.add("0")  # stands for every digit-led word
            else:  # any next word can do: no look-ahead
                suffixes[word] = r"\b"
                break
        else:
            digits = r"|\d" if "0" in allowed else ""
            allowed.discard("0")
            suffixes[word] = rf"\b(?=\W*(?:{word_alternation(sorted(allowed))}\b{digits}))"
    return re.compile(rf"\b(?:({_trie(suffixes)})|\d\w*\b)(?=(-?)\W*(\w*))")


# "the| number", "one| of", "12| schools": see _candidate_pattern
_CANDIDATE = _candidate_pattern()


def _match_starts(text: str) -> dict[int, list[int]] | None:
    """Where a match of each quantity pattern (by index into QUANTITIES; a pattern with no
    start is left out) can start, in order. None for text beyond ASCII (re.I folds characters
    that str.lower leaves alone, so words would be missed)."""
    if not text.isascii():
        return None
    starts: dict[int, list[int]] = {}
    for m in _CANDIDATE.finditer(text.lower()):
        kinds = _kinds_at(*m.groups())
        if kinds:
            at = m.start()
            for k in kinds:
                if k in starts:
                    starts[k].append(at)
                else:
                    starts[k] = [at]
    return starts


def _matches(
    kind: int, pattern: re.Pattern[str], text: str, starts: dict[int, list[int]] | None
) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)`, trying the pattern only where a match can start: the same
    leftmost, non-overlapping matches (none is empty)."""
    if starts is None:
        yield from pattern.finditer(text)
        return
    end = 0
    for pos in starts.get(kind, ()):
        if pos >= end and (m := pattern.match(text, pos)) is not None:
            yield m
            end = m.end()


def _untaken_matches(
    kind: int,
    pattern: re.Pattern[str],
    text: str,
    starts: dict[int, list[int]] | None,
    taken: list[tuple[int, int]],
) -> Iterator[re.Match[str]]:
    """The matches of `_matches(kind, pattern, text, starts)` that start outside every span of
    `taken` (which may grow between matches, by spans that end before the next match). A match
    starting inside a taken span overlaps it and is dropped by the caller anyway; it is tried
    only when a later start could be hidden by it (finditer goes on after a match's end), so
    the starts inside the earlier patterns' matches, most tries of the later patterns, are
    mostly not tried at all."""
    if starts is None:
        yield from (m for m in pattern.finditer(text) if not _inside(m.start(), taken))
        return
    end = 0
    skipped: list[int] = []  # starts inside a taken span, not tried yet
    for pos in starts.get(kind, ()):
        if pos < end:
            continue
        if _inside(pos, taken):
            skipped.append(pos)
            continue
        # the skipped starts' matches, in order, only for where finditer goes on after them
        for at in skipped:
            if at >= end and (m := pattern.match(text, at)) is not None:
                end = m.end()
        skipped.clear()
        if pos >= end and (m := pattern.match(text, pos)) is not None:
            yield m
            end = m.end()


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    # a loop, not any() over a generator: called at every start, and a generator costs more
    # than the few spans it looks at
    for start, end in spans:  # noqa: SIM110
        if start <= pos < end:
            return True
    return False


def _proportion_before(text: str, start: int) -> bool:
    """Whether "one in " ends right before `start` (_ONE_IN), looked for only where the text
    before `start` ends with "in" and white space (read backwards from `start`, not by copying
    the text before it)."""
    at = start
    while at > 0 and text[at - 1].isspace():
        at -= 1
    if at == start or at < 2 or text[at - 2 : at].lower() != "in":
        return False
    return _ONE_IN.search(text, 0, start) is not None


def _find_quantities(text: str) -> list[_Quantity]:
    taken: list[tuple[int, int]] = []
    found: list[_Quantity] = []
    starts = _match_starts(text)
    if starts is None:
        kinds: Iterable[int] = range(len(QUANTITIES))
    elif not starts:
        return found  # no word where a quantity can start: most bullets without a number
    else:
        kinds = sorted(starts)  # only the patterns that can match, in their order
    for k in kinds:
        kind, pattern = QUANTITIES[k]
        has_count = _HAS_COUNT[k]
        for m in _untaken_matches(k, pattern, text, starts, taken):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            # m.end("count") is -1 when the count group took no part in the match
            if _proportion_before(text, m.start()) or (
                has_count and (count_end := m.end("count")) >= 0 and _IN_N.match(text, count_end)
            ):
                continue  # "one in five schools": a proportion, neither one nor five schools
            groups = m.groupdict()
            total_raw = groups.get("total")
            total = parse_number(total_raw) if total_raw else None
            subject = groups.get("subject")
            judgement = None
            count: int | None
            if kind == "none":
                count = 0
            elif kind == "fraction":
                # the count is the fraction of the total, never the total itself; approximate or
                # not whole ("half of the 7"): no count, but the span stays taken
                count = None if groups["approx"] else fraction_of(groups["fraction"], total or 0)
            else:
                count = parse_number(groups["count"])
            if kind in ("all", "the_n"):
                total = count
            if kind == "reduced":
                provision, subject, judgement = _number_of(subject, groups.get("concern"))
                if not provision:
                    continue
            if kind == "as_are":
                judgement = _lower(groups["judgement"])
                if groups.get("post") and subject:
                    subject += groups["post"]
            q = _Quantity(
                kind, m.start(), m.end(), count, total, _clean_subject(subject), judgement
            )
            if kind in ("reduced", "as_are"):
                q.evidence_end = m.end()
            taken.append((m.start(), m.end()))
            found.append(q)
    return sorted(found, key=lambda q: q.start)


def find_counts(text: str) -> list[tuple[Count, int, int]]:
    """Counts stated in one bullet, each with its evidence offsets within `text`."""
    return [(Count(**fields), start, end) for fields, start, end in _count_fields(text)]


def _count_fields(text: str) -> list[tuple[dict[str, Any], int, int]]:
    """find_counts' counts as the fields of a Count, unvalidated: the record is validated once,
    whole (see letter_from_text)."""
    quantities = _find_quantities(text)
    for i, q in enumerate(quantities):
        if q.evidence_end is not None:
            continue
        sentence_end = SENTENCE_END.search(text, q.end)
        limit = sentence_end.start() if sentence_end else len(text)
        if i + 1 < len(quantities):
            limit = min(limit, quantities[i + 1].start)
        pred = PREDICATE.search(text, q.end, limit)
        if pred:
            q.judgement = " ".join(pred.group("judgement").lower().split())
            q.evidence_end = pred.end()
            post = POST_MODIFIER.match(text, q.end, pred.start())
            if q.subject and post:
                q.subject = f"{q.subject} {' '.join(post.group(1).split())}"
    # Subjects listed before one shared predicate take its judgement: "all seven special
    # schools, ... and the three pupil referral units, are good or better".
    for i in range(len(quantities) - 2, -1, -1):
        q, nxt = quantities[i], quantities[i + 1]
        gap = text[q.end : nxt.start]
        if (
            q.evidence_end is None
            and nxt.evidence_end is not None
            and nxt.judgement is not None
            and not SENTENCE_END.search(gap)
            and not VERB.search(gap)
        ):
            q.judgement, q.evidence_end = nxt.judgement, nxt.evidence_end

    counts: list[tuple[dict[str, Any], int, int]] = []
    previous_subject: str | None = None
    for q in quantities:
        subject = q.subject
        if subject is None:
            subject = previous_subject or _nearest_service(text, q.start)
        if q.subject is not None:
            previous_subject = q.subject
        if q.evidence_end is None or q.count is None:
            continue
        if subject is None:
            continue
        counts.append(
            (
                {
                    "subject": subject,
                    "count": q.count,
                    "total": q.total,
                    "judgement": q.judgement,
                    "evidence": text[q.start : q.evidence_end],
                },
                q.start,
                q.evidence_end,
            )
        )
    return counts


def _nearest_service(text: str, before: int) -> str | None:
    # SERVICE_NP is tried at every character: in lower-cased ASCII text its case-sensitive
    # copy finds the same matches at a third of the cost (re.I folds each character compared)
    ascii_text = text.isascii()
    pattern = _SERVICE_NP_LOWER if ascii_text else SERVICE_NP
    last = None
    for m in pattern.finditer(text.lower() if ascii_text else text, 0, before):
        last = m
    return _clean_subject(text[last.start() : last.end()]) if last else None


# SERVICE_NP for lower-cased ASCII text (its source has no upper-case escape such as \S, so
# lowering it keeps its meaning)
_SERVICE_NP_LOWER = re.compile(SERVICE_NP.pattern.lower())


# --- Safeguarding inspections ------------------------------------------------------------------

_MONTH_YEAR = re.compile(rf"\b(?P<month>{'|'.join(MONTHS)})\s+(?P<year>(?:19|20)\d\d)\b")
_SENTENCE = re.compile(r"[^.]+?(?:\.(?=\s|$)|$)", re.S)
# Inspections reported together, one per date of a list: "Unannounced inspections of contact,
# referral and assessment arrangements in June 2009 and (again in) July 2010 found ..."
_MY = rf"(?:{'|'.join(MONTHS)})\s+(?:19|20)\d\d"
_MONTH_YEAR_LIST = re.compile(
    rf"{_MY}(?:\s*,\s*(?:in\s+)?{_MY})*\s*,?\s+and\s+(?:again\s+)?(?:in\s+)?{_MY}"
)
# The kind rule (eval/LABELLING.md, "Inspection kinds"): tried in this order over the sentence
# that reports the inspection, first match wins, so every sentence has one kind.
KIND_PATTERNS: list[tuple[InspectionKind, re.Pattern[str]]] = [
    # "a full inspection of safeguarding and looked after children services",
    # "the safeguarding and looked-after children inspection"
    (
        "inspection of safeguarding and looked after children",
        re.compile(
            r"safeguarding\s+and\s+(?:services\s+for\s+)?looked[\s-]+after\s+children"
            r"|looked[\s-]+after\s+children(?:'s)?\s+(?:services\s+)?and\s+safeguarding",
            re.I,
        ),
    ),
    # "an unannounced inspection of contact, referral and assessment arrangements",
    # "an unannounced inspection of front-door services"
    (
        "unannounced inspection of contact, referral and assessment",
        re.compile(r"\bunannounced\b|contact,?\s+referral,?\s+and\s+assessment", re.I),
    ),
    # "a full inspection of safeguarding", "an announced inspection of safeguarding"
    (
        "full inspection of safeguarding",
        re.compile(
            r"\bfull\s+inspection\b|\binspection\s+of\s+safeguarding\b"
            r"|\bannounced\s+inspection\b|\bsafeguarding\s+inspection\b",
            re.I,
        ),
    ),
]
# "these arrangements": the inspection kind named in an earlier sentence
ANAPHORIC_KIND = re.compile(r"\binspection\s+of\s+these\s+arrangements\b", re.I)
OUTCOMES: list[tuple[InspectionOutcome, re.Pattern[str]]] = [
    ("no priority action", re.compile(r"\bno\s+(?:areas?\s+for\s+)?priority\s+actions?\b", re.I)),
    (
        "priority action",
        re.compile(r"\bareas?\s+for\s+priority\s+action|\bpriority\s+actions?\b", re.I),
    ),
    ("areas for development", re.compile(r"\bareas?\s+for\s+development\b", re.I)),
]
# The grade a full or looked-after-children inspection gave, as a predicate only ("safeguarding
# remained inadequate", "judged ... to be good"), never "good progress" or "good or better"
_GRADE_OUTCOME = re.compile(
    r"\b(?:to\s+be|remained|remains|was|were|is|are|as|judged|graded|rated)\s+"
    r"(?:only\s+|now\s+|still\s+)?(outstanding|good|inadequate|adequate)\b"
    r"(?!\s+(?:or|and)\s+(?:better|outstanding))",
    re.I,
)
# A sentence that can state the grade names what was judged ("Overall effectiveness was judged
# to be good"), unlike "very few services are inadequate" in the paragraph after
_GRADE_SENTENCE = re.compile(
    r"\b(?:safeguarding|effectiveness|arrangements|inspection|judged|them)\b", re.I
)
# A word every match of a kind pattern and of ANAPHORIC_KIND holds, lower case: most sentences
# hold none and are not searched (in ASCII only: re.I folds the long s, str.lower does not)
_KIND_WORDS = ("looked", "unannounced", "contact", "inspection")
# How many sentences after the reporting one may state its outcome ("This identified ...")
OUTCOME_SENTENCES = 2


def find_inspections(summary: str) -> list[tuple[SafeguardingInspection, int, int]]:
    """Safeguarding inspections the summary reports, with evidence offsets within `summary`."""
    sentences = [(m.start(), m.group(0)) for m in _SENTENCE.finditer(summary) if m.group(0).strip()]
    found: list[tuple[SafeguardingInspection, int, int]] = []
    kinds: list[InspectionKind | None] = []
    last_kind: InspectionKind | None = None
    for _, sentence in sentences:
        kind: InspectionKind | None = None
        lower = sentence.lower()
        if not sentence.isascii() or any(w in lower for w in _KIND_WORDS):
            for k, pattern in KIND_PATTERNS:
                if pattern.search(sentence):
                    kind = k
                    break
            if kind is None and ANAPHORIC_KIND.search(sentence):
                kind = last_kind
        kinds.append(kind)
        if kind:
            last_kind = kind
    for i, (offset, sentence) in enumerate(sentences):
        kind = kinds[i]
        if kind is None:
            continue
        when = _MONTH_YEAR.search(sentence)
        if when is None or "inspection" not in sentence.lower():
            continue
        listed = _MONTH_YEAR_LIST.match(sentence, when.start())
        dates = [
            f"{m.group('year')}-{MONTHS.index(m.group('month')) + 1:02d}"
            for m in _MONTH_YEAR.finditer(listed.group(0) if listed else when.group(0))
        ]
        dates = [d for d in dates if not any(f[0].date == d and f[0].kind == kind for f in found)]
        if not dates:
            continue
        # the finding may be reported in the following sentences, up to the next inspection
        window = [sentence]
        for j in range(i + 1, min(i + 1 + OUTCOME_SENTENCES, len(sentences))):
            if _MONTH_YEAR.search(sentences[j][1]) and kinds[j]:
                break
            window.append(sentences[j][1])
        outcome: InspectionOutcome | None = None
        if kind != "unannounced inspection of contact, referral and assessment":
            for candidate in window:
                grade = (
                    _GRADE_OUTCOME.search(candidate) if _GRADE_SENTENCE.search(candidate) else None
                )
                if grade:
                    outcome = fold(grade.group(1))  # type: ignore[assignment]
                    break
        if outcome is None:
            outcome = _outcome_of(" ".join(window))
        lead = len(sentence) - len(sentence.lstrip())
        body = sentence.strip()
        body = body[:-1] if body.endswith(".") else body
        start = offset + lead
        for date in dict.fromkeys(dates):
            found.append(
                (
                    SafeguardingInspection(date=date, kind=kind, outcome=outcome, evidence=body),
                    start,
                    start + len(body),
                )
            )
    return found


def _outcome_of(text: str) -> InspectionOutcome | None:
    for outcome, pattern in OUTCOMES:
        if pattern.search(text):
            return outcome
    return None


# --- The engine --------------------------------------------------------------------------------


class RulesEngine:
    """Fills the schema from the text alone: no network, no model, same answer every time."""

    name = "rules"

    def info(self) -> EngineInfo:
        return EngineInfo(name=self.name, version=ENGINE_VERSION)

    def extract(self, doc: LoadedText) -> EngineResult:
        return EngineResult(letter=letter_from_text(doc))


def letter_from_text(doc: LoadedText) -> Letter:
    """The rules engine's record of one loaded letter."""
    text = doc.text
    st = parse_structure(text)
    prov: dict[str, dict[str, int]] = {}
    unfilled: list[str] = []

    def keep(path: str, block: Block | None) -> str | None:
        if block is None:
            unfilled.append(path)
            return None
        prov[path] = _span(doc, block.start, block.end)
        return block.text

    authority = keep("local_authority", st.heading_authority)
    year_text = keep("assessment_year", st.heading_year)
    letter_date: dt.date | None = None
    if st.date:
        day, month, year = st.date.text.split()
        letter_date = dt.date(int(year), MONTHS.index(month) + 1, int(day))
        prov["letter_date"] = _span(doc, st.date.start, st.date.end)
    else:
        unfilled.append("letter_date")

    recipient = _person(doc, st.recipient_name, st.recipient_role, "recipient", prov, unfilled)
    signatory = _person(doc, st.signatory_name, st.signatory_role, "signatory", prov, unfilled)

    grade: int | None = None
    label: GradeLabel | None = None
    if st.verdict:
        m = VERDICT.match(text, st.verdict.start)
        assert m is not None  # parse_structure found it here
        grade = int(m.group("grade"))
        label = GRADE_LABELS[grade]
        prov["grade"] = _span(doc, m.start("grade"), m.end("grade"))
        prov["grade_label"] = _span(doc, m.start("label"), m.end("label"))
    else:
        # No verdict line (a damaged conversion): the summary's own wording is the next best
        # evidence. The scale table and the boilerplate 'performs poorly' are never read.
        m2 = SUMMARY_VERB.search(text)
        if m2:
            grade = LABEL_BY_ADVERB[m2.group("adverb").lower()]
            label = GRADE_LABELS[grade]
            prov["grade"] = prov["grade_label"] = _span(doc, m2.start("adverb"), m2.end("adverb"))
        else:
            unfilled += ["grade", "grade_label"]

    summary = st.summary
    if summary is None:
        unfilled.append("summary")
    else:
        prov["summary"] = _span(doc, st.summary_paragraphs[0].start, st.summary_paragraphs[-1].end)

    if not st.strengths:
        unfilled.append("strengths")
    if not st.areas:
        unfilled.append("areas_for_improvement")

    inspections: list[SafeguardingInspection] = []
    for para in st.summary_paragraphs:
        for insp, s, e in find_inspections(para.text):
            if any(i.date == insp.date and i.kind == insp.kind for i in inspections):
                continue
            insp.span = doc.span(para.start + s, para.start + e)
            inspections.append(insp)

    # One validation of the whole record, from plain fields: a model built per count, finding
    # and person, then checked again as a field of its parent, cost more than the reading. The
    # same fields are given (so the same fields are set) and the same checks run.
    return Letter.model_validate(
        {
            "local_authority": authority,
            "assessment_year": int(year_text) if year_text else None,
            "letter_date": letter_date,
            "recipient": recipient,
            "signatory": signatory,
            "grade": grade,
            "grade_label": label,
            "summary": summary,
            "strengths": [_finding(doc, b) for b in st.strengths],
            "areas_for_improvement": [_finding(doc, b) for b in st.areas],
            "safeguarding_inspections": inspections,
            "provenance": prov,
            "unfilled": unfilled,
        }
    )


def _span(doc: LoadedText, start: int, end: int) -> dict[str, int]:
    """The fields of `doc.span(start, end)`, for the record's one validation: building a Span
    model for each of a letter's thirty-odd spans cost more than validating them all with the
    record. The same mapping (tests/test_engine_speed_equivalence.py holds the two equal)."""
    if not 0 <= start <= end <= len(doc.text):
        return doc.span(start, end).model_dump()  # raises, saying why
    offsets = doc.offsets
    first = offsets[start]
    if start == end:
        return {"start": first, "end": first}
    last = min(offsets[end - 1] + 1, len(doc.original))
    return {"start": first, "end": max(first, last)}


def _person(
    doc: LoadedText,
    name: Block | None,
    role: Block | None,
    path: str,
    prov: dict[str, dict[str, int]],
    unfilled: list[str],
) -> dict[str, str | None] | None:
    """A Person's fields."""
    if name is None:
        unfilled.append(f"{path}.name")
        return None
    prov[f"{path}.name"] = _span(doc, name.start, name.end)
    if role is None:
        unfilled.append(f"{path}.role")
    else:
        prov[f"{path}.role"] = _span(doc, role.start, role.end)
    return {"name": name.text, "role": role.text if role else None}


def _finding(doc: LoadedText, bullet: Block) -> dict[str, Any]:
    """A Finding's fields, its counts' with their spans."""
    counts = []
    for count, s, e in _count_fields(bullet.text):
        count["span"] = _span(doc, bullet.start + s, bullet.start + e)
        counts.append(count)
    return {
        "text": bullet.text,
        "topic": topic_of(bullet.text),
        "counts": counts,
        "span": _span(doc, bullet.start, bullet.end),
    }
