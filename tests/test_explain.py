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

from dmst import Engine, FactError, InputError, Result, load_case_file
from dmst.cli import app
from dmst.engine._firings import DEFINITE, POSSIBLE, Status
from dmst.engine.explain import ExplanationNode, explain
from dmst.engine.whynot import Check, why_not
from dmst.facts.paths import FACTS, nest
from dmst.rules import VICTIM, FactAtom

from . import strategies as S
from .conftest import DECOY, EXAMPLES, MOTHER_AND_BUYER, PIMP, words, write

runner = CliRunner()

SURVIVAL: dict[str, Any] = {
    "victim": {"age": 16, "engaged_in_commercial_sex": True, "third_party_control": False,
               "will_testify": True},
    "accused": {"roles": ["buyer"], "conduct": {"bought_commercial_sex": True}},
    "investigation": {"decoy": False},
    "dates": {"offense": "2018-02-01"},
    "compensation": {"claim_filed": "2020-01-10"},
}
SCENARIOS = {"pimp": PIMP, "survival": SURVIVAL, "decoy": DECOY}
#: Every example file, single scenarios and cases of several people.
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


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


def effective(result: Result) -> dict[str, Any]:
    """The facts the rules read for a result: the facts given and computed, and the presumed."""
    facts = dict(result.facts)
    for p in result.presumptions:
        facts.setdefault(p.fact, p.value)
    return facts


def pairs_of(engine: Engine, facts: Any) -> list[tuple[str | None, str | None, Result]]:
    """Each (accused, victim, result) of a scenario (one pair, no ids) or a case."""
    result = engine.evaluate(facts)
    if isinstance(result, Result):
        return [(None, None, result)]
    return [(p.accused, p.victim, p.result) for p in result.pairs]


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
    facts = effective(result)
    rb = engine.rulebook
    for node in nodes_in(explain(result, rulebook=rb)):
        assert node.derivations, f"{node.id} has no derivation"
        for step in node.derivations:
            assert step.citations and all(rb.source.contains(c.quote) for c in step.citations)
            atoms = {rb.describe(a): a for a in rb.by_id[step.rule].alternatives[step.alternative]
                     if isinstance(a, FactAtom)}
            for f in step.facts:
                assert f.condition in atoms
                atom = atoms[f.condition]
                if atom.unknown_holds and f.fact not in facts:
                    # a conviction not given: the conclusion attaches on conviction
                    assert f.holds and f.value is None
                    continue
                assert f.holds and atom.test(facts) is True
                assert f.value == facts[f.fact]
            for child in step.relied_on:
                assert result.conclusion(child.id) is not None


@pytest.mark.parametrize("example", [
    pytest.param(p, id=p.stem) for p in EXAMPLE_FILES if p.name.startswith("case-")])
def test_every_recorded_fact_holds_its_condition_in_every_pair_of_a_case(
        engine: Engine, example: Path) -> None:
    """In each pair of a case, every fact condition of every recorded derivation holds on the
    values the derivation recorded (for another accused's derivation: that accused's values)."""
    rb = engine.rulebook
    failing = []
    for accused, victim, result in pairs_of(engine, load_case_file(example).facts):
        facts = effective(result)
        for c in (*result.statuses, *result.conclusions):
            for d in c.derivations:
                read = {**facts, **d.facts} if d.accused in (None, accused) else dict(d.facts)
                read = {p: v for p, v in read.items() if v is not None}
                for atom in rb.by_id[d.rule].alternatives[d.alternative]:
                    if not isinstance(atom, FactAtom) or (atom.unknown_holds
                                                          and atom.path not in read):
                        continue
                    if atom.test(read) is not True:
                        failing.append((accused, victim, c.id, d.rule, d.accused,
                                        rb.describe(atom), read.get(atom.path)))
    assert not failing


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
    [node] = explain(result, "charge.promoting_prostitution", rulebook=engine.rulebook)
    [step] = node.derivations
    assert {f.fact: f.value for f in step.facts}["accused.conduct.promoted_prostitution"] is True
    [minor] = step.relied_on
    assert minor.id == "status.minor_victim"
    used = {f.fact: f.value for f in minor.derivations[0].facts}
    assert used == {"victim.age": 15, "investigation.decoy": False}
    assert minor.derivations[0].relied_on == []


def test_a_presumed_fact_is_marked_presumed_in_the_tree(engine: Engine) -> None:
    """With the decoy not given, the minor status rests on the presumption of a real child, and
    the tree says the decoy value was presumed, not given; strict mode leaves nothing to explain."""
    facts = {**PIMP, "investigation": {}}
    result = engine.evaluate(facts)
    assert [p.fact for p in result.presumptions] == ["investigation.decoy"]
    [node] = explain(result, "status.minor_victim", rulebook=engine.rulebook)
    assert node.presumed == ["investigation.decoy"]
    decoy = {f.fact: f for f in node.derivations[0].facts}["investigation.decoy"]
    assert (decoy.value, decoy.presumed) == (False, True)
    strict = engine.evaluate(facts, presume=False)
    assert strict.presumptions == []
    assert strict.status("status.minor_victim") is Status.UNDETERMINED
    with pytest.raises(InputError, match="why"):
        explain(strict, "status.minor_victim", rulebook=engine.rulebook)


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


def test_explaining_a_rule_that_did_not_fire_points_to_why_not(engine: Engine) -> None:
    """A rule id of a conclusion that applies through other rules only is an input error that
    names the rules it applies through and why-not."""
    result = engine.evaluate(PIMP)
    with pytest.raises(InputError, match="why") as info:
        explain(result, "status.csec_victim.images", rulebook=engine.rulebook)
    assert "status.csec_victim" in info.value.message


def test_explaining_what_does_not_apply_points_to_why_not(engine: Engine) -> None:
    """Asking to explain an undetermined conclusion is an input error that names why-not."""
    result = engine.evaluate(PIMP)
    assert result.status("protection.rape_shield") is Status.UNDETERMINED
    with pytest.raises(InputError, match="why"):
        explain(result, "protection.rape_shield", rulebook=engine.rulebook)


def test_explaining_an_unknown_id_suggests_the_closest(engine: Engine) -> None:
    """A misspelt id raises an input error whose suggestion is the id meant."""
    result = engine.evaluate(PIMP)
    with pytest.raises(InputError) as info:
        explain(result, "charge.human_traficking", rulebook=engine.rulebook)
    assert info.value.problems[0].suggestion == "charge.human_trafficking"


def test_a_result_from_another_rulebook_is_refused(engine: Engine) -> None:
    """explain() refuses a result whose stamp names a different rulebook fingerprint."""
    result = engine.evaluate(PIMP)
    stamp = result.stamp.model_copy(
        update={"rulebook": {**result.stamp.rulebook, "fingerprint": "0" * 16}})
    with pytest.raises(InputError, match="rulebook"):
        explain(result.model_copy(update={"stamp": stamp}), rulebook=engine.rulebook)


def test_explaining_a_pair_of_a_case_refers_to_the_other_accused(engine: Engine) -> None:
    """In the buyer's pair, the victim is a trafficking victim partly through the mother's
    charges: those steps name the mother, and her charges are not expanded in the buyer's tree
    (they are not the buyer's) but are the mother's, in her pair."""
    case = load_case_file(MOTHER_AND_BUYER).facts
    result = engine.evaluate(case)
    buyer = result.pair("BUYER", "V1")
    [node] = explain(buyer, "status.trafficking_victim", rulebook=engine.rulebook)
    through_mother = [s for s in node.derivations if s.accused == "MOTHER"]
    assert {s.rule for s in through_mother} == {"status.trafficking_victim.promoted",
                                                "status.trafficking_victim.trafficked"}
    elsewhere = {n.id for s in through_mother for n in s.relied_on if n.elsewhere}
    assert elsewhere == {"charge.human_trafficking", "charge.promoting_prostitution"}
    for n in nodes_in([node]):
        if n.elsewhere:
            assert n.derivations == []
            assert buyer.conclusion(n.id) is None
            assert result.pair("MOTHER", "V1").conclusion(n.id) is not None


# --- why not -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_why_not_status_agrees_with_the_result_for_every_conclusion(engine: Engine,
                                                                   name: str) -> None:
    """For every conclusion of the rulebook, why_not's status is the evaluation's."""
    result = engine.evaluate(SCENARIOS[name])
    for cid in engine.rulebook.conclusions:
        answer = why_not(engine, SCENARIOS[name], cid, depth=0, deciders=False)
        assert answer.status is result.status(cid), cid


@pytest.mark.parametrize("example", [
    "presumption-real-child", "victim-age-known-roughly", "buyer-online-decoy-sting",
    "testimony-at-16-closed-circuit-undecided", "compensation-claim-fourth-year-good-cause",
    "victim-charged-with-offenses", "case-mother-and-buyer", "case-sting-five-buyers",
])
def test_why_not_agrees_with_evaluate_on_every_conclusion_of_examples(engine: Engine,
                                                                      example: str) -> None:
    """On examples with presumptions, age ranges, silences, deadlines, the victim's own charges and
    cases of several people, why_not gives every conclusion of every pair the very Status the
    evaluation gives it."""
    facts = load_case_file(EXAMPLES / f"{example}.yaml").facts
    seen: set[Status] = set()
    for accused, victim, result in pairs_of(engine, facts):
        for cid in engine.rulebook.conclusions:
            answer = why_not(engine, facts, cid, accused=accused, victim=victim, depth=0,
                             deciders=False)
            assert answer.status is result.status(cid), (accused, victim, cid)
            assert (answer.accused, answer.victim) == (accused, victim)
            seen.add(answer.status)
    assert {Status.APPLIES, Status.UNDETERMINED, Status.DOES_NOT_APPLY} <= seen


def _outcome_disagreements(engine: Engine, facts: Any) -> list[tuple[Any, ...]]:
    """(accused, conclusion, rule, outcome, modes) for each rule whose why-not outcome does not
    match its recorded firings: 'holds' exactly when it fired in definite mode, 'fails' or
    'blocked' exactly when it did not fire even in possible mode."""
    rb = engine.rulebook
    prepared = engine.prepare(facts)
    firings = engine.firings(prepared)
    out = []
    for k, pair in enumerate(prepared.pairs):
        for cid in rb.conclusions:
            entity = f"v{prepared.pair_victim[k]}" if rb.entity[cid] == VICTIM else f"p{k}"
            answer = why_not(engine, facts, cid, accused=pair.accused, victim=pair.victim,
                             depth=0, deciders=False)
            for check in answer.rules:
                modes = {f.mode for f in firings.of(cid, entity) if f.rule == check.rule}
                if (check.outcome == "holds") != (DEFINITE in modes) or \
                        (check.outcome in ("fails", "blocked")) != (POSSIBLE not in modes):
                    out.append((pair.accused, cid, check.rule, check.outcome, modes))
    return out


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_rule_outcomes_agree_with_the_rule_firings(engine: Engine, name: str) -> None:
    """A rule 'holds' exactly when it fires on the facts and 'fails' or is blocked exactly when
    it cannot fire whatever the unknown facts are."""
    assert _outcome_disagreements(engine, SCENARIOS[name]) == []


def test_rule_outcomes_agree_with_the_firings_where_a_target_can_only_be_source_silent(
        engine: Engine) -> None:
    """With internet use false, computer luring can at most be source-silent (advertising
    online), so a rule scoped to it cannot fire: its outcome is 'fails', as the firings say."""
    facts = load_case_file(EXAMPLES / "trafficker-pimp-15.yaml").facts
    answer = why_not(engine, facts, "protection.limitations.undecided")
    assert answer.status is Status.DOES_NOT_APPLY
    assert [r.outcome for r in answer.rules] == ["fails"]
    assert _outcome_disagreements(engine, facts) == []


def test_a_rule_that_fired_for_another_accused_does_not_fail(engine: Engine) -> None:
    """Asked about the rule by id in the buyer's pair, why-not does not contradict itself: the
    rule fired (for the mother), so its outcome is not 'fails'."""
    facts = load_case_file(MOTHER_AND_BUYER).facts
    answer = why_not(engine, facts, "status.trafficking_victim.promoted", accused="BUYER",
                     victim="V1")
    assert answer.status is Status.APPLIES
    assert [r.outcome for r in answer.rules] == ["holds"]
    assert _outcome_disagreements(engine, facts) == []


def test_a_failing_condition_shows_the_fact_value(engine: Engine) -> None:
    """Enticing a child needs a victim under 14: with a 15-year-old that condition fails, shown
    with the age, while the unknown conduct is shown as unknown; every rule for it fails."""
    answer = why_not(engine, PIMP, "charge.enticing_child")
    assert answer.status is Status.DOES_NOT_APPLY
    assert {r.outcome for r in answer.rules} == {"fails"}
    [rule] = [r for r in answer.rules if r.rule == "charge.enticing_child"]
    by_condition = {c.condition: c for c in checks_in(rule.conditions)}
    age = by_condition["victim.age < 14 years"]
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
        "status.trafficking_victim", Status.APPLIES, "yes")


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
    answer = why_not(engine, PIMP, "charge.human_trafficking")
    assert answer.status is Status.APPLIES
    assert any(r.outcome == "holds" for r in answer.rules)


def test_why_not_a_source_silent_conclusion_shows_the_silent_rule(engine: Engine) -> None:
    """With a decoy, whether procuring a prostitute can be charged is left open by the source:
    the answer is source-silent, through the rule that records that silence, with its note."""
    answer = why_not(engine, DECOY, "charge.procuring_prostitute")
    assert answer.status is Status.SOURCE_SILENT
    assert answer.missing == []
    silent = [r for r in answer.rules if r.source_silent and r.outcome == "holds"]
    assert [r.rule for r in silent] == ["charge.procuring_prostitute.decoy"]
    assert silent[0].note


def test_why_not_a_rule_id_answers_for_that_rule(engine: Engine) -> None:
    """A rule id is accepted: the answer names the rule and checks only it."""
    facts = {**PIMP, "accused": {"roles": ["trafficker"],
                                 "conduct": {"trafficked_for_sex": True}}}
    answer = why_not(engine, facts, "status.csec_victim.images")
    assert answer.rule == "status.csec_victim.images" and answer.id == "status.csec_victim"
    assert [r.rule for r in answer.rules] == ["status.csec_victim.images"]
    assert answer.status is Status.UNDETERMINED
    assert set(answer.missing) == {"accused.conduct.caused_sexual_conduct_for_images",
                                   "accused.conduct.solicited_sexual_conduct_for_images",
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


def test_why_not_in_a_case_needs_a_pair_and_answers_for_it(engine: Engine) -> None:
    """In a case of two accused, why_not without ids lists the pairs; with them, it answers for
    that pair: enticing may apply to the buyer of a 12-year-old, and is undetermined for the
    mother (whether she enticed the child is not given)."""
    facts = load_case_file(MOTHER_AND_BUYER).facts
    with pytest.raises(InputError, match="MOTHER/V1, BUYER/V1"):
        why_not(engine, facts, "charge.enticing_child")
    buyer = why_not(engine, facts, "charge.enticing_child", accused="BUYER", victim="V1")
    mother = why_not(engine, facts, "charge.enticing_child", accused="MOTHER")
    assert (buyer.accused, buyer.victim, buyer.status) == ("BUYER", "V1", Status.MAY_APPLY)
    assert (mother.accused, mother.victim, mother.status) == ("MOTHER", "V1",
                                                              Status.UNDETERMINED)
    assert mother.missing == ["accused.conduct.enticed_for_commercial_sex"]
    with pytest.raises(InputError,
                       match="the case has no accused 'NOBODY'; its accused: MOTHER, BUYER"):
        why_not(engine, facts, "charge.enticing_child", accused="NOBODY")


# --- undetermined: what decides it ---------------------------------------------------------------


@pytest.mark.parametrize("name", [
    pytest.param(n) for n in sorted(SCENARIOS)])
def test_why_not_lists_the_missing_facts_the_result_lists(engine: Engine, name: str) -> None:
    """For each undetermined conclusion (facts missing, or the source silent), why_not gives the
    same status and deciding facts as the result."""
    result = engine.evaluate(SCENARIOS[name])
    assert result.undetermined
    for u in result.undetermined:
        answer = why_not(engine, SCENARIOS[name], u.id, depth=0, deciders=False)
        assert answer.status is u.status, u.id
        assert answer.missing == u.missing, u.id


def test_a_source_silent_conclusion_whose_rule_holds_lists_nothing_missing(
        engine: Engine) -> None:
    """Undetermined.missing is empty when the silent rule's conditions are known to hold: only
    the source's silence leaves the conclusion open, and no fact is worth asking about for it."""
    result = engine.evaluate(DECOY)
    [entry] = [u for u in result.undetermined if u.id == "charge.procuring_prostitute"]
    assert entry.status is Status.SOURCE_SILENT
    assert entry.missing == []


def test_deciders_match_a_fresh_evaluation(engine: Engine) -> None:
    """Each value why_not offers for a missing fact gives the status a fresh evaluation gives."""
    answer = why_not(engine, PIMP, "consequence.parental_rights.human_trafficking")
    assert answer.missing == ["accused.is_victims_parent"]
    assert {d.value for d in answer.deciders} == {True, False}
    for d in answer.deciders:
        facts = {**PIMP, "accused": {**PIMP["accused"], "is_victims_parent": d.value}}
        assert d.status is engine.evaluate(facts).status(answer.id)
    assert {d.value: d.status for d in answer.deciders} == {True: Status.APPLIES,
                                                            False: Status.DOES_NOT_APPLY}


def _settled(result: Result, cid: str) -> bool:
    return not any(u.id == cid and u.status is Status.UNDETERMINED and u.missing
                   for u in result.undetermined)


def _values(path: str) -> list[Any]:
    spec = FACTS[path]
    if spec.kind == "bool":
        return [True, False]
    if spec.kind in ("int", "age"):
        return [10, 13, 14, 15, 16, 17, 18, 25]
    if spec.kind == "set":
        return [[c] for c in spec.choices] + [[]]
    if spec.kind == "choice":
        return list(spec.choices)
    return ["2018-01-15", "2020-06-01", "2021-03-01", "2022-12-01", "2024-01-01"]


def _given(result: Result) -> dict[str, Any]:
    """The facts given in a result (not those computed from them)."""
    return {p: v for p, v in result.facts.items() if p in FACTS}


def _missing(result: Result, cid: str) -> list[str]:
    return next((u.missing for u in result.undetermined
                 if u.id == cid and u.status is Status.UNDETERMINED), [])


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_listed_missing_fact_settles_or_narrows_its_conclusion(engine: Engine,
                                                                 name: str) -> None:
    """For each undetermined conclusion, some listed missing fact, for some value, makes it
    apply or drop, or takes another fact off its list: asking one listed question always gets
    nearer an answer, and asking them one at a time settles it.

    (A conclusion whose conditions are two independent choices, such as the mistake-of-age
    defense to a CSEC charge, which needs a claim of mistake and one of several charges, cannot
    be settled by one fact; one answer still narrows it.)"""
    result = engine.evaluate(SCENARIOS[name])
    undecided = [u for u in result.undetermined if u.status is Status.UNDETERMINED]
    assert undecided
    for u in undecided:
        facts, missing = _given(result), u.missing
        while missing:
            step = None
            for path in missing:
                for value in _values(path):
                    try:
                        after = engine.evaluate(nest({**facts, path: value}))
                    except FactError:
                        continue
                    left = _missing(after, u.id)
                    if _settled(after, u.id) or set(left) < set(missing) - {path}:
                        step = ({**facts, path: value}, left)
                        break
                if step:
                    break
            assert step, f"no single missing fact settles or narrows {u.id} (missing {missing})"
            facts, missing = step
        assert _settled(engine.evaluate(nest(facts)), u.id)


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
    drops (or the source's silence is all that keeps it open): the list of missing facts is
    complete."""
    try:
        result = engine.evaluate(facts)
    except FactError:
        assume(False)
        raise  # pragma: no cover
    undecided = [u for u in result.undetermined if u.status is Status.UNDETERMINED]
    assume(undecided)
    u = data.draw(st.sampled_from(undecided))
    flat = _given(result)
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
    """dmst explain prints each conclusion with its rule, a numbered quote and the facts'
    values, and says how many conclusions are undetermined."""
    path = write(tmp_path, "pimp", PIMP, title="A pimp and a 15-year-old")
    out = runner.invoke(app, ["explain", str(path)])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("How it was reached: A pimp and a 15-year-old\n")
    text = words(out.output)
    assert ("- by rule: Whoever traffics a minor under 18 for sexual purposes commits human "
            "trafficking.") in text
    assert "(charge.human_trafficking)" in text
    assert "\u2713 victim.age < 18 years \u2014 given: 15" in text
    assert "Sources (the report card, verbatim)" in out.output
    assert "\u201cTraffickers prosecuted under the human trafficking law" in text
    assert "conclusions are undetermined; why-not shows what would decide each" in text


def test_cli_explain_text_carries_the_notice(tmp_path: Path) -> None:
    """dmst explain, like dmst evaluate, says it is not legal advice."""
    path = write(tmp_path, "pimp", PIMP, title="A pimp and a 15-year-old")
    out = runner.invoke(app, ["explain", str(path)])
    assert out.exit_code == 0, out.output
    assert "Not legal advice" in out.output


def test_cli_explain_json_is_the_library_tree(tmp_path: Path, engine: Engine) -> None:
    """dmst explain --format json prints the trees explain() returns."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["explain", str(path), "--conclusion",
                              "charge.promoting_prostitution", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    expected = explain(engine.evaluate(PIMP), "charge.promoting_prostitution",
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


def test_cli_explain_a_pair_of_a_case_file() -> None:
    """dmst explain on a case file needs --accused/--victim when it has several pairs (exit 1,
    listing them); with them it explains that pair, the buyer's 'may apply' in words."""
    out = runner.invoke(app, ["explain", str(MOTHER_AND_BUYER)])
    assert out.exit_code == 1
    assert "MOTHER/V1, BUYER/V1" in out.output
    out = runner.invoke(app, ["explain", str(MOTHER_AND_BUYER), "--accused", "BUYER",
                              "--victim", "V1", "-c", "charge.enticing_child"])
    assert out.exit_code == 0, out.output
    text = words(out.output)
    assert "~ Enticing a child under 14 for commercial sex (may apply) (charge.enticing_child)" \
        in text
    assert "\u2713 accused.roles includes buyer \u2014 given: buyer" in text
    assert "\u2713 victim.age < 14 years \u2014 given: 12" in text
    out = runner.invoke(app, ["explain", str(MOTHER_AND_BUYER), "--accused", "MOTHER",
                              "-c", "charge.enticing_child"])
    assert out.exit_code == 1 and "undetermined" in out.output


def test_cli_why_not_shows_failing_and_unknown_conditions(tmp_path: Path) -> None:
    """dmst why-not marks the failing age condition with its value and the unknown conduct."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["why-not", str(path), "charge.enticing_child"])
    assert out.exit_code == 0, out.output
    text = words(out.output)
    assert "Does not apply on these facts." in text
    assert "\u2717 victim.age < 14 years \u2014 given: 15" in text
    assert "? accused.conduct.enticed_for_commercial_sex is true \u2014 unknown" in text
    assert "\u201c\u201cEnticing a child\u201d for commercial sex" in text


def test_cli_why_not_of_a_conclusion_that_applies_says_so(tmp_path: Path) -> None:
    """dmst why-not on a conclusion that applies says so, exits 0 and shows the rule holding."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["why-not", str(path), "status.minor_victim"])
    assert out.exit_code == 0, out.output
    assert "Applies on these facts." in out.output
    assert "\u2014 holds" in words(out.output)


def test_cli_why_not_of_a_conclusion_that_applies_points_to_explain(tmp_path: Path) -> None:
    """dmst why-not on a conclusion that applies names the dmst explain command for it."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["why-not", str(path), "status.minor_victim"])
    assert out.exit_code == 0, out.output
    assert f"dmst explain {path} --conclusion status.minor_victim" in words(out.output)


def test_cli_why_not_of_an_undetermined_conclusion_names_the_deciding_facts(
        tmp_path: Path) -> None:
    """dmst why-not on an undetermined conclusion lists the facts that would decide it, with
    what each value would do."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["why-not", str(path),
                              "consequence.parental_rights.human_trafficking"])
    assert out.exit_code == 0, out.output
    text = words(out.output)
    assert "Would be decided by: accused.is_victims_parent" in text
    assert ("accused.is_victims_parent: yes \u2192 applies; no \u2192 does not apply") in text


def test_cli_why_not_of_an_unknown_id_exits_1_with_did_you_mean(tmp_path: Path) -> None:
    """A misspelt id is an error (exit 1) with a did-you-mean."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["why-not", str(path), "charge.human_traficking"])
    assert out.exit_code == 1
    assert "did you mean 'charge.human_trafficking'" in out.output


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
    markdown_it = pytest.importorskip("markdown_it")
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["why-not", str(path), "charge.enticing_child",
                              "-f", "markdown"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("# Why or why not: Enticing a child under 14")
    assert "- \u2717 victim.age \\< 14 years \u2014 given: 15" in out.output
    rendered = markdown_it.MarkdownIt("commonmark").render(out.output)
    assert "<li>\u2717 victim.age &lt; 14 years \u2014 given: 15</li>" in rendered


def test_cli_why_not_for_a_pair_of_a_case_file() -> None:
    """dmst why-not --accused on a case file answers for that pair and names it."""
    out = runner.invoke(app, ["why-not", str(MOTHER_AND_BUYER), "charge.enticing_child",
                              "--accused", "MOTHER", "--victim", "V1"])
    assert out.exit_code == 0, out.output
    text = words(out.output)
    assert "(accused MOTHER, victim V1)" in text
    assert "Would be decided by: accused.conduct.enticed_for_commercial_sex" in text
    out = runner.invoke(app, ["why-not", str(MOTHER_AND_BUYER), "charge.enticing_child"])
    assert out.exit_code == 1 and "several pairs match" in out.output


def test_dmst_explain_runs_as_a_real_process(tmp_path: Path) -> None:
    """python -m dmst explain works in a real process and prints JSON trees."""
    path = write(tmp_path, "pimp", PIMP)
    done = subprocess.run(
        [sys.executable, "-m", "dmst", "explain", str(path), "--format", "json"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    ids = [n["id"] for n in json.loads(done.stdout)]
    assert ids[0] == "status.minor_victim" and "charge.human_trafficking" in ids
