"""Every example scenario is a golden test: its stated expectations hold (which conclusions
apply, with what status, penalty, scope and modality; which are undetermined, not applicable or
absent; which facts are presumed), and its full result matches the reviewed golden file
(``pytest --update-golden`` rewrites them; review the diff)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dmst import Engine, load_case_file
from dmst.engine.result import CaseResult, Result
from dmst.facts.load import Expect, Expected, PairExpected

from .conftest import EXAMPLES

GOLDEN = Path(__file__).parent / "golden"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml")) + sorted(EXAMPLES.glob("*.json"))


def _golden_view(result_json: str) -> dict[str, object]:
    """The result without the stamp, which says which software made it, not what it concluded."""
    data = json.loads(result_json)
    data.pop("stamp")
    for pair in data.get("pairs", ()):
        pair["result"].pop("stamp")
    return data


def _split(items: list[Any] | None) -> dict[str, Expect | None] | None:
    if items is None:
        return None
    out: dict[str, Expect | None] = {}
    for item in items:
        if isinstance(item, str):
            out[item] = None
        else:
            out.update(item)
    return out


def _check_ids(engine: Engine, ids: list[str], where: str) -> None:
    unknown = sorted(set(ids) - set(engine.rulebook.conclusions))
    assert not unknown, f"{where}: ids no rule of the rulebook adds: {unknown}"


def _check_expect(found: Any, expect: Expect, cid: str) -> None:
    data = found.model_dump(mode="json")
    for field in ("status", "certainty", "modality", "on_conviction", "applies_to", "missing",
                  "penalty"):
        wanted = getattr(expect, field)
        if wanted is None:
            continue
        got = data.get(field)
        if field == "penalty":
            got = found.penalty.model_dump(mode="json", exclude_defaults=True)
        assert got == wanted, f"{cid}.{field}: expected {wanted!r}, got {got!r}"


def _check(engine: Engine, result: Result, exp: Expected | PairExpected, where: str) -> None:
    applying = {c.id: c for c in (*result.statuses, *result.conclusions)}
    open_ = {u.id: u for u in result.undetermined}
    for label, wanted, got in (("conclusions", _split(exp.conclusions), applying),
                               ("undetermined", _split(exp.undetermined), open_)):
        if wanted is None:
            continue
        _check_ids(engine, list(wanted), f"{where} {label}")
        assert set(got) == set(wanted), (
            f"{where} {label}: unexpected {sorted(set(got) - set(wanted))}; "
            f"missing {sorted(set(wanted) - set(got))}"
        )
        for cid, expect in wanted.items():
            if expect is not None:
                _check_expect(got[cid], expect, f"{where} {cid}")
    if exp.not_applicable is not None:
        _check_ids(engine, exp.not_applicable, f"{where} not_applicable")
        assert {n.id for n in result.not_applicable} == set(exp.not_applicable), where
    _check_ids(engine, exp.absent, f"{where} absent")
    for absent in exp.absent:
        assert absent not in applying and absent not in open_, f"{where}: {absent} must not appear"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_meets_its_expectations(path: Path, engine: Engine) -> None:
    """What an example says about its result holds: the conclusions that apply and how, what
    stays undetermined, what does not apply, the presumptions made."""
    case = load_case_file(path)
    assert case.title and case.narrative, "an example needs a title and a narrative for readers"
    assert case.expected is not None, "an example states its expected conclusions"
    exp = case.expected
    result = engine.evaluate_file(case)
    if exp.presumptions is not None or result.presumptions:
        assert [p.fact for p in result.presumptions] == (exp.presumptions or [])
    if isinstance(result, CaseResult):
        assert exp.pairs is not None, "a case example states its expectations pair by pair"
        assert [(p.accused, p.victim) for p in exp.pairs] == \
            [(p.accused, p.victim) for p in result.pairs]
        for pexp in exp.pairs:
            _check(engine, result.pair(pexp.accused, pexp.victim), pexp,
                   f"{pexp.accused}/{pexp.victim}")
    else:
        assert exp.pairs is None
        assert exp.conclusions is not None and exp.undetermined is not None, \
            "an example pins what applies and what stays undetermined"
        _check(engine, result, exp, path.stem)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_matches_golden(path: Path, engine: Engine, update_golden: bool) -> None:
    """The full result of each example is the reviewed one, byte for byte (less the stamp)."""
    result = engine.evaluate_file(load_case_file(path))
    view = _golden_view(result.model_dump_json())
    golden = GOLDEN / f"{path.stem}.json"
    if update_golden or not golden.exists():
        golden.write_text(json.dumps(view, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if not update_golden:
            pytest.fail(f"golden file {golden.name} was missing and has been written; review it")
    assert view == json.loads(golden.read_text(encoding="utf-8"))


def test_every_golden_file_has_its_example() -> None:
    """No golden file is left over from a renamed or removed example."""
    stems = {p.stem for p in EXAMPLE_FILES}
    assert sorted(p.stem for p in GOLDEN.glob("*.json") if p.stem not in stems) == []


def test_a_misspelt_expected_id_fails() -> None:
    """An expectation naming an id no rule adds fails the example test, never passes
    vacuously."""
    engine = Engine()
    result = engine.evaluate({"victim": {"age": 15}})
    exp = Expected(conclusions=[c.id for c in result.conclusions] + ["charge.human_trafficing"],
                   undetermined=[u.id for u in result.undetermined])
    with pytest.raises(AssertionError, match="human_trafficing"):
        _check(engine, result, exp, "misspelt")
    with pytest.raises(AssertionError, match="no rule"):
        _check(engine, result, Expected(absent=["protection.rape_sheild"]), "misspelt")


def _results(engine: Engine) -> list[Result]:
    out: list[Result] = []
    for path in EXAMPLE_FILES:
        r = engine.evaluate_file(load_case_file(path))
        out.extend([r] if isinstance(r, Result) else [p.result for p in r.pairs])
    return out


def test_every_rule_is_fired_by_some_example(engine: Engine) -> None:
    """Each rule of the rulebook reaches its conclusion (or its 'cannot determine') in at least
    one example, so every rule is exercised by a reviewed golden result."""
    fired: set[str] = set()
    for result in _results(engine):
        for c in (*result.conclusions, *result.statuses):
            fired.update(d.rule for d in c.derivations)
        for u in result.undetermined:
            if u.reason == "source_silent":
                fired.update(u.rules)
    never = sorted(r.id for r in engine.rulebook.rules if r.id not in fired)
    assert not never, f"rules no example fires: {never}"


def test_every_new_fact_is_shown_by_some_example() -> None:
    """Every fact of the model is given in at least one example, so the examples teach each."""
    from dmst.facts.model import Case
    from dmst.facts.paths import FACTS, flatten

    given: set[str] = set()
    for path in EXAMPLE_FILES:
        facts = load_case_file(path).facts
        for _, _, scenario in (facts.pairs() if isinstance(facts, Case) else [(0, 0, facts)]):
            given.update(flatten(scenario))
    missing = sorted(set(FACTS) - given)
    assert not missing, f"facts no example gives: {missing}"
