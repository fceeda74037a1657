"""The engine: forward chaining on durable_rules, isolation between evaluations, the result's
shape and stamp, unknown facts, and the public API."""

from __future__ import annotations

import json

import pytest

import dmst
from dmst import Case, CaseResult, Engine, FactError, Result, Scenario, evaluate
from dmst.engine._firings import DEFINITE, Status
from dmst.rules import Certainty, Kind, Modality

from .conftest import PIMP, own_accused_unnamed

TRAFFICKED_15 = {
    "victim": {"age": 15, "engaged_in_commercial_sex": True, "third_party_control": True},
    "accused": {"roles": ["trafficker"], "conduct": {"trafficked_for_sex": True}},
    "investigation": {"decoy": False},
}


def test_public_api_is_pinned() -> None:
    """The names the library exports are the documented ones, in sorted order."""
    assert dmst.__all__ == sorted(dmst.__all__)
    for name in ("Engine", "Scenario", "Case", "Result", "CaseResult", "evaluate", "DmstError",
                 "load_rulebook"):
        assert name in dmst.__all__
    for name in dmst.__all__:
        assert getattr(dmst, name) is not None, name
    with pytest.raises(AttributeError):
        dmst.not_a_public_name  # noqa: B018


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
    charge = engine.evaluate(TRAFFICKED_15).conclusion("charge.human_trafficking")
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
    charge = result.conclusion("charge.financial_benefit")
    assert charge is not None and charge.penalty is not None
    assert charge.penalty.prison_years.min is None and charge.penalty.prison_years.max == 20
    assert charge.penalty.fine_usd.min is None and charge.penalty.fine_usd.max == 10_000


BUYER_16 = {
    "victim": {"age": 16, "third_party_control": True},
    "accused": {"roles": ["buyer"], "conduct": {"bought_commercial_sex": True}},
    "investigation": {"decoy": False},
}


def test_hedged_source_gives_may_apply(engine: Engine) -> None:
    """'In a few, limited circumstances' makes the buyer's trafficking charge only may_apply, and
    what depends on it inherits that (and names it in hedged_by)."""
    result = engine.evaluate(BUYER_16)
    charge = result.conclusion("charge.buyer.human_trafficking")
    registration = result.conclusion("consequence.buyer.sex_offender_registration")
    assert charge is not None and charge.certainty is Certainty.MAY_APPLY
    assert charge.status is Status.MAY_APPLY and charge.hedged_by == []
    assert registration is not None and registration.certainty is Certainty.MAY_APPLY
    assert registration.status is Status.MAY_APPLY
    assert "charge.buyer.human_trafficking" in registration.hedged_by


def test_barred_defenses_sentencing_and_limitations_keep_their_own_certainty(
    engine: Engine
) -> None:
    """A sentence that states a rule without hedging (mistake of age barred, no staggering by age,
    no statute of limitations for human trafficking) applies as stated even where the charge it
    attaches to only may apply."""
    result = engine.evaluate(BUYER_16)
    for cid in ("defense_barred.mistake_of_age", "sentencing.no_age_staggering",
                "protection.no_limitations"):
        c = result.conclusion(cid)
        assert c is not None, cid
        assert c.certainty is Certainty.APPLIES and c.hedged_by == [], cid
        assert "charge.buyer.human_trafficking" in c.applies_to, cid
    staggering = result.conclusion("sentencing.no_age_staggering")
    assert staggering is not None and staggering.kind is Kind.SENTENCING


def test_unknown_facts_make_conclusions_undetermined_not_false(engine: Engine) -> None:
    """With the victim's age unknown, the trafficking charge is undetermined and names the age."""
    result = engine.evaluate({
        "accused": {"roles": ["trafficker"], "conduct": {"trafficked_for_sex": True}},
    })
    assert result.conclusion("charge.human_trafficking") is None
    pending = {u.id: u for u in result.undetermined}
    assert pending["charge.human_trafficking"].missing == ["victim.age"]
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
    assert silent["defense_barred.mistake_of_age_undecided"].status is Status.SOURCE_SILENT
    assert silent["defense_barred.mistake_of_age_undecided"].applies_to == [
        "charge.enticing_child"
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
    assert decoy.applies_to == ["charge.human_trafficking"]
    assert result.conclusion("charge.promoting_prostitution") is None
    # with no real child, whether promoting can be charged is the source's silence
    promoting = {u.id: u for u in result.undetermined}["charge.promoting_prostitution"]
    assert promoting.status is Status.SOURCE_SILENT
    assert promoting.rules == ["charge.promoting_prostitution.decoy"] and promoting.note


def test_the_source_silence_on_decoys_is_each_offense_own(engine: Engine) -> None:
    """A buyer caught by a decoy: the trafficking charge applies (a decoy is no defense to it) and
    procuring is left open as the source's silence, by a rule of that offense."""
    result = engine.evaluate({
        "victim": {"age": 15},
        "accused": {"roles": ["buyer"], "conduct": {"bought_commercial_sex": True}},
        "investigation": {"decoy": True},
    })
    assert result.status("charge.buyer.human_trafficking") is Status.MAY_APPLY
    decoy = result.conclusion("defense_barred.decoy")
    assert decoy is not None and decoy.applies_to == ["charge.buyer.human_trafficking"]
    assert result.status("charge.procuring_prostitute") is Status.SOURCE_SILENT
    procuring = {u.id: u for u in result.undetermined}["charge.procuring_prostitute"]
    assert procuring.rules == ["charge.procuring_prostitute.decoy"]
    assert procuring.offense == "procuring_prostitute"
    assert "charge.decoy_undecided" not in engine.rulebook.conclusions


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
    assert stamp["rulebook"]["fingerprint"] == engine.rulebook.fingerprint


def test_an_offense_outside_the_source_period_is_warned(engine: Engine) -> None:
    """An offense before or after the source's period (20 March 2017 to before 1 July 2019) gets a
    warning that says which; the first and last days of the period get none."""
    def codes(date: str) -> list[str]:
        return [w.code for w in engine.evaluate({"dates": {"offense": date}}).warnings]

    assert codes("2018-01-10") == codes("2017-03-20") == codes("2019-06-30") == []
    assert codes("2021-01-10") == codes("2019-07-01") == ["offense_after_source_period"]
    assert codes("2016-06-01") == codes("2017-03-19") == ["offense_before_source_period"]
    after = engine.evaluate({"dates": {"offense": "2021-01-10"}}).warnings[0].message
    before = engine.evaluate({"dates": {"offense": "2016-06-01"}}).warnings[0].message
    assert "2021-01-10 is on or after 2019-07-01" in after
    assert "2016-06-01 is before the period" in before


def test_a_missing_offense_date_and_an_adult_victim_are_warned(engine: Engine) -> None:
    """Without an offense date the result says which period it states the law for; a victim of 18
    or more is warned about (the source analyses the law on minors)."""
    assert [w.code for w in engine.evaluate({}).warnings] == ["no_offense_date"]
    adult = engine.evaluate({"victim": {"age": 18}, "dates": {"offense": "2018-01-10"}})
    assert [w.code for w in adult.warnings] == ["adult_victim"]
    minor = engine.evaluate({"victim": {"age": 17}, "dates": {"offense": "2018-01-10"}})
    assert minor.warnings == []


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


def test_changing_a_presumption_does_not_change_later_results() -> None:
    """A result's presumptions are its own: emptying their citations leaves the next evaluation
    intact."""
    facts = {k: v for k, v in TRAFFICKED_15.items() if k != "investigation"}
    fresh = Engine()
    expected = Engine(cache_size=0).evaluate(facts).model_dump_json()
    first = fresh.evaluate(facts)
    assert first.presumptions
    for p in first.presumptions:
        p.citations.clear()
    assert fresh.evaluate(facts).model_dump_json() == expected


def test_changing_a_case_result_does_not_change_later_results() -> None:
    """A case's result shares nothing a caller can change with later results."""
    case = {"victims": [{"id": "V1", "age": 15}],
            "accused": [{"id": "A1", "roles": ["trafficker"],
                         "conduct": {"trafficked_for_sex": True}}]}
    fresh = Engine()
    expected = Engine(cache_size=0).evaluate(case).model_dump_json()
    first = fresh.evaluate(case)
    first.stamp.rulebook["id"] = "changed"
    for p in first.presumptions:
        p.citations.clear()
    assert fresh.evaluate(case).model_dump_json() == expected


def test_a_child_charged_as_trafficked_is_a_trafficking_victim(engine: Engine) -> None:
    """When the accused trafficked the child, the child is a trafficking victim (the trafficker
    is the third party) and is not treated as a CSEC-only victim; that no third party controlled
    her then contradicts the facts and is refused, naming both."""
    with pytest.raises(FactError, match="third_party_control is false, but"):
        engine.evaluate({"victim": {"age": 15, "third_party_control": False},
                         "accused": {"conduct": {"trafficked_for_sex": True}}})
    for victim in ({"age": 15},):
        result = engine.evaluate({
            "victim": victim,
            "accused": {"roles": ["trafficker"], "conduct": {"trafficked_for_sex": True}},
            "investigation": {"decoy": False},
        })
        status = result.conclusion("status.trafficking_victim")
        assert status is not None
        assert status.applies_to == ["charge.human_trafficking"]
        assert result.conclusion("protection.non_prosecution") is not None
        restitution = result.conclusion("protection.restitution.trafficking_victim")
        assert restitution is not None and restitution.modality is Modality.MANDATORY
        ids = set(result.ids()) | {u.id for u in result.undetermined}
        assert not ids & {"status.csec_only_victim", "protection.rape_shield.csec_excluded",
                          "protection.civil_remedies.csec_excluded",
                          "protection.non_prosecution_csec_undecided"}


#: A buyer who did nothing but buy: no trafficking, aiding or benefiting by them either.
SURVIVAL_SEX_BUYER = {"bought_commercial_sex": True, "trafficked_for_sex": False,
                      "aided_or_abetted_trafficking": False,
                      "financially_benefited_from_trafficking": False}


def test_survival_sex_with_a_buyer_alone_is_csec_not_trafficking(engine: Engine) -> None:
    """Survival sex with no third party: the human trafficking law reaches the buyer only where a
    third party controlled the child (or a decoy posed), so no trafficking charge and no trafficking
    victim; the child is a CSEC victim only and the buyer may be charged with procuring."""
    result = engine.evaluate({
        "victim": {"age": 16, "engaged_in_commercial_sex": True, "third_party_control": False},
        "accused": {"roles": ["buyer"], "conduct": SURVIVAL_SEX_BUYER},
        "investigation": {"decoy": False},
    })
    assert result.status("charge.buyer.human_trafficking") is Status.DOES_NOT_APPLY
    assert result.conclusion("status.trafficking_victim") is None
    assert result.conclusion("status.csec_only_victim") is not None
    procuring = result.conclusion("charge.procuring_prostitute")
    assert procuring is not None and procuring.certainty is Certainty.MAY_APPLY


# --- role-free charges, the source's own words ------------------------------------------------


def test_a_charge_whose_sentence_names_no_role_needs_none(engine: Engine) -> None:
    """'Mississippi's human trafficking law makes it a crime to traffic a minor under 18': whoever
    traffics is charged, whatever role the case gives them, and an accused whose conduct is not
    known leaves the charge open."""
    no_role = engine.evaluate({
        "victim": {"age": 15},
        "accused": {"conduct": {"trafficked_for_sex": True}},
        "investigation": {"decoy": False},
    })
    assert no_role.status("charge.human_trafficking") is Status.APPLIES
    buyer = engine.evaluate(BUYER_16)
    open_ = {u.id: u for u in buyer.undetermined}
    assert open_["charge.human_trafficking"].missing == ["accused.conduct.trafficked_for_sex"]


# --- presumptions -------------------------------------------------------------------------------


def test_a_silent_case_presumes_a_real_child_and_says_so(engine: Engine) -> None:
    """A case silent on a decoy is read as describing a real child: the presumption is listed with
    its reason and citation, and the conclusions resting on it name it; those that do not (the
    charge, which a decoy would not defeat) do not."""
    facts = {k: v for k, v in TRAFFICKED_15.items() if k != "investigation"}
    result = engine.evaluate(facts)
    assert [(p.fact, p.value) for p in result.presumptions] == [("investigation.decoy", False)]
    assert all(engine.rulebook.source.contains(c.quote)
               for p in result.presumptions for c in p.citations)
    minor = result.conclusion("status.minor_victim")
    assert minor is not None and minor.presumed == ["investigation.decoy"]
    protection = result.conclusion("protection.non_prosecution")
    assert protection is not None and protection.presumed == ["investigation.decoy"]
    charge = result.conclusion("charge.human_trafficking")
    assert charge is not None and charge.presumed == []
    given = engine.evaluate(TRAFFICKED_15)
    assert given.presumptions == []
    assert all(c.presumed == [] for c in (*given.conclusions, *given.statuses))


def test_strict_mode_presumes_nothing(engine: Engine) -> None:
    """presume=False (on the call or the engine) leaves the decoy unknown: the minor-victim status
    is undetermined for want of it, and the charge still applies."""
    facts = {k: v for k, v in TRAFFICKED_15.items() if k != "investigation"}
    strict = engine.evaluate(facts, presume=False)
    assert strict.presumptions == []
    assert strict.status("status.minor_victim") is Status.UNDETERMINED
    assert {u.id: u for u in strict.undetermined}["status.minor_victim"].missing == [
        "investigation.decoy"]
    assert strict.status("charge.human_trafficking") is Status.APPLIES
    assert (Engine(presume=False).evaluate(facts).model_dump_json()
            == strict.model_dump_json() == evaluate(facts, presume=False).model_dump_json())


# --- convictions ------------------------------------------------------------------------------

#: The stock case without its offense date.
PIMP_15 = {k: v for k, v in PIMP.items() if k != "dates"}


def _convicted(offenses: list[str] | None) -> Result:
    accused = dict(PIMP_15["accused"])
    if offenses is not None:
        accused["convicted_of"] = offenses
    return dmst.default_engine().evaluate({**PIMP_15, "accused": accused})


def test_consequences_tied_to_a_conviction_follow_the_convictions() -> None:
    """'Traffickers are also required to pay restitution when convicted of trafficking': with no
    convictions given it attaches on conviction; convicted of trafficking it simply applies;
    convicted only of promoting (or of nothing yet) it does not, and says so."""
    pending = _convicted(None).conclusion("consequence.trafficker.restitution")
    assert pending is not None and pending.on_conviction
    assert pending.applies_to == ["charge.human_trafficking"]
    done = _convicted(["human_trafficking"]).conclusion("consequence.trafficker.restitution")
    assert done is not None and not done.on_conviction
    for offenses in ([], ["promoting_prostitution"]):
        result = _convicted(offenses)
        assert result.conclusion("consequence.trafficker.restitution") is None
        na = {n.id: n for n in result.not_applicable}["consequence.trafficker.restitution"]
        assert {b.fact for b in na.because} == {"accused.convicted_of"}
        assert all(b.value == sorted(offenses) for b in na.because)


def test_registration_follows_the_offenses_convicted_of() -> None:
    """Registration for 'promoting prostitution' follows a conviction of it, and attaches to that
    charge only; consequences the source does not tie to a conviction (asset forfeiture) do not
    wait for one."""
    result = _convicted(["promoting_prostitution"])
    registration = result.conclusion("consequence.trafficker.sex_offender_registration")
    assert registration is not None and not registration.on_conviction
    assert registration.applies_to == ["charge.promoting_prostitution"]
    for offenses in (None, [], ["promoting_prostitution"]):
        forfeiture = _convicted(offenses).conclusion("consequence.trafficker.asset_forfeiture")
        assert forfeiture is not None and not forfeiture.on_conviction


def test_a_conviction_its_conduct_contradicts_is_refused(engine: Engine) -> None:
    """A conviction of promoting prostitution beside 'did not promote' cannot both be true."""
    with pytest.raises(FactError, match="convicted_of lists 'promoting_prostitution'"):
        engine.evaluate({**PIMP_15, "accused": {
            "roles": ["trafficker"], "convicted_of": ["promoting_prostitution"],
            "conduct": {"promoted_prostitution": False}}})


# --- protections as the source words them --------------------------------------------------------


def test_restitution_may_be_awarded_to_a_csec_victim_whatever_the_trafficking_status(
    engine: Engine
) -> None:
    """'Restitution ... may also be awarded to victims of CSEC crimes': a CSEC victim may get it
    while whether she is a trafficking victim (mandatory restitution) is still open."""
    result = engine.evaluate({
        "victim": {"age": 15, "engaged_in_commercial_sex": True},
        "investigation": {"decoy": False},
    })
    may = result.conclusion("protection.restitution.csec_victim")
    assert may is not None and may.modality is Modality.MAY
    assert result.status("status.trafficking_victim") is Status.UNDETERMINED
    assert result.status("protection.restitution.trafficking_victim") is Status.UNDETERMINED


@pytest.mark.parametrize(("racketeering", "expected"), [
    (True, {"protection.civil_remedies.racketeering": Status.APPLIES,
            "protection.civil_remedies.csec_excluded": Status.DOES_NOT_APPLY}),
    (False, {"protection.civil_remedies.racketeering": Status.DOES_NOT_APPLY,
             "protection.civil_remedies.csec_excluded": Status.APPLIES}),
    (None, {"protection.civil_remedies.racketeering": Status.UNDETERMINED,
            "protection.civil_remedies.csec_excluded": Status.UNDETERMINED}),
])
def test_civil_remedies_of_a_csec_only_victim_turn_on_racketeering(
    engine: Engine, racketeering: bool | None, expected: dict[str, Status]
) -> None:
    """'Civil remedies are expressly provided for human trafficking victims, but not CSEC victims
    unless they are also victims of racketeering.'"""
    victim: dict[str, object] = {"age": 16, "engaged_in_commercial_sex": True,
                                 "third_party_control": False}
    if racketeering is not None:
        victim["racketeering_victim"] = racketeering
    result = engine.evaluate({"victim": victim, "investigation": {"decoy": False},
                              "accused": {"roles": ["buyer"], "conduct": SURVIVAL_SEX_BUYER}})
    assert result.status("status.csec_only_victim") is Status.APPLIES
    assert {cid: result.status(cid) for cid in expected} == expected
    assert result.status("protection.civil_remedies.trafficking_victim") is Status.DOES_NOT_APPLY
    if racketeering is False:
        denied = result.conclusion("protection.civil_remedies.csec_excluded")
        assert denied is not None and denied.modality is Modality.NOT_AVAILABLE


def test_a_protection_that_does_not_apply_says_why(engine: Engine) -> None:
    """'Victims under 16 may be permitted to testify through closed-circuit television': for a
    16-year-old it is listed as not applicable, because of the age, its value and its parameter,
    citing that sentence."""
    result = engine.evaluate({
        "victim": {"age": 16, "engaged_in_commercial_sex": True, "will_testify": True},
        "investigation": {"decoy": False},
    })
    na = {n.id: n for n in result.not_applicable}["protection.closed_circuit_testimony"]
    assert na.status is Status.DOES_NOT_APPLY
    [reason] = na.because
    assert (reason.fact, reason.value, reason.parameter) == ("victim.age", 16, "closed_circuit_age")
    assert reason.condition == "victim.age < 16 years"
    assert any("Victims under 16" in c.quote for c in reason.citations)


def test_a_deadline_is_dated_from_the_offense(engine: Engine) -> None:
    """'File a claim within 3 years, with a possible extension of 1 year': the compensation
    protection carries both dates, counted from the offense date."""
    result = engine.evaluate({**TRAFFICKED_15, "dates": {"offense": "2018-05-14"}})
    compensation = result.conclusion("protection.crime_victims_compensation")
    assert compensation is not None
    assert [(d.date, d.months) for d in compensation.deadlines] == [
        ("2021-05-14", 36), ("2022-05-14", 48)]
    assert engine.evaluate(TRAFFICKED_15).conclusion(
        "protection.crime_victims_compensation").deadlines == []  # type: ignore[union-attr]


# --- ages as ranges -----------------------------------------------------------------------------


def test_an_age_range_decides_only_the_thresholds_it_lies_wholly_on_one_side_of(
    engine: Engine
) -> None:
    """A victim '15 or 16' is a minor and too old for enticing (under 14), but whether she was
    under 16 is open: closed-circuit testimony is undetermined and names the age."""
    result = engine.evaluate({
        "victim": {"age": {"min": 15, "max": 16}, "engaged_in_commercial_sex": True,
                   "will_testify": True, "age_at_testimony": {"min": 15, "max": 16}},
        "accused": {"conduct": {"enticed_for_commercial_sex": True}},
        "investigation": {"decoy": False},
    })
    assert result.status("status.minor_victim") is Status.APPLIES
    assert "charge.enticing_child" in {n.id for n in result.not_applicable}
    closed = {u.id: u for u in result.undetermined}["protection.closed_circuit_testimony"]
    assert closed.missing == ["victim.age", "victim.age_at_testimony"]
    assert result.facts["victim.age"] == {"min": 15, "max": 16}


# --- cases of several people --------------------------------------------------------------------
#
# Cases are evaluated on engines of their own: a cached plan of a case would otherwise be served
# to a single scenario of the same legal signature (see test_a_cached_result_names_its_own_accused).

ONE_PAIR = {"victims": [{"id": "V1", **TRAFFICKED_15["victim"]}],
            "accused": [{"id": "A1", **TRAFFICKED_15["accused"]}],
            "investigation": TRAFFICKED_15["investigation"]}


def test_a_case_of_one_pair_gives_the_single_result() -> None:
    """A case of one accused and one victim gives, for its pair, the single form's result (a
    derivation naming the pair's own accused aside: see the next test)."""
    uncached = Engine(cache_size=0)
    result = uncached.evaluate(ONE_PAIR)
    assert isinstance(result, CaseResult) and isinstance(Case.parse(ONE_PAIR), Case)
    assert [(p.accused, p.victim) for p in result.pairs] == [("A1", "V1")]
    assert (own_accused_unnamed(result.pairs[0].result, "A1").model_dump_json()
            == uncached.evaluate(TRAFFICKED_15).model_dump_json())
    assert result.pair("A1", "V1") == result.pairs[0].result
    with pytest.raises(KeyError):
        result.pair("A2", "V1")


def test_a_derivation_names_no_accused_of_the_pair_itself() -> None:
    """In a case of one pair, the victim's status reached through the pair's own charge names no
    other accused, so the pair's result is byte for byte the single form's."""
    uncached = Engine(cache_size=0)
    status = uncached.evaluate(ONE_PAIR).pairs[0].result.conclusion("status.trafficking_victim")
    assert status is not None
    assert {d.accused for d in status.derivations} == {None}


def test_a_victim_trafficked_by_one_accused_is_a_trafficking_victim_for_every_pair() -> None:
    """A victim's status is hers, whoever the accused: the buyer of a child another accused
    traffics faces the buyers' mandatory restitution to a trafficking victim, and the derivation
    names the accused through whom the status was reached."""
    result = Engine(cache_size=0).evaluate({
        "victims": [{"id": "V1", "age": 15, "engaged_in_commercial_sex": True}],
        "accused": [
            {"id": "A1", "roles": ["trafficker"], "conduct": {"trafficked_for_sex": True}},
            {"id": "A2", "roles": ["buyer"],
             "conduct": {"bought_commercial_sex": True, "trafficked_for_sex": False}},
        ],
        "investigation": {"decoy": False},
    })
    buyer = result.pair("A2", "V1")
    status = buyer.conclusion("status.trafficking_victim")
    assert status is not None
    assert {d.accused for d in status.derivations} == {"A1"}
    assert buyer.conclusion("consequence.buyer.restitution") is not None
    assert [v.id for v in result.victims] == ["V1"]
    assert "status.trafficking_victim" in result.victims[0].statuses
    charges = {a.id: {c.id: c.victims for c in a.charges} for a in result.accused}
    assert charges["A1"]["charge.human_trafficking"] == {"V1": Status.APPLIES}
    assert "charge.human_trafficking" not in charges["A2"]


#: Two victims of different ages; the accused listed first concerns only the first victim, so
#: the second victim's first pair is the case's third (Z-V1, A-V1, A-V2, M-V1, M-V2).
_THREE_TRAFFICKERS = {
    "victims": [{"id": "V1", "age": 15, "engaged_in_commercial_sex": True},
                {"id": "V2", "age": 17, "engaged_in_commercial_sex": True}],
    "accused": [{"id": "Z", "victims": ["V1"], "roles": ["trafficker"],
                 "conduct": {"trafficked_for_sex": True}},
                {"id": "A", "roles": ["trafficker"], "conduct": {"trafficked_for_sex": True}},
                {"id": "M", "roles": ["trafficker"], "conduct": {"trafficked_for_sex": True}}],
    "investigation": {"decoy": False},
}


def test_in_a_case_a_victims_status_rests_on_her_own_facts() -> None:
    """V2 (17) is a minor on her own age in every pair, though her first pair is not the case's
    second."""
    result = Engine(cache_size=0).evaluate(_THREE_TRAFFICKERS)
    for pair in result.pairs:
        minor = pair.result.conclusion("status.minor_victim")
        assert minor is not None
        ages = {d.facts["victim.age"] for d in minor.derivations}
        assert ages == {15 if pair.victim == "V1" else 17}, (pair.accused, pair.victim)


def test_in_a_case_what_does_not_apply_to_a_victim_names_her_own_facts() -> None:
    """Closed-circuit testimony (under 16) does not apply to V1 because she was 17, and to V2
    because she was 16: each pair's reason gives its own victim's age, though V2's first pair is
    not the case's second."""
    case = {**_THREE_TRAFFICKERS, "victims": [
        {"id": "V1", "age": 17, "age_at_testimony": 17, "engaged_in_commercial_sex": True},
        {"id": "V2", "age": 16, "age_at_testimony": 16, "engaged_in_commercial_sex": True}]}
    result = Engine(cache_size=0).evaluate(case)
    for pair in result.pairs:
        closed = next(n for n in pair.result.not_applicable
                      if n.id == "protection.closed_circuit_testimony")
        assert {(b.fact, b.value) for b in closed.because} == {
            ("victim.age", 17 if pair.victim == "V1" else 16)}, (pair.accused, pair.victim)


def test_derivations_list_the_pairs_own_first_then_other_accused_by_id() -> None:
    """In M's pair with V1 she is a trafficking victim through M's own conduct first, then
    through A's and Z's, by id: not in the order the accused are listed (Z, A, M)."""
    result = Engine(cache_size=0).evaluate(_THREE_TRAFFICKERS)
    status = result.pair("M", "V1").conclusion("status.trafficking_victim")
    assert status is not None
    assert [d.accused for d in status.derivations] == [None, "A", "Z"]
    status = result.pair("Z", "V1").conclusion("status.trafficking_victim")
    assert status is not None
    assert [d.accused for d in status.derivations] == [None, "A", "M"]


def test_a_status_that_rests_on_the_victim_alone_names_no_accused() -> None:
    """A child exploited with no third party's control is a CSEC victim only on her own facts:
    with two buyers, neither pair's derivation of that status goes through the other buyer."""
    result = Engine(cache_size=0).evaluate({
        "victims": [{"id": "V1", "age": 16, "engaged_in_commercial_sex": True,
                     "third_party_control": False}],
        "accused": [{"id": f"B{i}", "roles": ["buyer"], "conduct": {"bought_commercial_sex": True}}
                    for i in (1, 2)],
        "investigation": {"decoy": False},
    })
    for pair in result.pairs:
        status = pair.result.conclusion("status.csec_only_victim")
        assert status is not None
        assert [d.accused for d in status.derivations] == [None], pair.accused


def test_firings_are_recorded_per_pair_and_per_victim(engine: Engine) -> None:
    """The proof keeps each conclusion instance with its entity: charges for the pair (p0), the
    victim's statuses for the victim (v0)."""
    prepared = engine.prepare(TRAFFICKED_15)
    firings = engine.firings(prepared)
    assert (DEFINITE, "charge.human_trafficking", "p0") in firings.certainty
    assert (DEFINITE, "status.minor_victim", "v0") in firings.certainty
    assert ("status.minor_victim", "p0") not in firings.by_instance
    assert engine.plan(prepared).firings.canonical() == firings.canonical()


def _named_accused(result: Result) -> set[str | None]:
    status = result.conclusion("status.trafficking_victim")
    assert status is not None
    return {d.accused for d in status.derivations}


def test_a_cached_result_names_its_own_accused() -> None:
    """Derivations name the accused of this case, whatever was evaluated before with the same
    legal signature: a victim trafficked by two accused is a trafficking victim through each;
    in each pair's result the derivation through the other accused names that accused, in a
    case evaluated after one of the same shape whose accused had other ids; and the single
    form names nobody."""
    def case(first: str, second: str) -> dict[str, object]:
        return {"victims": [{"id": "V1", **TRAFFICKED_15["victim"]}],
                "accused": [{"id": first, **TRAFFICKED_15["accused"]},
                            {"id": second, **TRAFFICKED_15["accused"]}],
                "investigation": TRAFFICKED_15["investigation"]}

    uncached = Engine(cache_size=0)
    expected = [_named_accused(p.result) for p in uncached.evaluate(case("A1", "B1")).pairs]
    assert expected == [{None, "B1"}, {None, "A1"}]
    assert _named_accused(uncached.evaluate(TRAFFICKED_15)) == {None}
    cached = Engine()
    cached.evaluate(case("BOB", "ZED"))
    assert [_named_accused(p.result) for p in cached.evaluate(case("A1", "B1")).pairs] == expected
    assert _named_accused(cached.evaluate(TRAFFICKED_15)) == {None}


def test_registration_decided_for_a_trafficker_is_not_also_left_open() -> None:
    """'Traffickers will be required to register as sex offenders for violations of ... "promoting
    prostitution"': for an accused who is a trafficker and a buyer, registration for promoting is
    decided, not also 'the source does not say'."""
    result = Engine(cache_size=0).evaluate({
        "victim": {"age": 15},
        "accused": {"roles": ["trafficker", "buyer"], "conduct": {"promoted_prostitution": True}},
        "investigation": {"decoy": False},
    })
    decided = result.conclusion("consequence.trafficker.sex_offender_registration")
    assert decided is not None and decided.applies_to == ["charge.promoting_prostitution"]
    open_ = {u.id: u for u in result.undetermined}.get("consequence.registration_undecided")
    assert open_ is None or "charge.promoting_prostitution" not in open_.applies_to


def test_an_accused_summary_does_not_depend_on_the_order_of_list_items() -> None:
    """The same accused with roles and charges listed in another order gets the same summary."""
    def summary(roles: list[str], charged: list[str]) -> dict[str, object]:
        result = Engine(cache_size=0).evaluate({
            "victims": [{"id": "V1", "age": 15}],
            "accused": [{"id": "A1", "roles": roles, "charged_with": charged,
                         "conduct": {"promoted_prostitution": True}}],
        })
        return result.accused[0].model_dump()

    assert (summary(["trafficker", "buyer"], ["human_trafficking", "promoting_prostitution"])
            == summary(["buyer", "trafficker"], ["promoting_prostitution", "human_trafficking"]))


def test_a_silence_already_established_names_no_deciding_fact(engine: Engine) -> None:
    """A buyer who bought sex from a decoy: procuring can never apply (no real minor) and the
    source's silence on decoys holds, so no unknown fact (such as an attempt) would decide it."""
    result = engine.evaluate({
        "victim": {"age": 15},
        "accused": {"roles": ["buyer"], "conduct": {"bought_commercial_sex": True}},
        "investigation": {"decoy": True},
    })
    procuring = {u.id: u for u in result.undetermined}["charge.procuring_prostitute"]
    assert procuring.status is Status.SOURCE_SILENT
    assert procuring.missing == []


#: A case where one accused's conduct is unknown and the other's is known to be false.
_TWO_ACCUSED = {
    "victims": [{"id": "V1", "age": 15, "engaged_in_commercial_sex": False}],
    "investigation": {"decoy": True},
}
_SILENT = {"id": "A1"}
_CLEARED = {"id": "A2", "roles": [], "conduct": {"caused_sexual_conduct_for_images": False,
                                                 "solicited_sexual_conduct_for_images": False,
                                                 "sold_images": False}}


def _reasons(result: Result, cid: str) -> list[dmst.engine.result.Reason]:
    out: list[dmst.engine.result.Reason] = []
    todo = list({n.id: n for n in result.not_applicable}[cid].because)
    while todo:
        r = todo.pop(0)
        out.append(r)
        todo.extend(r.because)
    return out


def test_reasons_do_not_depend_on_the_order_of_the_accused() -> None:
    """Each pair's 'does not apply, because ...' is the same whichever accused is listed first."""
    uncached = Engine(cache_size=0)
    one = uncached.evaluate({**_TWO_ACCUSED, "accused": [_SILENT, _CLEARED]})
    other = uncached.evaluate({**_TWO_ACCUSED, "accused": [_CLEARED, _SILENT]})
    for accused in ("A1", "A2"):
        assert (one.pair(accused, "V1").model_dump_json()
                == other.pair(accused, "V1").model_dump_json())


def test_a_reason_quotes_the_value_on_which_its_condition_fails() -> None:
    """A reason naming a fact quotes that fact's value as read where the condition failed: never
    'unknown' for a condition said to fail."""
    result = Engine(cache_size=0).evaluate({**_TWO_ACCUSED, "accused": [_SILENT, _CLEARED]})
    silent = result.pair("A1", "V1")
    reasons = [r for r in _reasons(silent, "protection.restitution.csec_victim")
               if r.fact is not None and r.fact.startswith("accused.")]
    assert reasons, "the images route fails for the cleared accused"
    assert all(r.value is not None for r in reasons), [(r.fact, r.value) for r in reasons]


def test_a_reason_quotes_the_value_of_its_own_victim_whatever_the_order_of_pairs(
        engine: Engine) -> None:
    """The victim listed second is the one an accused's conduct concerns, so her pair comes
    first: the reason her closed-circuit testimony is not available quotes her age (17), not the
    first-listed victim's (15)."""
    victim = {"engaged_in_commercial_sex": True, "third_party_control": True,
              "will_testify": True}
    result = engine.evaluate({
        "victims": [{"id": "V1", "age": 15, "age_at_testimony": 15, **victim},
                    {"id": "V2", "age": 17, "age_at_testimony": 17, **victim}],
        "accused": [{"id": "A1", "roles": ["trafficker"], "victims": ["V2"],
                     "conduct": {"trafficked_for_sex": True}}],
        "investigation": {"decoy": False}})
    assert isinstance(result, CaseResult)
    assert [(p.accused, p.victim) for p in result.pairs] == [("A1", "V2"), (None, "V1")]
    v2 = result.pairs[0].result
    closed = next(n for n in v2.not_applicable if n.id == "protection.closed_circuit_testimony")
    assert [(r.fact, r.value) for r in closed.because if r.fact] == [("victim.age", 17)]
