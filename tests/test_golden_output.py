"""Speed work must not change a single record: the rules engine's output, byte for byte.

tests/golden/rules-records.json holds the sha256 of every record the rules engine (with the
validators) gives for a fixed corpus: synthetic letters in every text surface, each hostile
conversion of tests/hostile.py on some of them, the real letters and each noise variant of
tests/noise.py on them, and the checked-in word-processor fixtures (PDFs read by pypdfium2, and
their text conversions). The digests were written by the code before the speed work
(`UPDATE_GOLDEN=1 pytest tests/test_golden_output.py` rewrites them;
do that only for a change that is meant to change records, and say so in the commit).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator

from ofsted_extractor import extract, extract_file
from ofsted_extractor.eval.synth import TEXT_SURFACES, generate
from ofsted_extractor.schema import Document
from tests.conftest import EXAMPLES, REAL_LETTERS, ROOT, example_text
from tests.hostile import HOSTILE
from tests.noise import VARIANTS

GOLDEN = ROOT / "tests" / "golden" / "rules-records.json"
WP_FIXTURES = ROOT / "tests" / "fixtures" / "wp"
SEED, N = 9, 120


def _digest(doc: Document) -> str:
    return hashlib.sha256(doc.model_dump_json().encode("utf-8")).hexdigest()


def _texts() -> Iterator[tuple[str, str]]:
    """(name, text) of every text input of the corpus."""
    letters = generate(N, SEED)
    for letter in letters:
        for surface in TEXT_SURFACES:
            yield f"{letter.id}.{surface}", letter.render(surface)
    for letter in letters[:20]:
        clean = letter.render("clean")
        for name, transform in HOSTILE.items():
            yield f"{letter.id}.hostile.{name}", transform(clean)
    for real in REAL_LETTERS:
        yield real, example_text(real)
        for name, variant in VARIANTS.items():
            yield f"{real}.{name}", variant(example_text(real))


def _records() -> dict[str, str]:
    out = {name: _digest(extract(text, engine="rules", path=name)) for name, text in _texts()}
    for path in sorted(WP_FIXTURES.glob("*.pdf")) + sorted(WP_FIXTURES.glob("*.txt")):
        doc = extract_file(path, engine="rules")
        # The record names its file; the digest must not depend on where the test runs.
        doc = doc.model_copy(update={"source": doc.source.model_copy(update={"path": path.name})})
        out[path.name] = _digest(doc)
    return out


def test_every_record_is_byte_for_byte_what_it_was() -> None:
    got = _records()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(got) > 500
    changed = sorted(name for name in want if name in got and got[name] != want[name])
    assert not changed, f"{len(changed)} records changed, e.g. {changed[:5]}"
    assert set(got) == set(want)


def test_the_golden_file_covers_the_real_letters() -> None:
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert all(name in want for name in REAL_LETTERS)
    assert {p.stem for p in EXAMPLES.glob("*.txt")} <= set(want)
