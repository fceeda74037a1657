"""What-if: the diff of two scenarios and single-fact changes (flips), library and command line."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dmst import Engine, FactError, InputError, Result
from dmst.cli import app
from dmst.engine.explain import (
    FLIP_FACTS,
    ConclusionState,
    diff,
    facts_bearing_on,
    flips,
)

from .conftest import PIMP, write

runner = CliRunner()



def changed(facts: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(facts)
    node = out
    *parents, leaf = path.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    if value is None:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return out


def state(result: Result, cid: str) -> ConclusionState:
    c = result.conclusion(cid)
    if c is not None:
        return ConclusionState(status="applies", certainty=c.certainty,
                               applies_to=c.applies_to, modality=c.modality)
    for u in result.undetermined:
        if u.id == cid:
            return ConclusionState(status="undetermined", certainty=u.certainty,
                                   applies_to=u.applies_to)
    return ConclusionState(status="does_not_apply")




# --- diff --------------------------------------------------------------------------------------


def test_a_younger_victim_adds_enticing_because_of_the_age(engine: Engine) -> None:
    """At 13, with enticing known, enticing a child appears, caused by the age; a fact that bears
    on nothing about it is not given as its cause."""
    a = changed(PIMP, "accused.conduct.enticed_for_commercial_sex", True)
    b = changed(changed(a, "victim.age", 13), "investigation.wiretap_sought", True)
    d = diff(engine, a, b)
    assert [f.fact for f in d.facts] == ["investigation.wiretap_sought", "victim.age"]
    [enticing] = [c for c in d.changes if c.id == "charge.trafficker.enticing_child"]
    assert enticing.change == "appears"
    assert (enticing.before.status, enticing.after.status) == ("does_not_apply", "applies")
    assert [f.fact for f in enticing.because] == ["victim.age"]
    assert (enticing.because[0].before, enticing.because[0].after) == (15, 13)
    assert "charge.trafficker.enticing_child" in d.appeared()


def test_a_consequence_that_gains_a_charge_changes_applies_to(engine: Engine) -> None:
    """Asset forfeiture stays, but attaches to one more charge once enticing applies."""
    a = changed(PIMP, "accused.conduct.enticed_for_commercial_sex", True)
    d = diff(engine, a, changed(a, "victim.age", 13))
    [forfeiture] = [c for c in d.changes if c.id == "consequence.trafficker.asset_forfeiture"]
    assert forfeiture.change == "changes" and forfeiture.differences == ["applies_to"]
    added = set(forfeiture.after.applies_to) - set(forfeiture.before.applies_to)
    assert added == {"charge.trafficker.enticing_child"}


def test_an_adult_victim_removes_the_minor_status(engine: Engine) -> None:
    """At 18 the victim is no longer a minor: the status and the trafficking charge disappear."""
    d = diff(engine, PIMP, changed(PIMP, "victim.age", 18))
    assert {"status.minor_victim", "charge.trafficker.human_trafficking"} <= set(d.disappeared())
    assert not d.appeared()


def test_a_fact_becoming_known_can_settle_an_undetermined_conclusion(engine: Engine) -> None:
    """Saying the accused is not the victim's parent takes parental rights off the undetermined
    list."""
    d = diff(engine, PIMP, changed(PIMP, "accused.is_victims_parent", False))
    by_id = {c.id: c for c in d.changes}
    delta = by_id["consequence.parental_rights.human_trafficking"]
    assert delta.change == "no_longer_undetermined"
    assert [f.fact for f in delta.because] == ["accused.is_victims_parent"]
    assert delta.because[0].before is None


def test_the_same_scenario_has_no_diff(engine: Engine) -> None:
    """A scenario compared with itself changes nothing."""
    d = diff(engine, PIMP, PIMP)
    assert d.facts == [] and d.changes == []


_AGES = st.one_of(st.none(), st.integers(min_value=10, max_value=19))
_BOOL = st.one_of(st.none(), st.booleans())


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Partial scenarios over the facts the rules use most."""
    def some(**items: Any) -> dict[str, Any]:
        return {k: v for k, v in items.items() if v is not None}

    roles = draw(st.one_of(st.none(), st.lists(
        st.sampled_from(["trafficker", "buyer", "facilitator"]), unique=True, max_size=2)))
    conduct = {k: draw(_BOOL) for k in (
        "trafficked_for_sex", "promoted_prostitution", "enticed_for_commercial_sex",
        "bought_commercial_sex", "used_internet", "caused_sexual_conduct_for_images")}
    return {
        "victim": some(age=draw(_AGES), engaged_in_commercial_sex=draw(_BOOL),
                       third_party_control=draw(_BOOL)),
        "accused": some(roles=roles, conduct=some(**conduct), street_gang=draw(_BOOL)),
        "investigation": some(decoy=draw(_BOOL)),
    }


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=scenarios(), b=scenarios())
def test_every_change_has_a_cause_and_reverting_it_restores_the_conclusion(
        engine: Engine, a: dict[str, Any], b: dict[str, Any]) -> None:
    """Each changed conclusion names facts that differ; putting those facts back as they were in
    A gives the conclusion its standing in A again."""
    ra = engine.evaluate(a)
    d = diff(engine, a, b)
    for delta in d.changes:
        assert delta.because, f"{delta.id} changed with no cause"
        assert delta.before == state(ra, delta.id)
        reverted = b
        for f in delta.because:
            reverted = changed(reverted, f.fact, f.before)
        assert state(engine.evaluate(reverted), delta.id) == delta.before, delta.id


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=scenarios(), b=scenarios())
def test_diff_is_symmetric(engine: Engine, a: dict[str, Any], b: dict[str, Any]) -> None:
    """What appears from A to B disappears from B to A, and the facts differ the same way."""
    forward, backward = diff(engine, a, b), diff(engine, b, a)
    assert set(forward.appeared()) == set(backward.disappeared())
    assert set(forward.disappeared()) == set(backward.appeared())
    assert [(f.fact, f.before, f.after) for f in forward.facts] == [
        (f.fact, f.after, f.before) for f in backward.facts]


def test_facts_bearing_on_follow_relied_on_conclusions(engine: Engine) -> None:
    """Promoting prostitution tests its own conduct fact and, through the minor status, the age
    and the decoy."""
    bearing = facts_bearing_on(engine.rulebook, "charge.trafficker.promoting_prostitution")
    assert {"accused.conduct.promoted_prostitution", "accused.roles", "victim.age",
            "investigation.decoy"} <= bearing
    assert "victim.third_party_control" not in bearing


# --- flips -------------------------------------------------------------------------------------


def test_flips_cross_each_age_threshold_of_the_rulebook(engine: Engine) -> None:
    """A known age moves to the nearest value across each threshold the rules use."""
    thresholds = engine.rulebook.thresholds()["victim.age"]
    report = flips(engine, PIMP, ["victim.age"])
    moves = {f.threshold: f.after for f in report.flips}
    assert set(moves) == set(thresholds)
    for t, after in moves.items():
        assert (15 < t) == (after >= t)  # the new age is on the other side of t


def test_an_unknown_age_is_tried_on_both_sides_of_each_threshold(engine: Engine) -> None:
    """With the age unknown, flips try values below and at or above every threshold."""
    facts = changed(PIMP, "victim.age", None)
    values = [f.after for f in flips(engine, facts, ["victim.age"]).flips]
    for t in engine.rulebook.thresholds()["victim.age"]:
        assert any(v < t for v in values) and any(v >= t for v in values)


def test_each_flip_is_the_diff_of_the_changed_scenario(engine: Engine) -> None:
    """Every tried change reports exactly what diffing the scenario with that one change gives."""
    report = flips(engine, PIMP)
    assert {f.fact for f in report.flips} == set(FLIP_FACTS)
    for f in report.flips:
        assert f.skipped is None
        expected = diff(engine, PIMP, changed(PIMP, f.fact, f.after))
        assert f.changes == expected.changes, f"{f.fact} -> {f.after}"


def test_flipping_age_and_decoy_removes_the_minor_status(engine: Engine) -> None:
    """Making the victim 18, or the 'minor' a decoy, removes the minor status."""
    report = flips(engine, PIMP)
    removing = {(f.fact, f.after) for f in report.flips
                if any(c.id == "status.minor_victim" and c.change == "disappears"
                       for c in f.changes)}
    assert removing == {("victim.age", 18), ("investigation.decoy", True)}


def test_an_unknown_true_false_fact_is_set_both_ways(engine: Engine) -> None:
    """Internet use is unknown: true adds computer luring for the trafficker, false settles it."""
    report = flips(engine, PIMP, ["accused.conduct.used_internet"])
    by_value = {f.after: f for f in report.flips}
    assert set(by_value) == {True, False}
    assert "charge.trafficker.computer_luring" in [
        c.id for c in by_value[True].changes if c.change == "appears"]
    assert [c.change for c in by_value[False].changes
            if c.id == "charge.trafficker.computer_luring"] == ["no_longer_undetermined"]


def test_a_change_that_contradicts_another_fact_is_skipped(engine: Engine) -> None:
    """Raising the age above the age at testimony is not tried, and says why."""
    facts = changed(PIMP, "victim.age_at_testimony", 15)
    [adult] = [f for f in flips(engine, facts, ["victim.age"]).flips if f.after == 18]
    assert adult.skipped is not None and "age_at_testimony" in adult.skipped
    assert adult.changes == []
    with pytest.raises(FactError):
        engine.evaluate(changed(facts, "victim.age", 18))


def test_flips_refuse_facts_they_cannot_change(engine: Engine) -> None:
    """A date or a misspelt fact is refused with an input error (and a suggestion)."""
    with pytest.raises(InputError):
        flips(engine, PIMP, ["dates.offense"])
    with pytest.raises(InputError) as info:
        flips(engine, PIMP, ["victim.agee"])
    assert info.value.problems[0].suggestion == "victim.age"


# --- command line ------------------------------------------------------------------------------


def test_cli_diff_text_names_changes_and_causes(tmp_path: Path) -> None:
    """dmst diff prints the differing facts and each changed conclusion with its cause."""
    # a child used in commercial sex, no trafficking charge: third-party control decides status
    child = {"victim": {"age": 15, "engaged_in_commercial_sex": True, "third_party_control": True},
             "investigation": {"decoy": False}}
    a = write(tmp_path, "a", child)
    b = write(tmp_path, "b", changed(child, "victim.third_party_control", False))
    out = runner.invoke(app, ["diff", str(a), str(b)])
    assert out.exit_code == 0, out.output
    assert "victim.third_party_control: true \u2192 false" in out.output
    assert "\u2212 The victim is a child sex trafficking victim [status.trafficking_victim]" in (
        out.output)
    assert "because victim.third_party_control true \u2192 false" in out.output


def test_cli_diff_json_is_the_library_diff(tmp_path: Path, engine: Engine) -> None:
    """dmst diff --format json prints the model diff() returns."""
    b_facts = changed(PIMP, "victim.age", 13)
    a, b = write(tmp_path, "a", PIMP), write(tmp_path, "b", b_facts)
    out = runner.invoke(app, ["diff", str(a), str(b), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == diff(engine, PIMP, b_facts).model_dump(mode="json")


def test_cli_diff_of_a_missing_file_exits_1(tmp_path: Path) -> None:
    """A missing scenario file is an input error (exit 1)."""
    a = write(tmp_path, "a", PIMP)
    out = runner.invoke(app, ["diff", str(a), str(tmp_path / "missing.yaml")])
    assert out.exit_code == 1
    assert "no such file" in out.output


def test_cli_flips_text_and_json(tmp_path: Path) -> None:
    """dmst flips prints each change with what it removes; --format json parses."""
    path = write(tmp_path, "pimp", PIMP, title="Pimp")
    out = runner.invoke(app, ["flips", str(path)])
    assert out.exit_code == 0, out.output
    assert "victim.age: 15 \u2192 18 (across 18)" in out.output
    assert "\u2212 The victim is a minor (under 18) [status.minor_victim]" in out.output
    data = json.loads(runner.invoke(app, ["flips", str(path), "-f", "json",
                                          "--fact", "investigation.decoy"]).output)
    assert [(f["fact"], f["after"]) for f in data["flips"]] == [("investigation.decoy", True)]


def test_cli_flips_of_a_bad_fact_exits_1(tmp_path: Path) -> None:
    """dmst flips --fact with a misspelt fact exits 1 with a suggestion."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["flips", str(path), "--fact", "victim.agee"])
    assert out.exit_code == 1
    assert "did you mean 'victim.age'" in out.output


def test_cli_diff_and_flips_markdown(tmp_path: Path) -> None:
    """--format markdown gives a table of changes for diff and a section per change for flips."""
    a = write(tmp_path, "a", PIMP)
    b = write(tmp_path, "b", changed(PIMP, "victim.age", 18))
    out = runner.invoke(app, ["diff", str(a), str(b), "-f", "markdown"])
    assert out.exit_code == 0, out.output
    assert "| `victim.age` | 15 | 18 |" in out.output
    assert "| The victim is a minor (under 18) | no longer applies |" in out.output
    out = runner.invoke(app, ["flips", str(a), "-f", "markdown", "--fact", "victim.age"])
    assert out.exit_code == 0, out.output
    assert "## `victim.age`: 15 \u2192 18 (across 18)" in out.output
