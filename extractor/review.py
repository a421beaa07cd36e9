"""The review page (one self-contained HTML file) and draft gold fixtures, from the database.

Each letter's text is shown as it was read (the file, or the PDF's text layer), with every
extracted value's evidence wrapped in `<mark data-field="FIELD PATH">`, using the spans the
record holds; the failed checks stand beside the values they concern.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ofsted_extractor.db import Store
from ofsted_extractor.export import atomic_write
from ofsted_extractor.schema import Document, Issue, Letter

_ORDER = {"flagged": 0, "failed": 1, "passed": 2}


@dataclass(frozen=True)
class Highlight:
    """A value's evidence: `text[start:end]`, labelled with the value's field path."""

    start: int
    end: int
    field: str


def highlights(letter: Letter) -> list[Highlight]:
    """Every span the record holds, with the field path the validators use for it."""
    out: list[Highlight] = [
        Highlight(span.start, span.end, field) for field, span in letter.provenance.items()
    ]
    for list_name in ("strengths", "areas_for_improvement"):
        for i, f in enumerate(getattr(letter, list_name)):
            if f.span:
                out.append(Highlight(f.span.start, f.span.end, f"{list_name}[{i}].text"))
            for j, c in enumerate(f.counts):
                if c.span:
                    field = f"{list_name}[{i}].counts[{j}].evidence"
                    out.append(Highlight(c.span.start, c.span.end, field))
    for i, insp in enumerate(letter.safeguarding_inspections):
        if insp.span:
            field = f"safeguarding_inspections[{i}].evidence"
            out.append(Highlight(insp.span.start, insp.span.end, field))
    return out


def marked_text(text: str, marks: list[Highlight]) -> str:
    """`text` as HTML with one `<mark>` per highlight, nested where spans nest.

    A span that crosses the end of an enclosing one is cut at that end, so the marks stay
    well formed and each highlight is still exactly one element.
    """
    valid = [m for m in marks if 0 <= m.start <= m.end <= len(text)]
    ordered = sorted(valid, key=lambda m: (m.start, -m.end, m.field))
    parts: list[str] = []
    open_ends: list[int] = []
    pos = 0

    def close_until(limit: int) -> None:
        nonlocal pos
        while open_ends and open_ends[-1] <= limit:
            end = open_ends.pop()
            parts.append(html.escape(text[pos:end]))
            parts.append("</mark>")
            pos = end

    for m in ordered:
        close_until(m.start)
        parts.append(html.escape(text[pos : m.start]))
        pos = m.start
        end = min(m.end, open_ends[-1]) if open_ends else m.end
        parts.append(f'<mark data-field="{html.escape(m.field)}">')
        open_ends.append(end)
    close_until(len(text))
    parts.append(html.escape(text[pos:]))
    return "".join(parts)


def _value_rows(doc: Document) -> list[tuple[str, str]]:
    """(field path, value) for the scalar values and each list item, in reading order."""
    lt = doc.letter
    if lt is None:
        return []
    rows: list[tuple[str, str]] = []
    scalars: dict[str, Any] = {
        "local_authority": lt.local_authority,
        "assessment_year": lt.assessment_year,
        "letter_date": lt.letter_date,
        "grade": lt.grade,
        "grade_label": lt.grade_label,
        "recipient.name": lt.recipient.name if lt.recipient else None,
        "recipient.role": lt.recipient.role if lt.recipient else None,
        "signatory.name": lt.signatory.name if lt.signatory else None,
        "signatory.role": lt.signatory.role if lt.signatory else None,
    }
    rows += [(k, "" if v is None else str(v)) for k, v in scalars.items()]
    for list_name in ("strengths", "areas_for_improvement"):
        for i, f in enumerate(getattr(lt, list_name)):
            rows.append((f"{list_name}[{i}].text", f"[{f.topic}] {f.text}"))
            for j, c in enumerate(f.counts):
                of = f" of {c.total}" if c.total is not None else ""
                value = f"{c.count}{of} {c.subject}" + (f" — {c.judgement}" if c.judgement else "")
                rows.append((f"{list_name}[{i}].counts[{j}]", value))
    for i, insp in enumerate(lt.safeguarding_inspections):
        outcome = f" — {insp.outcome}" if insp.outcome else ""
        rows.append((f"safeguarding_inspections[{i}]", f"{insp.date} {insp.kind}{outcome}"))
    return rows


def _issues_for(field: str, issues: list[Issue]) -> list[Issue]:
    # "strengths[2].counts[0]" owns "strengths[2].counts[0].total" and ".evidence"
    return [
        i
        for i in issues
        if i.field == field or i.field.startswith(field + ".") or i.field.startswith(field + "[")
    ]


def _letter_html(doc: Document, text: str | None, anchor: str) -> tuple[str, int]:
    status = doc.validation.status
    issues = doc.validation.issues
    codes = sorted({i.code for i in issues})
    lt = doc.letter
    title = (lt.local_authority if lt else None) or Path(doc.source.path).name
    year = f" {lt.assessment_year}" if lt and lt.assessment_year else ""
    grade = f" · grade {lt.grade}" if lt and lt.grade else ""
    head = (
        f'<h2><span class="status {status}">{status}</span> {html.escape(title)}{year}{grade}'
        f'</h2><p class="path">{html.escape(doc.source.path)} · {html.escape(doc.engine.name)}'
        f"{' ' + html.escape(doc.engine.model) if doc.engine.model else ''}</p>"
    )
    body: list[str] = []
    if doc.error:
        body.append(
            f'<p class="error">{html.escape(doc.error.code)}: {html.escape(doc.error.message)}</p>'
        )
    marks = highlights(lt) if lt else []
    if text is not None:
        body.append(f'<pre class="text">{marked_text(text, marks)}</pre>')
    elif lt is not None:
        body.append('<p class="error">the letter text was not kept for this record</p>')
    rows = []
    shown_issue_ids: set[int] = set()
    for field, value in _value_rows(doc):
        mine = _issues_for(field, issues)
        shown_issue_ids.update(id(i) for i in mine)
        flags = "".join(
            f'<div class="issue {i.severity}"><code>{html.escape(i.code)}</code> '
            f"{html.escape(i.message)}</div>"
            for i in mine
        )
        cls = ' class="bad"' if mine else ""
        rows.append(
            f'<tr{cls} data-field="{html.escape(field)}"><th>{html.escape(field)}</th>'
            f"<td>{html.escape(value)}{flags}</td></tr>"
        )
    for i in issues:  # checks on fields with no value row (a missing list, the whole record)
        if id(i) not in shown_issue_ids:
            rows.append(
                f'<tr class="bad" data-field="{html.escape(i.field)}"><th>'
                f'{html.escape(i.field)}</th><td><div class="issue {i.severity}"><code>'
                f"{html.escape(i.code)}</code> {html.escape(i.message)}</div></td></tr>"
            )
    side = [f'<table class="values">{"".join(rows)}</table>'] if rows else []
    if doc.disagreements:
        dis = "".join(
            f"<tr><th>{html.escape(d.field)}</th><td>{html.escape(d.llm or '—')}</td>"
            f"<td>{html.escape(d.rules or '—')}</td><td>{d.supported_by_text}</td></tr>"
            for d in doc.disagreements
        )
        side.append(
            '<h3>LLM and rules disagree</h3><table class="disagree"><tr><th>field</th>'
            f"<th>LLM</th><th>rules</th><th>text supports</th></tr>{dis}</table>"
        )
    section = (
        f'<section class="letter" id="{anchor}" data-status="{status}" '
        f'data-codes="{html.escape(" ".join(codes))}">{head}<div class="cols">'
        f'<div class="left">{"".join(body)}</div><div class="right">{"".join(side)}</div>'
        "</div></section>"
    )
    return section, len(marks) if text is not None else 0


_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid #ccc;padding:8px 16px;
z-index:2}
header h1{font-size:18px;margin:0 0 4px}
section.letter{background:#fff;margin:12px 16px;padding:8px 16px;border:1px solid #ddd}
h2{font-size:16px;margin:4px 0}.path{color:#666;margin:0 0 8px;font-size:12px}
.status{font-size:12px;padding:1px 6px;border-radius:3px;color:#fff}
.status.flagged{background:#c77700}.status.failed{background:#b00020}.status.passed{background:#2e7d32}
.cols{display:flex;gap:16px}.left{flex:3;min-width:0}.right{flex:2;min-width:0}
pre.text{white-space:pre-wrap;font:12px/1.5 ui-monospace,monospace;max-height:60em;overflow:auto;
border:1px solid #eee;padding:8px;background:#fcfcfa}
mark{background:#fff3a8;border-bottom:2px solid #e0b400}mark mark{background:#ffd166}
mark:hover{outline:1px solid #333}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{border-bottom:1px solid #eee;text-align:left;vertical-align:top;padding:2px 4px}
th{white-space:nowrap;color:#555;font-weight:normal}
tr.bad th{color:#b00020;font-weight:bold}
.issue{color:#b00020;font-size:12px}.issue.warning{color:#8a6100}.error{color:#b00020}
"""

_SCRIPT = """
(function(){
  var st=document.getElementById('f-status'), cd=document.getElementById('f-code');
  function apply(){
    var n=0;
    document.querySelectorAll('section.letter').forEach(function(s){
      var ok=(!st.value||s.dataset.status===st.value)&&
             (!cd.value||(' '+s.dataset.codes+' ').indexOf(' '+cd.value+' ')>=0);
      s.hidden=!ok; if(ok) n++;
    });
    document.getElementById('f-count').textContent=n+' shown';
  }
  // review.html#status=flagged&code=grade.verdict_mismatch opens with those filters set
  var want=new URLSearchParams(location.hash.slice(1));
  if(want.get('status')) st.value=want.get('status');
  if(want.get('code')) cd.value=want.get('code');
  st.addEventListener('change',apply); cd.addEventListener('change',apply);
  document.querySelectorAll('tr[data-field]').forEach(function(tr){
    tr.addEventListener('mouseenter',function(){
      var sec=tr.closest('section');
      sec.querySelectorAll('mark').forEach(function(m){
        m.style.outline=(m.dataset.field.indexOf(tr.dataset.field)===0)?'2px solid #b00020':'';
      });
    });
  });
  apply();
  document.body.dataset.ready='yes';
})();
"""


def write_review(store: Store, target: Path) -> dict[str, int]:
    """Write the review page for every current document; returns counts by status and marks."""
    docs = sorted(
        store.current_documents(),
        key=lambda d: (_ORDER.get(d.validation.status, 3), d.source.path),
    )
    sections: list[str] = []
    marks = 0
    codes: set[str] = set()
    for n, doc in enumerate(docs):
        section, k = _letter_html(doc, store.text_of(doc.source.sha256), f"letter-{n}")
        sections.append(section)
        marks += k
        codes.update(i.code for i in doc.validation.issues)
    counts = {s: sum(1 for d in docs if d.validation.status == s) for s in _ORDER}
    code_options = "".join(
        f'<option value="{html.escape(c)}">{html.escape(c)}</option>' for c in sorted(codes)
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Review: {len(docs)} letters</title><style>{_STYLE}</style></head>
<body><header><h1>Review: {len(docs)} letters — {counts["flagged"]} flagged,
{counts["failed"]} failed, {counts["passed"]} passed</h1>
<label>status <select id="f-status"><option value="">all</option>
<option value="flagged">flagged</option><option value="failed">failed</option>
<option value="passed">passed</option></select></label>
<label>issue code <select id="f-code"><option value="">any</option>{code_options}</select></label>
<span id="f-count"></span></header>
{"".join(sections)}
<script>{_SCRIPT}</script></body></html>
"""
    atomic_write(target, page)
    return {"letters": len(docs), "marks": marks, **counts}


def gold_fixture(doc: Document, folder: Path) -> dict[str, Any]:
    """A document's letter as a gold record in eval/gold's format, for a person to correct.

    Spans, provenance and `unfilled` are dropped (gold holds values only; the scorer aligns
    text itself). `letter_file` is relative to `folder`, where the fixture is written.
    """
    if doc.letter is None:
        raise ValueError(f"{doc.source.path}: the record has no letter (it failed)")
    letter = json.loads(doc.letter.model_dump_json(exclude={"provenance", "unfilled"}))
    for list_name in ("strengths", "areas_for_improvement"):
        for f in letter[list_name]:
            f.pop("span", None)
            for c in f["counts"]:
                c.pop("span", None)
    for insp in letter["safeguarding_inspections"]:
        insp.pop("span", None)
    letter_file = os.path.relpath(Path(doc.source.path).resolve(), folder.resolve())
    return {
        "letter_file": Path(letter_file).as_posix(),
        "draft": (
            f"written by `ofsted-extract gold` from the {doc.engine.name} engine's record "
            f"({doc.validation.status}); correct every value against the letter, then delete "
            "this key and `checks`"
        ),
        "checks": [f"{i.code} at {i.field}: {i.message}" for i in doc.validation.issues],
        "letter": letter,
    }
