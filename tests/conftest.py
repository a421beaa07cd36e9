"""What several test files share: where the checkout is, the real letters and their gold.

The functions take a letter's file name without extension ("worcestershire-2011"); test files
import them (`from tests.conftest import example_text, gold_letter`), and the fixtures give the
package's gold fixture set to any test that names it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ofsted_extractor.eval.fixtures import Fixture, load_fixtures
from ofsted_extractor.schema import Letter

#: The checkout's root folder.
ROOT = Path(__file__).resolve().parents[1]
#: The real letters, as their converters left them.
EXAMPLES = ROOT / "examples"
#: Their hand-labelled gold records ({"letter_file": ..., "letter": {...}}).
GOLD = ROOT / "eval" / "gold"
#: The real letters, by file name without extension.
REAL_LETTERS = ["worcestershire-2011", "dudley-2011"]


def example_text(name: str) -> str:
    """The raw text of examples/NAME.txt."""
    return (EXAMPLES / f"{name}.txt").read_text(encoding="utf-8")


def gold_record(name: str) -> dict[str, Any]:
    """The gold letter record of eval/gold/NAME.json, as plain JSON data."""
    data = json.loads((GOLD / f"{name}.json").read_text(encoding="utf-8"))
    letter: dict[str, Any] = data["letter"]
    return letter


def gold_letter(name: str) -> Letter:
    """The gold letter record of eval/gold/NAME.json."""
    return Letter.model_validate(gold_record(name))


@pytest.fixture(scope="session")
def gold_fixtures() -> list[Fixture]:
    """The package's gold fixture set: the real letters and their gold, sorted by name."""
    return load_fixtures()
