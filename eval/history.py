"""The score history: one JSON line per eval run, to compare a run with the one before it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

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


def history_entry(report: dict[str, Any]) -> dict[str, Any]:
    """The history line for a report: who/what was run and the score of every field."""
    return {
        "date": report["date"],
        "commit": report["commit"],
        "engine": report["engine"],
        "model": report["model"],
        "prompt_version": report["prompt_version"],
        "fixture_set": report["fixture_set"],
        "n_letters": report["n_letters"],
        "scores": {f["field"]: f["score"] for f in report["fields"]},
        "mutation_score": (report.get("mutations") or {}).get("score"),
    }


def read_history(path: str | Path) -> list[dict[str, Any]]:
    """Every entry of a history file, oldest first; a missing file is an empty history and
    unreadable lines are skipped (a half-written line must not stop the next run)."""
    p = Path(path)
    if not p.exists():
        return []
    entries: list[dict[str, Any]] = []
    for line in p.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def append_history(path: str | Path, entry: dict[str, Any]) -> None:
    """Append one entry as a JSON line, creating the file (and folder) if needed."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, sort_keys=True) + "\n")


def same_series(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two entries are comparable: same engine, model and fixture set."""
    return all(a.get(k) == b.get(k) for k in ("engine", "model", "fixture_set"))


def series(history: list[dict[str, Any]], entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of `history` comparable with `entry`, oldest first."""
    return [h for h in history if same_series(h, entry)]


def previous_entry(history: list[dict[str, Any]], entry: dict[str, Any]) -> dict[str, Any] | None:
    """The latest earlier entry with the same engine, model and fixture set, if any."""
    matching = series(history, entry)
    return matching[-1] if matching else None


def compare(previous: dict[str, Any], current: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per field (and 'mutation_score'): previous score, current score and the change."""
    out: dict[str, dict[str, Any]] = {}
    prev_scores: dict[str, Any] = dict(previous.get("scores") or {})
    cur_scores: dict[str, Any] = dict(current.get("scores") or {})
    prev_scores["mutation_score"] = previous.get("mutation_score")
    cur_scores["mutation_score"] = current.get("mutation_score")
    for name in dict.fromkeys([*cur_scores, *prev_scores]):
        p, c = prev_scores.get(name), cur_scores.get(name)
        change = c - p if isinstance(p, (int, float)) and isinstance(c, (int, float)) else None
        out[name] = {"previous": p, "current": c, "change": change}
    return out
