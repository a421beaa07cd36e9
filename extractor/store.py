"""The output folder of a batch run: records.jsonl (the truth), letters.csv and findings.csv.

records.jsonl holds one Document per input, one JSON object per line. Each document is written
with a single append of a complete line and flushed to disk, so a run killed at any moment leaves
at most one torn last line, which the next run drops before resuming. The CSV files are derived
from records.jsonl and rewritten atomically (temp file + rename) at the end of every run.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path

from extractor.schema import Count, Document

RECORDS = "records.jsonl"
LETTERS_CSV = "letters.csv"
FINDINGS_CSV = "findings.csv"

LETTER_COLUMNS = [
    "path", "status", "error", "local_authority", "assessment_year", "letter_date", "grade",
    "grade_label", "recipient_name", "recipient_role", "signatory_name", "strengths",
    "areas_for_improvement", "counts", "safeguarding_inspections", "issues", "engine", "model",
]  # fmt: skip
FINDING_COLUMNS = [
    "path", "local_authority", "assessment_year", "grade", "kind", "index", "topic", "counts",
    "text",
]  # fmt: skip


class RecordStore:
    """Append-only documents keyed by source path, resumable after a crash."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.path = out_dir / RECORDS
        self.documents: dict[str, Document] = {}
        self.dropped_lines = 0

    def open(self) -> None:
        """Read what earlier runs wrote, dropping torn lines; create the folder if needed."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            return
        lines = [ln for ln in self.path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        for line in lines:
            try:
                doc = Document.model_validate_json(line)
            except ValueError:
                self.dropped_lines += 1  # a line torn by a killed run
                continue
            self.documents[doc.source.path] = doc  # a later line for a path wins
        if len(self.documents) != len(lines):
            self._rewrite([d.model_dump_json() for d in self.documents.values()])

    def done(self, path: str, sha256: str | None = None) -> bool:
        """True when `path` already has a document that did not fail (and, when given, whose
        source hash is `sha256`)."""
        doc = self.documents.get(path)
        if doc is None or doc.validation.status == "failed":
            return False
        return sha256 is None or doc.source.sha256 == sha256

    def add(self, doc: Document) -> None:
        """Write one document; a document for a path seen before replaces it."""
        line = doc.model_dump_json() + "\n"
        if doc.source.path in self.documents:
            self.documents[doc.source.path] = doc
            self._rewrite([d.model_dump_json() for d in self.documents.values()])
            return
        self.documents[doc.source.path] = doc
        # one write of one whole line, then fsync: nothing half-written survives a normal kill
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def _rewrite(self, lines: list[str]) -> None:
        _atomic_write(self.path, "".join(line.rstrip("\n") + "\n" for line in lines))

    def write_tables(self) -> None:
        """Rewrite letters.csv and findings.csv from every document held."""
        docs = list(self.documents.values())
        _atomic_write(self.out_dir / LETTERS_CSV, _csv(LETTER_COLUMNS, letter_rows(docs)))
        _atomic_write(self.out_dir / FINDINGS_CSV, _csv(FINDING_COLUMNS, finding_rows(docs)))


def _atomic_write(path: Path, content: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _csv(columns: list[str], rows: Iterator[dict[str, object]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buf.getvalue()


def _count_text(counts: list[Count]) -> str:
    parts = []
    for c in counts:
        of = f" of {c.total}" if c.total is not None else ""
        parts.append(f"{c.count}{of} {c.subject}" + (f" {c.judgement}" if c.judgement else ""))
    return "; ".join(parts)


def letter_rows(docs: list[Document]) -> Iterator[dict[str, object]]:
    """A row per letter."""
    for d in docs:
        lt = d.letter
        row: dict[str, object] = {
            "path": d.source.path,
            "status": d.validation.status,
            "error": d.error.message if d.error else "",
            "issues": "; ".join(f"{i.code}@{i.field}" for i in d.validation.issues),
            "engine": d.engine.name,
            "model": d.engine.model or "",
        }
        if lt is not None:
            row.update(
                local_authority=lt.local_authority or "",
                assessment_year=lt.assessment_year or "",
                letter_date=lt.letter_date.isoformat() if lt.letter_date else "",
                grade=lt.grade or "",
                grade_label=lt.grade_label or "",
                recipient_name=lt.recipient.name if lt.recipient else "",
                recipient_role=(lt.recipient.role or "") if lt.recipient else "",
                signatory_name=lt.signatory.name if lt.signatory else "",
                strengths=len(lt.strengths),
                areas_for_improvement=len(lt.areas_for_improvement),
                counts=sum(len(f.counts) for f in [*lt.strengths, *lt.areas_for_improvement]),
                safeguarding_inspections=len(lt.safeguarding_inspections),
            )
        yield row


def finding_rows(docs: list[Document]) -> Iterator[dict[str, object]]:
    """A row per strength and per area for further improvement."""
    for d in docs:
        lt = d.letter
        if lt is None:
            continue
        for kind, findings in (("strength", lt.strengths), ("area", lt.areas_for_improvement)):
            for i, f in enumerate(findings, start=1):
                yield {
                    "path": d.source.path,
                    "local_authority": lt.local_authority or "",
                    "assessment_year": lt.assessment_year or "",
                    "grade": lt.grade or "",
                    "kind": kind,
                    "index": i,
                    "topic": f.topic,
                    "counts": _count_text(f.counts),
                    "text": f.text,
                }
