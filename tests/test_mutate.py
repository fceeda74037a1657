"""The mutation harness (tests/mutate.py): a small sample runs, its mutants are killed, the
known-equivalent ones are left out, and the working tree is never touched."""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / "tests" / "mutate.py"


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dmst_mutate_harness", HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


mutate = _harness()


def _tree_digest() -> str:
    """A digest of every file the harness could change."""
    digest = hashlib.sha256()
    for pattern in (*mutate.RULE_DATA, *mutate.CORE_PYTHON):
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def test_a_sample_of_load_time_check_mutants_is_killed_on_a_copy() -> None:
    """Three mutants that each remove one of the load-time checks (Python, so the copy's code
    must be the code the tests import) are run on a copy and reported killed by the refusal
    tests; the score is the last line and the working tree is unchanged."""
    before = _tree_digest()
    proc = subprocess.run(
        [sys.executable, str(HARNESS), "--sample", "3", "--seed", "0", "--files",
         "rules/_checks.py", "--operator", "yield", "--tests",
         "tests/test_rulebook_refusals.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == "mutation score: 3/3", proc.stdout
    killed = [line for line in lines if "] killed by tests/test_rulebook_refusals.py" in line]
    assert len(killed) == 3, proc.stdout
    assert all("[yield]" in line and "rules/_checks.py:" in line for line in killed)
    assert "survivors (0):" in lines
    assert _tree_digest() == before


def test_known_equivalent_mutants_are_listed_with_a_reason_and_left_out() -> None:
    """Every mutant listed as equivalent has a reason, is left out of a run and shown as
    equivalent; a listed key that no mutant has any more is reported, not silently kept."""
    mutants = mutate.all_mutants(ROOT)
    keys = {m.key for m in mutants}
    assert all(reason.strip() for reason in mutate.EQUIVALENT.values())
    run, equivalent = mutate.select(mutants, [], [], None, 0)
    assert {m.key for m in run}.isdisjoint(mutate.EQUIVALENT)
    assert {m.key for m in equivalent} == set(mutate.EQUIVALENT) & keys
    assert len(run) + len(equivalent) == len(mutants)
    listed = sorted(set(mutate.EQUIVALENT) & keys)
    if not listed:
        pytest.skip("no equivalent mutant is listed for today's code")
    file = listed[0].split("::")[0]
    proc = subprocess.run([sys.executable, str(HARNESS), "--list", "--files", file],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    assert f"    equivalent: {mutate.EQUIVALENT[listed[0]]}" in proc.stdout
    assert f"    key: {listed[0]}\n" not in proc.stdout


def test_a_sample_is_drawn_by_its_seed_and_keeps_the_source_order() -> None:
    """The same seed draws the same sample, in the order the mutants are generated."""
    mutants = mutate.all_mutants(ROOT, ["rules/_checks.py"])
    first, _ = mutate.select(mutants, [], [], 5, 7)
    again, _ = mutate.select(mutants, [], [], 5, 7)
    assert [m.key for m in first] == [m.key for m in again]
    assert [mutants.index(m) for m in first] == sorted(mutants.index(m) for m in first)


def _read_yaml(text: str) -> object:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


def _changed_lines(before: list[str], after: list[str]) -> int:
    """How many lines differ once the common beginning and end are set aside."""
    head = 0
    while head < min(len(before), len(after)) and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < min(len(before), len(after)) - head and before[-1 - tail] == after[-1 - tail]:
        tail += 1
    return max(len(before), len(after)) - head - tail


def test_rule_data_mutants_change_the_data_and_little_of_the_text() -> None:
    """Each rule data mutant reads as data other than the original, changes a few lines at most
    and keeps every comment; keys are unique."""
    mutants = mutate.all_mutants(ROOT, mutate.RULE_DATA)
    assert {"number", "compare", "certainty", "is", "drop-when", "penalty"} <= {
        m.operator for m in mutants}
    originals = {f: (ROOT / f).read_text(encoding="utf-8") for f in {m.file for m in mutants}}
    data = {f: _read_yaml(t) for f, t in originals.items()}
    for m in mutants:
        original = originals[m.file]
        assert _read_yaml(m.text) != data[m.file], m.label()
        assert 0 < _changed_lines(original.splitlines(), m.text.splitlines()) <= 12, m.label()
        assert [c for c in original.splitlines() if c.lstrip().startswith("#")] == \
            [c for c in m.text.splitlines() if c.lstrip().startswith("#")], m.label()
    keys = [m.key for m in mutants]
    assert len(keys) == len(set(keys))


def test_python_mutants_parse_and_their_keys_are_unique() -> None:
    """Python mutants (a sample of them, each is checked as it is made) parse and differ from
    the original; keys are unique."""
    mutants = mutate.all_mutants(ROOT, mutate.CORE_PYTHON)
    assert {"compare", "boolop", "bool", "int", "raise", "yield"} <= {m.operator for m in mutants}
    originals = {f: (ROOT / f).read_text(encoding="utf-8") for f in {m.file for m in mutants}}
    sample, _ = mutate.select(mutants, [], [], 60, 0)
    for m in sample:
        ast.parse(m.text)
        assert m.text != originals[m.file], m.label()
    keys = [m.key for m in mutants]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("file", ["rules/_checks.py", "rules/demand.yaml"])
def test_keys_do_not_move_with_the_lines(tmp_path: Path, file: str) -> None:
    """A file with lines added above its content gives the same mutant keys (so the list of
    equivalent mutants holds while the files change around them), at new line numbers."""
    original = (ROOT / file).read_text(encoding="utf-8")
    target = tmp_path / file
    target.parent.mkdir(parents=True)
    target.write_text("# moved\n# down\n" + original, encoding="utf-8")
    here = mutate.all_mutants(ROOT, [file])
    moved = mutate.all_mutants(tmp_path, [file])
    assert [m.key for m in moved] == [m.key for m in here]
    assert [m.line for m in moved] == [m.line + 2 for m in here]


def _always_may_apply(rulebook: Any, conclusion: str, seen: frozenset[str]) -> bool:
    """Whether every rule adding ``conclusion`` gives it ``may_apply`` whatever the facts."""
    return all(_rule_gives_may_apply(rulebook, r, seen | {conclusion})
               for r in rulebook.rules_for[conclusion])


def _rule_gives_may_apply(rulebook: Any, rule: Any, seen: frozenset[str]) -> bool:
    # a rule of the source's silence never makes its conclusion apply: it is undetermined there
    return rule.silent or rule.certainty.value == "may_apply" or \
        _conditions_force_may_apply(rulebook, rule, seen)


def _conditions_force_may_apply(rulebook: Any, rule: Any, seen: frozenset[str]) -> bool:
    """Whether each alternative of the rule needs a conclusion that only ever may apply."""
    from dmst.rules._atoms import FactAtom

    return all(
        any(not isinstance(atom, FactAtom) and (targets := rulebook.targets(atom))
            and all(t not in seen and _always_may_apply(rulebook, t, seen) for t in targets)
            for atom in alternative)
        for alternative in rule.alternatives
    )


def test_listed_certainty_equivalents_still_hold_for_the_rulebook() -> None:
    """A certainty mutant is listed as equivalent because the rule's conditions only ever may
    apply; that is checked against today's rulebook, so a rule change that makes the certainty
    matter again fails here instead of hiding a gap."""
    from dmst import load_rulebook

    rulebook = load_rulebook()
    listed = [k for k in mutate.EQUIVALENT if "::certainty: " in k and k.endswith(
        ("-> may_apply", "-> applies"))]
    assert listed
    for key in listed:
        rule_id = key.split("::")[1].split("/")[0]
        assert rule_id in rulebook.by_id, key
        assert _conditions_force_may_apply(rulebook, rulebook.by_id[rule_id], frozenset()), key
