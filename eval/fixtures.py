"""Gold fixture sets: folders of `{"letter_file": ..., "letter": {...}}` JSON records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ofsted_extractor.schema import Letter

#: The package's own gold: the real letters, labelled by hand (eval/gold + eval/letters).
PACKAGE_GOLD = Path(__file__).parent / "gold"


@dataclass(frozen=True)
class Fixture:
    """One gold record and the letter file it labels."""

    name: str
    letter_path: Path
    gold: Letter
    #: The surface form for synthetic letters ('clean', 'pdf', ...); 'real' for real letters.
    surface: str = "real"


def load_fixtures(directory: str | Path | None = None) -> list[Fixture]:
    """Every `*.json` gold record in `directory` (default: the package gold), sorted by name.

    `letter_file` is resolved relative to the JSON file. Raises FileNotFoundError when the
    folder has no gold records or a record's letter file is missing.
    """
    folder = Path(directory) if directory is not None else PACKAGE_GOLD
    paths = sorted(folder.glob("*.json"))
    if not paths:
        raise FileNotFoundError(f"{folder}: no gold records (*.json)")
    out: list[Fixture] = []
    for path in paths:
        record = json.loads(path.read_text(encoding="utf-8"))
        letter_path = (path.parent / record["letter_file"]).resolve()
        if not letter_path.exists():
            raise FileNotFoundError(f"{path}: letter file {record['letter_file']} not found")
        out.append(
            Fixture(
                name=path.stem,
                letter_path=letter_path,
                gold=Letter.model_validate(record["letter"]),
                surface=record.get("surface", "real"),
            )
        )
    return out


def fixture_set_name(directory: str | Path | None) -> str:
    """The name a fixture set goes by in the history: 'gold' for the package's, else the folder."""
    if directory is None or Path(directory).resolve() == PACKAGE_GOLD.resolve():
        return "gold"
    return Path(directory).resolve().name
