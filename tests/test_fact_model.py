"""The fact model's own limits, at their edges: an age is 0 to 120 (or a range within it), a date
is YYYY-MM-DD and an offense is not in the future (by the injectable clock), facts that cannot all
be true are refused and equal values are not, and the compensation filing delay is counted in
calendar months from the offense to the filing.

Each limit is tested on both sides: the last value accepted and the first refused, so a limit
moved by one (``<`` for ``<=``, a bound off by one) fails a test.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import pytest

from dmst import FactError, load_rulebook
from dmst.engine._prepare import effective_facts
from dmst.facts.clock import fixed_today, today
from dmst.facts.load import case_from_data
from dmst.facts.model import MAX_AGE, Case, Conduct, Role, Scenario, age_bounds
from dmst.facts.paths import FACTS, flatten, months_between
from dmst.rules import FactAtom

RULEBOOK = load_rulebook()
DELAY = next(iter(RULEBOOK.meta.computed))
START, FILED = RULEBOOK.meta.computed[DELAY].args
#: The periods (months) the rules compare the filing delay with: 3 years, and 4 with good cause.
PERIODS = sorted({a.value for r in RULEBOOK.rules for alt in r.alternatives for a in alt
                  if isinstance(a, FactAtom) and a.path == DELAY})
LOW, HIGH = int(FACTS["victim.age"].minimum or 0), int(FACTS["victim.age"].maximum or 0)
AGES = ("age", "age_at_testimony")
#: Conduct that means a third party controls the child: trafficking her, aiding or abetting her
#: trafficking, profiting from it (and promoting her prostitution as her trafficker).
CONTROLLING_CONDUCT = ("trafficked_for_sex", "aided_or_abetted_trafficking",
                       "financially_benefited_from_trafficking")
CONTROL_MESSAGE = (
    "{v}.third_party_control is false, but {a}.conduct.{c} is true: whoever traffics a child "
    "(or aids or profits from her trafficking, or promotes her prostitution as her trafficker) "
    "is a third party who controls her, or works with one; correct one of them"
)


def facts(data: dict[str, Any]) -> Scenario | Case:
    """The facts of ``data`` as the fact model reads them."""
    return case_from_data(data).facts


def problems(data: dict[str, Any]) -> list[tuple[str | None, str]]:
    """The (field, message) of every problem the fact model finds in ``data``."""
    with pytest.raises(FactError) as err:
        case_from_data(data)
    return [(p.field, p.message) for p in err.value.problems]


def one_problem(data: dict[str, Any]) -> tuple[str | None, str]:
    found = problems(data)
    assert len(found) == 1, found
    return found[0]


def _days(day: str, n: int) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=n)).isoformat()


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the last day of that month where it is shorter."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


# --- ages -----------------------------------------------------------------------------------------


def test_the_model_states_the_age_limits() -> None:
    """An age is 0 to 120 years, both inclusive, as the fact table says."""
    assert (LOW, HIGH) == (0, MAX_AGE) == (0, 120)
    assert (FACTS["victim.age_at_testimony"].minimum,
            FACTS["victim.age_at_testimony"].maximum) == (LOW, HIGH)


@pytest.mark.parametrize("field", AGES)
@pytest.mark.parametrize("value", [LOW, HIGH])
def test_an_age_at_either_limit_is_accepted(field: str, value: int) -> None:
    """0 and 120 are ages: both limits are inclusive."""
    assert getattr(facts({"victim": {field: value}}).victim, field) == value


@pytest.mark.parametrize("field", AGES)
@pytest.mark.parametrize(("value", "message"), [(LOW - 1, f"must be at least {LOW}, not -1"),
                                                (HIGH + 1, f"must be at most {HIGH}, not 121")])
def test_an_age_one_beyond_a_limit_is_refused(field: str, value: int, message: str) -> None:
    """-1 and 121 are refused, each with the limit it breaks."""
    assert one_problem({"victim": {field: value}}) == (f"facts.victim.{field}", message)


@pytest.mark.parametrize("field", AGES)
def test_a_range_may_reach_both_limits(field: str) -> None:
    """A range's bounds are ages: 0 and 120 are accepted, and lowest/highest say so."""
    age = getattr(facts({"victim": {field: {"min": LOW, "max": HIGH}}}).victim, field)
    assert age_bounds(age) == (LOW, HIGH)


@pytest.mark.parametrize("field", AGES)
@pytest.mark.parametrize(("bound", "value", "message"), [
    ("min", LOW - 1, f"must be at least {LOW}, not -1"),
    ("max", HIGH + 1, f"must be at most {HIGH}, not 121"),
])
def test_a_range_bound_one_beyond_a_limit_is_refused(field: str, bound: str, value: int,
                                                     message: str) -> None:
    """A range bound beyond the limits is refused, naming the bound."""
    assert one_problem({"victim": {field: {bound: value}}}) == (
        f"facts.victim.{field}.{bound}", message)


def test_a_range_whose_min_is_above_its_max_is_refused() -> None:
    """min must not exceed max: one above is refused, naming min and both values."""
    assert one_problem({"victim": {"age": {"min": 16, "max": 15}}}) == (
        "facts.victim.age.min", "min (16) is greater than max (15)")


def test_a_range_whose_min_equals_its_max_is_accepted() -> None:
    """A range of one year is an age known exactly."""
    assert age_bounds(facts({"victim": {"age": {"min": 15, "max": 15}}}).victim.age) == (15, 15)


def test_a_range_with_only_a_maximum_is_accepted() -> None:
    """``{max: 17}`` is "a minor": from the lowest age to 17."""
    victim = facts({"victim": {"age": {"max": 17}}}).victim
    assert age_bounds(victim.age) == (LOW, 17)
    assert flatten(facts({"victim": {"age": {"max": 17}}}))["victim.age"] == {"max": 17}


def test_a_range_with_neither_bound_is_refused() -> None:
    """An empty range says nothing: an unknown age is left out instead."""
    assert one_problem({"victim": {"age": {}}}) == (
        "facts.victim.age.min", "give min, max or both (an unknown age is left out entirely)")


# --- dates ----------------------------------------------------------------------------------------

DATE_FIELDS = (("dates", "offense"), ("compensation", "claim_filed"))


@pytest.mark.parametrize(("group", "field"), DATE_FIELDS)
@pytest.mark.parametrize("text", ["2018-05-14", "2020-02-29", "2018-12-31", "2018-01-01"])
def test_a_yyyy_mm_dd_date_is_read(group: str, field: str, text: str) -> None:
    """YYYY-MM-DD is a date, a leap day included."""
    read = getattr(getattr(facts({group: {field: text}}), group), field)
    assert read == dt.date.fromisoformat(text)


@pytest.mark.parametrize(("group", "field"), DATE_FIELDS)
@pytest.mark.parametrize("text", [
    "20180514",             # ISO 8601 basic form
    "2018-W20-1",           # ISO week date (ten characters, like YYYY-MM-DD)
    "2018-135",             # ISO ordinal date
    "2018-5-14",            # no leading zero
    "2018-05-14T00:00",     # a date and time as text
    "14/05/2018",           # another order
    " 2018-05-14",          # a space before
    "2019-02-29",           # not a day of the calendar (no leap year)
    "2018-05-\u0661\u0664",  # digits other than 0-9
])
def test_only_yyyy_mm_dd_is_read_as_a_date(group: str, field: str, text: str) -> None:
    """Every other spelling is refused, naming the form to use."""
    assert one_problem({group: {field: text}}) == (
        f"facts.{group}.{field}", f"{text!r} is not a date; write it as YYYY-MM-DD")


@pytest.mark.parametrize(("group", "field"), DATE_FIELDS)
def test_a_date_and_time_is_refused(group: str, field: str) -> None:
    """A datetime (what a YAML timestamp with a time reads as) is refused as such."""
    assert one_problem({group: {field: dt.datetime(2018, 5, 14, 10, 30)}}) == (
        f"facts.{group}.{field}", "give a date (YYYY-MM-DD), not a date and time")


@pytest.mark.parametrize("day", [dt.date(2020, 6, 1), dt.date(2999, 12, 31)])
def test_an_offense_dated_today_is_accepted_and_tomorrow_refused(day: dt.date) -> None:
    """Today is not in the future; tomorrow is. "Today" is the clock's (facts/clock.py), here
    fixed: a past day (tomorrow is then in the past by the real date) and a day far ahead (today
    is then in the future by the real date), so the real date cannot decide."""
    with fixed_today(day):
        assert today() == day
        assert facts({"dates": {"offense": day.isoformat()}}).dates.offense == day
        tomorrow = day + dt.timedelta(days=1)
        assert one_problem({"dates": {"offense": tomorrow.isoformat()}}) == (
            "facts.dates.offense",
            f"{tomorrow.isoformat()} is in the future; give the date the offense happened")
    assert today() == dt.date.today()


# --- facts that cannot all be true ----------------------------------------------------------------


def test_testimony_at_the_age_of_the_offense_is_accepted_and_younger_refused() -> None:
    """A victim may testify at the age they were at the offense; a year younger is refused,
    naming both facts."""
    same = facts({"victim": {"age": 15, "age_at_testimony": 15}}).victim
    assert (same.age, same.age_at_testimony) == (15, 15)
    assert one_problem({"victim": {"age": 15, "age_at_testimony": 14}}) == (
        "facts.victim.age_at_testimony",
        "victim.age_at_testimony (14) is less than victim.age (15): a victim cannot testify "
        "before the offense; correct one of them")


def test_testimony_ranges_are_refused_only_when_wholly_below_the_offense_age() -> None:
    """With ranges, testimony is impossible only when its highest age is below the lowest age
    at the offense: equal is accepted, one below refused."""
    victim = facts({"victim": {"age": {"min": 15, "max": 16},
                               "age_at_testimony": {"max": 15}}}).victim
    assert age_bounds(victim.age_at_testimony) == (LOW, 15)
    field, message = one_problem({"victim": {"age": {"min": 15, "max": 16},
                                             "age_at_testimony": {"max": 14}}})
    assert field == "facts.victim.age_at_testimony"
    assert message.startswith("victim.age_at_testimony (")
    assert message.endswith("is less than victim.age (15\u201316): a victim cannot testify "
                            "before the offense; correct one of them")


def test_testimony_younger_than_the_offense_is_refused_in_a_case() -> None:
    """In a case of several people the field names the victim."""
    ok = facts({"victims": [{"id": "V1", "age": 15, "age_at_testimony": 15}]})
    assert isinstance(ok, Case)
    field, message = one_problem({"victims": [{"id": "V1", "age": 15, "age_at_testimony": 14}]})
    assert field == "facts.victims.0.age_at_testimony"
    assert "age_at_testimony (14) is less than" in message


def test_a_claim_filed_on_the_day_of_the_offense_is_accepted_and_earlier_refused() -> None:
    """A compensation claim may be filed the day of the offense; a day earlier is refused,
    naming both facts."""
    same = facts({"dates": {"offense": "2018-05-14"},
                  "compensation": {"claim_filed": "2018-05-14"}})
    assert same.compensation.claim_filed == same.dates.offense
    assert one_problem({"dates": {"offense": "2018-05-14"},
                        "compensation": {"claim_filed": "2018-05-13"}}) == (
        "facts.compensation.claim_filed",
        "compensation.claim_filed (2018-05-13) is before dates.offense (2018-05-14): a claim "
        "cannot be filed before the crime; correct one of them")


def test_a_claim_filed_before_the_offense_is_refused_in_a_case() -> None:
    """In a case, each victim's own claim is checked against the case's offense date."""
    facts({"dates": {"offense": "2018-05-14"},
           "victims": [{"id": "V1", "compensation": {"claim_filed": "2018-05-14"}}]})
    field, message = one_problem({
        "dates": {"offense": "2018-05-14"},
        "victims": [{"id": "V1", "compensation": {"claim_filed": "2018-05-13"}}]})
    assert message.startswith(
        "victims.0.compensation.claim_filed (2018-05-13) is before dates.offense")
    assert field is not None and field.endswith("compensation.claim_filed")


def test_a_claim_filed_before_the_offense_in_a_case_names_the_victims_claim() -> None:
    """The field of a case's refused claim is the victim's own (victims.0.compensation...)."""
    field, _ = one_problem({
        "dates": {"offense": "2018-05-14"},
        "victims": [{"id": "V1", "compensation": {"claim_filed": "2018-05-13"}}]})
    assert field == "facts.victims.0.compensation.claim_filed"


@pytest.mark.parametrize("conduct", CONTROLLING_CONDUCT)
def test_no_third_party_control_beside_trafficking_conduct_is_refused(conduct: str) -> None:
    """Whoever traffics a child (or aids or profits from her trafficking) controls her:
    "no third party's control" beside that conduct is refused, naming both facts."""
    data = {"victim": {"third_party_control": False}, "accused": {"conduct": {conduct: True}}}
    assert one_problem(data) == ("facts.victim.third_party_control", CONTROL_MESSAGE.format(
        v="victim", a="accused", c=conduct))


@pytest.mark.parametrize("conduct", CONTROLLING_CONDUCT)
@pytest.mark.parametrize(("control", "done"), [(True, True), (None, True), (False, False),
                                               (False, None)])
def test_control_and_conduct_that_can_both_be_true_are_accepted(
        conduct: str, control: bool | None, done: bool | None) -> None:
    """Control given or unknown beside the conduct, or no control beside conduct not done or
    unknown: nothing contradicts."""
    victim = {} if control is None else {"third_party_control": control}
    conduct_facts = {} if done is None else {conduct: done}
    scenario = facts({"victim": victim, "accused": {"conduct": conduct_facts}})
    assert scenario.victim.third_party_control is control


def test_other_conduct_beside_no_third_party_control_is_accepted() -> None:
    """Buying, enticing, making or selling images, luring online and the rest do not mean a third
    party controls the child (a buyer of survival sex is no third party): all of it at once
    stands beside "no third party's control"."""
    others = [c for c in Conduct.model_fields
              if c not in CONTROLLING_CONDUCT and c != "promoted_prostitution"]
    assert len(others) > 5
    scenario = facts({"victim": {"third_party_control": False},
                      "accused": {"roles": [r.value for r in Role],
                                  "conduct": dict.fromkeys(others, True)}})
    assert scenario.victim.third_party_control is False


def test_the_first_controlling_conduct_is_named() -> None:
    """With several controlling conducts, the first of the list is the one named."""
    data = {"victim": {"third_party_control": False},
            "accused": {"conduct": {c: True for c in reversed(CONTROLLING_CONDUCT)}}}
    assert one_problem(data)[1] == CONTROL_MESSAGE.format(v="victim", a="accused",
                                                          c=CONTROLLING_CONDUCT[0])


@pytest.mark.parametrize(("roles", "refused"), [
    (["trafficker"], True),
    (["buyer", "trafficker"], True),
    (["buyer"], False),
    (["facilitator"], False),
    (None, False),
])
def test_promoting_prostitution_contradicts_no_control_only_for_a_trafficker(
        roles: list[str] | None, refused: bool) -> None:
    """Promoting a child's prostitution means a third party controls her when the promoter is her
    trafficker; a buyer or facilitator who promotes it, or a promoter of unknown role, does
    not contradict "no third party's control"."""
    accused: dict[str, Any] = {"conduct": {"promoted_prostitution": True}}
    if roles is not None:
        accused["roles"] = roles
    data = {"victim": {"third_party_control": False}, "accused": accused}
    if refused:
        assert one_problem(data) == ("facts.victim.third_party_control", CONTROL_MESSAGE.format(
            v="victim", a="accused", c="promoted_prostitution"))
    else:
        assert facts(data).accused.conduct.promoted_prostitution is True


def test_control_is_checked_for_each_pair_of_a_case() -> None:
    """In a case, an accused's conduct contradicts only the victims it concerns, and the message
    names the victim and the accused by position."""
    data: dict[str, Any] = {
        "victims": [{"id": "V1"}, {"id": "V2", "third_party_control": False}],
        "accused": [{"id": "A1", "victims": ["V1"], "conduct": {"trafficked_for_sex": True}}],
    }
    assert isinstance(facts(data), Case)
    data["accused"][0]["victims"] = ["V1", "V2"]
    assert one_problem(data) == ("facts.victims.1.third_party_control", CONTROL_MESSAGE.format(
        v="victims.1", a="accused.0", c="trafficked_for_sex"))


def test_each_role_once_is_accepted() -> None:
    """Every role, each once, is a list of roles."""
    everyone = [r.value for r in Role]
    assert [r.value for r in facts({"accused": {"roles": everyone}}).accused.roles] == everyone


def test_only_the_role_given_twice_is_named() -> None:
    """A role listed twice is named alone, not the roles listed once beside it."""
    assert one_problem({"accused": {"roles": ["trafficker", "buyer", "buyer"]}}) == (
        "facts.accused.roles", "lists 'buyer' more than once; give each item once")


@pytest.mark.parametrize(("path", "item", "what"), [
    (("accused", "convicted_of"), "human_trafficking", "item"),
    (("accused", "charged_with"), "human_trafficking", "item"),
    (("victim", "charged_with"), "prostitution", "offense"),
])
def test_an_offense_listed_twice_is_refused(path: tuple[str, str], item: str,
                                            what: str) -> None:
    """Lists of offenses name each offense once."""
    group, field = path
    assert one_problem({group: {field: [item, item]}}) == (
        f"facts.{group}.{field}", f"lists '{item}' more than once; give each {what} once")


# --- the compensation filing delay ----------------------------------------------------------------


def delay(offense: str, filed: str) -> float:
    """The filing delay as the rules read it, from the two dates given."""
    scenario = facts({START: offense, FILED: filed})  # dotted paths, as a result names them
    assert isinstance(scenario, Scenario)
    effective, _ = effective_facts(RULEBOOK, flatten(scenario), presume=False)
    return float(effective[DELAY])


def test_the_rules_compare_the_delay_with_3_and_4_years() -> None:
    """The filing delay is computed from the offense and the filing dates, and compared with
    36 months (3 years) and 48 (3 years and the 1-year extension)."""
    assert (START, FILED) == ("dates.offense", "compensation.claim_filed")
    assert PERIODS == [36, 48]


@pytest.mark.parametrize("months", PERIODS)
@pytest.mark.parametrize("offense", ["2018-01-15", "2017-12-15", "2018-03-01", "2016-02-28"])
def test_the_filing_delay_is_the_period_on_its_anniversary(months: int, offense: str) -> None:
    """A claim filed on the anniversary is exactly the period late: neither more nor less, so a
    rule "within 36 months" (``le``) holds and "more than 36" (``gt``) does not."""
    filed = _add_months(dt.date.fromisoformat(offense), months).isoformat()
    assert delay(offense, filed) == months
    assert months - 1 < delay(offense, _days(filed, -1)) < months
    assert months < delay(offense, _days(filed, 1)) < months + 1


@pytest.mark.parametrize(("offense", "filed", "months"), [
    ("2018-01-15", "2021-01-15", 36.0),
    ("2018-01-15", "2021-01-16", 36.0312),     # 36 months and 1 day: 1/32 of a month, rounded
    ("2018-01-15", "2021-01-14", 35.9375),     # 35 months and 30 days
    ("2018-01-15", "2022-01-15", 48.0),
    ("2018-01-15", "2022-01-16", 48.0312),
    ("2018-01-15", "2022-01-14", 47.9375),
    ("2017-12-15", "2021-01-14", 36.9375),     # across the turn of a year
    ("2018-05-31", "2021-07-01", 37.0312),     # from the 31st: June 30 is the 37th anniversary
    ("2018-01-31", "2021-01-31", 36.0),
    ("2018-05-14", "2018-05-14", 0.0),         # filed the day of the offense
])
def test_the_filing_delay_is_calendar_months_and_a_fraction_for_extra_days(
        offense: str, filed: str, months: float) -> None:
    """Whole calendar months from the offense to the filing, plus 1/32 of a month for each day
    past the last whole month, to four places."""
    assert delay(offense, filed) == months


@pytest.mark.parametrize("months", PERIODS)
def test_a_delay_is_within_the_period_exactly_up_to_the_anniversary(months: int) -> None:
    """For every offense date of a leap year and the next (month ends and February 29th
    included), the delay is at most the period exactly when the claim is filed on or before
    the anniversary (the last day of the month where it is shorter), and it grows with the
    filing date."""
    for n in range(2 * 366):
        start = dt.date(2016, 1, 1) + dt.timedelta(days=n)
        anniversary = _add_months(start, months)
        for k in (-2, -1, 0, 1, 2):
            end = anniversary + dt.timedelta(days=k)
            assert (months_between(start, end) <= months) == (k <= 0), (start, end)
        before = [months_between(start, anniversary + dt.timedelta(days=k)) for k in range(-3, 4)]
        assert before == sorted(set(before)), start


def test_the_filing_delay_is_unknown_without_both_dates() -> None:
    """With only one of the two dates the filing delay is an unknown fact, not zero."""
    for given in ({"dates": {"offense": "2018-01-15"}},
                  {"compensation": {"claim_filed": "2021-01-15"}}):
        scenario = facts(given)
        assert isinstance(scenario, Scenario)
        assert DELAY not in effective_facts(RULEBOOK, flatten(scenario), presume=False)[0]


# --- the size of a case ------------------------------------------------------------------------


def _victims(n: int) -> list[dict[str, Any]]:
    return [{"id": f"V{i}"} for i in range(n)]


def test_a_case_of_the_most_victims_and_accused_is_read_and_one_more_refused() -> None:
    """A case holds up to 20 victims and 50 accused (as the README says); one more of either is
    refused naming the list."""
    MAX_VICTIMS, MAX_ACCUSED = 20, 50  # noqa: N806 - the documented limits

    most = facts({"victims": _victims(MAX_VICTIMS),
                  "accused": [{"id": f"A{i}"} for i in range(MAX_ACCUSED)]})
    assert isinstance(most, Case)
    assert (len(most.victims), len(most.accused)) == (MAX_VICTIMS, MAX_ACCUSED)
    field, _ = one_problem({"victims": _victims(MAX_VICTIMS + 1)})
    assert field == "facts.victims"
    field, _ = one_problem({"victims": _victims(1),
                            "accused": [{"id": f"A{i}"} for i in range(MAX_ACCUSED + 1)]})
    assert field == "facts.accused"
    field, _ = one_problem({"victims": _victims(2),
                            "accused": [{"id": "A1", "victims": ["V0"] * 2}]})
    assert field is not None and field.startswith("facts.accused.0.victims")


def test_an_empty_list_of_victims_is_refused_with_what_to_write_instead() -> None:
    """A case with no victim, or an accused whose conduct concerns no victim, is refused: the
    first needs a victim; the second means every victim when 'victims' is left out."""
    field, message = one_problem({"victims": []})
    assert field == "facts.victims" and "a case needs at least one" in message
    field, message = one_problem({"victims": _victims(1), "accused": [{"id": "A1", "victims": []}]})
    assert field == "facts.accused.0.victims"
    assert "leave 'victims' out to mean every victim" in message


def test_the_schema_says_a_list_of_victims_holds_at_least_one() -> None:
    """The published JSON Schema says what the model enforces: a case's victims, and an
    accused's list of victims where given, hold at least one item."""
    schema = Case.model_json_schema()
    assert schema["properties"]["victims"]["minItems"] == 1
    accused_victims = schema["$defs"]["CaseAccused"]["properties"]["victims"]
    arrays = [b for b in accused_victims.get("anyOf", [accused_victims]) if b.get("type") == "array"]
    assert arrays and all(b["minItems"] == 1 for b in arrays)
    assert all("minItems" not in b for b in accused_victims.get("anyOf", []) if b.get("type") != "array")


@pytest.mark.parametrize("good", ["V", "A" * 40, "buyer-2", "V1.b_3", "9"])
def test_an_id_of_1_to_40_letters_digits_and_marks_is_read(good: str) -> None:
    """An id is 1 to 40 letters, digits, '_', '.' or '-', starting with a letter or digit."""
    case = facts({"victims": [{"id": good}]})
    assert isinstance(case, Case) and case.victims[0].id == good


@pytest.mark.parametrize("bad", ["", "A" * 41, "-V1", "V 1", "V/1"])
def test_an_id_outside_that_is_refused(bad: str) -> None:
    """An empty id, one of 41 characters, or one starting with a mark or holding a space or a
    slash is refused, naming the id's field."""
    field, _ = one_problem({"victims": [{"id": bad}]})
    assert field == "facts.victims.0.id"


def test_the_schema_states_the_id_limits_the_model_enforces() -> None:
    """A form built from the published schema asks for ids of 1 to 40 characters, as the model
    reads them (the two tests before this one pin the model's side at both edges)."""
    defs = Case.model_json_schema()["$defs"]
    for person in ("CaseVictim", "CaseAccused"):
        id_ = defs[person]["properties"]["id"]
        assert (id_["minLength"], id_["maxLength"], id_["pattern"]) == (
            1, 40, "^[A-Za-z0-9][A-Za-z0-9_.-]*$"), person


def test_an_age_range_needs_a_bound_in_the_schema_too() -> None:
    """An age range with neither bound says nothing and is refused; the schema says so with
    at least one property."""
    field, _ = one_problem({"victim": {"age": {}}})
    assert field is not None and field.startswith("facts.victim.age")
    from dmst.facts.model import AgeRange

    assert AgeRange.model_json_schema()["minProperties"] == 1


def test_an_id_used_twice_in_a_case_is_refused_naming_the_second() -> None:
    """Two people with one id (two victims, or a victim and an accused) are refused at the
    second, naming where the first is."""
    field, message = one_problem({"victims": [{"id": "P1"}, {"id": "P1"}]})
    assert field == "facts.victims.1.id"
    assert "id 'P1' is used twice (victims.0 and victims.1)" in message
    field, message = one_problem({"victims": [{"id": "P1"}], "accused": [{"id": "P1"}]})
    assert field == "facts.accused.0.id" and "(victims.0 and accused.0)" in message


def test_an_accused_naming_a_victim_not_in_the_case_is_refused_with_the_closest() -> None:
    """An accused's list naming an unknown victim is refused at that entry, with the case's
    victims and the closest id where one is close."""
    field, message = one_problem({"victims": [{"id": "V1"}, {"id": "W9"}],
                                  "accused": [{"id": "A1", "victims": ["W9", "V11"]}]})
    assert field == "facts.accused.0.victims.1"
    assert "names victim 'V11', who is not among the case's victims (V1, W9)" in message
    assert "(did you mean 'V1'?)" in message
    _, message = one_problem({"victims": [{"id": "V1"}],
                              "accused": [{"id": "A1", "victims": ["qqqq"]}]})
    assert "did you mean" not in message


@pytest.mark.parametrize(("offense", "filed", "within"), [
    ("2017-12-31", "2020-12-30", True), ("2017-12-31", "2020-12-31", True),
    ("2017-12-31", "2021-01-01", False), ("2017-10-31", "2020-10-30", True),
    ("2017-10-31", "2020-10-31", True), ("2017-10-31", "2020-11-01", False),
    ("2016-02-29", "2019-02-28", True), ("2016-02-29", "2019-03-01", False),
])
def test_a_claim_from_a_month_end_is_within_3_years_up_to_the_anniversary(
        offense: str, filed: str, within: bool) -> None:
    """From an offense on the last day of a month, the 36 months end on the anniversary (or the
    month's last day, for 29 February); the day before counts through a shorter month."""
    from dmst.facts.paths import months_between

    months = months_between(dt.date.fromisoformat(offense), dt.date.fromisoformat(filed))
    assert (months <= 36) is within

