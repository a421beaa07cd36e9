"""A content-addressed disk cache for LLM answers.

The key is a hash of everything that decides the answer: the letter text's sha256, the model,
the backend and mode, the prompt version and hash, the schema version and the answer format.
Change any of them and the old entry is simply never looked up again, so nothing needs
invalidating. Entries are JSON files written atomically (write to a temp file, then rename), so
a crash or two concurrent runs never leave half an entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ofsted_extractor.engines.base import EngineResult
from ofsted_extractor.schema import Letter, Usage


def cache_key(**parts: str) -> str:
    """Hash the named parts (order-independent) into a hex key."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class AnswerCache:
    """JSON entries under `root/<key[:2]>/<key>.json`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        """Where the entry for `key` lives (whether or not it exists)."""
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry for `key`, or None when absent or unreadable (a corrupt entry is a miss)."""
        try:
            data = json.loads(self.path_for(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store `entry` under `key`, atomically. An unwritable cache is not an error: the
        answer has been paid for already, losing the cached copy only costs a later call."""
        target = self.path_for(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh, ensure_ascii=False)
            os.replace(tmp, target)
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)


def entry_from_result(result: EngineResult) -> dict[str, Any]:
    """What the cache keeps of a result: the letter (spans included), usage, last answer.

    Issues and disagreements are not kept: the pipeline works them out again, so a cached
    answer is judged by today's validators.
    """
    return {
        "letter": result.letter.model_dump(mode="json"),
        "usage": result.usage.model_dump(mode="json"),
        "last_answer": result.last_answer,
    }


def result_from_entry(entry: dict[str, Any]) -> EngineResult:
    """The result a cache entry stands for. A hit costs nothing this run: zero calls, cached."""
    return EngineResult(
        letter=Letter.model_validate(entry["letter"]),
        usage=Usage(cached=True, cost_usd=0.0),
        last_answer=entry.get("last_answer"),
        cross_check=True,
    )
