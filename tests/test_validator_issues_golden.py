"""Speed work on the validators must not change a single issue they raise, message included.

tests/golden/validator-issues.json holds, for each letter of a fixed set and each mutation kind of
eval/mutations.py, the sha256 of every issue `validate` gives for every mutated record (and for
the gold record itself): wrong records reach every error branch, where the golden records of
test_golden_output.py (right records, few issues) do not. The digests were written by the
validators as they were before the speed work (commit fef2134), never by the code under test.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from ofsted_extractor.eval.mutations import MUTATORS
from ofsted_extractor.eval.synth import TEXT_SURFACES, generate
from ofsted_extractor.loading import load_text
from ofsted_extractor.schema import Issue, Letter
from ofsted_extractor.validators import validate
from tests.conftest import REAL_LETTERS, ROOT, example_text, gold_letter

GOLDEN = ROOT / "tests" / "golden" / "validator-issues.json"


def _cases() -> Iterator[tuple[str, str, str, Letter]]:
    """(name, normalised text, original text, gold record) of each letter of the set."""
    for real in REAL_LETTERS:
        loaded = load_text(example_text(real))
        yield real, loaded.text, loaded.original, gold_letter(real)
    for letter in generate(8, 21):
        for surface in TEXT_SURFACES:
            loaded = load_text(letter.render(surface))
            yield f"{letter.id}.{surface}", loaded.text, loaded.original, letter.gold


def _digest(issues: list[list[Issue]]) -> str:
    data = [[issue.model_dump(mode="json") for issue in found] for found in issues]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


def issue_digests() -> dict[str, str]:
    """'case/kind' -> digest of the issues of every record that kind makes of the gold."""
    out: dict[str, str] = {}
    for name, text, original, gold in _cases():
        out[f"{name}/gold"] = _digest([validate(text, gold, original)])
        for kind, mutate in MUTATORS.items():
            found = [validate(text, mutated, original) for _what, mutated in mutate(text, gold)]
            out[f"{name}/{kind}"] = _digest(found)
    return out


def test_every_issue_is_what_the_validators_said_before_the_speed_work() -> None:
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = issue_digests()
    assert set(got) == set(want)
    changed = sorted(key for key in want if got[key] != want[key])
    assert not changed, f"{len(changed)} sets of issues changed, e.g. {changed[:5]}"
