"""Every example scenario is a golden test: its stated expectations hold, and its full result
matches the reviewed golden file (``pytest --update-golden`` rewrites them; review the diff)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dmst import Engine, load_case_file

from .conftest import EXAMPLES

GOLDEN = Path(__file__).parent / "golden"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml")) + sorted(EXAMPLES.glob("*.json"))


def _golden_view(result_json: str) -> dict[str, object]:
    """The result without the stamp, which says which software made it, not what it concluded."""
    data = json.loads(result_json)
    data.pop("stamp")
    return data


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_meets_its_expectations(path: Path, engine: Engine) -> None:
    """The conclusions an example says apply are exactly those that apply, and so on."""
    case = load_case_file(path)
    assert case.title and case.narrative, "an example needs a title and a narrative for readers"
    assert case.expected is not None, "an example states its expected conclusions"
    result = engine.evaluate(case.facts)
    applying = set(result.ids())
    undetermined = {u.id for u in result.undetermined}
    if case.expected.conclusions is not None:
        assert applying == set(case.expected.conclusions), (
            f"unexpected: {sorted(applying - set(case.expected.conclusions))}; "
            f"missing: {sorted(set(case.expected.conclusions) - applying)}"
        )
    if case.expected.undetermined is not None:
        assert undetermined == set(case.expected.undetermined), (
            f"unexpected: {sorted(undetermined - set(case.expected.undetermined))}; "
            f"missing: {sorted(set(case.expected.undetermined) - undetermined)}"
        )
    for absent in case.expected.absent:
        assert absent not in applying | undetermined, f"{absent} must not appear"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_matches_golden(path: Path, engine: Engine, update_golden: bool) -> None:
    """The full result of each example is the reviewed one, byte for byte (less the stamp)."""
    result = engine.evaluate(load_case_file(path).facts)
    view = _golden_view(result.model_dump_json())
    golden = GOLDEN / f"{path.stem}.json"
    if update_golden or not golden.exists():
        golden.write_text(json.dumps(view, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if not update_golden:
            pytest.fail(f"golden file {golden.name} was missing and has been written; review it")
    assert view == json.loads(golden.read_text(encoding="utf-8"))


def test_every_rule_is_fired_by_some_example(engine: Engine) -> None:
    """Each rule of the rulebook reaches its conclusion (or its 'cannot determine') in at least
    one example, so every rule is exercised by a reviewed golden result."""
    fired: set[str] = set()
    for path in EXAMPLE_FILES:
        result = engine.evaluate(load_case_file(path).facts)
        for c in (*result.conclusions, *result.statuses):
            fired.update(d.rule for d in c.derivations)
        for u in result.undetermined:
            if u.reason == "source_silent" and not u.missing:
                fired.update(u.rules)
    never = sorted(r.id for r in engine.rulebook.rules if r.id not in fired)
    assert not never, f"rules no example fires: {never}"
