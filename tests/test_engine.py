"""The engine: forward chaining on durable_rules, isolation between evaluations, the result's
shape and stamp, unknown facts, and the public API."""

from __future__ import annotations

import json

import pytest

import dmst
from dmst import Engine, FactError, Scenario, evaluate
from dmst.rules.model import Certainty, Kind

TRAFFICKED_15 = {
    "victim": {"age": 15, "engaged_in_commercial_sex": True, "third_party_control": True},
    "accused": {"roles": ["trafficker"], "conduct": {"trafficked_for_sex": True}},
    "investigation": {"decoy": False},
}


def test_public_api_is_pinned() -> None:
    """The names the library exports are the documented ones, in sorted order."""
    assert dmst.__all__ == sorted(dmst.__all__)
    for name in ("Engine", "Scenario", "Result", "evaluate", "DmstError", "load_rulebook"):
        assert name in dmst.__all__
        assert hasattr(dmst, name)


def test_evaluate_accepts_a_scenario_or_a_mapping(engine: Engine) -> None:
    """Engine().evaluate(Scenario...) and evaluate(mapping) give the same result."""
    a = engine.evaluate(Scenario.model_validate(TRAFFICKED_15))
    b = evaluate(TRAFFICKED_15)
    assert a.model_dump_json() == b.model_dump_json()


def test_derived_status_feeds_further_rules(engine: Engine) -> None:
    """The victim's status, derived by one rule, is what makes the protection rules fire."""
    result = engine.evaluate(TRAFFICKED_15)
    status = result.conclusion("status.trafficking_victim")
    assert status is not None and status.kind is Kind.STATUS
    abused = result.conclusion("protection.abused_child")
    assert abused is not None
    assert abused.derivations[0].conclusions == ["status.trafficking_victim"]
    # the status itself rests on another derived status
    assert "status.minor_victim" in status.derivations[0].conclusions


def test_a_charge_carries_its_penalty_as_the_source_states_it(engine: Engine) -> None:
    """Human trafficking by a trafficker: 5–30 years and $50,000–$500,000."""
    charge = engine.evaluate(TRAFFICKED_15).conclusion("charge.trafficker.human_trafficking")
    assert charge is not None and charge.penalty is not None
    assert (charge.penalty.prison_years.min, charge.penalty.prison_years.max) == (5, 30)
    assert (charge.penalty.fine_usd.min, charge.penalty.fine_usd.max) == (50_000, 500_000)
    assert charge.certainty is Certainty.APPLIES
    assert any("5–30 years" in c.quote for c in charge.citations)


def test_up_to_penalties_have_no_minimum(engine: Engine) -> None:
    """'Up to 20 years and a fine up to $10,000' is min null, max 20 / 10,000."""
    result = engine.evaluate({
        "victim": {"age": 16},
        "accused": {"roles": ["facilitator"],
                    "conduct": {"financially_benefited_from_trafficking": True}},
    })
    charge = result.conclusion("charge.facilitator.financial_benefit")
    assert charge is not None and charge.penalty is not None
    assert charge.penalty.prison_years.min is None and charge.penalty.prison_years.max == 20
    assert charge.penalty.fine_usd.min is None and charge.penalty.fine_usd.max == 10_000


def test_hedged_source_gives_may_apply(engine: Engine) -> None:
    """'In a few, limited circumstances' makes the buyer's trafficking charge only may_apply, and
    what depends on it inherits that."""
    result = engine.evaluate({
        "victim": {"age": 16},
        "accused": {"roles": ["buyer"], "conduct": {"bought_commercial_sex": True}},
        "investigation": {"decoy": False},
    })
    charge = result.conclusion("charge.buyer.human_trafficking")
    registration = result.conclusion("consequence.buyer.sex_offender_registration")
    assert charge is not None and charge.certainty is Certainty.MAY_APPLY
    assert registration is not None and registration.certainty is Certainty.MAY_APPLY


def test_unknown_facts_make_conclusions_undetermined_not_false(engine: Engine) -> None:
    """With the victim's age unknown, the trafficking charge is undetermined and names the age."""
    result = engine.evaluate({
        "accused": {"roles": ["trafficker"], "conduct": {"trafficked_for_sex": True}},
    })
    assert result.conclusion("charge.trafficker.human_trafficking") is None
    pending = {u.id: u for u in result.undetermined}
    assert pending["charge.trafficker.human_trafficking"].missing == ["victim.age"]
    assert result.ask_next[0].fact == "victim.age"


def test_a_silent_source_is_reported_as_such(engine: Engine) -> None:
    """Mistake of age claimed against enticing: the source does not say, and dmst says so."""
    result = engine.evaluate({
        "victim": {"age": 12},
        "accused": {"roles": ["trafficker"], "claims_mistake_of_age": True,
                    "conduct": {"enticed_for_commercial_sex": True}},
        "investigation": {"decoy": False},
    })
    silent = {u.id: u for u in result.undetermined if u.reason == "source_silent"}
    assert "defense_barred.mistake_of_age_undecided" in silent
    assert silent["defense_barred.mistake_of_age_undecided"].applies_to == [
        "charge.trafficker.enticing_child"
    ]
    assert result.conclusion("defense_barred.mistake_of_age") is None


def test_barred_defense_is_scoped_to_the_charges_the_source_names(engine: Engine) -> None:
    """The decoy defense is barred for human trafficking but not listed for promoting."""
    result = engine.evaluate({
        "victim": {"age": 15},
        "accused": {"roles": ["trafficker"],
                    "conduct": {"trafficked_for_sex": True, "promoted_prostitution": True}},
        "investigation": {"decoy": True},
    })
    decoy = result.conclusion("defense_barred.decoy")
    assert decoy is not None
    assert decoy.applies_to == ["charge.trafficker.human_trafficking"]
    assert result.conclusion("charge.trafficker.promoting_prostitution") is None


def test_same_input_same_bytes(engine: Engine) -> None:
    """Two evaluations of one scenario, on two engines, give identical JSON."""
    a = engine.evaluate(TRAFFICKED_15).model_dump_json()
    b = Engine(cache_size=0).evaluate(TRAFFICKED_15).model_dump_json()
    assert a == b


def test_no_state_survives_an_evaluation(engine: Engine) -> None:
    """An evaluation in between does not change the result of a scenario."""
    fresh = Engine(cache_size=0)
    first = fresh.evaluate(TRAFFICKED_15).model_dump_json()
    fresh.evaluate({"victim": {"age": 30}, "accused": {"roles": ["buyer"]}})
    assert fresh.evaluate(TRAFFICKED_15).model_dump_json() == first


def test_stamp_names_rulebook_source_period_engine_and_notice(engine: Engine) -> None:
    """The stamp says what produced the result and that it is not legal advice."""
    stamp = json.loads(engine.evaluate({}).model_dump_json())["stamp"]
    assert stamp["rulebook"]["id"] == "dmst-mississippi" and stamp["rulebook"]["version"]
    assert "Protected Innocence Challenge" in stamp["source"]["title"]
    assert "2017" in stamp["source"]["edition"]
    assert (stamp["as_of"]["from"], stamp["as_of"]["until"]) == ("2017-03-20", "2019-07-01")
    assert stamp["engine"]["dmst"] == dmst.__version__
    assert stamp["engine"]["durable_rules"] == "2.0.28"
    assert "Not legal advice" in stamp["notice"]


def test_an_offense_outside_the_source_period_is_warned(engine: Engine) -> None:
    """An offense before or after the source's period gets a warning that says which."""
    inside = engine.evaluate({"dates": {"offense": "2018-01-10"}})
    after = engine.evaluate({"dates": {"offense": "2021-01-10"}})
    before = engine.evaluate({"dates": {"offense": "2016-06-01"}})
    assert inside.warnings == []
    assert [w.code for w in after.warnings] == ["offense_outside_source_period"]
    assert "after the period" in after.warnings[0].message
    assert [w.code for w in before.warnings] == ["offense_outside_source_period"]
    assert "before the period" in before.warnings[0].message


def test_a_misspelt_fact_is_an_error_with_a_suggestion(engine: Engine) -> None:
    """A misspelt fact name is refused (never silently dropped) and the right name suggested."""
    with pytest.raises(FactError) as err:
        engine.evaluate({"victim": {"agee": 15}})
    problem = err.value.problems[0]
    assert problem.field == "facts.victim.agee" and problem.suggestion == "facts.victim.age"


def test_a_string_or_bool_age_is_refused(engine: Engine) -> None:
    """Strict types: '15' and true are not ages."""
    for bad in ("15", True, 15.0):
        with pytest.raises(FactError):
            engine.evaluate({"victim": {"age": bad}})


def test_reference_evaluator_gives_the_same_result(engine: Engine) -> None:
    """The pure-Python reference evaluator and the durable_rules path agree on a full case."""
    assert (engine.evaluate(TRAFFICKED_15).model_dump_json()
            == engine.evaluate_reference(TRAFFICKED_15).model_dump_json())


def test_cache_returns_results_equal_to_a_fresh_evaluation() -> None:
    """A repeated legal signature served from the cache equals an uncached evaluation, even
    with a different age on the same side of every threshold."""
    cached = Engine()
    cached.evaluate(TRAFFICKED_15)
    other_age = {**TRAFFICKED_15, "victim": {**TRAFFICKED_15["victim"], "age": 16}}
    assert (cached.evaluate(other_age).model_dump_json()
            == Engine(cache_size=0).evaluate(other_age).model_dump_json())


def test_changing_a_result_does_not_change_later_results() -> None:
    """Results share nothing a caller can change: emptying one result's lists leaves the next
    evaluation of any case intact."""
    fresh = Engine()
    expected = Engine(cache_size=0).evaluate(TRAFFICKED_15).model_dump_json()
    first = fresh.evaluate(TRAFFICKED_15)
    for c in (*first.conclusions, *first.statuses):
        c.citations.clear()
        c.applies_to.append("charge.invented")
        for d in c.derivations:
            d.conclusions.append("status.invented")
    for u in first.undetermined:
        u.missing.clear()
        u.citations.clear()
    for a in first.ask_next:
        a.conclusions.clear()
    first.stamp.rulebook["id"] = "changed"
    assert fresh.evaluate(TRAFFICKED_15).model_dump_json() == expected


def test_a_child_charged_as_trafficked_is_a_trafficking_victim(engine: Engine) -> None:
    """When the accused is charged with trafficking the child, the child is a trafficking victim
    (the trafficker is the third party), whatever the third-party-control fact says, and is not
    treated as a CSEC-only victim."""
    for control in (None, False):
        victim = {"age": 15} if control is None else {"age": 15, "third_party_control": control}
        result = engine.evaluate({
            "victim": victim,
            "accused": {"roles": ["trafficker"], "conduct": {"trafficked_for_sex": True}},
            "investigation": {"decoy": False},
        })
        status = result.conclusion("status.trafficking_victim")
        assert status is not None
        assert status.applies_to == ["charge.trafficker.human_trafficking"]
        assert result.conclusion("protection.non_prosecution") is not None
        ids = set(result.ids()) | {u.id for u in result.undetermined}
        assert "status.csec_only_victim" not in ids
        assert "protection.restitution.csec_victim" not in ids


def test_a_buyers_charge_alone_does_not_make_a_trafficking_victim(engine: Engine) -> None:
    """Survival sex with no third party: a buyer's possible trafficking charge does not make the
    child a trafficking victim; the child is a CSEC victim only."""
    result = engine.evaluate({
        "victim": {"age": 16, "engaged_in_commercial_sex": True, "third_party_control": False},
        "accused": {"roles": ["buyer"], "conduct": {"bought_commercial_sex": True}},
        "investigation": {"decoy": False},
    })
    assert result.conclusion("charge.buyer.human_trafficking") is not None
    assert result.conclusion("status.trafficking_victim") is None
    assert result.conclusion("status.csec_only_victim") is not None
