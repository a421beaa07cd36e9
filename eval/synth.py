"""Synthetic assessment letters with gold records, in the surface forms real inputs arrive in.

Every letter is assembled from seeded random choices, and its gold `Letter` is built from the
same choices (never by running an extractor), following `eval/LABELLING.md`. The sentences are
written for this generator: the standard boilerplate paragraphs (scale table, the paragraph that
quotes 'performs excellently' and 'performs poorly') are kept in every letter because they are
the trap an extractor must not take the grade from, but the judgement paragraphs and bullets are
not the real letters with names swapped.

Surface forms:

- ``clean``: one line per paragraph or bullet, tab-separated scale table and verdict line, a
  dashed rule under the verdict line (like the Worcestershire text).
- ``markdown``: the same with ``## `` headings and ``**bold**`` (like the Dudley conversion).
- ``pdftotext``: hard-wrapped at 75-80 columns, curly quotes and apostrophes, page footers
  ("Page 1 of 3") and form feeds between pages.
- ``pdf``: a real PDF written with fpdf2 (core font, latin-1 text); fpdf2 is imported only when
  a PDF is rendered, so everything else works without the optional extra.
- ``wp-pdf``, ``wp-pypdf``, ``wp-pdftotext``, ``wp-pdftotext-layout`` (`write_wp`): a Word
  document laid out like Ofsted's (python-docx), made into a PDF by LibreOffice headless, and
  the texts pypdf and pdftotext (default and -layout) make of it. These need LibreOffice and
  pdftotext; `wp_surfaces_available` says what is missing.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ofsted_extractor.schema import (
    GRADE_LABELS,
    TOPICS,
    Count,
    Finding,
    InspectionKind,
    InspectionOutcome,
    Letter,
    Person,
    SafeguardingInspection,
    Topic,
)

Surface = Literal["clean", "markdown", "pdftotext", "pdf"]
SURFACES: tuple[Surface, ...] = ("clean", "markdown", "pdftotext", "pdf")
TEXT_SURFACES: tuple[Surface, ...] = ("clean", "markdown", "pdftotext")
EXTENSIONS: dict[Surface, str] = {
    "clean": ".txt",
    "markdown": ".md",
    "pdftotext": ".txt",
    "pdf": ".pdf",
}

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_WORDS = (
    "none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
)  # fmt: skip

# --- Names ---------------------------------------------------------------------------------------

_STEMS = (
    "Ash", "Bram", "Carl", "Dun", "Elm", "Fen", "Gran", "Hal", "Ivy", "Kel", "Lang", "Marl",
    "Nor", "Oak", "Pen", "Quen", "Rad", "Sel", "Thorn", "Ux", "Wex", "Wyn", "Yar", "Brack",
    "Colm", "Drey", "Hest", "Lorn", "Mere", "Stan",
)  # fmt: skip
_TOWN_ENDS = (
    "ford", "ham", "bury", "ley", "ton", "field", "wick", "borough", "dale", "minster", "mouth",
    "worth", "stead", "combe",
)  # fmt: skip
_AUTHORITY_FORMS = (
    "{shire} County Council",
    "Borough of {town}",
    "{town} Metropolitan Borough Council",
    "London Borough of {town}",
    "{town} City Council",
    "{town} Borough Council",
    "{shire} Council",
)
_FIRST = (
    "Alison", "Andrew", "Bridget", "Catherine", "Colin", "David", "Deborah", "Eleanor", "Fiona",
    "Graham", "Helen", "Ian", "Janet", "Karen", "Keith", "Linda", "Malcolm", "Margaret", "Nigel",
    "Patricia", "Paul", "Rachel", "Richard", "Sarah", "Simon", "Susan", "Trevor", "Yvonne",
    "Amrit", "Nasreen", "Olu", "Siobhan",
)  # fmt: skip
_SURNAMES = (
    "Ashworth", "Bradshaw", "Caldwell", "Dempsey", "Ellison", "Fairbairn", "Gillespie",
    "Harcourt", "Ingram", "Jarvis", "Kershaw", "Lindqvist", "Marsden", "Nolan", "Okafor",
    "Pemberton", "Rahman", "Sandford", "Thackeray", "Underwood", "Varley", "Whitfield",
    "Yeomans", "Achebe", "Brennan", "Chaudhry", "Dunmore", "Fitzgerald", "Holroyd", "McAllister",
)  # fmt: skip
_TITLES = ("Mr", "Ms", "Mrs", "Dr")
_RECIPIENT_ROLES = (
    "Director of Children's Services",
    "Director of Children's Services",
    "Acting Director of Children's Services",
    "Interim Director of Children's Services",
    "Interim Director of Children and Young People's Services",
    "Strategic Director, Children and Young People",
    "Corporate Director for Children, Young People and Families",
    "Executive Director of Children's Services",
)
_SIGNATORY_ROLES = (
    "Divisional Manager, Children's Services Assessment",
    "Divisional Manager, Children's Services Assessment",
    "Acting Divisional Manager, Children's Services Assessment",
    "Director, Children's Services Assessment",
)
_STREETS = ("Road", "Street", "Square", "Lane", "Way", "Avenue")
_BUILDINGS = ("County Hall", "Civic Centre", "Town Hall", "Council House", "Shire Hall")


# --- Small helpers -------------------------------------------------------------------------------


def _word(n: int) -> str:
    return _WORDS[n] if 0 < n < len(_WORDS) else str(n)


def _num(rng: random.Random, n: int, *, words_up_to: int = 12) -> str:
    """A count as the letters write it: words for small numbers, usually digits for large ones."""
    if n <= words_up_to and rng.random() < 0.8:
        return _word(n)
    return str(n)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _month_year(year: int, month: int) -> str:
    return f"{MONTHS[month - 1]} {year}"


@dataclass
class _Clause:
    """A piece of a bullet with the counts it states; each evidence is a substring of `text`."""

    text: str
    counts: list[Count] = field(default_factory=list)


def _count(subject: str, n: int, total: int | None, judgement: str | None, ev: str) -> Count:
    return Count(subject=subject, count=n, total=total, judgement=judgement, evidence=ev)


# --- Services per topic --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Service:
    plural: str
    singular: str
    qualifiers: tuple[str, ...] = ("",)


_SERVICES: dict[Topic, tuple[_Service, ...]] = {
    "early years and childcare": (
        _Service("day nurseries", "day nursery"),
        _Service("pre-school playgroups", "pre-school playgroup"),
    ),
    "children's centres": (_Service("children's centres", "children's centre"),),
    "primary": (_Service("primary schools", "primary school", ("", " in the local authority")),),
    "secondary": (
        _Service("secondary schools", "secondary school", ("", " maintained by the council")),
    ),
    "post-16": (
        _Service("school sixth forms", "school sixth form"),
        _Service("further education colleges", "further education college"),
    ),
    "special educational provision": (
        _Service("special schools", "special school", ("", " in the area")),
    ),
    "pupil referral units": (
        _Service("pupil referral units", "pupil referral unit"),
        _Service("short-stay schools", "short-stay school"),
    ),
    "fostering and adoption": (
        _Service("fostering and adoption services", "fostering and adoption service"),
        _Service("independent fostering agencies", "independent fostering agency"),
    ),
    "children's homes": (
        _Service(
            "children's homes",
            "children's home",
            ("", " run by the local authority", " commissioned from private providers"),
        ),
    ),
    "other": (_Service("residential family centres", "residential family centre"),),
}

#: First sentences that name the topic's service first (the guide's rule for `topic`).
_OPENERS: dict[Topic, dict[str, tuple[str, ...]]] = {
    "early years and childcare": {
        "s": (
            "The {very large|large} majority of early years and childcare providers are good or "
            "better{, as they were last year|}.",
            "Early years and childcare provision continues to be {strong|a strength}, with most "
            "childminders and nurseries judged good or better.",
            "For children under five, provision in childminding and day care settings is "
            "{mostly|largely} good or better.",
        ),
        "a": (
            "Too much early years and childcare provision is no better than satisfactory.",
            "The quality of childminding {has declined|remains uneven} and fewer settings are "
            "good than in similar areas.",
        ),
    },
    "children's centres": {
        "s": (
            "Children's centres {are well used by families|reach the families who need them most}.",
            "The network of children's centres {has continued to develop|is well established}.",
        ),
        "a": ("Children's centres do not yet reach enough of the families most in need.",),
    },
    "primary": {
        "s": (
            "{Most|The large majority of} primary schools {continue to be|are} good or better.",
            "Primary schools {have improved further|have continued to improve} since last year.",
        ),
        "a": (
            "Too many primary schools are no better than satisfactory.",
            "Primary schools {have not improved|improved only slowly} since the previous "
            "assessment.",
        ),
    },
    "secondary": {
        "s": (
            "Secondary schools {continue to perform well|have improved}, and most are good or "
            "better.",
            "The quality of secondary education {is a strength|has risen steadily}.",
        ),
        "a": (
            "Secondary schools are too variable in quality.",
            "Too few secondary schools are good or better.",
        ),
    },
    "post-16": {
        "s": (
            "Post-16 provision {remains|continues to be} good or better overall.",
            "Learning for young people post-16 is {well organised|strong}.",
        ),
        "a": (
            "Post-16 provision is too variable and {not enough|too little} of it is better than "
            "satisfactory.",
        ),
    },
    "special educational provision": {
        "s": (
            "Special schools {continue to provide|provide} good support for pupils with complex "
            "needs.",
            "Provision in special schools is {a particular strength|strong}.",
        ),
        "a": ("Special schools are not as good as they were last year.",),
    },
    "pupil referral units": {
        "s": (
            "Pupil referral units {have improved|continue to improve}.",
            "Provision in pupil referral units is {good|stronger than last year}.",
        ),
        "a": ("Pupil referral units have not improved {enough|quickly enough}.",),
    },
    "fostering and adoption": {
        "s": (
            "Fostering and adoption services {are a strength|continue to perform well}.",
            "The fostering and adoption services used by the council are {mostly|largely} good.",
        ),
        "a": ("Fostering and adoption services {are not as good as they were|have declined}.",),
    },
    "children's homes": {
        "s": (
            "Children's homes {continue to be|are} a strength.",
            "The quality of children's homes {has been maintained|has improved}.",
        ),
        "a": ("The quality of children's homes used by the council is too variable.",),
    },
    "safeguarding and child protection": {
        "s": (
            "Arrangements for safeguarding children are {robust|well established}, and the "
            "local safeguarding children board {provides strong challenge|is effective}.",
            "Child protection work is {timely|thorough} and well recorded.",
        ),
        "a": (
            "Safeguarding arrangements {need to be strengthened|are not yet consistent}, "
            "particularly the quality of initial assessments.",
            "Child protection plans are not always reviewed on time.",
        ),
    },
    "youth offending": {
        "s": (
            "The youth offending service {needs only minimal improvement|is effective} in "
            "reducing re-offending.",
        ),
        "a": (
            "The youth offending service needs {substantial|moderate} improvement in reducing "
            "the risk of harm.",
        ),
    },
    "other": {
        "s": ("The residential family centre provides {good|effective} support for parents.",),
        "a": ("Adult and community learning for parents is {limited|underused}.",),
    },
}

#: Sentences with numbers that are *not* counts under the guide (ages, years, exam results...).
_DISTRACTORS: dict[Topic, tuple[str, ...]] = {
    "early years and childcare": (
        "Outcomes for five-year-olds at the end of the Early Years Foundation Stage have "
        "{risen|improved} over the last {three|four|five} years.",
        "A {fifth|quarter} of day care providers are now outstanding.",
    ),
    "primary": (
        "Results for 11-year-olds {are in line with|are above} the averages nationally and for "
        "similar areas.",
        "Over the last {three|four} years, attainment at the end of Key Stage 2 has risen.",
        "Over half of the schools inspected this year improved their grade.",
    ),
    "secondary": (
        "The proportion of students gaining five A* to C grades at GCSE, including English and "
        "mathematics, {has risen|is close to the national average}.",
        "{Seven|Four|Three} schools have closed and reopened as academies since last year.",
        "An outstanding school {converted to|has recently become} an academy.",
        "Results for 16-year-olds have improved over the last five years.",
    ),
    "post-16": (
        "The proportion of 19-year-olds gaining level 2 qualifications {matches|exceeds} "
        "similar areas.",
        "More 19-year-olds now gain the equivalent of two A level passes.",
    ),
    "special educational provision": (
        "Pupils aged 14 to 19 with complex needs make good progress.",
    ),
    "pupil referral units": ("A third of pupils return to mainstream school within two terms.",),
    "fostering and adoption": (
        "Over the last two years the number of adopters approved has {doubled|risen}.",
    ),
    "children's homes": ("A quarter of young people in care are placed outside the area.",),
    "children's centres": ("Over half of families with children under five use a centre.",),
}

_FILLERS: dict[str, tuple[str, ...]] = {
    "s": (
        "{Leadership|Support from the local authority} has been {effective|well targeted}.",
        "This is {similar to|better than} the picture in similar areas.",
        "Inspection reports praise the {quality of care|way staff work with families}.",
    ),
    "a": (
        "{Improvement|Progress} since the last assessment has been {slow|too slow}.",
        "This is {weaker than|below} the picture in similar areas.",
        "Inspection reports point to weak {self-evaluation|monitoring} as a common concern.",
    ),
}


def _fill(rng: random.Random, template: str) -> str:
    """Expand `{a|b|...}` choices in a template."""
    out: list[str] = []
    i = 0
    while i < len(template):
        j = template.find("{", i)
        if j < 0:
            out.append(template[i:])
            break
        k = template.index("}", j)
        out.append(template[i:j])
        out.append(rng.choice(template[j + 1 : k].split("|")))
        i = k + 1
    return "".join(out)


# --- Count clauses -------------------------------------------------------------------------------


def _good_judgement(rng: random.Random, strength: bool) -> str:
    if strength:
        return rng.choice(("good or better", "good or better", "outstanding", "good"))
    return rng.choice(("satisfactory", "inadequate", "good or better"))


def _be(n: int, past: bool = False) -> str:
    if past:
        return "was" if n == 1 else "were"
    return "is" if n == 1 else "are"


def _count_clauses(rng: random.Random, topic: Topic, strength: bool) -> list[_Clause]:
    """One or two sentences stating counts of the topic's services, with their gold counts."""
    svc = rng.choice(_SERVICES[topic])
    q = rng.choice(svc.qualifiers)
    subj = svc.plural + q
    kind = rng.randrange(15)
    if kind == 11 and not svc.plural.endswith("schools"):
        kind = 13  # an Ofsted category of concern is said of schools only
    total = rng.randint(3, 40) if kind != 1 else rng.randint(2, 9)
    if kind >= 8:
        return _more_count_clauses(rng, kind, svc, q, strength)

    if kind == 0:  # "eight of the 12 X are good or better[ and two of them are outstanding]"
        n = rng.randint(1, total - 1)
        j = _good_judgement(rng, strength)
        only = "only " if j == "satisfactory" and rng.random() < 0.5 else ""
        of = "out of" if rng.random() < 0.2 else "of the"  # "eight out of 12", "eight of the 12"
        ev = f"{_num(rng, n)} {of} {_num(rng, total, words_up_to=9)} {subj} {_be(n)} {only}{j}"
        clause = _Clause(_cap(ev), [_count(subj, n, total, j, _cap(ev))])
        rest = total - n
        follow = rng.randrange(4)
        if follow == 0 and j == "good or better" and n >= 2:
            m = rng.randint(1, n - 1)
            ev2 = f"{_word(m)} of them {_be(m)} outstanding"
            clause.text += f" and {ev2}"
            clause.counts.append(_count(subj, m, None, "outstanding", ev2))
        elif follow == 1:
            ev2 = "none of them is inadequate"
            clause.text += f" and {ev2}"
            clause.counts.append(_count(subj, 0, None, "inadequate", ev2))
        elif follow == 2 and j != "satisfactory":
            ev2 = (
                "the remaining one is satisfactory"
                if rest == 1
                else f"the {rng.choice(('other', 'remaining'))} {_num(rng, rest)} are satisfactory"
            )
            clause.text += f" and {ev2}"
            clause.counts.append(_count(subj, rest, None, "satisfactory", ev2))
        clause.text += "."
        return [clause]

    if kind == 1:  # "All six of the X are good or better"
        ev = f"All {_word(total)} of the {subj} are good or better"
        clause = _Clause(ev, [_count(subj, total, total, "good or better", ev)])
        if rng.random() < 0.5:
            m = rng.randint(1, total - 1)
            ev2 = f"{_word(m)} of them {_be(m)} outstanding"
            clause.text += f" and {ev2}"
            clause.counts.append(_count(subj, m, None, "outstanding", ev2))
        clause.text += "."
        return [clause]

    if kind == 2:  # "Of the 19 X, 18 are good or better and the remaining one is satisfactory"
        total = max(total, 4)
        n = rng.randint(total // 2, total - 1)
        j = "good or better" if strength else rng.choice(("good or better", "satisfactory"))
        ev = f"Of the {_num(rng, total, words_up_to=9)} {subj}, {n} {_be(n)} {j}"
        clause = _Clause(ev, [_count(subj, n, total, j, ev)])
        rest = total - n
        if j == "good or better" and rest >= 2 and rng.random() < 0.3:
            # "a further M": part of the rest, with no total of its own
            m = rng.randint(1, rest - 1)
            ev2 = f"a further {_num(rng, m)} {_be(m)} satisfactory"
            clause.text += f" and {ev2}"
            clause.counts.append(_count(subj, m, None, "satisfactory", ev2))
        elif j == "good or better":
            ev2 = (
                "the remaining one is satisfactory"
                if rest == 1
                else f"the other {_num(rng, rest)} are satisfactory"
            )
            clause.text += f" and {ev2}"
            clause.counts.append(_count(subj, rest, None, "satisfactory", ev2))
        clause.text += "."
        return [clause]

    if kind == 3:  # inspected this year, then anaphora "Two of these are good. The other two ..."
        n = rng.randint(2, min(total - 1, 9))
        a = rng.randint(1, n - 1)
        opener = rng.choice(("Since last year, ", "This year, ", "In the last 12 months, "))
        ev = f"{_num(rng, n)} of the local authority's {total} {subj} have been inspected"
        # "four of the 34" states the total in the same phrase, so the guide gives it.
        first = _Clause(f"{opener}{ev}.", [_count(subj, n, total, "inspected", ev)])
        ev2 = f"{_cap(_word(a))} of these {_be(a)} good"
        rest = n - a
        ev3 = (
            "The remaining one is satisfactory"
            if rest == 1
            else f"The other {_word(rest)} are satisfactory"
        )
        second = _Clause(
            f"{ev2}. {ev3}.",
            [_count(subj, a, None, "good", ev2), _count(subj, rest, None, "satisfactory", ev3)],
        )
        return [first, second]

    if kind == 4:  # "the number of inadequate X has reduced from five to two"
        b = rng.randint(1, 4)
        a = rng.randint(b + 1, b + 6)
        if not strength:  # areas report the number going the wrong way
            a, b = b, a
        moved = "reduced" if a > b else rng.choice(("increased", "risen"))
        opener = rng.choice(("Since last year, ", "Over the year, ", ""))
        if rng.random() < 0.7:
            what = f"the number of inadequate {svc.plural}"
            judgement: str | None = "inadequate"
        else:
            what = f"the number of {svc.plural} in the area"
            judgement = None
        ev = f"{what} has {moved} from {_word(a)} to {_word(b)}"
        if not opener:
            ev = _cap(ev)
        return [_Clause(f"{opener}{ev}.", [_count(svc.plural, b, None, judgement, ev)])]

    if kind == 5:  # "one short-stay school was recently judged to be inadequate"
        j = rng.choice(("inadequate", "satisfactory")) if not strength else "outstanding"
        adv = rng.choice(("recently ", "", "this year "))
        ev = f"one {svc.singular}{q} was {adv}judged to be {j}"
        lead = rng.choice(("However, ", "In addition, ", "Since then, "))
        return [_Clause(f"{lead}{ev}.", [_count(svc.singular + q, 1, None, j, ev)])]

    if kind == 6:  # "Five of the six X inspected are good and one is satisfactory"
        total = min(total, 12)
        n = rng.randint(1, total - 1)
        rest = total - n
        j = "good" if strength else "satisfactory"
        j2 = "satisfactory" if strength else "inadequate"
        ev = f"{_cap(_word(n))} of the {_word(total)} {subj} inspected {_be(n)} {j}"
        ev2 = f"{_word(rest)} {_be(rest)} {j2}"
        return [
            _Clause(
                f"{ev} and {ev2}.",
                [_count(subj, n, total, j, ev), _count(subj, rest, None, j2, ev2)],
            )
        ]

    # kind 7: "the three X are good or better" (3 of 3), after an opener clause
    total = min(total, 9)
    ev = f"the {_word(total)} {subj} are good or better"
    lead = rng.choice(("As last year, ", "Once again, ", "In this area, "))
    return [_Clause(f"{lead}{ev}.", [_count(subj, total, total, "good or better", ev)])]


#: Fractions the letters count with, as (words, numerator, denominator): "Half of the 12".
_FRACTIONS = (("half", 1, 2), ("a third", 1, 3), ("a quarter", 1, 4), ("two thirds", 2, 3),
              ("three quarters", 3, 4))  # fmt: skip
_RELATIVES = ("it runs", "it uses", "it commissions", "it maintains")
_ASIDES = ("including the {k} academies", "including those run by the council",
           "including {k} that opened this year")  # fmt: skip


def _rest_clause(subj: str, rest: int, rng: random.Random) -> tuple[str, Count]:
    """'the remaining one is satisfactory' / 'the remaining five are satisfactory'."""
    ev = f"the remaining {_num(rng, rest)} {_be(rest)} satisfactory"
    return ev, _count(subj, rest, None, "satisfactory", ev)


def _more_count_clauses(
    rng: random.Random, kind: int, svc: _Service, q: str, strength: bool
) -> list[_Clause]:
    """The phrasings of issue 7 (fractions, 'Of the N ..., including ..., M', 'as are M of the
    N', 'M of the N X it uses', 'the number in an Ofsted category of concern / judged
    inadequate has fallen from A to B', 'each of the N', 'none of the N'), with their gold."""
    subj = svc.plural + q
    if kind == 8:  # "Half of the 12 X are good or better[ and the remaining six are ...]"
        words, num, den = rng.choice(_FRACTIONS)
        total = den * rng.randint(2, 6)
        n = total * num // den
        j = _good_judgement(rng, strength)
        if rng.random() < 0.15:
            # approximate: a proportion, not a count (eval/LABELLING.md)
            text = f"Over {words} of the {_num(rng, total, words_up_to=9)} {subj} are {j}."
            return [_Clause(text)]
        ev = f"{_cap(words)} of the {_num(rng, total, words_up_to=9)} {subj} {_be(n)} {j}"
        clause = _Clause(ev, [_count(subj, n, total, j, ev)])
        if j != "satisfactory" and rng.random() < 0.5:
            ev2, c2 = _rest_clause(subj, total - n, rng)
            clause.text += f" and {ev2}"
            clause.counts.append(c2)
        clause.text += "."
        return [clause]

    if kind == 9:  # "Of the 15 X, including the two academies, 12 are good or better ..."
        total = rng.randint(6, 40)
        n = rng.randint(total // 2, total - 2)
        aside = rng.choice(_ASIDES).replace("{k}", _word(rng.randint(2, 4)))
        ev = (
            f"Of the {_num(rng, total, words_up_to=9)} {subj}, {aside}, {n} {_be(n)} good or better"
        )
        clause = _Clause(ev, [_count(subj, n, total, "good or better", ev)])
        rest = total - n
        if rng.random() < 0.5:
            m = rng.randint(1, rest - 1)
            ev2 = f"a further {_num(rng, m)} {_be(m)} satisfactory"
            clause.counts.append(_count(subj, m, None, "satisfactory", ev2))
        else:
            ev2, c2 = _rest_clause(subj, rest, rng)
            clause.counts.append(c2)
        clause.text += f" and {ev2}."
        return [clause]

    if kind == 10:  # "Provision run directly by the council is good, as are 11 of the 14 X it runs"
        total = rng.randint(3, 20)
        n = rng.randint(2, total - 1)
        j = rng.choice(("good", "outstanding", "good or better")) if strength else "satisfactory"
        only = "" if strength else "only "
        what = f"{svc.plural} {rng.choice(_RELATIVES)}"
        ev = f"{j}, as are {_num(rng, n)} of the {_num(rng, total, words_up_to=9)} {what}"
        lead = rng.choice(("Provision run directly by the council is ", "Its own provision is "))
        return [_Clause(f"{lead}{only}{ev}.", [_count(what, n, total, j, ev)])]

    if kind == 11:  # "Most X are good and the number in an Ofsted category of concern has ..."
        a, b = rng.randint(2, 6), rng.randint(0, 1)
        if not strength:
            a, b = b + 1, a + 1
        moved = rng.choice(("fallen", "reduced")) if a > b else rng.choice(("risen", "increased"))
        most = rng.choice(("Most", "The large majority of"))
        ev = (
            f"the number in an Ofsted category of concern has {moved} from {_word(a)} to {_word(b)}"
        )
        text = f"{most} {svc.plural} are good or better and {ev}."
        judgement = "in an ofsted category of concern"
        return [_Clause(text, [_count(svc.plural, b, None, judgement, ev)])]

    if kind == 12:  # "Three of the eight X it uses are only satisfactory"
        total = rng.randint(3, 20)
        n = rng.randint(1, total - 1)
        what = f"{svc.plural} {rng.choice(_RELATIVES)}"
        j = rng.choice(("good or better", "outstanding")) if strength else "satisfactory"
        only = "only " if j == "satisfactory" else ""
        ev = _cap(
            f"{_num(rng, n)} of the {_num(rng, total, words_up_to=9)} {what} {_be(n)} {only}{j}"
        )
        return [_Clause(f"{ev}.", [_count(what, n, total, j, ev)])]

    if kind == 13:  # "The number of X judged inadequate has risen from one to three"
        a, b = rng.randint(2, 6), rng.randint(0, 1)
        if not strength:
            a, b = b + 1, a + 1
        moved = rng.choice(("fallen", "reduced")) if a > b else rng.choice(("risen", "increased"))
        judged = rng.choice(("judged inadequate", "judged to be inadequate"))
        ev = f"The number of {svc.plural} {judged} has {moved} from {_word(a)} to {_word(b)}"
        return [_Clause(f"{ev}.", [_count(svc.plural, b, None, "inadequate", ev)])]

    # kind 14: "Each of the five X is good or better" / "None of the 12 X is inadequate"
    total = rng.randint(2, 12)
    if strength and rng.random() < 0.5:
        ev = f"None of the {_num(rng, total)} {subj} is inadequate"
        return [_Clause(f"{ev}.", [_count(subj, 0, total, "inadequate", ev)])]
    j = _good_judgement(rng, strength)
    ev = f"Each of the {_num(rng, total)} {subj} is {j}"
    return [_Clause(f"{ev}.", [_count(subj, total, total, j, ev)])]


def _finding(rng: random.Random, topic: Topic, strength: bool) -> Finding:
    key = "s" if strength else "a"
    clauses: list[_Clause] = []
    counted = topic in _SERVICES and rng.random() < 0.75
    # Some bullets open with the count itself: it names the topic's service first, too.
    if counted and rng.random() < 0.3:
        clauses.extend(_count_clauses(rng, topic, strength))
    else:
        clauses.append(_Clause(_fill(rng, rng.choice(_OPENERS[topic][key]))))
        if counted:
            clauses.extend(_count_clauses(rng, topic, strength))
    if topic == "early years and childcare" and rng.random() < 0.3:
        # A count of a different service after the opener: the topic stays early years.
        clauses.extend(_count_clauses(rng, "children's centres", strength))
    if topic in _DISTRACTORS and rng.random() < 0.6:
        clauses.append(_Clause(_fill(rng, rng.choice(_DISTRACTORS[topic]))))
    if rng.random() < 0.5:
        clauses.append(_Clause(_fill(rng, rng.choice(_FILLERS[key]))))
    text = " ".join(c.text for c in clauses)
    counts = [cnt for c in clauses for cnt in c.counts]
    return Finding(text=text, topic=topic, counts=counts)


def _unique_finding(rng: random.Random, topic: Topic, strength: bool, seen: set[str]) -> Finding:
    """A finding that shares no sentence with an earlier bullet: letters do not repeat themselves
    (and a repeated wrapped line would look like a running header to a PDF-text loader)."""
    for _ in range(50):
        finding = _finding(rng, topic, strength)
        sentences = set(finding.text.split(". "))
        if not sentences & seen:
            break
    seen.update(sentences)
    return finding


# --- Summary and inspections ---------------------------------------------------------------------

_CIN = " for children in need and children who may be in need of protection"
_VERDICT_BECAUSE: dict[int, tuple[str, ...]] = {
    1: (
        " because of inadequacies in safeguarding",
        " because safeguarding arrangements are not yet good enough",
        "",
    ),
    2: (
        " because too much provision is no better than satisfactory",
        " because improvement in key services has been slow",
        "",
    ),
    3: (" because most services, settings and institutions are good or better", "", ""),
    4: (" because services, settings and institutions are consistently strong", "", ""),
}
_ADVERBS = {1: "poorly", 2: "adequately", 3: "well", 4: "excellently"}
_SECOND_PARAGRAPH: dict[int, tuple[str, ...]] = {
    1: (
        "{Most|The large majority} of the other services, settings and institutions inspected "
        "by Ofsted are good or better. {Many schools|Several schools} have become academies, "
        "and their previous inspection judgements have been taken into account.",
    ),
    2: (
        "{Too many|A significant minority of} services, settings and institutions are only "
        "satisfactory, although {few|very few} are inadequate.",
    ),
    3: (
        "{The very large majority of|Most} settings, services and institutions help children "
        "and young people to stay safe and enjoy learning. {The strengths are much the same as "
        "last year|Areas of strength have been sustained}.",
    ),
    4: (
        "{Almost all|Nearly all} services, settings and institutions are good or better, and a "
        "high proportion are outstanding.",
    ),
}


def _inspection(
    rng: random.Random,
    year: int,
    grade: int,
    previous_unannounced: bool,
    side: random.Random | None = None,
) -> tuple[list[str], SafeguardingInspection]:
    """Sentences reporting one safeguarding inspection, and its gold record. `side` draws the
    phrasing variants (so adding variants leaves the rest of a seed's letters as they were)."""
    ins_year = rng.choice((year - 1, year))
    month = rng.randint(1, 12) if ins_year == year - 1 else rng.randint(1, 9)
    when = _month_year(ins_year, month)
    date = f"{ins_year}-{month:02d}"
    kind_pick = rng.random()
    kind: InspectionKind
    outcome: InspectionOutcome | None
    sentences: list[str]
    if kind_pick < 0.55:
        kind = "unannounced inspection of contact, referral and assessment"
        outcome = rng.choice(
            ("priority action", "no priority action", "areas for development", None)
            if grade <= 2
            else ("no priority action", "areas for development", None)
        )
        cin = _CIN if rng.random() < 0.6 else ""
        style = rng.randrange(3)
        if style == 0 or outcome is None:
            if previous_unannounced and rng.random() < 0.5:
                ev = (
                    f"In {when}, a further unannounced inspection was conducted of contact, "
                    f"referral and assessment arrangements{cin}"
                )
            else:
                ev = (
                    f"In {when}, an unannounced inspection of contact, referral and assessment "
                    f"arrangements{cin} took place"
                )
            follow = {
                "priority action": "This identified {an area|two areas} for priority action "
                "{because of weaknesses in assessment|relating to unclear thresholds for "
                "referral}.",
                "no priority action": "This found no areas for priority action{ and some "
                "strong practice|}.",
                "areas for development": "This identified {some|several} areas for development.",
                None: "",
            }[outcome]
            sentences = [ev + ".", _fill(rng, follow)] if follow else [ev + "."]
        elif style == 1:
            found = {
                "priority action": "identified {an area|areas} for priority action",
                "no priority action": "found no areas for priority action",
                "areas for development": "identified {some|a number of} areas for development",
            }[outcome]
            ev = (
                f"An unannounced inspection of contact, referral and assessment arrangements"
                f"{cin} in {when} {_fill(rng, found)}"
            )
            sentences = [ev + "."]
        else:
            found = {
                "priority action": "identified serious weaknesses requiring priority action",
                "no priority action": "found no areas for priority action",
                "areas for development": "identified areas for development",
            }[outcome]
            ev = (
                f"The unannounced inspection of contact, referral and assessment arrangements "
                f"carried out in {when} {found}"
            )
            sentences = [ev + "."]
    elif kind_pick < 0.8:
        kind = "full inspection of safeguarding"
        outcome = "inadequate" if grade == 1 else rng.choice(("adequate", "good", "outstanding"))
        if outcome == "inadequate":
            ev = _fill(
                rng,
                f"In {when}, a full inspection of safeguarding found that "
                "{there had been only limited progress and |}safeguarding {remained|was} "
                "inadequate",
            )
        elif rng.random() < 0.5:
            ev = (
                f"A full inspection of safeguarding in {when} judged the overall effectiveness "
                f"of safeguarding to be {outcome}"
            )
        else:
            ev = f"In {when}, a full inspection of safeguarding judged arrangements to be {outcome}"
        sentences = [ev + "."]
    else:
        kind = "inspection of safeguarding and looked after children"
        outcome = "inadequate" if grade == 1 else rng.choice(("adequate", "good", "outstanding"))
        if rng.random() < 0.5:
            ev = (
                f"The inspection of safeguarding and looked after children services in {when} "
                f"judged the overall effectiveness of safeguarding services to be {outcome}"
            )
        else:
            ev = (
                f"In {when}, an inspection of safeguarding and looked after children services "
                f"found safeguarding to be {outcome}"
            )
        sentences = [ev + "."]
    if side is not None and side.random() < 0.35:
        sentences, ev = _inspection_variant(side, kind, outcome, when)
    record = SafeguardingInspection(date=date, kind=kind, outcome=outcome, evidence=ev)
    return sentences, record


def _inspection_pair(side: random.Random, year: int) -> tuple[str, list[SafeguardingInspection]]:
    """One sentence reporting two unannounced inspections by a list of dates ("in June 2009 and
    again in July 2010"), and their two records, which share the evidence."""
    first_month, second_month = side.randint(1, 12), side.randint(1, 9)
    dates = [f"{year - 2}-{first_month:02d}", f"{year - 1}-{second_month:02d}"]
    outcome: InspectionOutcome = side.choice(("no priority action", "areas for development"))
    found = {
        "no priority action": "found no areas for priority action",
        "areas for development": "identified areas for development",
    }[outcome]
    ev = (
        "Unannounced inspections of contact, referral and assessment arrangements in "
        f"{_month_year(year - 2, first_month)} and {side.choice(('', 'again in '))}"
        f"{_month_year(year - 1, second_month)} {found}"
    )
    kind: InspectionKind = "unannounced inspection of contact, referral and assessment"
    records = [
        SafeguardingInspection(date=d, kind=kind, outcome=outcome, evidence=ev) for d in dates
    ]
    return ev + ".", records


def _inspection_variant(
    side: random.Random, kind: InspectionKind, outcome: InspectionOutcome | None, when: str
) -> tuple[list[str], str]:
    """Other wordings real letters use for the same inspection (the kind rule of
    eval/LABELLING.md gives each its kind): (sentences, evidence). The outcome may come in the
    next sentence."""
    if kind == "unannounced inspection of contact, referral and assessment":
        follow = {
            "priority action": "This identified an area for priority action.",
            "no priority action": "There were no priority actions.",
            "areas for development": "The inspection identified {some|several} areas for "
            "development.",
            None: "",
        }[outcome]
        ev = side.choice(
            (
                f"In {when}, an unannounced inspection of front-door services took place",
                f"An unannounced inspection of contact, referral and assessment arrangements "
                f"was carried out in {when}",
            )
        )
        return ([ev + ".", _fill(side, follow)] if follow else [ev + "."]), ev
    assert outcome is not None  # full and looked-after-children inspections give a grade
    if kind == "full inspection of safeguarding":
        pick = side.randrange(3)
        if pick == 0:
            ev = f"An announced inspection of safeguarding was carried out in {when}"
            return [
                ev + ".",
                f"It judged the overall effectiveness of safeguarding to be {outcome}.",
            ], ev
        if pick == 1:
            ev = (
                f"The full inspection of safeguarding services in {when} found them to be {outcome}"
            )
        else:
            ev = (
                f"In {when}, an announced inspection of safeguarding found that arrangements "
                f"were {outcome}"
            )
        return [ev + "."], ev
    pick = side.randrange(4)
    if pick == 0:
        ev = (
            f"In {when}, a full inspection of safeguarding and looked after children services "
            f"found safeguarding to be {outcome}"
        )
    elif pick == 1:
        ev = (
            f"An announced inspection of safeguarding and looked after children took place "
            f"in {when}"
        )
        return [ev + ".", f"Overall effectiveness was judged to be {outcome}."], ev
    elif pick == 2:
        ev = (
            f"The safeguarding and looked-after children inspection in {when} judged "
            f"safeguarding services to be {outcome}"
        )
    else:
        ev = (
            f"In {when}, the inspection of safeguarding and looked after children's services "
            f"found that safeguarding was {outcome}"
        )
    return [ev + "."], ev


# --- The letter ----------------------------------------------------------------------------------


@dataclass
class _Block:
    """A unit of the letter's layout that every surface renders in its own way."""

    kind: Literal["lines", "para", "heading", "scale", "verdict", "bullet", "title"]
    text: str = ""
    lines: tuple[str, ...] = ()


@dataclass
class SyntheticLetter:
    """One generated letter: its layout, its gold record and the surface form it was drawn for.

    `text` is the clean surface; `render(surface)` gives any text surface, `render_pdf()` the PDF.
    """

    id: str
    seed: int
    gold: Letter
    surface: Surface
    blocks: list[_Block]
    #: Per-letter layout choices for the pdftotext surface (so renders are reproducible).
    wrap_width: int = 78
    hang_indent: int = 2
    lines_per_page: int = 52

    @property
    def text(self) -> str:
        return self.render("clean")

    def render(self, surface: Surface) -> str:
        """The letter as text in a text surface form ('clean', 'markdown' or 'pdftotext')."""
        if surface == "clean":
            return _render_clean(self.blocks, markdown=False)
        if surface == "markdown":
            return _render_clean(self.blocks, markdown=True)
        if surface == "pdftotext":
            return _render_pdftotext(self)
        raise ValueError(f"{surface!r} is not a text surface; use render_pdf()")

    def render_pdf(self) -> bytes:
        """The letter as a PDF (needs fpdf2, the `pdf` extra)."""
        return _render_pdf(self.blocks)

    def render_bytes(self, surface: Surface) -> bytes:
        """The file content for `surface`: UTF-8 text, or PDF bytes."""
        if surface == "pdf":
            return self.render_pdf()
        return self.render(surface).encode("utf-8")


def _authority(rng: random.Random) -> tuple[str, str]:
    """(full authority name, short place name) built from parts."""
    stem = rng.choice(_STEMS)
    town = stem + rng.choice(_TOWN_ENDS)
    shire = rng.choice(("", "", "North ", "South ", "East ", "West ")) + stem + "shire"
    form = rng.choice(_AUTHORITY_FORMS)
    name = form.format(town=town, shire=shire)
    place = shire if "{shire}" in form else town
    return name, place


def _person(rng: random.Random, titled: bool) -> tuple[str, str, str]:
    """(name as written, surname, first name)."""
    first, last = rng.choice(_FIRST), rng.choice(_SURNAMES)
    name = f"{rng.choice(_TITLES)} {first} {last}" if titled else f"{first} {last}"
    return name, last, first


def _name_variant(side: random.Random, name: str, surname: str) -> tuple[str, str]:
    """The addressee's name with a middle initial ('Mr John A Smith') or a double-barrelled
    surname ('Ms Helen Ashworth-Nolan') now and then: (name as written, surname)."""
    title, first, _ = name.split(" ", 2)
    pick = side.random()
    if pick < 0.15:
        return f"{title} {first} {side.choice('ABCDEHJKLMPRS')} {surname}", surname
    if pick < 0.3:
        other = side.choice([s for s in _SURNAMES if s != surname])
        return f"{title} {first} {surname}-{other}", f"{surname}-{other}"
    return name, surname


def _postcode(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTUWY"
    return (
        f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(1, 29)} "
        f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    )


def _boilerplate(rng: random.Random, year: int) -> list[_Block]:
    published = "April 2011" if year == 2011 else rng.choice(("July 2010", "June 2010"))
    as_in = f"As in {year - 1}, while" if year == 2011 else "While"
    return [
        _Block("heading", "Annual children's services assessment"),
        _Block(
            "para",
            f"Ofsted guidance published in {published} explains that the annual assessment of "
            "children's services is derived from the performance profile of the quality of "
            "services for children and young people in each local area. This performance profile "
            "includes findings from across Ofsted's inspection and regulation of services and "
            "settings for which the local authority has strategic or operational "
            "responsibilities, either alone or in partnership with others, together with other "
            "published data.",
        ),
        _Block(
            "para",
            "In reaching the assessment of children's services, Ofsted has taken account of "
            "inspection outcomes including the arrangements for making sure children are safe and "
            "stay safe and performance against similar authorities and/or national measures. More "
            "weight has been given to the outcomes of Ofsted's inspections and regulatory visits "
            "(Blocks A and B in the performance profile).",
        ),
        _Block("para", "The annual assessment derives from a four point scale:"),
        _Block("scale"),
        _Block(
            "para",
            "Within each level there will be differing standards of provision. For example, an "
            "assessment of 'performs excellently' does not mean all aspects of provision are "
            "perfect. Similarly, an assessment of 'performs poorly' does not mean there are no "
            f"adequate or even good aspects. {as_in} the performance profile remains central to "
            "Ofsted's assessment, meeting or not meeting the minimum requirements alone does not "
            "define the grade. The assessment has involved the application of inspector "
            "judgement.",
        ),
    ]


_SCALE = (
    (
        "4",
        "Performs excellently",
        "An organisation that significantly exceeds minimum requirements",
    ),
    ("3", "Performs well", "An organisation that exceeds minimum requirements"),
    ("2", "Performs adequately", "An organisation that meets only minimum requirements"),
    ("1", "Performs poorly", "An organisation that does not meet minimum requirements"),
)


def _topics(rng: random.Random, n: int, strength: bool) -> list[Topic]:
    pool: list[Topic] = list(TOPICS)
    weights = [5, 2, 5, 5, 4, 3, 3, 4, 4, 2 if strength else 3, 2, 1]
    return rng.choices(pool, weights=weights, k=n)


def make_letter(index: int, seed: int) -> SyntheticLetter:
    """Letter number `index` of the stream for `seed` (independent of how many are generated)."""
    rng = random.Random(f"{seed}:{index}")
    year = rng.choice((2010, 2011))
    grade = rng.choices((1, 2, 3, 4), weights=(2, 3, 4, 2))[0]
    label = GRADE_LABELS[grade]
    authority, place = _authority(rng)
    date = dt.date(year, rng.randint(10, 12), rng.randint(1, 28))
    rec_name, rec_last, _ = _person(rng, titled=True)
    rec_title = rec_name.split()[0]
    # Variants are drawn from a stream of their own, so the rest of the letter stays the same.
    side = random.Random(f"{seed}:{index}:variants")
    rec_name, rec_last = _name_variant(side, rec_name, rec_last)
    rec_role = rng.choice(_RECIPIENT_ROLES)
    sig_name, sig_last, sig_first = _person(rng, titled=False)
    sig_role = rng.choice(_SIGNATORY_ROLES)

    # Summary: verdict sentence, inspections, then a general paragraph.
    first = [
        f"Children's services in {authority} perform {_ADVERBS[grade]}"
        f"{rng.choice(_VERDICT_BECAUSE[grade])}."
    ]
    inspections: list[SafeguardingInspection] = []
    n_ins = rng.choices((0, 1, 2, 3), weights=(3, 4, 3, 1))[0]
    if grade == 1:
        n_ins = max(n_ins, 1)
    if side.random() < 0.1:
        # Two unannounced inspections reported in one sentence: one record per date.
        pair_sentence, pair = _inspection_pair(side, year)
        first.append(pair_sentence)
        inspections.extend(pair)
    for _ in range(n_ins):
        prev_u = any(i.kind.startswith("unannounced") for i in inspections)
        sentences, record = _inspection(rng, year, grade, prev_u, side)
        if any(i.date == record.date and i.kind == record.kind for i in inspections):
            continue
        first.extend(sentences)
        inspections.append(record)
    if grade == 1 and rng.random() < 0.5:
        first.append(
            "Until a further full inspection of safeguarding has taken place, the local authority "
            "will continue to be assessed as performing poorly."
        )
    paragraphs = [" ".join(first), _fill(rng, rng.choice(_SECOND_PARAGRAPH[grade]))]
    if rng.random() < 0.3:
        # Summaries sometimes put the inspections in a paragraph of their own.
        paragraphs = (
            [first[0], " ".join(first[1:]), paragraphs[1]] if len(first) > 1 else paragraphs
        )
    summary = "\n\n".join(paragraphs)

    seen: set[str] = set()
    strengths = [
        _unique_finding(rng, t, True, seen) for t in _topics(rng, rng.randint(1, 10), True)
    ]
    areas = [_unique_finding(rng, t, False, seen) for t in _topics(rng, rng.randint(0, 10), False)]
    if inspections and rng.random() < 0.4:
        # A bullet that mentions a summary inspection again: not a second inspection record.
        ins = inspections[0]
        y, m = ins.date.split("-")
        again = Finding(
            text=_fill(
                rng,
                f"In {_month_year(int(y), int(m))}, the {ins.kind} arrangements "
                "{reported that|found that} some weaknesses {had yet to be|were not yet} fully "
                "addressed.",
            )
            if ins.kind.startswith("unannounced")
            else f"The {ins.kind} in {_month_year(int(y), int(m))} asked for further "
            "improvement in the quality of assessments.",
            topic="safeguarding and child protection",
        )
        areas.insert(rng.randint(0, len(areas)), again)

    street = f"{rng.randint(1, 120)} {rng.choice(_SURNAMES)} {rng.choice(_STREETS)}"
    email = f"{sig_first}.{sig_last}@ofsted.gov.uk"
    letterhead = _Block(
        "lines",
        lines=(
            "Aviation House 125 Kingsway London WC2B 6SE T 0300 123 1231",
            "",
            "Textphone 0161 618 8524",
            "enquiries@ofsted.gov.uk",
            "www.ofsted.gov.uk",
            "",
            f"Direct T 020 7421 6666 Direct F 020 7421 5633 {email}",
        ),
    )
    date_line = _Block("lines", lines=(f"{date.day} {MONTHS[date.month - 1]} {date.year}",))
    # A conversion that reads the letterhead column after the date puts it between the date and
    # the address.
    head = [date_line, letterhead] if side.random() < 0.2 else [letterhead, date_line]
    initialled = side.random() < 0.7  # Dudley's letter has no initialled signature line
    blocks: list[_Block] = [
        *head,
        _Block(
            "lines",
            lines=(
                rec_name,
                rec_role,
                authority,
                rng.choice(_BUILDINGS),
                street,
                place,
                _postcode(rng),
            ),
        ),
        _Block("lines", lines=(f"Dear {rec_title} {rec_last}",)),
        *_boilerplate(rng, year),
        _Block("title", f"{authority} children's services assessment {year}"),
        _Block("verdict", f"{label} ({grade})"),
        *(_Block("para", p) for p in paragraphs),
        _Block("heading", "Strengths"),
        *(_Block("bullet", f.text) for f in strengths),
        _Block("heading", "Areas for further improvement"),
        *(_Block("bullet", f.text) for f in areas),
        _Block(
            "para",
            "This children's services assessment is provided in accordance with section 138 of "
            "the Education and Inspections Act 2006.",
        ),
        _Block("lines", lines=("Yours sincerely",)),
        _Block("lines", lines=(sig_name,)),
        *([_Block("lines", lines=(f"{sig_first[0]}. {sig_last}",))] if initialled else []),
        _Block("lines", lines=(sig_role,)),
    ]
    gold = Letter(
        local_authority=authority,
        assessment_year=year,
        letter_date=date,
        recipient=Person(name=rec_name, role=rec_role),
        signatory=Person(name=sig_name, role=sig_role),
        grade=grade,
        grade_label=label,
        summary=summary,
        strengths=strengths,
        areas_for_improvement=areas,
        safeguarding_inspections=inspections,
    )
    for finding in [*strengths, *areas]:
        for count in finding.counts:  # the generator's own promise: evidence is verbatim
            assert count.evidence in finding.text, (count.evidence, finding.text)
    return SyntheticLetter(
        id=f"synth-{seed}-{index:05d}",
        seed=seed,
        gold=gold,
        surface=rng.choice(SURFACES),
        blocks=blocks,
        wrap_width=rng.randint(75, 80),
        hang_indent=rng.choice((0, 2)),
        lines_per_page=rng.randint(46, 58),
    )


def generate(n: int, seed: int) -> list[SyntheticLetter]:
    """`n` letters for `seed`; the same (n, seed) always gives the same letters and gold."""
    return [make_letter(i, seed) for i in range(n)]


# --- Rendering -----------------------------------------------------------------------------------


def _render_clean(blocks: Sequence[_Block], *, markdown: bool) -> str:
    out: list[str] = []
    bullets_open = False
    for b in blocks:
        if b.kind != "bullet" and bullets_open:
            out.append("")
            bullets_open = False
        if b.kind == "lines":
            out.extend(b.lines)
            out.append("")
        elif b.kind == "para":
            out.extend((b.text, ""))
        elif b.kind == "heading":
            if markdown:
                bold = b.text == "Strengths"
                out.extend((f"## **{b.text}**" if bold else f"## {b.text}", ""))
            else:
                out.extend((b.text, ""))
        elif b.kind == "title":
            if markdown:
                head, _, tail = b.text.partition(" assessment ")
                out.extend((f"## **{head}** assessment {tail}", ""))
            else:
                out.extend((b.text, ""))
        elif b.kind == "scale":
            out.extend("\t".join(row) for row in _SCALE)
            out.append("")
        elif b.kind == "verdict":
            left = "Children's services assessment"
            out.append(f"{left}\t{b.text}")
            out.append(f"{'-' * (len(left) + 2)}\t{'-' * (len(b.text) + 2)}")
            out.append("")
        elif b.kind == "bullet":
            out.append(f"- {b.text}")
            bullets_open = True
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _curly(s: str) -> str:
    """Typographic quotes as a PDF's text layer has them: ‘quoted’ and apostrophes ’."""
    chars = list(s)
    for i, c in enumerate(chars):
        if c == "'":
            before = chars[i - 1] if i else " "
            chars[i] = "\u2018" if before in " \t\n(" else "\u2019"
    return "".join(chars)


def _wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """Greedy word wrap that never breaks inside a word (pdftotext keeps words whole)."""
    lines: list[str] = []
    line = first
    empty = True
    for w in text.split(" "):
        if not empty and len(line) + 1 + len(w) > width:
            lines.append(line)
            line, empty = rest + w, False
        else:
            line = line + ("" if empty else " ") + w
            empty = False
    lines.append(line)
    return lines


def _render_pdftotext(letter: SyntheticLetter) -> str:
    width = letter.wrap_width
    body: list[str] = []
    in_list = False
    for b in letter.blocks:
        if b.kind == "bullet":
            pad = " " * letter.hang_indent
            body.extend(_wrap(_curly(b.text), width, first="- ", rest=pad))
            in_list = True
            continue
        if in_list:  # bullets run together; the list ends with a blank line
            body.append("")
            in_list = False
        if b.kind == "lines":
            body.extend(_curly(line) for line in b.lines)
        elif b.kind == "para":
            body.extend(_wrap(_curly(b.text), width))
        elif b.kind in ("heading", "title"):  # a heading is one line on the page
            body.append(_curly(b.text))
        elif b.kind == "scale":
            body.extend(f"{n}   {label:<22}{desc}" for n, label, desc in _SCALE)
        elif b.kind == "verdict":
            body.append(f"Children\u2019s services assessment      {b.text}")
        body.append("")
    pages = [
        body[i : i + letter.lines_per_page] for i in range(0, len(body), letter.lines_per_page)
    ]
    n = len(pages)
    out: list[str] = []
    for k, page in enumerate(pages, start=1):
        footer = f"Page {k} of {n}"
        out.append("\n".join([*page, "", footer]) + "\n\f")
    return "".join(out)


def _latin1(s: str) -> str:
    return s.encode("latin-1", "replace").decode("latin-1")


def _render_pdf(blocks: Sequence[_Block]) -> bytes:
    try:
        from fpdf import FPDF  # optional extra: only the PDF surface needs it
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the pdf surface needs fpdf2: pip install 'ofsted-extractor[pdf]'"
        ) from exc

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=8)
            self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = _Pdf(format="A4")
    # A fixed date: the same seed gives the same bytes (and the same sha256 in the store).
    pdf.set_creation_date(dt.datetime(2011, 1, 1, tzinfo=dt.timezone.utc))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    h = 5.0
    in_list = False
    for b in blocks:
        if in_list and b.kind != "bullet":  # a gap after the list, as in the letters
            pdf.ln(h)
        in_list = b.kind == "bullet"
        if b.kind == "lines":
            for line in b.lines:
                pdf.multi_cell(0, h, _latin1(line), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(h)
        elif b.kind == "para":
            pdf.multi_cell(0, h, _latin1(b.text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(h)
        elif b.kind in ("heading", "title"):
            pdf.set_font("Helvetica", style="B", size=11)
            pdf.multi_cell(0, h + 1, _latin1(b.text), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=10)
            pdf.ln(h)
        elif b.kind == "scale":
            for n, label, desc in _SCALE:
                pdf.cell(10, h, n)
                pdf.cell(45, h, label)
                pdf.cell(0, h, desc, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(h)
        elif b.kind == "verdict":
            pdf.set_font("Helvetica", style="B", size=10)
            pdf.cell(80, h + 1, "Children's services assessment", border="B")
            pdf.cell(0, h + 1, _latin1(b.text), border="B", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=10)
            pdf.ln(h)
        elif b.kind == "bullet":
            pdf.multi_cell(0, h, _latin1(f"- {b.text}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# --- Writing a set -------------------------------------------------------------------------------


def write(
    out_dir: str | Path,
    n: int,
    seed: int,
    surfaces: Iterable[Surface] | None = None,
) -> list[Path]:
    """Write `n` letters and their gold records to `out_dir`; return the gold JSON paths.

    With `surfaces` None each letter is written once, in the surface it was drawn for; otherwise
    every letter is written in each of `surfaces`. Each gold file is
    `{"letter_file": NAME, "surface": ..., "letter": {...}}` (the eval/gold format plus the
    surface), with `letter_file` relative to the gold file.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    wanted = None if surfaces is None else tuple(surfaces)
    written: list[Path] = []
    for letter in generate(n, seed):
        gold = letter.gold.model_dump(mode="json", exclude={"provenance", "unfilled"})
        for surface in wanted or (letter.surface,):
            stem = f"{letter.id}.{surface}"
            letter_path = out / f"{stem}{EXTENSIONS[surface]}"
            letter_path.write_bytes(letter.render_bytes(surface))
            gold_path = out / f"{stem}.json"
            record = {"letter_file": letter_path.name, "surface": surface, "letter": gold}
            gold_path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
            written.append(gold_path)
    return written


def pdf_available() -> bool:
    """Whether fpdf2 is importable, i.e. the pdf surface can be rendered."""
    try:
        import fpdf  # noqa: F401
    except ImportError:
        return False
    return True


# --- The word-processor surface ------------------------------------------------------------------
#
# A .docx laid out like a real Ofsted letter (python-docx), made into a PDF by LibreOffice
# headless, and the texts common extractors make of that PDF. The loader reads the PDF itself
# (`wp-pdf`); `wp-pypdf`, `wp-pdftotext` and `wp-pdftotext-layout` are the texts a user may have
# made with other tools. LibreOffice and pdftotext are system programs: where they are missing,
# `wp_surfaces_available()` says which surfaces cannot be made.

WpSurface = Literal["wp-pdf", "wp-pypdf", "wp-pdftotext", "wp-pdftotext-layout"]
WP_SURFACES: tuple[WpSurface, ...] = ("wp-pdf", "wp-pypdf", "wp-pdftotext", "wp-pdftotext-layout")
WP_EXTENSIONS: dict[WpSurface, str] = {
    "wp-pdf": ".pdf",
    "wp-pypdf": ".txt",
    "wp-pdftotext": ".txt",
    "wp-pdftotext-layout": ".txt",
}

# The letterhead column, as Ofsted's letters of 2009-2011 print it beside the address.
_LETTERHEAD_COLUMN = (
    "Aviation House",
    "125 Kingsway",
    "London",
    "WC2B 6SE",
    "T 0300 123 1231",
    "Textphone 0161 618 8524",
    "enquiries@ofsted.gov.uk",
    "www.ofsted.gov.uk",
)
_FOOTER = "Ofsted, Aviation House, 125 Kingsway, London WC2B 6SE"


def _page_number_field(paragraph: object) -> None:
    """Append a PAGE field (Word's page number) to a python-docx paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()  # type: ignore[attr-defined]
    for kind in ("begin", "instr", "end"):
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._r.append(el)


def _no_borders(table: object) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    table._tbl.tblPr.append(borders)  # type: ignore[attr-defined]


def _frame(paragraph: object, *, x_cm: float, y_cm: float, width_cm: float) -> None:
    """Pin a paragraph in a text frame at (x, y) from the page's top left corner."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    twips = 567  # a centimetre
    frame = OxmlElement("w:framePr")
    for key, value in (
        ("w:w", str(int(width_cm * twips))),
        ("w:hSpace", "180"),
        ("w:wrap", "around"),
        ("w:vAnchor", "page"),
        ("w:hAnchor", "page"),
        ("w:x", str(int(x_cm * twips))),
        ("w:y", str(int(y_cm * twips))),
    ):
        frame.set(qn(key), value)
    paragraph._p.get_or_add_pPr().insert(0, frame)  # type: ignore[attr-defined]


def render_docx(letter: SyntheticLetter) -> bytes:
    """The letter as a Word document laid out like Ofsted's (needs python-docx, the pdf extra).

    Page 1 has the date and the recipient's address on the left and the letterhead column (with
    the sender's direct lines) on the right: in a borderless two-column table, or in a text
    frame pinned to the top right corner (converters read a frame anywhere: first, between
    the address lines, or after page 1's footer). The scale and
    the verdict are bordered tables, the findings Word bullets (List Bullet: a Symbol-font
    glyph; in some letters paragraphs with a hanging first line and no glyph), paragraphs
    justified, and every page's footer has Ofsted's address and the page
    number. Layout choices (table or frame, paragraph spacing or empty paragraphs, font, size,
    margins) are seeded per letter.
    """
    import io

    from docx import Document as DocxDocument
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    rng = random.Random(f"wp:{letter.id}")
    doc = DocxDocument()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(rng.choice((2.0, 2.2)))
    normal = doc.styles["Normal"]
    normal.font.name = rng.choice(("Arial", "Tahoma"))
    normal.font.size = Pt(rng.choice((10, 11)))
    # Either Word's spacing after each paragraph, or none and an empty paragraph between.
    spaced = rng.random() < 0.6
    normal.paragraph_format.space_after = Pt(8 if spaced else 0)

    footer = section.footer.paragraphs[0]
    footer.text = f"{_FOOTER}\t\t"
    _page_number_field(footer)

    def gap() -> None:
        if not spaced:
            doc.add_paragraph("")

    blocks = letter.blocks
    letterhead, date, address = blocks[0], blocks[1], blocks[2]
    direct = letterhead.lines[-1].split()
    column = [*_LETTERHEAD_COLUMN, "", " ".join(direct[:5]), " ".join(direct[5:10]), direct[-1]]
    if rng.random() < 0.5:
        # A borderless two-column table: address on the left, letterhead on the right.
        head = doc.add_table(rows=1, cols=2)
        _no_borders(head)
        head.autofit = False
        left, right = head.rows[0].cells
        # The address column wide enough for the longest role on one line, as in the letters.
        for col, width in zip(head.columns, (Cm(12.0), Cm(4.6)), strict=True):
            col.width = width
            for cell in col.cells:
                cell.width = width
        left.paragraphs[0].text = date.lines[0]
        left.add_paragraph("")
        for line in address.lines:
            left.add_paragraph(line)
        right.paragraphs[0].text = column[0]
        for line in column[1:]:
            right.add_paragraph(line)
        for cell_par in right.paragraphs:
            for run in cell_par.runs:
                run.font.size = Pt(7)
    else:
        # A text frame pinned to the page's top right corner, the address flowing beside it;
        # converters put the frame's text anywhere: first, interleaved, or after the footer.
        for line in column:
            p = doc.add_paragraph()
            run = p.add_run(line)
            run.font.size = Pt(7)
            _frame(p, x_cm=15.2, y_cm=1.5, width_cm=4.5)
        doc.add_paragraph(date.lines[0])
        doc.add_paragraph("")
        for line in address.lines:
            doc.add_paragraph(line)
    doc.add_paragraph("")

    # Some letters set their findings as paragraphs with a hanging first line and no glyph, so
    # the indentation is the only cue a converter can keep.
    hanging = rng.random() < 0.2
    for b in blocks[3:]:
        if b.kind == "lines":
            for line in b.lines:
                doc.add_paragraph(line)
            gap()
        elif b.kind == "para":
            p = doc.add_paragraph(b.text)
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            gap()
        elif b.kind in ("heading", "title"):
            p = doc.add_paragraph()
            p.add_run(b.text).bold = True
            gap()
        elif b.kind == "scale":
            table = doc.add_table(rows=len(_SCALE), cols=3)
            table.style = "Table Grid"
            for row, values in zip(table.rows, _SCALE, strict=True):
                for cell, value in zip(row.cells, values, strict=True):
                    cell.text = value
            doc.add_paragraph("")
        elif b.kind == "verdict":
            table = doc.add_table(rows=1, cols=2)
            table.style = "Table Grid"
            cells = table.rows[0].cells
            cells[0].text = "Children's services assessment"
            cells[1].text = b.text
            for cell in cells:
                for run in cell.paragraphs[0].runs:
                    run.bold = True
            doc.add_paragraph("")
        elif b.kind == "bullet":
            if hanging:
                p = doc.add_paragraph(b.text)
                p.paragraph_format.left_indent = Cm(0.63)
                p.paragraph_format.first_line_indent = Cm(-0.63)
                p.paragraph_format.space_after = Pt(0)
            else:
                p = doc.add_paragraph(b.text, style="List Bullet")
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            if b is not blocks[-1] and blocks[blocks.index(b) + 1].kind != "bullet":
                gap()
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def wp_surfaces_available() -> dict[WpSurface, str | None]:
    """For each word-processor surface, None when it can be made, else why it cannot."""
    import importlib.util
    import shutil

    missing: list[str] = []
    if importlib.util.find_spec("docx") is None:
        missing.append("python-docx (pip install 'ofsted-extractor[pdf]')")
    if shutil.which("soffice") is None:
        missing.append("LibreOffice (soffice; Debian: libreoffice-writer-nogui)")
    base = "; ".join(missing) or None
    out: dict[WpSurface, str | None] = {}
    for surface in WP_SURFACES:
        why = base
        if why is None and surface == "wp-pypdf" and importlib.util.find_spec("pypdf") is None:
            why = "pypdf (pip install 'ofsted-extractor[pdf]')"
        if why is None and surface.startswith("wp-pdftotext") and shutil.which("pdftotext") is None:
            why = "pdftotext (Debian: poppler-utils)"
        out[surface] = why
    return out


def _wp_text(pdf: Path, surface: WpSurface) -> str:
    """The text `surface`'s tool makes of `pdf`."""
    import subprocess

    if surface == "wp-pypdf":
        from pypdf import PdfReader

        reader = PdfReader(pdf)
        return "\n\f".join(page.extract_text() for page in reader.pages) + "\n"
    args = ["pdftotext", "-enc", "UTF-8"]
    if surface == "wp-pdftotext-layout":
        args.append("-layout")
    done = subprocess.run([*args, str(pdf), "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def write_wp(
    out_dir: str | Path,
    letters: Sequence[SyntheticLetter],
    surfaces: Iterable[WpSurface] = WP_SURFACES,
) -> list[Path]:
    """Write each letter in the word-processor `surfaces` with its gold; return the gold paths.

    All the .docx files go through one LibreOffice run (it is slow to start). Raises
    RuntimeError when LibreOffice fails; check `wp_surfaces_available()` first.
    """
    import subprocess
    import tempfile

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    wanted = tuple(surfaces)
    if not wanted or not letters:
        return []
    with tempfile.TemporaryDirectory(prefix="ofsted-wp-") as tmp:
        work = Path(tmp)
        docx_paths = []
        for letter in letters:
            path = work / f"{letter.id}.docx"
            path.write_bytes(render_docx(letter))
            docx_paths.append(path)
        done = subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{work}/profile",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(work),
                *map(str, docx_paths),
            ],
            capture_output=True,
            timeout=60 + 10 * len(docx_paths),
        )
        written: list[Path] = []
        for letter in letters:
            pdf = work / f"{letter.id}.pdf"
            if not pdf.exists():
                raise RuntimeError(
                    f"LibreOffice made no PDF of {letter.id}: {done.stderr.decode()[-300:]}"
                )
            gold = letter.gold.model_dump(mode="json", exclude={"provenance", "unfilled"})
            for surface in wanted:
                stem = f"{letter.id}.{surface}"
                letter_path = out / f"{stem}{WP_EXTENSIONS[surface]}"
                if surface == "wp-pdf":
                    letter_path.write_bytes(pdf.read_bytes())
                else:
                    letter_path.write_text(_wp_text(pdf, surface), encoding="utf-8")
                gold_path = out / f"{stem}.json"
                record = {"letter_file": letter_path.name, "surface": surface, "letter": gold}
                gold_path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
                written.append(gold_path)
    return written
