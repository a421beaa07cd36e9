"""The eval report as a console table, report.md, report.json and a self-contained report.html.

Every renderer takes the typed report (eval.models.EvalReport); report.json is its JSON. The HTML
has inline CSS and inline SVG charts only (no scripts, fonts or images from elsewhere), so it can
be mailed or opened from a CI artefact as one file.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path

from ofsted_extractor.eval.models import EvalReport, HistoryEntry, MutationReport
from ofsted_extractor.eval.scoring import GRADE_COLUMNS


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _change(x: float | None) -> str:
    return "" if x is None else f"{x:+.3f}"


def _field_change(report: EvalReport, name: str) -> float | None:
    comp = report.comparison or {}
    return comp[name].change if name in comp else None


def table(report: EvalReport) -> str:
    """The per-field table (field, score, n, and the change when compared) as plain text, then
    the mutation test per kind."""
    compared = bool(report.comparison)
    rows = [("field", "score", "n", "change" if compared else "")]
    for f in report.fields:
        rows.append((f.field, _pct(f.score), str(f.n), _change(_field_change(report, f.field))))
    mut = report.mutations
    if mut is not None:
        ch = _change(_field_change(report, "mutation_score"))
        rows.append(("mutation_score", _pct(mut.score), str(mut.tried), ch))
    width = max(len(r[0]) for r in rows)
    lines = [f"{a:<{width}}  {b:>6}  {c:>5}  {d:>7}".rstrip() for a, b, c, d in rows]
    lines.insert(1, "-" * len(lines[0]))
    if mut is not None:
        lines += ["", *mutation_table(mut)]
    return "\n".join(lines)


def _codes(codes: Mapping[str, int]) -> str:
    return ", ".join(f"{code} {n}" for code, n in codes.items()) or "-"


def mutation_table(mut: MutationReport) -> list[str]:
    """Per mutation kind: caught of tried, share, and the issue codes that caught it; then the
    kinds the text cannot disprove and the gold records' own errors."""
    rows = [("kind", "caught", "share", "caught by")]
    for kind, r in mut.kinds.items():
        name = kind if r.disprovable else f"{kind} (not scored)"
        rows.append((name, f"{r.caught}/{r.tried}", _pct(r.share), _codes(r.codes)))
    width = max(len(r[0]) for r in rows)
    lines = [f"{a:<{width}}  {b:>7}  {c:>6}  {d}".rstrip() for a, b, c, d in rows]
    lines.insert(1, "-" * len(lines[0]))
    for kind, reason in mut.undisprovable.items():
        lines.append(f"not disprovable by the text: {kind}: {reason}")
    lines.append(f"gold errors: {len(mut.gold_errors)}")
    return lines


def _header(report: EvalReport) -> list[str]:
    return [
        f"- date: {report.date}",
        f"- commit: {report.commit or 'unknown'}",
        f"- engine: {report.engine}" + (f" (model {report.model})" if report.model else ""),
        f"- prompt version: {report.prompt_version or 'n/a'}",
        f"- fixture set: {report.fixture_set} ({report.n_letters} letters)",
    ]


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out.extend("| " + " | ".join(r) + " |" for r in rows)
    return out


def _per_surface(report: EvalReport) -> dict[str, dict[str, float]]:
    return {s: {f.field: f.score for f in sub.fields} for s, sub in report.by_surface.items()}


def _surface_heads(report: EvalReport) -> list[str]:
    return [f"{s} ({sub.n_letters})" for s, sub in report.by_surface.items()]


def _confusion_rows(report: EvalReport) -> list[list[str]]:
    return [[g, *(str(row[c]) for c in GRADE_COLUMNS)] for g, row in report.confusion.items()]


def _missed(mut: MutationReport) -> list[str]:
    return [f"{k}: {m}" for k, r in mut.kinds.items() if r.disprovable for m in r.missed]


def to_markdown(report: EvalReport) -> str:
    """report.md: header, per-field table, surfaces, confusion, verification, mutations, diffs."""
    lines = ["# Extraction eval", "", *_header(report), "", "## Scores per field", ""]
    rows = [
        [f"`{f.field}`", _pct(f.score), str(f.n), _change(_field_change(report, f.field))]
        for f in report.fields
    ]
    lines += _md_table(["field", "score", "n", "change"], rows)

    if len(report.by_surface) > 1:
        per = _per_surface(report)
        lines += ["", "## Scores per surface form", ""]
        rows = [
            [f"`{f.field}`", *(_pct(p.get(f.field)) for p in per.values())] for f in report.fields
        ]
        lines += _md_table(["field", *_surface_heads(report)], rows)

    lines += ["", "## Grade confusion (rows: gold, columns: predicted)", ""]
    lines += _md_table(["gold", *GRADE_COLUMNS], _confusion_rows(report))

    vp = report.verification_power
    lines += [
        "",
        "## Verification power",
        "",
        f"- wrong records flagged by the validators: {vp.flagged_wrong} of {vp.wrong}"
        f" ({_pct(vp.caught)})",
        f"- right records flagged (false alarms): {vp.flagged_right} of {vp.right}"
        f" ({_pct(vp.false_alarms)})",
    ]
    lines += ["", "## Mutation test of the validators", ""]
    mut = report.mutations
    if mut is None:
        lines.append("Not run: the validators are not available.")
    else:
        lines.append(
            f"Caught {mut.caught} of {mut.tried} mutations of the kinds the text can "
            f"disprove ({_pct(mut.score)}), made of {len(mut.cases)} gold records. "
            f"Gold errors: {len(mut.gold_errors)}."
        )
        lines.append("")
        rows = [
            [
                f"`{k}`",
                str(r.caught),
                str(r.tried),
                _pct(r.share),
                "yes" if r.disprovable else "no",
                _codes(r.codes),
            ]
            for k, r in mut.kinds.items()
        ]
        lines += _md_table(["kind", "caught", "tried", "share", "scored", "caught by"], rows)
        if mut.undisprovable:
            lines += ["", "Kinds the text cannot disprove (reported, not scored):", ""]
            lines += [f"- `{k}`: {reason}" for k, reason in mut.undisprovable.items()]
        missed = _missed(mut)
        if missed:
            lines += ["", "Not caught:", ""] + [f"- {m}" for m in missed]
        if mut.gold_errors:
            lines += ["", "Errors on the unmutated gold records:", ""]
            lines += [f"- {m}" for m in mut.gold_errors]

    lines += ["", "## Letters", ""]
    for letter in report.letters:
        mark = "ok" if letter.perfect else "differs"
        lines.append(f"### {letter.name} ({letter.surface}, {letter.status}, {mark})")
        if letter.error:
            lines.append(f"- error: {letter.error}")
        lines += [f"- {d}" for d in letter.diffs]
        if letter.issues:
            lines.append("- validation issues:")
            lines += [f"  - {i}" for i in letter.issues]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- HTML ----------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1b1b1b;
max-width:70rem}
h1,h2,h3{font-weight:600}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
td:first-child,th:first-child{text-align:left}code{font-size:.9em}
.bad{color:#a00}.good{color:#060}.muted{color:#666}
details{margin:.3rem 0}summary{cursor:pointer}
"""


def _esc(x: object) -> str:
    return html.escape(str(x), quote=True)


def bar_chart(items: Sequence[tuple[str, float]], *, width: int = 640) -> str:
    """Horizontal bars, one per (label, score in [0, 1]), as an inline SVG."""
    row, label_w = 22, 230
    height = row * len(items) + 10
    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="scores per field">']
    bar_w = width - label_w - 60
    for i, (label, score) in enumerate(items):
        y = 5 + i * row
        w = max(0.0, min(1.0, score)) * bar_w
        colour = "#2a7" if score >= 0.95 else ("#e90" if score >= 0.8 else "#c33")
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{_esc(label)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{colour}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" font-size="12">{score:.3f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


_LINE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def line_chart(
    series: Mapping[str, Sequence[float | None]], labels: Sequence[str], *, width: int = 640
) -> str:
    """One line per series over runs (x: run, y: score 0-1), as an inline SVG."""
    height, left, right, top, bottom = 240, 40, 150, 10, 30
    n = len(labels)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - max(0.0, min(1.0, v)))

    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="scores over time">']
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#ddd"/><text x="{left - 4}" y="{y(tick) + 4:.1f}" font-size="10" '
            f'text-anchor="end">{tick:.2f}</text>'
        )
    for i, label in enumerate(labels):
        if n <= 12 or i in (0, n - 1):
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 10}" font-size="10" text-anchor="middle">'
                f"{_esc(label)}</text>"
            )
    for k, (name, values) in enumerate(series.items()):
        colour = _LINE_COLOURS[k % len(_LINE_COLOURS)]
        pts = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        parts.extend(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in pts
        )
        ly = top + 14 * k + 10
        parts.append(
            f'<rect x="{left + plot_w + 10}" y="{ly - 8}" width="10" height="10" '
            f'fill="{colour}"/><text x="{left + plot_w + 24}" y="{ly + 1}" font-size="11">'
            f"{_esc(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(report: EvalReport, history: Sequence[HistoryEntry] = ()) -> str:
    """report.html: the markdown report's content with SVG charts of the per-field scores and
    of the scores over time (`history`: comparable history entries, oldest first)."""
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Extraction eval: {_esc(report.engine)} on {_esc(report.fixture_set)}</title>",
        f"<style>{_CSS}</style></head><body><h1>Extraction eval</h1><ul>",
        *(f"<li>{_esc(h[2:])}</li>" for h in _header(report)),
        "</ul><h2>Scores per field</h2>",
        bar_chart([(f.field, f.score) for f in report.fields]),
    ]
    rows = []
    for f in report.fields:
        change = _field_change(report, f.field)
        cls = "" if not change else (' class="good"' if change > 0 else ' class="bad"')
        rows.append(
            [
                f"<code>{_esc(f.field)}</code>",
                _pct(f.score),
                str(f.n),
                f"<span{cls}>{_change(change)}</span>",
            ]
        )
    out.append(_html_table(["field", "score", "n", "change"], rows))

    if len(report.by_surface) > 1:
        per = _per_surface(report)
        rows = [
            [f"<code>{_esc(f.field)}</code>", *(_pct(p.get(f.field)) for p in per.values())]
            for f in report.fields
        ]
        out += [
            "<h2>Scores per surface form</h2>",
            _html_table(["field", *_surface_heads(report)], rows),
        ]

    if history:
        chart_fields = ("overall", "grade", "strengths.f1", "counts.f1", "mutation_score")
        data: dict[str, list[float | None]] = {}
        for name in chart_fields:
            values = [
                h.mutation_score if name == "mutation_score" else h.scores.get(name)
                for h in history
            ]
            if any(v is not None for v in values):
                data[name] = values
        labels = [str(h.commit or (h.date or "")[:10]) for h in history]
        out += [
            f"<h2>Scores over time ({len(history)} runs of this engine, model and fixtures)</h2>",
            line_chart(data, labels),
        ]

    out.append("<h2>Grade confusion</h2><p class='muted'>rows: gold grade; columns: predicted</p>")
    out.append(_html_table(["gold", *GRADE_COLUMNS], _confusion_rows(report)))
    vp = report.verification_power
    out.append(
        "<h2>Verification power</h2><ul>"
        f"<li>wrong records flagged: {vp.flagged_wrong} of {vp.wrong} ({_pct(vp.caught)})</li>"
        f"<li>right records flagged (false alarms): {vp.flagged_right} of {vp.right} "
        f"({_pct(vp.false_alarms)})</li></ul>"
    )
    out.append("<h2>Mutation test of the validators</h2>")
    mut = report.mutations
    if mut is None:
        out.append("<p>Not run: the validators are not available.</p>")
    else:
        out.append(
            f"<p>Caught {mut.caught} of {mut.tried} of the kinds the text can disprove "
            f"({_pct(mut.score)}), made of {len(mut.cases)} gold records. "
            f"Gold errors: {len(mut.gold_errors)}.</p>"
        )
        out.append(
            _html_table(
                ["kind", "caught", "tried", "share", "scored", "caught by"],
                [
                    [
                        _esc(k),
                        str(r.caught),
                        str(r.tried),
                        _pct(r.share),
                        "yes" if r.disprovable else "no",
                        _esc(_codes(r.codes)),
                    ]
                    for k, r in mut.kinds.items()
                ],
            )
        )
        if mut.undisprovable:
            out.append(
                "<p>Kinds the text cannot disprove (reported, not scored):</p><ul>"
                + "".join(
                    f"<li><code>{_esc(k)}</code>: {_esc(v)}</li>"
                    for k, v in mut.undisprovable.items()
                )
                + "</ul>"
            )
        missed = _missed(mut)
        if missed:
            out.append(
                "<p>Not caught:</p><ul>" + "".join(f"<li>{_esc(m)}</li>" for m in missed) + "</ul>"
            )
    out.append("<h2>Letters</h2>")
    for letter in report.letters:
        mark = "ok" if letter.perfect else "differs"
        cls = "good" if letter.perfect else "bad"
        items = [_esc(d) for d in letter.diffs]
        if letter.error:
            items.insert(0, "error: " + _esc(letter.error))
        items += ["validation: " + _esc(i) for i in letter.issues]
        body = "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>" if items else ""
        out.append(
            f"<details{' open' if not letter.perfect and len(report.letters) <= 20 else ''}>"
            f"<summary>{_esc(letter.name)} ({_esc(letter.surface)}, "
            f"{_esc(letter.status)}, <span class='{cls}'>{mark}</span>)</summary>{body}"
            "</details>"
        )
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_reports(
    out_dir: str | Path, report: EvalReport, history: Sequence[HistoryEntry] = ()
) -> list[Path]:
    """Write report.md, report.json (the report model's JSON) and report.html into `out_dir`;
    return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.md", out / "report.json", out / "report.html"]
    paths[0].write_text(to_markdown(report), encoding="utf-8")
    paths[1].write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    paths[2].write_text(to_html(report, history), encoding="utf-8")
    return paths
