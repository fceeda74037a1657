"""The law as the report card states it (``tests/law/expectations.yaml``), written from the
source, not from the rulebook: each entry is a legal sentence, the passage it comes from, a
minimal case and what must follow. A rule changed in YAML alone fails one of them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from dmst import Engine, FactError
from dmst.engine.result import Status
from dmst.facts.clock import fixed_today

LAW = yaml.safe_load((Path(__file__).parent / "law" / "expectations.yaml").read_text("utf-8"))


@pytest.mark.parametrize("case", LAW, ids=[c["name"][:70] for c in LAW])
def test_the_law_as_the_source_states_it(case: dict[str, Any], engine: Engine) -> None:
    """What the sentence says follows from the facts, with its status, penalty and scope."""
    assert engine.rulebook.source.contains(case["quote"]), "the quote is the source's, verbatim"
    if "refused" in case:
        with pytest.raises(FactError) as refused:
            engine.evaluate(case["facts"])
        fields = {refused.value.field, *(p.field for p in refused.value.problems)}
        assert any(f and f.endswith(case["refused"]) for f in fields), fields
        return
    result = engine.evaluate(case["facts"], presume=case.get("presume", True))
    for cid, wanted in (case.get("expect") or {}).items():
        assert cid in engine.rulebook.conclusions, f"{cid} is no conclusion of the rulebook"
        wanted = {"status": wanted} if isinstance(wanted, str) else wanted
        assert result.status(cid) is Status(wanted["status"]), f"{cid}: {result.status(cid)}"
        found = result.conclusion(cid)
        for field in ("modality", "applies_to", "on_conviction", "presumed"):
            if field in wanted:
                got = getattr(found, field)
                got = getattr(got, "value", got)
                assert got == wanted[field], f"{cid}.{field}: {got!r}"
        if "missing" in wanted:
            open_entry = next(u for u in result.undetermined if u.id == cid)
            assert open_entry.missing == wanted["missing"], f"{cid}.missing: {open_entry.missing}"
        if "penalty" in wanted:
            assert found is not None and found.penalty is not None
            assert found.penalty.model_dump(mode="json", exclude_defaults=True) == \
                wanted["penalty"], cid
    codes = {w.code for w in result.warnings}
    assert set(case.get("warnings", ())) <= codes
    assert not set(case.get("no_warnings", ())) & codes
    assert set(case.get("not_applicable", ())) <= {n.id for n in result.not_applicable}


def test_every_threshold_of_the_source_is_tested_on_both_sides() -> None:
    """Each age the source names (under 18, under 14, under 16) and each filing period (3 years,
    3 plus 1) has a case at the boundary and one on the other side."""
    ages: dict[str, set[int]] = {}
    for case in LAW:
        victim = (case.get("facts") or {}).get("victim") or {}
        for key in ("age", "age_at_testimony"):
            if isinstance(victim.get(key), int):
                ages.setdefault(key, set()).add(victim[key])
    assert {17, 18} <= ages["age"] and {13, 14} <= ages["age"] and {15, 16} <= ages["age"]
    assert {15, 16} <= ages["age_at_testimony"]
    filed = {str(((c.get("facts") or {}).get("compensation") or {}).get("claim_filed"))
             for c in LAW}
    assert {"2021-02-10", "2021-02-11", "2022-02-10", "2022-02-11"} <= filed


def test_an_offense_dated_tomorrow_is_refused(engine: Engine) -> None:
    """A date in the future cannot be an offense date; today can."""
    day = dt.date(2020, 6, 1)
    with fixed_today(day):
        engine.evaluate({"dates": {"offense": day.isoformat()}})
        with pytest.raises(FactError, match="future"):
            engine.evaluate({"dates": {"offense": (day + dt.timedelta(days=1)).isoformat()}})


@pytest.mark.parametrize("text", ["20180514", "2018-W20-1", "2018-5-14", "14/05/2018"])
def test_dates_are_written_yyyy_mm_dd(text: str, engine: Engine) -> None:
    """Only the calendar form YYYY-MM-DD is a date: compact and week forms are refused."""
    with pytest.raises(FactError, match="YYYY-MM-DD"):
        engine.evaluate({"dates": {"offense": text}})
