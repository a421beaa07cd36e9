"""Tidy files rebuilt from the database: records.jsonl and one CSV per table.

All are read in one snapshot of the database, so they agree with each other, and each is
streamed into a temporary file and renamed over the old one once all are written, so a reader
(or a full disk) never sees half a file. Cells hold one value each: no lists packed into strings.
"""

from __future__ import annotations

import csv
import os
import sqlite3
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TextIO

from ofsted_extractor.db import Store
from ofsted_extractor.errors import StoreError

RECORDS = "records.jsonl"

#: file name -> the query that fills it (letters' columns first, so a CSV reads on its own).
_TABLES: dict[str, str] = {
    "letters.csv": """
        SELECT path, status, error_code, error, local_authority, authority_key, assessment_year,
               letter_date, grade, grade_label, recipient_name, recipient_role, signatory_name,
               signatory_role, n_strengths, n_areas, n_counts, n_inspections, n_issues, engine,
               model, sha256, format, doc_id
        FROM letters ORDER BY path""",
    "findings.csv": """
        SELECT f.path, l.local_authority, l.assessment_year, l.grade, l.status, f.list,
               f.position, f.topic, f.text, f.span_start, f.span_end
        FROM findings f JOIN letters l USING (doc_id)
        ORDER BY f.path, f.list DESC, f.position""",
    "counts.csv": """
        SELECT c.path, l.local_authority, l.assessment_year, l.status, c.list, c.position,
               c.count_position, c.subject, c.count, c.total, c.judgement, c.evidence,
               c.span_start, c.span_end
        FROM counts c JOIN letters l USING (doc_id)
        ORDER BY c.path, c.list DESC, c.position, c.count_position""",
    "inspections.csv": """
        SELECT i.path, l.local_authority, l.assessment_year, l.status, i.position, i.date,
               i.kind, i.outcome, i.evidence, i.span_start, i.span_end
        FROM inspections i JOIN letters l USING (doc_id)
        ORDER BY i.path, i.position""",
    "issues.csv": """
        SELECT s.path, l.local_authority, l.assessment_year, l.status, s.position, s.code,
               s.field, s.severity, s.expected, s.found, s.message
        FROM issues s JOIN letters l USING (doc_id)
        ORDER BY s.path, s.position""",
}
EXPORTS = (RECORDS, *_TABLES)


def export_all(store: Store, out_dir: Path) -> list[Path]:
    """Write records.jsonl and the CSV tables into `out_dir`; returns the paths written.

    Rows stream from the database into the temporary files (memory stays flat however many
    letters the store holds); the files replace the old ones only when all are written.

    Raises:
        StoreError: a file cannot be written (the old ones are then left as they were).
    """
    done: list[tuple[Path, Path]] = []  # (temporary file, its final path)
    try:
        with store.snapshot():
            records = store.conn.execute(
                "SELECT record FROM letters JOIN documents USING (doc_id) ORDER BY letters.path"
            )
            done.append(_streamed(out_dir / RECORDS, partial(_write_records, rows=records)))
            for name, sql in _TABLES.items():
                cur = store.conn.execute(sql)
                done.append(_streamed(out_dir / name, partial(_write_csv, cur=cur)))
        for tmp, path in done:
            _replace(tmp, path)
    finally:
        for tmp, _ in done:
            tmp.unlink(missing_ok=True)
    return [path for _, path in done]


def _write_records(fh: TextIO, rows: sqlite3.Cursor) -> None:
    for (record,) in rows:
        fh.write(record)
        fh.write("\n")


def _write_csv(fh: TextIO, cur: sqlite3.Cursor) -> None:
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow([c[0] for c in cur.description])
    # csv writes None as an empty cell and an int as its digits (no "3.0")
    writer.writerows(cur)


def _write_text(fh: TextIO, content: str) -> None:
    fh.write(content)


def _temporary(path: Path) -> Path:
    # The pid keeps two runs finishing at once from writing the same temporary file.
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _streamed(path: Path, write: Callable[[TextIO], None]) -> tuple[Path, Path]:
    """Write `path`'s new content into its temporary file, fsync'ed; (temporary, path)."""
    tmp = _temporary(path)
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path} ({exc.strerror or exc}); it is unchanged") from exc
    return tmp, path


def _replace(tmp: Path, path: Path) -> None:
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise StoreError(f"cannot write {path} ({exc.strerror or exc}); it is unchanged") from exc


def atomic_write(path: Path, content: str) -> None:
    """Write a whole file or nothing: a temporary file beside it, fsync'ed, renamed over it.

    Raises:
        StoreError: it cannot be written (full disk, read-only folder); the old file is kept.
    """
    tmp, _ = _streamed(path, partial(_write_text, content=content))
    try:
        _replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
