"""The store of record: `DIR/letters.db`, an SQLite database (WAL, one transaction a document).

`documents` is append-only history: every extraction ever made, keyed by the sha256 of the
file's bytes plus the engine's fingerprint. Every other table holds the *current* document of
each input path (the newest one written), and is brought up to date in the same transaction
that adds the document, so a reader never sees a half-written letter. Two runs writing into one
folder at once are serialised by SQLite's own lock (`BEGIN IMMEDIATE`, a busy timeout).
The columns are described in docs/data.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ofsted_extractor.errors import StoreError
from ofsted_extractor.redact import redact
from ofsted_extractor.schema import SCHEMA_VERSION, Document, EngineInfo, Letter

DB_NAME = "letters.db"
#: Seconds a writer waits for another run's transaction before giving up.
BUSY_TIMEOUT_S = 120

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    tool_version TEXT NOT NULL,
    args TEXT NOT NULL,
    engine TEXT NOT NULL,
    inputs INTEGER,
    extracted INTEGER,
    skipped INTEGER,
    passed INTEGER,
    flagged INTEGER,
    failed INTEGER
);
CREATE TABLE IF NOT EXISTS texts (
    sha256 TEXT PRIMARY KEY,
    text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    doc_id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT,
    format TEXT NOT NULL,
    engine TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    model TEXT,
    prompt_sha256 TEXT,
    schema_version TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('passed', 'flagged', 'failed')),
    error_code TEXT,
    error TEXT,
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    created_at TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_by_path_key ON documents(path, key);
CREATE TABLE IF NOT EXISTS letters (
    path TEXT PRIMARY KEY,
    doc_id INTEGER NOT NULL UNIQUE REFERENCES documents(doc_id),
    status TEXT NOT NULL,
    error_code TEXT,
    error TEXT,
    local_authority TEXT,
    authority_key TEXT,
    assessment_year INTEGER,
    letter_date TEXT,
    grade INTEGER,
    grade_label TEXT,
    recipient_name TEXT,
    recipient_role TEXT,
    signatory_name TEXT,
    signatory_role TEXT,
    n_strengths INTEGER NOT NULL,
    n_areas INTEGER NOT NULL,
    n_counts INTEGER NOT NULL,
    n_inspections INTEGER NOT NULL,
    n_issues INTEGER NOT NULL,
    engine TEXT NOT NULL,
    model TEXT,
    sha256 TEXT,
    format TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS findings (
    doc_id INTEGER NOT NULL REFERENCES documents(doc_id),
    path TEXT NOT NULL,
    list TEXT NOT NULL CHECK (list IN ('strengths', 'areas_for_improvement')),
    position INTEGER NOT NULL,
    topic TEXT NOT NULL,
    text TEXT NOT NULL,
    span_start INTEGER,
    span_end INTEGER,
    PRIMARY KEY (doc_id, list, position)
);
CREATE TABLE IF NOT EXISTS counts (
    doc_id INTEGER NOT NULL REFERENCES documents(doc_id),
    path TEXT NOT NULL,
    list TEXT NOT NULL,
    position INTEGER NOT NULL,
    count_position INTEGER NOT NULL,
    subject TEXT NOT NULL,
    count INTEGER NOT NULL,
    total INTEGER,
    judgement TEXT,
    evidence TEXT NOT NULL,
    span_start INTEGER,
    span_end INTEGER,
    PRIMARY KEY (doc_id, list, position, count_position)
);
CREATE TABLE IF NOT EXISTS inspections (
    doc_id INTEGER NOT NULL REFERENCES documents(doc_id),
    path TEXT NOT NULL,
    position INTEGER NOT NULL,
    date TEXT NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT,
    evidence TEXT NOT NULL,
    span_start INTEGER,
    span_end INTEGER,
    PRIMARY KEY (doc_id, position)
);
CREATE TABLE IF NOT EXISTS issues (
    doc_id INTEGER NOT NULL REFERENCES documents(doc_id),
    path TEXT NOT NULL,
    position INTEGER NOT NULL,
    code TEXT NOT NULL,
    field TEXT NOT NULL,
    severity TEXT NOT NULL,
    expected TEXT,
    found TEXT,
    message TEXT NOT NULL,
    PRIMARY KEY (doc_id, position)
);
CREATE TABLE IF NOT EXISTS disagreements (
    doc_id INTEGER NOT NULL REFERENCES documents(doc_id),
    path TEXT NOT NULL,
    position INTEGER NOT NULL,
    field TEXT NOT NULL,
    llm TEXT,
    rules TEXT,
    supported_by_text TEXT NOT NULL,
    PRIMARY KEY (doc_id, position)
);
CREATE INDEX IF NOT EXISTS findings_by_path ON findings(path);
CREATE INDEX IF NOT EXISTS counts_by_path ON counts(path);
CREATE INDEX IF NOT EXISTS inspections_by_path ON inspections(path);
CREATE INDEX IF NOT EXISTS issues_by_path ON issues(path);
CREATE INDEX IF NOT EXISTS disagreements_by_path ON disagreements(path);
CREATE VIEW IF NOT EXISTS authority_years AS
    SELECT authority_key, assessment_year AS year, grade, grade_label AS label, status,
           n_strengths, n_areas, local_authority, path
    FROM letters
    WHERE authority_key IS NOT NULL
    ORDER BY authority_key, assessment_year;
"""

#: Tables that hold one current document's rows, cleared for a path when it gets a new one.
_CHILD_TABLES = ("findings", "counts", "inspections", "issues", "disagreements")
_LISTS = ("strengths", "areas_for_improvement")

# "Worcestershire County Council", "London Borough of Barnet", "City of York Council"
_AUTHORITY_WORDS = re.compile(
    r"\b(the|council|county|city|of|metropolitan|borough|london|royal|district|and)\b"
)


def authority_key(name: str | None) -> str | None:
    """A key that is the same for one authority however a letter names it.

    'Dudley Metropolitan Borough Council' and 'Dudley MBC' -> 'dudley';
    'City of York Council' -> 'york'; 'Bath and North East Somerset' -> 'bath-north-east-somerset'.
    """
    if not name:
        return None
    lowered = name.lower().replace("&", " and ").replace("’", "'")
    lowered = re.sub(r"\b(mbc|cc|lbc|bc)\b", " ", lowered)
    words = _AUTHORITY_WORDS.sub(" ", lowered)
    key = re.sub(r"[^a-z0-9]+", "-", words).strip("-")
    return key or re.sub(r"[^a-z0-9]+", "-", lowered).strip("-") or None


def fingerprint(info: EngineInfo) -> str:
    """A short hash of everything about the engine that can change its answer."""
    return _fingerprint(
        (info.name, info.version, info.model, info.prompt_version, info.prompt_sha256, info.mode)
    )


# A batch asks for one engine's fingerprint three times a letter: it is hashed once.
@lru_cache(maxsize=64)
def _fingerprint(parts: tuple[str | None, ...]) -> str:
    return hashlib.sha256(json.dumps([*parts, SCHEMA_VERSION]).encode()).hexdigest()[:16]


def document_key(sha256: str | None, info: EngineInfo) -> str:
    """The key resume goes by: the file's bytes and the engine that read them."""
    return f"{sha256 or 'unread'}:{fingerprint(info)}"


def file_sha256(path: Path) -> str | None:
    """The sha256 of a file's bytes, read in blocks; None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Written:
    """What `Store.add` did: the new document's id, or None when another run had written
    the same key for the path first (and `force` was not set)."""

    doc_id: int | None


def _use_wal(conn: sqlite3.Connection) -> None:
    """Put the database in WAL mode (it stays so in the file). Changing the journal mode can
    answer "database is locked" at once, without the busy timeout, while another run is creating
    the same database; so it is retried for as long as the timeout allows."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Store:
    """`DIR/letters.db`. Open it with `Store.open(dir)`; close it with `close()`."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, out_dir: Path, *, create: bool = True) -> Store:
        """Open (and create, with its tables) the database in `out_dir`.

        Raises:
            StoreError: the folder or the database cannot be created or written.
        """
        path = out_dir / DB_NAME
        if not create and not path.is_file():
            raise StoreError(f"{out_dir}: no {DB_NAME} here (run `ofsted-extract run` first)")
        try:
            if create:
                out_dir.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            _use_wal(conn)
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            if create:
                # One statement at a time: executescript would commit the transaction.
                with _transaction(conn):
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{out_dir}: cannot use it as the output folder ({exc})") from exc
        return cls(conn, path)

    def close(self) -> None:
        self.conn.close()

    # --- runs --------------------------------------------------------------------------------

    def start_run(self, args: dict[str, Any], engine: dict[str, Any], version: str) -> int:
        """Record a run's start; returns its run_id."""
        with self._write():
            cur = self.conn.execute(
                "INSERT INTO runs (started_at, tool_version, args, engine) VALUES (?, ?, ?, ?)",
                (_now(), version, redact(json.dumps(args)), redact(json.dumps(engine))),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def finish_run(self, run_id: int, totals: dict[str, int]) -> None:
        """Record a run's end and its totals."""
        names = ("inputs", "extracted", "skipped", "passed", "flagged", "failed")
        with self._write():
            self.conn.execute(
                f"UPDATE runs SET finished_at = ?, {', '.join(f'{n} = ?' for n in names)} "
                "WHERE run_id = ?",
                (_now(), *(totals.get(n, 0) for n in names), run_id),
            )

    # --- documents ---------------------------------------------------------------------------

    def is_done(self, path: str, key: str) -> bool:
        """True when `path`'s current document has `key` and did not fail (resume skips it)."""
        return self.done_key(path) == key

    def done_key(self, path: str) -> str | None:
        """The key of `path`'s current document when it did not fail, else None: a path with
        none needs no hash of its file to know it is to do."""
        current = self._current(path)
        return current[0] if current is not None and current[1] != "failed" else None

    def _current(self, path: str) -> tuple[str, str] | None:
        """(key, status) of `path`'s current document, or None when it has none."""
        row = self.conn.execute(
            "SELECT documents.key, letters.status FROM letters JOIN documents USING (doc_id) "
            "WHERE letters.path = ?",
            (path,),
        ).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    def add(
        self,
        doc: Document,
        *,
        run_id: int,
        text: str | None = None,
        force: bool = False,
        record: str | None = None,
    ) -> Written:
        """Add one document and make it its path's current one, in one transaction.

        Without `force`, a document whose key is already its path's current (not failed)
        document is not added again: another run got there first. `record`, when given, is
        `doc.model_dump_json()` already made.

        Raises:
            StoreError: the database cannot be written (disk full, read-only, ...); nothing of
                this document is kept and nothing written before is lost.
        """
        return self.write(document_rows(doc, record), run_id=run_id, text=text, force=force)

    def write(
        self, rows: DocumentRows, *, run_id: int, text: str | None = None, force: bool = False
    ) -> Written:
        """`add` for a document already made into rows (by `document_rows`, which a batch's
        worker processes run, so the one process that writes only writes)."""
        with self._write():
            # the path's current document, read once: whether it is done, and whether the
            # path has rows to replace at all (a new path has none to delete)
            current = self._current(rows.path)
            done = current is not None and current[0] == rows.key and current[1] != "failed"
            if done and not force:
                return Written(None)
            if text is not None and rows.sha256:
                self.conn.execute(
                    "INSERT OR IGNORE INTO texts (sha256, text) VALUES (?, ?)",
                    (rows.sha256, text),
                )
            cur = self.conn.execute(
                "INSERT INTO documents (key, path, sha256, format, engine, engine_version, model, "
                "prompt_sha256, schema_version, fingerprint, status, error_code, error, run_id, "
                "created_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*rows.document, run_id, _now(), rows.record),
            )
            assert cur.lastrowid is not None
            self._make_current(rows, cur.lastrowid, replace=current is not None)
        return Written(cur.lastrowid)

    def _make_current(self, rows: DocumentRows, doc_id: int, *, replace: bool) -> None:
        if replace:
            for table in _CHILD_TABLES:
                self.conn.execute(f"DELETE FROM {table} WHERE path = ?", (rows.path,))
            self.conn.execute("DELETE FROM letters WHERE path = ?", (rows.path,))
        row = {**rows.letter, "doc_id": doc_id}
        self.conn.execute(
            f"INSERT INTO letters ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
            tuple(row.values()),
        )
        for table, width, children in (
            ("issues", 9, rows.issues),
            ("disagreements", 7, rows.disagreements),
            ("findings", 8, rows.findings),
            ("counts", 12, rows.counts),
            ("inspections", 9, rows.inspections),
        ):
            if children:
                self.conn.executemany(
                    f"INSERT INTO {table} VALUES ({', '.join('?' * width)})",
                    [(doc_id, *child) for child in children],
                )

    # --- reading -----------------------------------------------------------------------------

    def current_documents(self) -> list[Document]:
        """Every path's current document, by path."""
        rows = self.conn.execute(
            "SELECT record FROM letters JOIN documents USING (doc_id) ORDER BY letters.path"
        ).fetchall()
        return [Document.model_validate_json(r[0]) for r in rows]

    def current_document(self, path: str) -> Document | None:
        """The current document of one input path (as given to `run`), or None."""
        row = self.conn.execute(
            "SELECT record FROM letters JOIN documents USING (doc_id) WHERE letters.path = ?",
            (path,),
        ).fetchone()
        return Document.model_validate_json(row[0]) if row else None

    def text_of(self, sha256: str | None) -> str | None:
        """The source text a document's spans point into, when it was kept."""
        if not sha256:
            return None
        row = self.conn.execute("SELECT text FROM texts WHERE sha256 = ?", (sha256,)).fetchone()
        return str(row[0]) if row else None

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query, as sqlite3.Row."""
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        return list(cur.execute(sql, params).fetchall())

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: every query inside sees the same state (exports agree)."""
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    @contextmanager
    def _write(self) -> Iterator[None]:
        try:
            with _transaction(self.conn):
                yield
        except sqlite3.Error as exc:
            hint = ""
            if "disk" in str(exc) or "readonly" in str(exc):
                hint = ": is the disk full or the folder read-only?"
            raise StoreError(
                f"{self.path}: cannot write the database ({exc}{hint}); "
                "the letters written before this one are kept"
            ) from exc


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    # IMMEDIATE takes the write lock at the start, so two runs queue instead of one failing
    # with "database is locked" half-way through a document.
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def letter_row(doc: Document) -> dict[str, Any]:
    """The `letters` columns of a document (one typed value a column)."""
    lt: Letter | None = doc.letter
    strengths = lt.strengths if lt else []
    areas = lt.areas_for_improvement if lt else []
    return {
        "path": doc.source.path,
        "status": doc.validation.status,
        "error_code": doc.error.code if doc.error else None,
        "error": doc.error.message if doc.error else None,
        "local_authority": lt.local_authority if lt else None,
        "authority_key": authority_key(lt.local_authority) if lt else None,
        "assessment_year": lt.assessment_year if lt else None,
        "letter_date": lt.letter_date.isoformat() if lt and lt.letter_date else None,
        "grade": lt.grade if lt else None,
        "grade_label": lt.grade_label if lt else None,
        "recipient_name": lt.recipient.name if lt and lt.recipient else None,
        "recipient_role": lt.recipient.role if lt and lt.recipient else None,
        "signatory_name": lt.signatory.name if lt and lt.signatory else None,
        "signatory_role": lt.signatory.role if lt and lt.signatory else None,
        "n_strengths": len(strengths),
        "n_areas": len(areas),
        "n_counts": sum(len(f.counts) for f in [*strengths, *areas]),
        "n_inspections": len(lt.safeguarding_inspections) if lt else 0,
        "n_issues": len(doc.validation.issues),
        "engine": doc.engine.name,
        "model": doc.engine.model,
        "sha256": doc.source.sha256,
        "format": doc.source.format,
    }


@dataclass(frozen=True)
class DocumentRows:
    """What the store writes for one document, all but its id and the time: the row of
    `documents` (without run_id and created_at), the redacted record, the `letters` row and the
    rows of the child tables (each without its leading doc_id)."""

    path: str
    key: str
    sha256: str | None
    record: str
    document: tuple[Any, ...]
    letter: dict[str, Any]
    issues: list[tuple[Any, ...]]
    disagreements: list[tuple[Any, ...]]
    findings: list[tuple[Any, ...]]
    counts: list[tuple[Any, ...]]
    inspections: list[tuple[Any, ...]]


def document_rows(doc: Document, record: str | None = None) -> DocumentRows:
    """The rows of one document (`record`: its `model_dump_json()` when already made). A
    key-shaped string anywhere in it is masked in the record and in every row."""
    raw = record if record is not None else doc.model_dump_json()
    record = redact(raw)
    if record != raw:  # a key-shaped string was masked: the rows come from the masked document
        doc = Document.model_validate_json(record)
    path = doc.source.path
    e = doc.engine
    lt = doc.letter
    findings: list[tuple[Any, ...]] = []
    counts: list[tuple[Any, ...]] = []
    inspections: list[tuple[Any, ...]] = []
    if lt is not None:
        for list_name in _LISTS:
            for position, f in enumerate(getattr(lt, list_name)):
                findings.append(
                    (
                        path,
                        list_name,
                        position,
                        f.topic,
                        f.text,
                        f.span.start if f.span else None,
                        f.span.end if f.span else None,
                    )
                )
                counts.extend(
                    (
                        path,
                        list_name,
                        position,
                        cpos,
                        c.subject,
                        c.count,
                        c.total,
                        c.judgement,
                        c.evidence,
                        c.span.start if c.span else None,
                        c.span.end if c.span else None,
                    )
                    for cpos, c in enumerate(f.counts)
                )
        inspections = [
            (
                path,
                position,
                insp.date,
                insp.kind,
                insp.outcome,
                insp.evidence,
                insp.span.start if insp.span else None,
                insp.span.end if insp.span else None,
            )
            for position, insp in enumerate(lt.safeguarding_inspections)
        ]
    return DocumentRows(
        path=path,
        key=document_key(doc.source.sha256, e),
        sha256=doc.source.sha256,
        record=record,
        document=(
            document_key(doc.source.sha256, e),
            path,
            doc.source.sha256,
            doc.source.format,
            e.name,
            e.version,
            e.model,
            e.prompt_sha256,
            doc.schema_version,
            fingerprint(e),
            doc.validation.status,
            doc.error.code if doc.error else None,
            doc.error.message if doc.error else None,
        ),
        letter=letter_row(doc),
        issues=[
            (
                path,
                position,
                issue.code,
                issue.field,
                issue.severity,
                issue.expected,
                issue.found,
                issue.message,
            )
            for position, issue in enumerate(doc.validation.issues)
        ],
        disagreements=[
            (path, position, d.field, d.llm, d.rules, d.supported_by_text)
            for position, d in enumerate(doc.disagreements)
        ],
        findings=findings,
        counts=counts,
        inspections=inspections,
    )
