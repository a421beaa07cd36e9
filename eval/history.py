"""The score history: one JSON line per eval run, to compare a run with the one before it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

from ofsted_extractor.eval.models import Change, EvalReport, HistoryEntry

#: Default history file, relative to the working directory (the checkout when run from one).
DEFAULT_HISTORY = Path("eval/history.jsonl")


def git_commit(cwd: str | Path | None = None) -> str | None:
    """The short hash of HEAD, or None outside a git checkout (or without git)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def utc_now() -> str:
    """The current time as an ISO 8601 UTC string, to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def history_entry(report: EvalReport) -> HistoryEntry:
    """The history line for a report: who/what was run and the score of every field."""
    return HistoryEntry(
        date=report.date,
        commit=report.commit,
        engine=report.engine,
        model=report.model,
        prompt_version=report.prompt_version,
        fixture_set=report.fixture_set,
        n_letters=report.n_letters,
        scores={f.field: f.score for f in report.fields},
        mutation_score=report.mutations.score if report.mutations is not None else None,
    )


def read_history(path: str | Path) -> list[HistoryEntry]:
    """Every entry of a history file, oldest first; a missing file is an empty history and
    unreadable lines are skipped (a half-written line must not stop the next run)."""
    p = Path(path)
    if not p.exists():
        return []
    entries: list[HistoryEntry] = []
    for line in p.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            entry = HistoryEntry.from_line(json.loads(line))
        except json.JSONDecodeError:
            continue
        if entry is not None:
            entries.append(entry)
    return entries


def append_history(path: str | Path, entry: HistoryEntry) -> None:
    """Append one entry as a JSON line (sorted keys, as every line so far), creating the file
    (and folder) if needed."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry.model_dump(mode="json"), sort_keys=True) + "\n")


def series(history: list[HistoryEntry], entry: HistoryEntry) -> list[HistoryEntry]:
    """The entries of `history` comparable with `entry`, oldest first."""
    return [h for h in history if h.same_series(entry)]


def previous_entry(history: list[HistoryEntry], entry: HistoryEntry) -> HistoryEntry | None:
    """The latest earlier entry with the same engine, model and fixture set, if any."""
    matching = series(history, entry)
    return matching[-1] if matching else None


def compare(previous: HistoryEntry, current: HistoryEntry) -> dict[str, Change]:
    """Per field (and 'mutation_score'): previous score, current score and the change."""
    prev_scores = {**previous.scores, "mutation_score": previous.mutation_score}
    cur_scores = {**current.scores, "mutation_score": current.mutation_score}
    out: dict[str, Change] = {}
    for name in dict.fromkeys([*cur_scores, *prev_scores]):
        p, c = prev_scores.get(name), cur_scores.get(name)
        change = c - p if p is not None and c is not None else None
        out[name] = Change(previous=p, current=c, change=change)
    return out
