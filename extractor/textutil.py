"""Small text facts shared by the engine and the validators: months and numbers in words."""

from __future__ import annotations

import re
from typing import Any

MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip

_UNITS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]  # fmt: skip
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

#: value of every number word from zero to ninety-nine ("thirty-four" -> 34)
NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(_UNITS)}
for _t, _tens in enumerate(_TENS, start=2):
    NUMBER_WORDS[_tens] = _t * 10
    for _u in range(1, 10):
        NUMBER_WORDS[f"{_tens}-{_UNITS[_u]}"] = _t * 10 + _u


def word_alternation(words: list[str] | tuple[str, ...] | dict[str, int]) -> str:
    """A regex matching exactly `words`, written as a trie so the engine tries one branch per
    first letter instead of every word at every position ("seven(?:t(?:een|y)...)?" rather than
    "seventeen|seventy|seven|..."): the same strings, a fraction of the work. Longer words are
    tried first, so "seventeen" is never read as "seven" by a pattern that stops after it."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return "(?:" + build(trie) + ")"


# A count in a letter: 1-3 digits (never a year) or a number word.
NUMBER = r"(?:\d{1,3}(?!\d)|" + word_alternation(NUMBER_WORDS) + r")(?![\w-])"


#: The letters re.I matches to an ASCII letter that str.lower does not make that letter: the
#: long s ("ſeven"), the dotless i and the dotted capital I ("fıve", "FİVE"). (The Kelvin sign,
#: which re.I matches to "k", str.lower makes "k" itself.)
_RE_I_FOLDS = str.maketrans({"\u017f": "s", "\u0131": "i", "\u0130": "i"})


def fold(token: str) -> str:
    """`token` lower-cased as re.I compares it with ASCII words: a word a re.I pattern matched
    as "seven" is "seven" here, however the letter spelled it ("ſeven", "SEVEN")."""
    return token.translate(_RE_I_FOLDS).lower()


def parse_number(token: str) -> int:
    """'8' -> 8, 'eight' -> 8, 'Thirty-four' -> 34, 'ſeven' (as re.I reads it) -> 7. Raises
    ValueError for anything else."""
    token = fold(token.strip())
    if token.isdigit():
        return int(token)
    if token in NUMBER_WORDS:
        return NUMBER_WORDS[token]
    raise ValueError(f"not a number: {token!r}")


# The headings of the two bullet lists, in the 2011 wording and the older one (use with re.I):
# "Strengths" / "Major strengths"; "Areas for further improvement" / "Important weaknesses and
# areas for development".
STRENGTHS_WORDING = r"(?:(?:major|key)\s+)?strengths"
AREAS_WORDING = (
    r"(?:important\s+weaknesses\s+and\s+)?areas\s+for\s+(?:further\s+)?"
    r"(?:improvement|development)"
)

# The inspection judgements a count can carry, longest first ("good or better" before "good").
#: The judgements a count can carry, in the order the pattern tries them ("good or better"
#: before "good").
JUDGEMENT_WORDS = (
    "good or better", "good or outstanding", "outstanding", "good", "satisfactory", "adequate",
    "inadequate", "inspected",
)  # fmt: skip
JUDGEMENT = "(?:" + "|".join(r"\s+".join(w.split()) for w in JUDGEMENT_WORDS) + ")"
# A judgement stated as a predicate of what is counted: "are good or better",
# "was recently judged to be inadequate", "have been inspected"
PREDICATE = re.compile(
    r"\b(?:is|are|was|were|have\s+been|has\s+been|had\s+been|remains?)\s+"
    r"(?:(?:now|only|still|also|all|recently|currently|judged|to\s+be|as|this\s+year"
    r"|last\s+year|since)\s+)*"
    rf"(?P<judgement>{JUDGEMENT})\b",
    re.I,
)

# What a count counts (see eval/LABELLING.md): services, settings and institutions, singular and
# plural. A word list, used as a regex alternation: "schools", "sixth forms", "agencies".
SERVICE_NOUNS = (
    r"(?:schools?|academ(?:y|ies)|centres?|homes?|services?|agenc(?:y|ies)|providers?|settings?"
    r"|units?|colleges?|nurser(?:y|ies)|sixth\s+forms?|childminders?|institutions?|playgroups?"
    r"|pre-schools?)"
)

# An inspection status that is not a grade but is said of a number of schools: "the number in
# an Ofsted category of concern has fallen from four to one", "schools in special measures",
# "schools with a notice to improve" (use with re.I).
CONCERN = (
    r"(?:in\s+an?\s+(?:Ofsted\s+)?category\s+of\s+concern|in\s+special\s+measures"
    r"|(?:with|given|under)\s+a\s+notice\s+to\s+improve)"
)

#: Fractions a count can be stated as, with their value as (numerator, denominator): "half of the
#: 12 schools" is 6 of 12. Keys are lower case with single spaces.
FRACTIONS: dict[str, tuple[int, int]] = {
    "half": (1, 2), "one half": (1, 2), "a half": (1, 2),
    "a third": (1, 3), "one third": (1, 3), "one-third": (1, 3),
    "two thirds": (2, 3), "two-thirds": (2, 3),
    "a quarter": (1, 4), "one quarter": (1, 4), "one-quarter": (1, 4),
    "three quarters": (3, 4), "three-quarters": (3, 4),
    "a fifth": (1, 5), "one fifth": (1, 5), "one-fifth": (1, 5),
}  # fmt: skip

#: Words that make a quantity approximate, so it is not a count: "over half of the 12 schools".
APPROXIMATORS = (
    "over", "more than", "almost", "nearly", "about", "around", "under", "less than",
    "fewer than", "just over", "just under", "roughly", "approximately", "well over",
)  # fmt: skip

#: Verbs of a number changing: "the number of inadequate schools has reduced from five to two".
CHANGE_VERBS = (
    "reduced", "fallen", "risen", "increased", "decreased", "dropped", "declined", "grown",
    "gone up", "gone down", "come down",
)  # fmt: skip


def fraction_of(fraction: str, total: int) -> int | None:
    """'half', 12 -> 6; 'a third', 9 -> 3; 'half', 7 -> None (not a whole number of things).
    `fraction` is what a pattern with `alternation(FRACTIONS)` and re.I matched, in any case
    and spacing: 'Two  Thirds' and 'two thirdſ' (re.I folds the long s into "s", which
    str.lower leaves alone) are two thirds. Raises KeyError for a word that is not a fraction."""
    num, den = FRACTIONS[" ".join(fold(fraction).split())]
    return total * num // den if (total * num) % den == 0 else None


def alternation(words: tuple[str, ...] | list[str]) -> str:
    """A regex alternation of phrases, longest first, spaces matching any whitespace:
    ('more than', 'over') -> '(?:more\\s+than|over)'."""
    ordered = sorted(words, key=len, reverse=True)
    return "(?:" + "|".join(r"\s+".join(map(re.escape, w.split())) for w in ordered) + ")"


# --- The letter's fixed wording ------------------------------------------------------------------
# Loader, engine and validators take their words from here; each keeps its own reader (a shared
# reader's bug would make every check pass), not its own word list. Use with re.I.

#: An apostrophe as converted text spells it (the loader straightens curly ones; raw text may not).
APOSTROPHE = "['\u2018\u2019]"
#: "children's services assessment": the heading, the verdict line and the closing paragraph.
SERVICES_ASSESSMENT = rf"children{APOSTROPHE}s\s+services\s+assessment"
#: The grade each adverb of the scale stands for: "Performs poorly" is 1 ... "excellently" 4.
GRADE_BY_ADVERB: dict[str, int] = {"poorly": 1, "adequately": 2, "well": 3, "excellently": 4}
ADVERB = "(?:" + "|".join(GRADE_BY_ADVERB) + ")"
#: A row of the four-point scale table: "4<TAB>Performs excellently<TAB>An organisation that ..."
SCALE_ROW_WORDING = rf"[1-4]\s+Performs\s+{ADVERB}"
#: The closing paragraph: "This children's services assessment is provided in accordance with ..."
CLOSING_WORDING = rf"This\s+{SERVICES_ASSESSMENT}\s+is\s+provided\b"
#: The sign-off: "Yours sincerely"
SIGN_OFF_WORDING = r"Yours\s+(?:sincerely|faithfully)"

# One piece of Ofsted's letterhead: "Aviation House", "125 Kingsway", "T", "0300", "Direct",
# "Juliet.Winstanley@ofsted.gov.uk", "www.ofsted.gov.uk" (a narrow column may wrap a phone
# number anywhere, so its digit groups are pieces of their own)
_LETTERHEAD_TOKEN = (
    r"(?:Aviation House|\d{1,3} Kingsway|London|WC2B 6SE|Piccadilly Gate|Store Street"
    r"|Manchester|M1 2WD|Agora|\d Cumberland Place|Nottingham|NG1 6HJ|Ofsted|Direct|Textphone"
    r"|[TF]|\d{3,5}|[\w.'-]+@ofsted\.gov\.uk|www\.ofsted\.gov\.uk)"
)
#: A line (or a column's cell) of nothing but letterhead: "Direct T 020 7421 6666 Direct F ..."
#: (use with re.I and fullmatch)
LETTERHEAD_WORDING = rf"{_LETTERHEAD_TOKEN}(?:[ ,]+{_LETTERHEAD_TOKEN})*"

#: Glyphs a converter puts before a bullet, besides ASCII "-", "*" and "+": "•", "▪", "●", ...
#: and Word's Symbol-font bullets, which come out in the private-use area (U+F0B7 most often).
BULLET_GLYPHS = "•●▪◦‣∙·■□➢➤✓\uf0b7\uf0a7\uf0d8\uf0fc\uf076\uf0a8"
