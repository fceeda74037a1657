"""What-if: the diff of two scenarios and single-fact changes (flips), library and command line."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dmst import Engine, FactError, InputError, Result, load_case_file
from dmst.cli import app
from dmst.engine._firings import Status
from dmst.engine.whatif import (
    FLIP_FACTS,
    ConclusionState,
    diff,
    facts_bearing_on,
    flips,
)
from dmst.report import render

from .conftest import PIMP, TWO_VICTIMS, words, write

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
        return ConclusionState(status=c.status, certainty=c.certainty,
                               applies_to=c.applies_to, modality=c.modality)
    for u in result.undetermined:
        if u.id == cid:
            return ConclusionState(status=u.status, applies_to=u.applies_to)
    return ConclusionState(status=Status.DOES_NOT_APPLY)


def case_facts(path: Path) -> dict[str, Any]:
    """The facts of a case file as a plain mapping (to change one fact of one person)."""
    return load_case_file(path).facts.model_dump(mode="json", exclude_none=True)


# --- diff --------------------------------------------------------------------------------------


def test_a_younger_victim_adds_enticing_because_of_the_age(engine: Engine) -> None:
    """At 13, with enticing known, enticing a child appears, caused by the age; a fact that bears
    on nothing about it is not given as its cause."""
    a = changed(PIMP, "accused.conduct.enticed_for_commercial_sex", True)
    b = changed(changed(a, "victim.age", 13), "investigation.wiretap_sought", True)
    d = diff(engine, a, b)
    assert [f.fact for f in d.facts] == ["investigation.wiretap_sought", "victim.age"]
    [enticing] = [c for c in d.changes if c.id == "charge.enticing_child"]
    assert enticing.change == "appears"
    assert (enticing.before.status, enticing.after.status) == (Status.DOES_NOT_APPLY,
                                                               Status.APPLIES)
    assert [f.fact for f in enticing.because] == ["victim.age"]
    assert (enticing.because[0].before, enticing.because[0].after) == (15, 13)
    assert "charge.enticing_child" in d.appeared()


def test_a_consequence_that_gains_a_charge_changes_applies_to(engine: Engine) -> None:
    """Asset forfeiture stays, but attaches to one more charge once enticing applies."""
    a = changed(PIMP, "accused.conduct.enticed_for_commercial_sex", True)
    d = diff(engine, a, changed(a, "victim.age", 13))
    [forfeiture] = [c for c in d.changes if c.id == "consequence.trafficker.asset_forfeiture"]
    assert forfeiture.change == "changes" and forfeiture.differences == ["applies_to"]
    added = set(forfeiture.after.applies_to) - set(forfeiture.before.applies_to)
    assert added == {"charge.enticing_child"}


def test_an_adult_victim_removes_the_minor_status(engine: Engine) -> None:
    """At 18 the victim is no longer a minor: the status and the trafficking charge disappear."""
    d = diff(engine, PIMP, changed(PIMP, "victim.age", 18))
    assert {"status.minor_victim", "charge.human_trafficking"} <= set(d.disappeared())
    assert not d.appeared()


def test_a_fact_becoming_known_can_settle_an_undetermined_conclusion(engine: Engine) -> None:
    """Saying the accused is not the victim's parent takes parental rights off the undetermined
    list."""
    d = diff(engine, PIMP, changed(PIMP, "accused.is_victims_parent", False))
    by_id = {c.id: c for c in d.changes}
    delta = by_id["consequence.parental_rights.human_trafficking"]
    assert delta.change == "no_longer_undetermined"
    assert (delta.before.status, delta.after.status) == (Status.UNDETERMINED,
                                                         Status.DOES_NOT_APPLY)
    assert [f.fact for f in delta.because] == ["accused.is_victims_parent"]
    assert delta.because[0].before is None


def test_a_decoy_makes_an_offense_source_silent(engine: Engine) -> None:
    """With a decoy instead of a real child, promoting prostitution no longer applies: the source
    is silent on it, and the diff says it went from applying to source-silent."""
    d = diff(engine, PIMP, changed(PIMP, "investigation.decoy", True))
    [promoting] = [c for c in d.changes if c.id == "charge.promoting_prostitution"]
    assert promoting.change == "disappears"
    assert (promoting.before.status, promoting.after.status) == (Status.APPLIES,
                                                                 Status.SOURCE_SILENT)
    assert [f.fact for f in promoting.because] == ["investigation.decoy"]
    assert "charge.human_trafficking" not in d.disappeared()  # a decoy is no defense to it


def test_the_same_scenario_has_no_diff(engine: Engine) -> None:
    """A scenario compared with itself changes nothing."""
    d = diff(engine, PIMP, PIMP)
    assert d.facts == [] and d.changes == []


def test_diff_of_two_cases_goes_pair_by_pair(engine: Engine) -> None:
    """Two cases are compared pair by pair: making the second victim 14 removes enticing for
    that pair only, and each change names its accused and victim."""
    a = case_facts(TWO_VICTIMS)
    b = copy.deepcopy(a)
    b["victims"][1]["age"] = 14
    d = diff(engine, a, b)
    assert [(f.fact, f.before, f.after) for f in d.facts] == [("victim.age", 12, 14)]
    assert d.changes and {(c.accused, c.victim) for c in d.changes} == {("A1", "V2")}
    [enticing] = [c for c in d.changes if c.id == "charge.enticing_child"]
    assert enticing.change == "disappears"
    assert [f.fact for f in enticing.because] == ["victim.age"]
    ra, rb = engine.evaluate(a), engine.evaluate(b)
    assert ra.pair("A1", "V1").conclusion("charge.enticing_child") is None
    assert rb.pair("A1", "V2").conclusion("charge.enticing_child") is None
    assert ra.pair("A1", "V2").conclusion("charge.enticing_child") is not None


_AGES = st.one_of(st.none(), st.integers(min_value=10, max_value=19),
                  st.builds(lambda lo, span: {"min": lo, "max": lo + span},
                            st.integers(10, 18), st.integers(1, 3)))
_BOOL = st.one_of(st.none(), st.booleans())


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Partial scenarios over the facts the rules use most (ages whole or as ranges)."""
    def some(**items: Any) -> dict[str, Any]:
        return {k: v for k, v in items.items() if v is not None}

    roles = draw(st.one_of(st.none(), st.lists(
        st.sampled_from(["trafficker", "buyer", "facilitator"]), unique=True, max_size=2)))
    conduct = {k: draw(_BOOL) for k in (
        "trafficked_for_sex", "promoted_prostitution", "enticed_for_commercial_sex",
        "bought_commercial_sex", "used_internet", "caused_sexual_conduct_for_images")}
    control = draw(_BOOL)
    if control is False and (conduct["trafficked_for_sex"] or (
            conduct["promoted_prostitution"] and "trafficker" in (roles or ()))):
        control = None  # whoever traffics a child controls her: the model refuses both at once
    return {
        "victim": some(age=draw(_AGES), engaged_in_commercial_sex=draw(_BOOL),
                       third_party_control=control),
        "accused": some(roles=roles, conduct=some(**conduct), street_gang=draw(_BOOL)),
        "investigation": some(decoy=draw(_BOOL)),
    }


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=scenarios(), b=scenarios())
def test_every_change_has_a_cause_and_reverting_it_restores_the_conclusion(
        engine: Engine, a: dict[str, Any], b: dict[str, Any]) -> None:
    """Each changed conclusion names facts that differ; putting those facts back as they were in
    A gives the conclusion its standing in A again."""
    ra, rb = engine.evaluate(a), engine.evaluate(b)
    d = diff(engine, a, b)
    reverts: dict[tuple[str, ...], Result] = {}
    for delta in d.changes:
        assert delta.because, f"{delta.id} changed with no cause"
        assert delta.before == state(ra, delta.id)
        assert delta.after == state(rb, delta.id)
        key = tuple(f.fact for f in delta.because)
        if key not in reverts:
            reverted = b
            for f in delta.because:
                reverted = changed(reverted, f.fact, f.before)
            try:
                reverts[key] = engine.evaluate(reverted)
            except FactError:  # a mix of two cases can contradict itself: nothing to revert to
                continue
        assert state(reverts[key], delta.id) == delta.before, delta.id


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
    """Promoting prostitution (a charge of no particular role) tests its own conduct fact and,
    through the minor status, the age and the decoy; nothing about the accused's role."""
    bearing = facts_bearing_on(engine.rulebook, "charge.promoting_prostitution")
    assert {"accused.conduct.promoted_prostitution", "victim.age",
            "investigation.decoy"} <= bearing
    assert "victim.third_party_control" not in bearing
    assert "accused.roles" not in bearing
    assert "accused.roles" in facts_bearing_on(engine.rulebook,
                                               "charge.buyer.human_trafficking")


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


def test_an_age_range_is_tried_on_both_sides_of_each_threshold(engine: Engine) -> None:
    """An age known only as a range (15 to 16) is tried as whole ages on each side of every
    threshold, from the range as it was."""
    facts = changed(PIMP, "victim.age", {"min": 15, "max": 16})
    report = flips(engine, facts, ["victim.age"])
    assert report.flips and all(f.before == {"min": 15, "max": 16} for f in report.flips)
    values = [f.after for f in report.flips]
    for t in engine.rulebook.thresholds()["victim.age"]:
        assert any(v < t for v in values) and any(v >= t for v in values)


def test_each_flip_is_the_diff_of_the_changed_scenario(engine: Engine) -> None:
    """Every tried change reports exactly what diffing the scenario with that one change gives."""
    report = flips(engine, PIMP)
    assert {f.fact for f in report.flips} == set(FLIP_FACTS)
    for f in report.flips:
        if (f.fact, f.after) == ("victim.third_party_control", False):
            # the stock trafficker traffics her: "no third party's control" contradicts that
            assert f.skipped and "third party" in f.skipped and not f.changes
            continue
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
    """Internet use is unknown: true adds computer luring, false settles it (when advertising
    the victim online, the source's other open route to it, is known not to have happened)."""
    facts = changed(PIMP, "accused.conduct.advertised_victim_online", False)
    report = flips(engine, facts, ["accused.conduct.used_internet"])
    by_value = {f.after: f for f in report.flips}
    assert set(by_value) == {True, False}
    assert "charge.computer_luring" in [
        c.id for c in by_value[True].changes if c.change == "appears"]
    assert [c.change for c in by_value[False].changes
            if c.id == "charge.computer_luring"] == ["no_longer_undetermined"]


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


def test_flips_of_a_pair_of_a_case_change_that_pair_only(engine: Engine) -> None:
    """In a case, flips change the named victim's fact: V2 at 14 loses enticing, as diffing the
    case with that one change says for that pair; V1 is not touched."""
    facts = case_facts(TWO_VICTIMS)
    with pytest.raises(InputError, match="several pairs match"):
        flips(engine, facts, ["victim.age"])
    report = flips(engine, facts, ["victim.age"], accused="A1", victim="V2")
    assert (report.accused, report.victim) == ("A1", "V2")
    assert report.facts["victim.age"] == 12
    [at_14] = [f for f in report.flips if f.after == 14]
    assert "charge.enticing_child" in [c.id for c in at_14.changes if c.change == "disappears"]
    other = copy.deepcopy(facts)
    other["victims"][1]["age"] = 14
    expected = [c for c in diff(engine, facts, other).changes
                if (c.accused, c.victim) == ("A1", "V2")]
    assert [c.model_copy(update={"accused": "A1", "victim": "V2"}) for c in at_14.changes] \
        == expected


# --- the words of diffs and flips ----------------------------------------------------------------


def test_a_may_apply_conclusion_that_appears_is_said_to_now_may_apply(engine: Engine) -> None:
    """A conclusion that appears as 'may apply' is reported in those words, never as 'now
    applies' (the words evaluate uses for it)."""
    buyer = {"victim": PIMP["victim"], "investigation": {"decoy": False},
             "accused": {"roles": ["buyer"], "conduct": {"bought_commercial_sex": True}}}
    d = diff(engine, {"victim": PIMP["victim"]}, buyer)
    may = [c for c in d.changes if c.change == "appears" and c.after.status is Status.MAY_APPLY]
    assert may
    text = words(render(d))
    for c in may:
        assert f"{c.title} \u2014 now may apply" in text
        assert f"{c.title} \u2014 now applies" not in text


def test_a_may_apply_conclusion_that_disappears_says_may_apply(engine: Engine) -> None:
    """Racketeering may apply to the pimp; when the victim is 18 the diff says it no longer may
    apply, not that it 'no longer applies'."""
    d = diff(engine, PIMP, changed(PIMP, "victim.age", 18))
    [racketeering] = [c for c in d.changes if c.id == "charge.racketeering"]
    assert racketeering.before.status is Status.MAY_APPLY
    line = next(line for line in render(d).splitlines() if "Racketeering" in line)
    assert "may apply" in line


def test_a_conclusion_that_does_not_apply_is_never_marked_as_applying(engine: Engine) -> None:
    """In a diff, the parental-rights ground settled as not applying carries no \u2713."""
    d = diff(engine, PIMP, changed(PIMP, "accused.is_victims_parent", False))
    lines = [line for line in render(d, format="markdown").splitlines()
             if "does not apply" in line]
    assert lines
    for line in lines:
        assert not line.lstrip().startswith("- \u2713"), line


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
    text = words(out.output)
    assert "victim.third_party_control: yes \u2192 no" in text
    # with no third party's control, and no accused in the case, she is no trafficking victim
    assert ("\u2212 The victim is a child sex trafficking victim \u2014 no longer applies "
            "(status.trafficking_victim)") in text
    assert "because victim.third_party_control yes \u2192 no" in text


def test_cli_diff_json_is_the_library_diff(tmp_path: Path, engine: Engine) -> None:
    """dmst diff --format json prints the model diff() returns."""
    b_facts = changed(PIMP, "victim.age", 13)
    a, b = write(tmp_path, "a", PIMP), write(tmp_path, "b", b_facts)
    out = runner.invoke(app, ["diff", str(a), str(b), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == diff(engine, PIMP, b_facts).model_dump(mode="json")


def test_cli_diff_of_two_case_files(tmp_path: Path) -> None:
    """dmst diff of two case files names the pair of each change."""
    b = copy.deepcopy(yaml.safe_load(TWO_VICTIMS.read_text(encoding="utf-8")))
    b["facts"]["victims"][1]["age"] = 14
    b_path = tmp_path / "b.yaml"
    b_path.write_text(yaml.safe_dump(b), encoding="utf-8")
    out = runner.invoke(app, ["diff", str(TWO_VICTIMS), str(b_path)])
    assert out.exit_code == 0, out.output
    text = words(out.output)
    assert ("\u2212 Enticing a child under 14 for commercial sex [accused A1, victim V2] \u2014 "
            "no longer applies") in text
    assert "victim V1]" not in text


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
    assert out.output.startswith("What-if: Pimp\n")
    text = words(out.output)
    assert "victim.age: 15 \u2192 18 (across 18)" in text
    assert ("\u2212 The victim is a minor (under 18) \u2014 no longer applies "
            "(status.minor_victim)") in text
    data = json.loads(runner.invoke(app, ["flips", str(path), "-f", "json",
                                          "--fact", "investigation.decoy"]).output)
    assert [(f["fact"], f["after"]) for f in data["flips"]] == [("investigation.decoy", True)]


def test_cli_flips_of_a_pair_of_a_case_file() -> None:
    """dmst flips --accused --victim on a case file changes that victim's facts and names the
    pair; without them it exits 1 listing the pairs."""
    out = runner.invoke(app, ["flips", str(TWO_VICTIMS), "--fact", "victim.age"])
    assert out.exit_code == 1 and "A1/V1, A1/V2" in out.output
    out = runner.invoke(app, ["flips", str(TWO_VICTIMS), "--fact", "victim.age",
                              "--accused", "A1", "--victim", "V2"])
    assert out.exit_code == 0, out.output
    text = words(out.output)
    assert "(accused A1, victim V2)" in text
    assert "victim.age: 12 \u2192 14 (across 14)" in text
    assert "\u2212 Enticing a child under 14 for commercial sex \u2014 no longer applies" in text


def test_cli_flips_of_a_bad_fact_exits_1(tmp_path: Path) -> None:
    """dmst flips --fact with a misspelt fact exits 1 with a suggestion."""
    path = write(tmp_path, "pimp", PIMP)
    out = runner.invoke(app, ["flips", str(path), "--fact", "victim.agee"])
    assert out.exit_code == 1
    assert "did you mean 'victim.age'" in out.output


def test_cli_diff_and_flips_markdown(tmp_path: Path) -> None:
    """--format markdown gives a section of differing facts and of changes for diff, and a
    section per change for flips, each rendering as headings and lists."""
    markdown_it = pytest.importorskip("markdown_it")
    a = write(tmp_path, "a", PIMP)
    b = write(tmp_path, "b", changed(PIMP, "victim.age", 18))
    out = runner.invoke(app, ["diff", str(a), str(b), "-f", "markdown"])
    assert out.exit_code == 0, out.output
    assert "## Facts that differ" in out.output and "## Conclusions that change" in out.output
    rendered = markdown_it.MarkdownIt("commonmark").render(out.output)
    assert "victim.age: 15 \u2192 18</li>" in rendered
    assert ("<li>\u2212 The victim is a minor (under 18) \u2014 no longer applies "
            "<code>status.minor_victim</code>") in rendered
    out = runner.invoke(app, ["flips", str(a), "-f", "markdown", "--fact", "victim.age"])
    assert out.exit_code == 0, out.output
    assert "## victim.age: 15 \u2192 18 (across 18)" in out.output
    rendered = markdown_it.MarkdownIt("commonmark").render(out.output)
    assert "<h2>victim.age: 15 \u2192 18 (across 18)</h2>" in rendered


def test_ids_given_for_a_single_scenario_are_refused(engine: Engine) -> None:
    """A single scenario's accused and victim have no ids: an id given to choose a pair is an
    error, never silently ignored."""
    with pytest.raises(InputError, match="no ids"):
        flips(engine, PIMP, ("investigation.decoy",), accused="A1")


def test_flips_and_diff_evaluate_strictly_when_asked(engine: Engine) -> None:
    """With presume=False nothing is presumed in either case: saying the child is real changes
    conclusions that, presumed, it would not."""
    silent = {k: v for k, v in PIMP.items() if k != "investigation"}
    real = {**silent, "investigation": {"decoy": False}}
    assert diff(engine, silent, real).changes == []
    assert diff(engine, silent, real, presume=False).changes != []

    def to_real(**kw: Any) -> list[Any]:
        report = flips(engine, silent, ("investigation.decoy",), **kw)
        return [f.changes for f in report.flips if f.after is False]

    assert to_real() == [[]]
    assert to_real(presume=False) != [[]]
