"""Secrets never reach a message or a record: API keys and bearer tokens are masked.

A provider's error body can echo the key it was sent; every line printed and every document
stored passes through `redact` first.
"""

from __future__ import annotations

import json
import os
import re

MASK = "[REDACTED]"

# sk-proj-AbC123..., sk-AbC123... (OpenAI keys and their look-alikes)
_KEY = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}")
# Authorization: Bearer eyJhbGciOi... (a token has a digit and 16+ characters: "bearer of" and
# "bearer information" in a letter's prose are left alone)
_BEARER = re.compile(r"(?i)\b(bearer)\s+(?=[A-Za-z._~+/=\-]*\d)[A-Za-z0-9._~+/=\-]{16,}")
# api_key=abc123..., "api-key": "abc123..."
_NAMED = re.compile(r"(?i)\b(api[_-]?key[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._~+/=\-]{8,}")

_NAMED_NEEDS = ("apikey", "api_key", "api-key")

#: Environment variables whose values are secrets wherever they appear.
SECRET_ENV = ("OPENAI_API_KEY",)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` with key-shaped strings, bearer tokens and the given secrets masked.

    The configured key (from the environment) is always among the secrets, whatever its shape,
    including its JSON-escaped form so a redacted JSON document stays valid.
    """
    values = [s for s in (*secrets, *(os.environ.get(k, "") for k in SECRET_ENV)) if len(s) >= 6]
    for value in values:
        text = text.replace(value, MASK)
        escaped = json.dumps(value)[1:-1]
        if escaped != value:
            text = text.replace(escaped, MASK)
    # Each pattern runs only over text that holds the words it needs (a stored record is some
    # 20 KB, and these patterns try every position). Under re.I only the letters' own upper case
    # matches them, but for "i" (also the dotted and dotless I, which str.lower does not give as
    # "i") and "k" (also the Kelvin sign, which it does).
    if "sk-" in text:
        text = _KEY.sub(MASK, text)
    lower = text.lower()
    if "bearer" in lower:
        text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    if "\u0130" in text or "\u0131" in text or any(n in lower for n in _NAMED_NEEDS):
        text = _NAMED.sub(lambda m: f"{m.group(1)}{MASK}", text)
    return text
