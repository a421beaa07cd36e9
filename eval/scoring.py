"""Scoring predicted letter records against gold records: pure functions, no I/O.

Normalisation (what counts as "the same value"):

- Every string: Unicode quotes and dashes become ASCII (' " -), whitespace runs collapse to one
  space, and the ends are stripped; markdown emphasis (``**``) is removed.
- Names and roles (local_authority, recipient.*, signatory.*) are also case-folded: a record
  that says "DIRECTOR OF CHILDREN'S SERVICES" names the same role. The summary, bullet texts and
  count evidence keep their case, because they are meant to be verbatim.
- grade and assessment_year compare as integers, letter_date as a date, grade_label exactly.

Lists are scored by aligning predicted to gold items (best pairs first, each item used once):
findings align when their normalised texts have a difflib ratio >= 0.8; counts align within
aligned findings when (count, total, judgement) agree, the subjects contain one another
token-wise and the evidences overlap; inspections align on (date, kind, outcome). Precision,
recall and F1 are micro-averaged over letters.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from ofsted_extractor.eval.models import VerificationSummary
from ofsted_extractor.schema import (
    GRADE_LABELS,
    Count,
    Finding,
    Issue,
    Letter,
    SafeguardingInspection,
)

SCALAR_FIELDS: tuple[str, ...] = (
    "local_authority",
    "assessment_year",
    "letter_date",
    "recipient.name",
    "recipient.role",
    "signatory.name",
    "signatory.role",
    "grade",
    "grade_label",
    "summary",
)
#: Scalars compared case-insensitively (names and job titles).
CASEFOLDED: frozenset[str] = frozenset(
    {"local_authority", "recipient.name", "recipient.role", "signatory.name", "signatory.role"}
)
LIST_FIELDS: tuple[str, ...] = (
    "strengths",
    "areas_for_improvement",
    "counts",
    "safeguarding_inspections",
)
FINDING_LISTS: tuple[str, str] = ("strengths", "areas_for_improvement")
#: The minimum difflib ratio for two finding texts to be the same bullet.
TEXT_MATCH = 0.8
#: The minimum difflib ratio for two count evidences to overlap (or one contains the other).
EVIDENCE_MATCH = 0.6

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)
_WS = re.compile(r"\s+")


def normalise(value: object, *, casefold: bool = False) -> str:
    """The comparable form of a value: ASCII quotes/dashes, single spaces, no '**'."""
    if value is None:
        return ""
    s = _WS.sub(" ", str(value).translate(_QUOTES).replace("**", "")).strip()
    return s.casefold() if casefold else s


def scalar_value(letter: Letter | None, path: str) -> object:
    """The value at a dotted path ('recipient.name'), None where any step is missing."""
    obj: object = letter
    for part in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


def _scalar_equal(path: str, gold: object, pred: object) -> bool:
    if gold is None or pred is None:
        return gold is None and pred is None
    if isinstance(gold, str) or isinstance(pred, str):
        fold = path in CASEFOLDED
        return normalise(gold, casefold=fold) == normalise(pred, casefold=fold)
    return bool(gold == pred)


# --- Alignment -----------------------------------------------------------------------------------

T = TypeVar("T")
U = TypeVar("U")


def align(
    gold: Sequence[T],
    pred: Sequence[U],
    score: Callable[[T, U], float],
    threshold: float,
) -> list[tuple[int, int, float]]:
    """Pairs (gold index, pred index, score) with score >= threshold, best pairs first, each index
    used at most once (a greedy assignment: good enough for lists of a dozen bullets)."""
    candidates = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            s = score(g, p)
            if s >= threshold:
                # Prefer the same position on ties, so repeated near-identical items pair in order.
                candidates.append((-s, abs(gi - pi), gi, pi))
    candidates.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs: list[tuple[int, int, float]] = []
    for neg, _, gi, pi in candidates:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        pairs.append((gi, pi, -neg))
    return sorted(pairs)


def text_similarity(a: str, b: str) -> float:
    """difflib ratio of the normalised texts (1.0 when equal), with cheap upper bounds first."""
    na, nb = normalise(a), normalise(b)
    if na == nb:
        return 1.0
    m = difflib.SequenceMatcher(None, na, nb, autojunk=False)
    if m.real_quick_ratio() < TEXT_MATCH or m.quick_ratio() < TEXT_MATCH:
        return 0.0
    return m.ratio()


_TOKEN = re.compile(r"[a-z0-9]+")


def _tokens(s: str) -> set[str]:
    # Singular and plural name the same thing here ("school sixth form(s)").
    return {t[:-1] if t.endswith("s") and len(t) > 3 else t for t in _TOKEN.findall(s.lower())}


def subjects_match(gold: str, pred: str) -> bool:
    """Lenient subject equality: the token set of one contains the other's."""
    g, p = _tokens(normalise(gold)), _tokens(normalise(pred))
    return bool(g and p) and (g <= p or p <= g)


def evidence_overlaps(gold: str, pred: str) -> bool:
    """The evidences name the same phrase: one contains the other, or they mostly agree."""
    g, p = normalise(gold).casefold(), normalise(pred).casefold()
    if not g or not p:
        return False
    if g in p or p in g:
        return True
    return difflib.SequenceMatcher(None, g, p, autojunk=False).ratio() >= EVIDENCE_MATCH


def counts_match(gold: Count, pred: Count) -> bool:
    """The same count: numbers and judgement equal, subject and evidence leniently."""
    return (
        gold.count == pred.count
        and gold.total == pred.total
        and normalise(gold.judgement, casefold=True) == normalise(pred.judgement, casefold=True)
        and subjects_match(gold.subject, pred.subject)
        and evidence_overlaps(gold.evidence, pred.evidence)
    )


def inspections_match(gold: SafeguardingInspection, pred: SafeguardingInspection) -> bool:
    """The same inspection: date, kind and outcome equal (evidence is not compared)."""
    return (gold.date, gold.kind, gold.outcome) == (pred.date, pred.kind, pred.outcome)


# --- Results -------------------------------------------------------------------------------------


@dataclass
class PRF:
    """True positives, false positives and false negatives, and the scores they give.

    An empty gold and empty prediction is perfect (1.0), not undefined."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __iadd__(self, other: PRF) -> PRF:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self


@dataclass
class LetterScore:
    """How one prediction compares with its gold record."""

    name: str
    scalars: dict[str, bool]
    lists: dict[str, PRF]
    #: (topic right, findings aligned) over both finding lists.
    topics: tuple[int, int]
    gold_grade: int | None
    pred_grade: int | None
    diffs: list[str] = field(default_factory=list)
    #: Whether the prediction was missing entirely (the engine failed).
    missing: bool = False

    @property
    def perfect(self) -> bool:
        """Every scalar right, every list item found and nothing extra, every topic right."""
        return (
            all(self.scalars.values())
            and all(p.fp == 0 and p.fn == 0 for p in self.lists.values())
            and self.topics[0] == self.topics[1]
        )


def _short(s: str, n: int = 60) -> str:
    s = normalise(s)
    return s if len(s) <= n else s[: n - 3] + "..."


def _fmt_scalar(path: str, value: object) -> str:
    if value is None:
        return "nothing"
    if path == "grade" and isinstance(value, int) and value in GRADE_LABELS:
        return f"{value} ({GRADE_LABELS[value]})"
    if isinstance(value, str):
        return repr(_short(value, 80))
    return str(value)


def _fmt_count(c: Count) -> str:
    of = f" of {c.total}" if c.total is not None else ""
    judged = f" {c.judgement}" if c.judgement else ""
    return f"{c.count}{of}{judged} ({_short(c.subject, 40)})"


def _fmt_inspection(i: SafeguardingInspection) -> str:
    return f"{i.date} {i.kind} -> {i.outcome or 'no outcome'}"


def score_letter(pred: Letter | None, gold: Letter, name: str = "") -> LetterScore:
    """Compare one prediction (None when the engine gave no record) with its gold record."""
    diffs: list[str] = []
    scalars: dict[str, bool] = {}
    for path in SCALAR_FIELDS:
        g, p = scalar_value(gold, path), scalar_value(pred, path)
        ok = _scalar_equal(path, g, p)
        scalars[path] = ok
        if not ok:
            diffs.append(f"{path}: expected {_fmt_scalar(path, g)}, got {_fmt_scalar(path, p)}")

    lists: dict[str, PRF] = {name_: PRF() for name_ in LIST_FIELDS}
    topics_right = topics_total = 0
    for list_name in FINDING_LISTS:
        golds: list[Finding] = getattr(gold, list_name)
        preds: list[Finding] = getattr(pred, list_name) if pred is not None else []
        pairs = align(golds, preds, lambda g, p: text_similarity(g.text, p.text), TEXT_MATCH)
        prf = lists[list_name]
        prf.tp += len(pairs)
        prf.fp += len(preds) - len(pairs)
        prf.fn += len(golds) - len(pairs)
        paired_g = {gi for gi, _, _ in pairs}
        paired_p = {pi for _, pi, _ in pairs}
        for gi, g in enumerate(golds):
            if gi not in paired_g:
                diffs.append(f"{list_name}: missing bullet {_short(g.text)!r}")
                lists["counts"].fn += len(g.counts)
        for pi, p in enumerate(preds):
            if pi not in paired_p:
                diffs.append(f"{list_name}: extra bullet {_short(p.text)!r}")
                lists["counts"].fp += len(p.counts)
        for gi, pi, _ in pairs:
            g, p = golds[gi], preds[pi]
            where = f"{list_name}[{gi}]"
            topics_total += 1
            if g.topic == p.topic:
                topics_right += 1
            else:
                diffs.append(f"{where}.topic: expected {g.topic!r}, got {p.topic!r}")
            if normalise(g.text) != normalise(p.text):
                diffs.append(f"{where}.text: not verbatim ({_short(p.text)!r})")
            lists["counts"] += _score_counts(g.counts, p.counts, where, diffs)

    g_ins = gold.safeguarding_inspections
    p_ins = pred.safeguarding_inspections if pred is not None else []
    pairs = align(g_ins, p_ins, lambda g, p: 1.0 if inspections_match(g, p) else 0.0, 1.0)
    prf = lists["safeguarding_inspections"]
    prf.tp += len(pairs)
    prf.fp += len(p_ins) - len(pairs)
    prf.fn += len(g_ins) - len(pairs)
    _pair_misses(
        [g for i, g in enumerate(g_ins) if i not in {gi for gi, _, _ in pairs}],
        [p for i, p in enumerate(p_ins) if i not in {pi for _, pi, _ in pairs}],
        lambda g, p: 1.0 if g.date == p.date else (0.5 if g.kind == p.kind else 0.0),
        _fmt_inspection,
        "safeguarding_inspections",
        "",
        diffs,
    )
    return LetterScore(
        name=name,
        scalars=scalars,
        lists=lists,
        topics=(topics_right, topics_total),
        gold_grade=gold.grade,
        pred_grade=pred.grade if pred is not None else None,
        diffs=diffs,
        missing=pred is None,
    )


def _score_counts(golds: list[Count], preds: list[Count], where: str, diffs: list[str]) -> PRF:
    pairs = align(golds, preds, lambda g, p: 1.0 if counts_match(g, p) else 0.0, 1.0)
    got_g = {gi for gi, _, _ in pairs}
    got_p = {pi for _, pi, _ in pairs}
    _pair_misses(
        [g for i, g in enumerate(golds) if i not in got_g],
        [p for i, p in enumerate(preds) if i not in got_p],
        lambda g, p: 1.0 if evidence_overlaps(g.evidence, p.evidence) else 0.0,
        _fmt_count,
        "counts",
        f" in {where}",
        diffs,
    )
    return PRF(tp=len(pairs), fp=len(preds) - len(pairs), fn=len(golds) - len(pairs))


def _pair_misses(
    golds: list[T],
    preds: list[T],
    similar: Callable[[T, T], float],
    fmt: Callable[[T], str],
    label: str,
    where: str,
    diffs: list[str],
) -> None:
    """Describe unmatched items, as 'expected X, got Y' where a miss pairs up with an extra."""
    pairs = align(golds, preds, similar, 0.5)
    for gi, pi, _ in pairs:
        diffs.append(f"{label}: expected {fmt(golds[gi])}{where}, got {fmt(preds[pi])}")
    got_g = {gi for gi, _, _ in pairs}
    got_p = {pi for _, pi, _ in pairs}
    diffs.extend(f"{label}: missing {fmt(g)}{where}" for i, g in enumerate(golds) if i not in got_g)
    diffs.extend(f"{label}: extra {fmt(p)}{where}" for i, p in enumerate(preds) if i not in got_p)


# --- Aggregation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldScore:
    """One row of the per-field table: the score in [0, 1] and how many items it is over."""

    field: str
    score: float
    n: int


GRADE_COLUMNS: tuple[str, ...] = ("1", "2", "3", "4", "missing")


@dataclass
class Aggregate:
    """Scores over a set of letters."""

    n_letters: int
    fields: dict[str, FieldScore]
    #: confusion[gold grade][predicted grade or 'missing'] = letters
    confusion: dict[int, dict[str, int]]
    letters: list[LetterScore]

    def score(self, name: str) -> float | None:
        """The score of a field by name ('grade', 'strengths.f1', 'overall', ...)."""
        fs = self.fields.get(name)
        return fs.score if fs else None


def confusion_matrix(scores: Iterable[LetterScore]) -> dict[int, dict[str, int]]:
    """4x4 grade confusion plus a 'missing' column (no grade predicted), rows by gold grade."""
    matrix = {g: dict.fromkeys(GRADE_COLUMNS, 0) for g in (1, 2, 3, 4)}
    for s in scores:
        if s.gold_grade not in matrix:
            continue
        col = str(s.pred_grade) if s.pred_grade in (1, 2, 3, 4) else "missing"
        matrix[s.gold_grade][col] += 1
    return matrix


def aggregate(scores: Sequence[LetterScore]) -> Aggregate:
    """Per-field scores over letters: scalar accuracy, micro P/R/F1 for lists, topic accuracy,
    and 'overall', the mean of the headline scores (scalar accuracies, list F1s, topic)."""
    fields: dict[str, FieldScore] = {}
    n = len(scores)
    for path in SCALAR_FIELDS:
        right = sum(1 for s in scores if s.scalars.get(path))
        fields[path] = FieldScore(path, right / n if n else 0.0, n)
    headline = [fields[p].score for p in SCALAR_FIELDS]
    for list_name in LIST_FIELDS:
        total = PRF()
        for s in scores:
            total += s.lists[list_name]
        n_items = total.tp + total.fn
        for metric in ("precision", "recall", "f1"):
            fields[f"{list_name}.{metric}"] = FieldScore(
                f"{list_name}.{metric}", getattr(total, metric), n_items
            )
        headline.append(total.f1)
    right = sum(s.topics[0] for s in scores)
    aligned = sum(s.topics[1] for s in scores)
    fields["findings.topic"] = FieldScore(
        "findings.topic", right / aligned if aligned else 1.0, aligned
    )
    headline.append(fields["findings.topic"].score)
    perfect = sum(1 for s in scores if s.perfect)
    fields["letters.perfect"] = FieldScore("letters.perfect", perfect / n if n else 0.0, n)
    fields["overall"] = FieldScore("overall", sum(headline) / len(headline) if n else 0.0, n)
    return Aggregate(n, fields, confusion_matrix(scores), list(scores))


# --- Verification power --------------------------------------------------------------------------


@dataclass(frozen=True)
class VerificationPower:
    """How well the validators' flags track wrong records.

    `caught` = flagged & wrong / wrong (want 1.0); `false_alarms` = flagged & right / right
    (want 0.0). None where the denominator is zero."""

    wrong: int
    flagged_wrong: int
    right: int
    flagged_right: int

    @property
    def caught(self) -> float | None:
        return self.flagged_wrong / self.wrong if self.wrong else None

    @property
    def false_alarms(self) -> float | None:
        return self.flagged_right / self.right if self.right else None

    def summary(self) -> VerificationSummary:
        """The counts and both shares, as the eval report holds them."""
        return VerificationSummary(
            wrong=self.wrong,
            flagged_wrong=self.flagged_wrong,
            right=self.right,
            flagged_right=self.flagged_right,
            caught=self.caught,
            false_alarms=self.false_alarms,
        )


def is_flagged(issues: Iterable[Issue]) -> bool:
    """Whether any issue is an error (what makes a record 'flagged')."""
    return any(i.severity == "error" for i in issues)


def verification_power(
    items: Iterable[tuple[Letter | None, Letter, Sequence[Issue]]],
) -> VerificationPower:
    """From (prediction, gold, validation issues) triples: how often wrong records were flagged
    and how often right ones were. A missing prediction counts as wrong."""
    wrong = flagged_wrong = right = flagged_right = 0
    for pred, gold, issues in items:
        flagged = is_flagged(issues)
        if pred is not None and score_letter(pred, gold).perfect:
            right += 1
            flagged_right += flagged
        else:
            wrong += 1
            flagged_wrong += flagged
    return VerificationPower(wrong, flagged_wrong, right, flagged_right)
