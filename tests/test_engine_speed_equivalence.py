"""The rules engine's fast readers read exactly what the plain patterns they replace read.

Speed work on the engine keeps every record byte for byte (tests/test_golden_output.py); this
file holds each fast reader equal to the plain version it replaces, kept below as the oracle,
over the real letters and their noise variants, the hostile conversions, synthetic letters in
every text surface, and random texts built from the letters' own lines with odd characters mixed
in (the Kelvin sign and the long s, which re.I folds and str.lower does not; unusual spaces;
indents, blank lines, dashes inside lines, headings split over two lines). The search for
the words a quantity can start at is held equal to a plain finditer in tests/test_rules_engine.py.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from functools import cache

import pytest
from pydantic import BaseModel

from ofsted_extractor.engines import rules
from ofsted_extractor.engines.rules import (
    AREAS_HEAD,
    BULLET,
    CLOSING,
    HEADING,
    LABEL_BY_ADVERB,
    STRENGTHS_HEAD,
    SUMMARY_VERB,
    VERDICT,
    YOURS,
    Block,
    LetterStructure,
    find_counts,
    find_inspections,
    letter_from_text,
    parse_structure,
    topic_of,
)
from ofsted_extractor.errors import ExtractorError
from ofsted_extractor.eval.synth import TEXT_SURFACES, generate
from ofsted_extractor.loading import LoadedText, load_text, normalise
from ofsted_extractor.schema import (
    GRADE_LABELS,
    Finding,
    GradeLabel,
    InspectionKind,
    InspectionOutcome,
    Letter,
    Person,
    SafeguardingInspection,
    Span,
)
from ofsted_extractor.textutil import MONTHS
from tests.conftest import REAL_LETTERS, example_text
from tests.hostile import HOSTILE
from tests.noise import VARIANTS

# --- The corpus ----------------------------------------------------------------------------------

# pieces of a letter's lines, and the characters that trip readers
_PIECES = (
    "Worcestershire County Council", "children's services assessment 2011",
    "Children's Services Assessment 2010", "CHILDREN'S SERVICES ASSESSMENT 2009",
    "Children's services assessment\tPerforms well (3)", "Children's services assessment",
    "Performs poorly (1)", "Strengths", "Major strengths", "Key  Strengths:", "strengths",
    "Areas for further improvement", "Important weaknesses and areas for development",
    "areas for development:", "This children's services assessment is provided in accordance",
    "Yours sincerely", "Yours faithfully,", "yours", "- a bullet", "-\tbullet  ", "  - indented",
    "-", "- ", "--", "-x", "text - dash - inside", "Council. children's services assessment 2011",
    "Children's services in Leeds perform well.", "Dear Ms Quinton", "8 November 2011",
    "J. Winstanley", "Divisional Manager", "\u017ftrengths", "\u212aey strengths", "\u00a0Strengths",
    "Yours\u00a0sincerely", "\x0c", "\u2028", "\r", "  ", "\t", "", "x.", "this",
)  # fmt: skip
_JOINS = ("\n", "\n", "\n", "\n\n", "\n \n", " ", "\t", "\n\t ", "  \n")


def _random_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        pieces = [rng.choice(_PIECES) for _ in range(rng.randint(1, 30))]
        text = "".join(p + rng.choice(_JOINS) for p in pieces)
        out.append(rng.choice([text, text.strip(), text.upper(), text.lower()]))
    return out


@cache
def _corpus() -> tuple[str, ...]:
    texts = []
    for name in REAL_LETTERS:
        raw = example_text(name)
        texts += [raw, normalise(raw)[0]]
        texts += [normalise(variant(raw))[0] for variant in VARIANTS.values()]
    letters = generate(40, 17)
    for letter in letters:
        texts += [normalise(letter.render(surface))[0] for surface in TEXT_SURFACES]
    for letter in letters[:10]:
        clean = letter.render("clean")
        texts += [normalise(transform(clean))[0] for transform in HOSTILE.values()]
    return tuple(texts + _random_texts(1500, 2011))


def _positions(text: str) -> list[int]:
    """Where a search may start: the start, every line start, a few places inside lines."""
    rng = random.Random(len(text))
    lines = [m.end() for m in re.finditer("\n", text)]
    return sorted({0, len(text), *lines, *(rng.randint(0, len(text)) for _ in range(3))})


def _span(m: re.Match[str] | None) -> tuple[tuple[int, int], dict[str, str | None]] | None:
    return None if m is None else (m.span(), m.groupdict())


def _lower(text: str) -> str | None:
    return text.lower() if text.isascii() else None


# --- The oracles: the plain readers the fast ones replace ------------------------------------


def plain_bullets(text: str, start: int, end: int) -> list[Block]:
    return [Block(m.group("text"), m.start("text"), m.end("text")) for m in BULLET.finditer(text, start, end)]  # fmt: skip


def plain_lines(text: str, start: int, end: int) -> list[Block]:
    out = []
    for m in re.finditer(r"[^\n]+", text[start:end]):
        line = m.group(0)
        stripped = line.strip()
        if stripped:
            s = start + m.start() + (len(line) - len(line.lstrip()))
            out.append(Block(stripped, s, s + len(stripped)))
    return out


# --- The fast readers are the plain ones ------------------------------------------------------

LINE_PATTERNS = {
    "verdict": (VERDICT, rules._VERDICT_KEYS),
    "strengths": (STRENGTHS_HEAD, rules._STRENGTHS_KEYS),
    "areas": (AREAS_HEAD, rules._AREAS_KEYS),
    "closing": (CLOSING, rules._CLOSING_KEYS),
    "yours": (YOURS, rules._YOURS_KEYS),
}


@pytest.mark.parametrize("name", LINE_PATTERNS)
def test_a_line_pattern_tried_only_where_its_first_word_begins_a_line_finds_what_search_finds(
    name: str,
) -> None:
    pattern, keys = LINE_PATTERNS[name]
    for text in _corpus():
        lower = _lower(text)
        for pos in _positions(text):
            fast = rules._line_search(pattern, keys, text, lower, pos)
            assert _span(fast) == _span(pattern.search(text, pos)), (name, pos, text)


def test_the_heading_tried_only_at_the_lines_that_can_hold_the_name_is_what_search_finds() -> None:
    for text in _corpus():
        fast = rules._search_heading(text, _lower(text))
        assert _span(fast) == _span(HEADING.search(text)), text


def test_bullets_read_from_the_dashes_are_what_the_bullet_pattern_finds() -> None:
    for text in _corpus():
        positions = _positions(text)
        rng = random.Random(len(text))
        for start in positions:
            end = rng.choice([p for p in positions if p >= start])
            assert rules._bullets(text, start, end) == plain_bullets(text, start, end), text


def test_lines_read_in_place_are_the_lines_read_from_a_copy() -> None:
    for text in _corpus():
        positions = _positions(text)
        rng = random.Random(len(text))
        for start in positions:
            end = rng.choice([p for p in positions if p >= start])
            assert rules._lines(text, start, end) == plain_lines(text, start, end), text


def test_the_letter_structure_is_what_the_plain_searches_give(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast = [parse_structure(text) for text in _corpus()]
    monkeypatch.setattr(
        rules, "_line_search", lambda p, keys, text, lower, pos=0: p.search(text, pos)
    )
    monkeypatch.setattr(rules, "_search_heading", lambda text, lower: HEADING.search(text))
    monkeypatch.setattr(rules, "_bullets", plain_bullets)
    monkeypatch.setattr(rules, "_lines", plain_lines)
    plain: list[LetterStructure] = [parse_structure(text) for text in _corpus()]
    for text, a, b in zip(_corpus(), fast, plain, strict=True):
        assert a == b, text


# --- The record: validated once, whole, it is the record built model by model -----------------


def model_by_model(doc: LoadedText) -> Letter:
    """The record as letter_from_text built it before it validated once: each model built and
    validated on its own, spans set on counts and inspections by assignment."""
    text = doc.text
    st = parse_structure(text)
    prov: dict[str, Span] = {}
    unfilled: list[str] = []

    def keep(path: str, block: Block | None) -> str | None:
        if block is None:
            unfilled.append(path)
            return None
        prov[path] = doc.span(block.start, block.end)
        return block.text

    def person(name: Block | None, role: Block | None, path: str) -> Person | None:
        if name is None:
            unfilled.append(f"{path}.name")
            return None
        prov[f"{path}.name"] = doc.span(name.start, name.end)
        if role is None:
            unfilled.append(f"{path}.role")
        else:
            prov[f"{path}.role"] = doc.span(role.start, role.end)
        return Person(name=name.text, role=role.text if role else None)

    def finding(bullet: Block) -> Finding:
        counts = []
        for count, s, e in find_counts(bullet.text):
            count.span = doc.span(bullet.start + s, bullet.start + e)
            counts.append(count)
        return Finding(
            text=bullet.text,
            topic=topic_of(bullet.text),
            counts=counts,
            span=doc.span(bullet.start, bullet.end),
        )

    authority = keep("local_authority", st.heading_authority)
    year_text = keep("assessment_year", st.heading_year)
    letter_date: dt.date | None = None
    if st.date:
        day, month, year = st.date.text.split()
        letter_date = dt.date(int(year), MONTHS.index(month) + 1, int(day))
        prov["letter_date"] = doc.span(st.date.start, st.date.end)
    else:
        unfilled.append("letter_date")
    recipient = person(st.recipient_name, st.recipient_role, "recipient")
    signatory = person(st.signatory_name, st.signatory_role, "signatory")
    grade: int | None = None
    label: GradeLabel | None = None
    if st.verdict:
        m = VERDICT.match(text, st.verdict.start)
        assert m is not None
        grade = int(m.group("grade"))
        label = GRADE_LABELS[grade]
        prov["grade"] = doc.span(m.start("grade"), m.end("grade"))
        prov["grade_label"] = doc.span(m.start("label"), m.end("label"))
    else:
        m2 = SUMMARY_VERB.search(text)
        if m2:
            grade = LABEL_BY_ADVERB[m2.group("adverb").lower()]
            label = GRADE_LABELS[grade]
            prov["grade"] = prov["grade_label"] = doc.span(m2.start("adverb"), m2.end("adverb"))
        else:
            unfilled += ["grade", "grade_label"]
    summary = st.summary
    if summary is None:
        unfilled.append("summary")
    else:
        prov["summary"] = doc.span(st.summary_paragraphs[0].start, st.summary_paragraphs[-1].end)
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
    return Letter(
        local_authority=authority,
        assessment_year=int(year_text) if year_text else None,
        letter_date=letter_date,
        recipient=recipient,
        signatory=signatory,
        grade=grade,
        grade_label=label,
        summary=summary,
        strengths=[finding(b) for b in st.strengths],
        areas_for_improvement=[finding(b) for b in st.areas],
        safeguarding_inspections=inspections,
        provenance=prov,
        unfilled=unfilled,
    )


def _fields_set(value: object) -> object:
    """Which fields each model in a record was given, all the way down."""
    if isinstance(value, BaseModel):
        return (
            type(value).__name__,
            sorted(value.model_fields_set),
            {name: _fields_set(getattr(value, name)) for name in type(value).model_fields},
        )
    if isinstance(value, list):
        return [_fields_set(v) for v in value]
    if isinstance(value, dict):
        return {k: _fields_set(v) for k, v in value.items()}
    return None


@cache
def _loaded() -> tuple[LoadedText, ...]:
    docs = []
    for text in _corpus():
        try:
            docs.append(load_text(text))
        except ExtractorError:
            continue  # not a letter: the engine never sees it
    return tuple(docs)


def test_the_record_validated_once_is_the_record_built_model_by_model() -> None:
    assert len(_loaded()) > 400
    for doc in _loaded():
        fast, plain = letter_from_text(doc), model_by_model(doc)
        assert fast.model_dump_json() == plain.model_dump_json(), doc.text
        assert _fields_set(fast) == _fields_set(plain), doc.text


def test_find_counts_builds_its_counts_from_the_fields_the_record_is_validated_from() -> None:
    for doc in _loaded()[:100]:
        for finding in letter_from_text(doc).strengths:
            counts = [c.model_copy(update={"span": None}) for c in finding.counts]
            assert [c for c, _, _ in find_counts(finding.text)] == counts


def test_a_spans_fields_are_those_of_the_loaders_span() -> None:
    rng = random.Random(5)
    for doc in _loaded()[:200]:
        n = len(doc.text)
        ranges = [
            (0, 0),
            (0, n),
            (n, n),
            *((rng.randint(0, n), rng.randint(0, n)) for _ in range(50)),
        ]
        for start, end in ranges:
            start, end = min(start, end), max(start, end)
            assert rules._span(doc, start, end) == doc.span(start, end).model_dump()
    doc = _loaded()[0]
    for start, end in [(-1, 3), (5, 4), (0, len(doc.text) + 1)]:
        with pytest.raises(ValueError):
            rules._span(doc, start, end)


# --- Inspections: sentences without a kind's word are not searched ------------------------------

_SENTENCES = (
    "Unannounced inspections of contact, referral and assessment arrangements in June 2009 and "
    "July 2010 found no priority actions.",
    "Contact, referral and assessment arrangements were reviewed in May 2011.",
    "Contact referral and assessment services were seen in May 2010.",
    "An inspection of these arrangements in March 2010 found areas for development.",
    "The safeguarding and looked after children inspection in May 2011 judged them to be good.",
    "Looked after children's services and safeguarding were inspected in June 2010.",
    "A full inspection of safeguarding in June 2009 found it inadequate.",
    "Overall effectiveness was judged to be good.",
    "This identified priority actions.",
    "Children's services perform well.",
    "In May 2011, an announced inspection of safeguarding found that arrangements were adequate.",
    "An unannounced in\u017fpection in June 2010 found one area for priority action.",
    "The \u017fafeguarding and looked after children in\u017fpection in July 2011 was good.",
    "Safeguarding remained inadequate.",
    "Inspection of these arrangements in April 2011 found no areas for priority action.",
    "An announced in\u017fpection of \u017fafeguarding in May 2010 found it good.",
    "In\u017fpection of these arrangements in June 2011 found no priority actions.",
)


def _summaries(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        picked = [rng.choice(_SENTENCES) for _ in range(rng.randint(1, 8))]
        text = "".join(s + rng.choice([" ", " ", "\n", "  "]) for s in picked)
        out.append(rng.choice([text, text.upper(), text.lower()]))
    return out


def plain_find_inspections(summary: str) -> list[tuple[SafeguardingInspection, int, int]]:
    """find_inspections as it was before it skipped sentences without a kind's word."""
    sentences = [
        (m.start(), m.group(0)) for m in rules._SENTENCE.finditer(summary) if m.group(0).strip()
    ]
    found: list[tuple[SafeguardingInspection, int, int]] = []
    kinds: list[InspectionKind | None] = []
    last_kind: InspectionKind | None = None
    for _, sentence in sentences:
        kind: InspectionKind | None = None
        for k, pattern in rules.KIND_PATTERNS:
            if pattern.search(sentence):
                kind = k
                break
        if kind is None and rules.ANAPHORIC_KIND.search(sentence):
            kind = last_kind
        kinds.append(kind)
        if kind:
            last_kind = kind
    for i, (offset, sentence) in enumerate(sentences):
        kind = kinds[i]
        when = rules._MONTH_YEAR.search(sentence)
        if kind is None or when is None or "inspection" not in sentence.lower():
            continue
        listed = rules._MONTH_YEAR_LIST.match(sentence, when.start())
        dates = [
            f"{m.group('year')}-{MONTHS.index(m.group('month')) + 1:02d}"
            for m in rules._MONTH_YEAR.finditer(listed.group(0) if listed else when.group(0))
        ]
        dates = [d for d in dates if not any(f[0].date == d and f[0].kind == kind for f in found)]
        if not dates:
            continue
        # the finding may be reported in the following sentences, up to the next inspection
        window = [sentence]
        for j in range(i + 1, min(i + 1 + rules.OUTCOME_SENTENCES, len(sentences))):
            if rules._MONTH_YEAR.search(sentences[j][1]) and kinds[j]:
                break
            window.append(sentences[j][1])
        outcome: InspectionOutcome | None = None
        if kind != "unannounced inspection of contact, referral and assessment":
            for candidate in window:
                grade = (
                    rules._GRADE_OUTCOME.search(candidate)
                    if rules._GRADE_SENTENCE.search(candidate)
                    else None
                )
                if grade:
                    outcome = grade.group(1).lower()  # type: ignore[assignment]
                    break
        if outcome is None:
            outcome = rules._outcome_of(" ".join(window))
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


def test_inspections_found_searching_only_sentences_with_a_kinds_word_are_the_plain_ones() -> None:
    summaries = _summaries(3000, 9)
    for text in _corpus():
        summaries += [p.text for p in parse_structure(text).summary_paragraphs]
    for summary in summaries:
        fast = [(i.model_dump(), s, e) for i, s, e in find_inspections(summary)]
        plain = [(i.model_dump(), s, e) for i, s, e in plain_find_inspections(summary)]
        assert fast == plain, summary


# --- Counts: "one in five" read backwards --------------------------------------------------------


def plain_proportion_before(text: str, start: int) -> bool:
    before = text[:start]
    if before[-1:].isspace() and before.rstrip()[-2:].lower() == "in":
        return rules._ONE_IN.search(text, 0, start) is not None
    return False


def test_one_in_five_read_backwards_from_a_quantity_is_what_the_copying_reader_read() -> None:
    rng = random.Random(15)
    words = ["one", "One", "in", "IN", "In", "five", "5", "ten", "schools", "in\u00a0", "\u0130n"]
    texts = [b.text for text in _corpus()[:200] for b in parse_structure(text).strengths]
    for _ in range(2000):
        picked = [rng.choice(words) for _ in range(rng.randint(1, 8))]
        texts.append("".join(w + rng.choice([" ", "  ", "\n", "", "\t "]) for w in picked))
    for text in texts:
        for start in range(len(text) + 1):
            fast = rules._proportion_before(text, start)
            assert fast == plain_proportion_before(text, start), (start, text)


# --- Counts: the nearest service noun phrase, in lower case ---------------------------------------


def plain_nearest_service(text: str, before: int) -> str | None:
    last = None
    for m in rules.SERVICE_NP.finditer(text, 0, before):
        last = m
    return rules._clean_subject(last.group(0)) if last else None


def test_the_nearest_service_found_in_lower_case_is_the_one_found_ignoring_case() -> None:
    assert not re.search(r"\\[A-Z]", rules.SERVICE_NP.pattern)
    rng = random.Random(16)
    words = ["the", "The", "LOCAL", "authority", "children's", "Homes", "schools", "SCHOOL",
             "preschools", "are", "is", "sixth", "Forms", "\u017fchools", "\u212aey", "units"]  # fmt: skip
    texts = [b.text for text in _corpus()[:200] for b in parse_structure(text).strengths]
    for _ in range(1000):
        picked = [rng.choice(words) for _ in range(rng.randint(1, 10))]
        texts.append("".join(w + rng.choice([" ", "  ", "\n", ", ", "-"]) for w in picked))
    for text in texts:
        for before in sorted({0, len(text), *(rng.randint(0, len(text)) for _ in range(5))}):
            fast = rules._nearest_service(text, before)
            assert fast == plain_nearest_service(text, before), (before, text)


# --- Counts: the quantity patterns not tried inside the earlier patterns' matches -----------------


def _quantity_texts() -> list[str]:
    from tests.test_rules_engine import _texts_for_search

    bullets = [b.text for text in _corpus()[:300] for b in parse_structure(text).strengths]
    return bullets + _texts_for_search()


def test_matches_found_outside_the_taken_spans_are_finditers_that_start_outside_them() -> None:
    # taken spans of every kind, the chains of matches inside them included: a start inside a
    # span whose match reaches past it hides the next start (finditer goes on after a match)
    rng = random.Random(17)
    for text in _quantity_texts():
        starts = rules._match_starts(text)
        for k, (kind, pattern) in enumerate(rules.QUANTITIES):
            cuts = sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, 6)))
            taken = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b]
            fast = [m.span() for m in rules._untaken_matches(k, pattern, text, starts, taken)]
            plain = [
                m.span()
                for m in pattern.finditer(text)
                if not any(a <= m.start() < b for a, b in taken)
            ]
            assert fast == plain, (kind, taken, text)


def test_quantities_found_trying_only_untaken_starts_are_those_of_every_finditer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = _quantity_texts()

    def read(text: str) -> object:
        # "ſeven" matches a number under re.I and parse_number raises on it: the same in both
        try:
            return rules._count_fields(text)
        except ValueError as e:
            return repr(e)

    fast = [read(text) for text in texts]
    # the plain reader: every pattern's finditer, every match, the overlapping ones dropped
    monkeypatch.setattr(rules, "_match_starts", lambda text: None)
    monkeypatch.setattr(
        rules, "_untaken_matches", lambda k, pattern, text, starts, taken: pattern.finditer(text)
    )
    plain = [read(text) for text in texts]
    assert sum(len(p) for p in plain if isinstance(p, list)) > 1000
    for text, a, b in zip(texts, fast, plain, strict=True):
        assert a == b, text
