"""Explanations, why-not answers and undetermined conclusions: library and command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dmst import Engine, FactError, InputError, Result
from dmst.cli import app
from dmst.engine.explain import (
    Check,
    ExplanationNode,
    explain,
    result_state,
    why_not,
)
from dmst.engine.firings import DEFINITE, POSSIBLE
from dmst.facts.model import Scenario
from dmst.facts.paths import FACTS, flatten, nest
from dmst.rules.loader import FactAtom

from . import strategies as S
from .conftest import PIMP, write

runner = CliRunner()

SURVIVAL: dict[str, Any] = {
    "victim": {"age": 16, "engaged_in_commercial_sex": True, "third_party_control": False,
               "will_testify": True},
    "accused": {"roles": ["buyer"], "conduct": {"bought_commercial_sex": True}},
    "investigation": {"decoy": False},
    "dates": {"offense": "2018-02-01"},
    "compensation": {"claim_filed": "2020-01-10"},
}
DECOY: dict[str, Any] = {
    "victim": {"age": 14},
    "accused": {"roles": ["buyer"],
                "conduct": {"bought_commercial_sex": True, "used_internet": True}},
    "investigation": {"decoy": True, "online_operation": True},
}
SCENARIOS = {"pimp": PIMP, "survival": SURVIVAL, "decoy": DECOY}




def nodes_in(nodes: list[ExplanationNode]) -> Iterator[ExplanationNode]:
    for node in nodes:
        yield node
        for step in node.derivations:
            yield from nodes_in(step.relied_on)


def leaf_facts(node: ExplanationNode) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in nodes_in([node]):
        for step in n.derivations:
            for f in (*step.facts, *(f for e in step.exceptions for f in e.facts)):
                if f.computed_from:
                    out.update(f.computed_from)
                else:
                    out[f.fact] = f.value
    return out


def checks_in(checks: list[Check]) -> Iterator[Check]:
    for c in checks:
        yield c
        yield from checks_in(c.checks)


# --- explain -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_explanation_covers_every_conclusion_in_order(engine: Engine, name: str) -> None:
    """explain() with no id returns one tree per applying conclusion, statuses first."""
    result = engine.evaluate(SCENARIOS[name])
    nodes = explain(result, rulebook=engine.rulebook)
    assert [n.id for n in nodes] == [c.id for c in (*result.statuses, *result.conclusions)]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_tree_step_is_cited_and_its_facts_hold(engine: Engine, name: str) -> None:
    """Each step quotes the source verbatim, and each fact condition it shows holds on the facts."""
    result = engine.evaluate(SCENARIOS[name])
    rb = engine.rulebook
    for node in nodes_in(explain(result, rulebook=rb)):
        assert node.derivations, f"{node.id} has no derivation"
        for step in node.derivations:
            assert step.citations and all(rb.source.contains(c.quote) for c in step.citations)
            atoms = {a.describe(): a for alt in rb.by_id[step.rule].alternatives for a in alt
                     if isinstance(a, FactAtom)}
            for f in step.facts:
                assert f.condition in atoms
                assert atoms[f.condition].test(result.facts) is True
                assert f.value == result.facts[f.fact]
            for child in step.relied_on:
                assert result.conclusion(child.id) is not None


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_facts_an_explanation_shows_are_enough(engine: Engine, name: str) -> None:
    """Keeping only the facts at the leaves of a conclusion's tree still makes it apply."""
    result = engine.evaluate(SCENARIOS[name])
    for node in explain(result, rulebook=engine.rulebook):
        kept = engine.evaluate(nest(leaf_facts(node)))
        assert node.id in kept.ids(), f"{node.id} needs facts its explanation does not show"


def test_a_derived_conclusion_becomes_a_child_down_to_input_facts(engine: Engine) -> None:
    """Promoting prostitution relies on the victim being a minor, whose step uses age and decoy."""
    result = engine.evaluate(PIMP)
    [node] = explain(result, "charge.trafficker.promoting_prostitution", rulebook=engine.rulebook)
    [step] = node.derivations
    assert {f.fact: f.value for f in step.facts}["accused.conduct.promoted_prostitution"] is True
    [minor] = step.relied_on
    assert minor.id == "status.minor_victim"
    used = {f.fact: f.value for f in minor.derivations[0].facts}
    assert used == {"victim.age": 15, "investigation.decoy": False}
    assert minor.derivations[0].relied_on == []


def test_explaining_a_rule_id_shows_only_that_rule(engine: Engine) -> None:
    """A rule id narrows the explanation to the derivations through that rule."""
    facts = {**PIMP, "accused": {"roles": ["trafficker"], "conduct": {
        "trafficked_for_sex": True, "caused_sexual_conduct_for_images": True}}}
    result = engine.evaluate(facts)
    conclusion = result.conclusion("status.csec_victim")
    assert conclusion is not None and len({d.rule for d in conclusion.derivations}) == 2
    [node] = explain(result, "status.csec_victim.images", rulebook=engine.rulebook)
    assert node.id == "status.csec_victim"
    assert {s.rule for s in node.derivations} == {"status.csec_victim.images"}


def test_explaining_what_does_not_apply_points_to_why_not(engine: Engine) -> None:
    """Asking to explain an undetermined conclusion is an input error that names why-not."""
    result = engine.evaluate(PIMP)
    assert result_state(result, "protection.rape_shield") == "undetermined"
    with pytest.raises(InputError, match="why"):
        explain(result, "protection.rape_shield", rulebook=engine.rulebook)


def test_explaining_an_unknown_id_suggests_the_closest(engine: Engine) -> None:
    """A misspelt id raises an input error whose suggestion is the id meant."""
    result = engine.evaluate(PIMP)
    with pytest.raises(InputError) as info:
        explain(result, "charge.trafficker.human_traficking", rulebook=engine.rulebook)
    assert info.value.problems[0].suggestion == "charge.trafficker.human_trafficking"


def test_a_result_from_another_rulebook_is_refused(engine: Engine) -> None:
    """explain() refuses a result whose stamp names a different rulebook fingerprint."""
    result = engine.evaluate(PIMP)
    stamp = result.stamp.model_copy(
        update={"rulebook": {**result.stamp.rulebook, "fingerprint": "0" * 16}})
    with pytest.raises(InputError, match="rulebook"):
        explain(result.model_copy(update={"stamp": stamp}), rulebook=engine.rulebook)


# --- why not -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_why_not_status_agrees_with_the_result_for_every_conclusion(engine: Engine,
                                                                   name: str) -> None:
    """For every conclusion of the rulebook, why_not's status is the evaluation's."""
    result = engine.evaluate(SCENARIOS[name])
    for cid in engine.rulebook.conclusions:
        answer = why_not(engine, SCENARIOS[name], cid, depth=0, deciders=False)
        assert answer.status == result_state(result, cid), cid


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_rule_outcomes_agree_with_the_rule_firings(engine: Engine, name: str) -> None:
    """A rule 'holds' exactly when it fires on the facts and 'fails' or is blocked exactly when
    it cannot fire whatever the unknown facts are."""
    facts = flatten(Scenario.model_validate(SCENARIOS[name]))
    firings = engine.firings(facts)
    for cid in engine.rulebook.conclusions:
        for check in why_not(engine, SCENARIOS[name], cid, depth=0, deciders=False).rules:
            modes = {f.mode for f in firings.by_conclusion.get(cid, ()) if f.rule == check.rule}
            assert (check.outcome == "holds") == (DEFINITE in modes), check.rule
            assert (check.outcome in ("fails", "blocked")) == (POSSIBLE not in modes), check.rule


def test_a_failing_condition_shows_the_fact_value(engine: Engine) -> None:
    """Enticing a child needs a victim under 14: with a 15-year-old that condition fails, shown
    with the age, while the unknown conduct is shown as unknown."""
    answer = why_not(engine, PIMP, "charge.trafficker.enticing_child")
    assert answer.status == "does_not_apply"
    [rule] = answer.rules
    assert rule.outcome == "fails"
    by_condition = {c.condition: c for c in checks_in(rule.conditions)}
    age = by_condition["victim.age < 14"]
    assert (age.status, age.value, age.known) == ("fails", 15, True)
    conduct = by_condition["accused.conduct.enticed_for_commercial_sex is true"]
    assert (conduct.status, conduct.value, conduct.known) == ("unknown", None, False)
    assert rule.citations and rule.citations[0].quote


def test_an_exception_that_applies_blocks_the_rule(engine: Engine) -> None:
    """A trafficking victim is not a 'CSEC victim only': the unless blocks that rule."""
    answer = why_not(engine, PIMP, "status.csec_only_victim")
    [rule] = answer.rules
    assert rule.outcome == "blocked"
    [exception] = rule.exceptions
    assert (exception.id, exception.status, exception.blocks) == (
        "status.trafficking_victim", "applies", "yes")


def test_a_condition_on_another_conclusion_gets_a_nested_why_not(engine: Engine) -> None:
    """No civil remedies for a CSEC-only victim fails because the victim is a trafficking victim;
    the nested answer shows the blocked rule."""
    answer = why_not(engine, PIMP, "protection.civil_remedies.csec_excluded", depth=1)
    [rule] = answer.rules
    [ref] = [c for c in rule.conditions if c.type == "conclusion"]
    assert ref.status == "fails"
    [nested] = ref.why_not
    assert nested.id == "status.csec_only_victim"
    assert nested.rules[0].outcome == "blocked"
    shallow = why_not(engine, PIMP, "protection.civil_remedies.csec_excluded", depth=0)
    assert all(not c.why_not for c in shallow.rules[0].conditions)


def test_why_not_a_conclusion_that_applies_says_so(engine: Engine) -> None:
    """A conclusion that applies is reported as applying, with a rule that holds."""
    answer = why_not(engine, PIMP, "charge.trafficker.human_trafficking")
    assert answer.status == "applies"
    assert any(r.outcome == "holds" for r in answer.rules)


def test_why_not_a_rule_id_answers_for_that_rule(engine: Engine) -> None:
    """A rule id is accepted: the answer names the rule and checks only it."""
    facts = {**PIMP, "accused": {"roles": ["trafficker"],
                                 "conduct": {"trafficked_for_sex": True}}}
    answer = why_not(engine, facts, "status.csec_victim.images")
    assert answer.rule == "status.csec_victim.images" and answer.id == "status.csec_victim"
    assert [r.rule for r in answer.rules] == ["status.csec_victim.images"]
    assert answer.status == "undetermined"
    assert set(answer.missing) == {"accused.conduct.caused_sexual_conduct_for_images",
                                   "accused.conduct.sold_images"}


def test_why_not_an_unknown_id_suggests_the_closest(engine: Engine) -> None:
    """A misspelt id raises an input error with a did-you-mean."""
    with pytest.raises(InputError) as info:
        why_not(engine, PIMP, "protection.rape_sheild")
    assert info.value.problems[0].suggestion == "protection.rape_shield"
    assert "did you mean 'protection.rape_shield'" in info.value.render()


def test_why_not_accepts_a_result(engine: Engine) -> None:
    """A result can be asked about directly; the answer is the one for its scenario."""
    result = engine.evaluate(SURVIVAL)
    assert why_not(engine, result, "protection.rape_shield") == why_not(
        engine, SURVIVAL, "protection.rape_shield")


# --- undetermined: what decides it ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_why_not_lists_the_missing_facts_the_result_lists(engine: Engine, name: str) -> None:
    """For each undetermined conclusion, why_not gives the same deciding facts as the result."""
    result = engine.evaluate(SCENARIOS[name])
    for u in result.undetermined:
        answer = why_not(engine, SCENARIOS[name], u.id, depth=0, deciders=False)
        assert answer.status == "undetermined"
        assert answer.missing == u.missing


def test_deciders_match_a_fresh_evaluation(engine: Engine) -> None:
    """Each value why_not offers for a missing fact gives the status a fresh evaluation gives."""
    answer = why_not(engine, PIMP, "consequence.parental_rights.human_trafficking")
    assert answer.missing == ["accused.is_victims_parent"]
    assert {d.value for d in answer.deciders} == {True, False}
    for d in answer.deciders:
        facts = {**PIMP, "accused": {**PIMP["accused"], "is_victims_parent": d.value}}
        assert d.status == result_state(engine.evaluate(facts), answer.id)
    assert {d.value: d.status for d in answer.deciders} == {True: "applies",
                                                            False: "does_not_apply"}


def _settled(result: Result, cid: str) -> bool:
    return not any(u.id == cid and u.reason == "missing_facts" and u.missing
                   for u in result.undetermined)


def _values(path: str) -> list[Any]:
    spec = FACTS[path]
    if spec.kind == "bool":
        return [True, False]
    if spec.kind == "int":
        return [10, 13, 14, 15, 16, 17, 18, 25]
    if spec.kind == "set":
        return [[c] for c in spec.choices] + [[]]
    return ["2018-01-15", "2020-06-01", "2021-03-01", "2022-12-01", "2024-01-01"]


def _set(facts: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    flat = flatten(Scenario.model_validate(facts))
    flat = {p: v for p, v in flat.items() if not FACTS[p].computed_from}
    flat[path] = value
    return nest(flat)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_listed_missing_fact_settles_its_conclusion_for_some_value(engine: Engine,
                                                                     name: str) -> None:
    """For each undetermined conclusion, some listed missing fact, for some value, makes it
    apply or drop."""
    facts = SCENARIOS[name]
    result = engine.evaluate(facts)
    undecided = [u for u in result.undetermined if u.reason == "missing_facts"]
    assert undecided
    for u in undecided:
        outcomes = set()
        for path in u.missing:
            for value in _values(path):
                try:
                    after = engine.evaluate(_set(facts, path, value))
                except FactError:
                    continue
                if _settled(after, u.id):
                    outcomes.add(result_state(after, u.id))
        assert outcomes, f"no single missing fact settles {u.id} (missing {u.missing})"


def scenarios() -> st.SearchStrategy[dict[str, Any]]:
    """Partial scenarios, as nested facts, from the shared strategies."""
    return S.scenario_maps().map(nest)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.filter_too_much])
@given(facts=scenarios(), data=st.data())
def test_filling_in_every_missing_fact_settles_the_conclusion(engine: Engine,
                                                             facts: dict[str, Any],
                                                             data: st.DataObject) -> None:
    """However the missing facts of an undetermined conclusion are filled in, it then applies or
    drops: the list of missing facts is complete."""
    result = engine.evaluate(facts)
    undecided = [u for u in result.undetermined if u.reason == "missing_facts"]
    assume(undecided)
    u = data.draw(st.sampled_from(undecided))
    flat = {p: v for p, v in result.facts.items() if not FACTS[p].computed_from}
    for path in u.missing:
        flat[path] = data.draw(st.sampled_from(_values(path)), label=path)
    try:
        after = engine.evaluate(nest(flat))
    except FactError:
        assume(False)
        raise  # pragma: no cover
    assert _settled(after, u.id), f"{u.id} still undetermined after filling {u.missing}"


# --- command line ------------------------------------------------------------------------------


def test_cli_explain_text_shows_rules_quotes_and_values(tmp_path: Path) -> None:
    """dmst explain prints each conclusion with its rule, a quote and the facts' values."""
    path = write(tmp_path, "pimp", PIMP, title="A pimp and a 15-year-old")
    out = runner.invoke(app, ["explain", str(path)])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("A pimp and a 15-year-old\n")
    assert "by rule charge.trafficker.human_trafficking" in out.output
    assert "victim.age < 18 \u2014 given: 15" in out.output
    assert "\u201cTraffickers prosecuted under the human trafficking law" in out.output
    assert "undetermined" in out.output and "Not legal advice" in out.output


def test_cli_explain_json_is_the_library_tree(tmp_path: Path, engine: Engine) -> None:
    """dmst explain --format json prints the trees explain() returns."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["explain", str(path), "--conclusion",
                              "charge.trafficker.promoting_prostitution", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    expected = explain(engine.evaluate(PIMP), "charge.trafficker.promoting_prostitution",
                       rulebook=engine.rulebook)
    assert data == [n.model_dump(mode="json") for n in expected]
    assert data[0]["derivations"][0]["relied_on"][0]["id"] == "status.minor_victim"


def test_cli_explain_of_an_undetermined_conclusion_fails_pointing_to_why_not(
        tmp_path: Path) -> None:
    """Explaining a conclusion that does not apply exits 1 and suggests why-not."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["explain", str(path), "-c", "protection.rape_shield"])
    assert out.exit_code == 1
    assert "why-not" in out.output and "undetermined" in out.output


def test_cli_why_not_shows_failing_and_unknown_conditions(tmp_path: Path) -> None:
    """dmst why-not marks the failing age condition with its value and the unknown conduct."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["why-not", str(path), "charge.trafficker.enticing_child"])
    assert out.exit_code == 0, out.output
    assert "Does not apply on these facts." in out.output
    assert "\u2717 victim.age < 14 \u2014 given: 15" in out.output
    assert "? accused.conduct.enticed_for_commercial_sex is true \u2014 unknown" in out.output
    assert "\u201c\u201cEnticing a child\u201d for commercial sex" in out.output


def test_cli_why_not_of_a_conclusion_that_applies_points_to_explain(tmp_path: Path) -> None:
    """dmst why-not on a conclusion that applies says so, exits 0 and names dmst explain."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["why-not", str(path), "status.minor_victim"])
    assert out.exit_code == 0, out.output
    assert "Applies on these facts." in out.output
    assert f"dmst explain {path} --conclusion status.minor_victim" in out.output


def test_cli_why_not_of_an_undetermined_conclusion_names_the_deciding_facts(
        tmp_path: Path) -> None:
    """dmst why-not on an undetermined conclusion lists the facts that would decide it, with
    what each value would do."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["why-not", str(path),
                              "consequence.parental_rights.human_trafficking"])
    assert out.exit_code == 0, out.output
    assert "Would be decided by: accused.is_victims_parent" in out.output
    assert "true \u2192 applies; false \u2192 does not apply" in out.output


def test_cli_why_not_of_an_unknown_id_exits_1_with_did_you_mean(tmp_path: Path) -> None:
    """A misspelt id is an error (exit 1) with a did-you-mean."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["why-not", str(path), "charge.trafficker.human_traficking"])
    assert out.exit_code == 1
    assert "did you mean 'charge.trafficker.human_trafficking'" in out.output


def test_cli_why_not_json_parses_and_has_the_rules(tmp_path: Path) -> None:
    """dmst why-not --format json prints the why-not model."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["why-not", str(path), "status.csec_only_victim", "-f", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["status"] == "does_not_apply"
    assert data["rules"][0]["outcome"] == "blocked"


def test_cli_why_not_markdown_renders(tmp_path: Path) -> None:
    """dmst why-not --format markdown gives a heading and the rule's conditions as a list."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["why-not", str(path), "charge.trafficker.enticing_child",
                              "-f", "markdown"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("# Why not: Enticing a child under 14")
    assert "- \u2717 `victim.age < 14` \u2014 given: 15" in out.output


def test_dmst_explain_runs_as_a_real_process(tmp_path: Path) -> None:
    """python -m dmst explain works in a real process and prints JSON trees."""
    path = write(tmp_path, "pimp", PIMP)
    done = subprocess.run(
        [sys.executable, "-m", "dmst", "explain", str(path), "--format", "json"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    ids = [n["id"] for n in json.loads(done.stdout)]
    assert ids[0] == "status.minor_victim" and "charge.trafficker.human_trafficking" in ids
