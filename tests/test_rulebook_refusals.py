"""Every load-time check refuses a rulebook that fails it, with the message that says why.

Each row of ``REFUSALS`` copies the shipped rule folder, adds a probe file of small rules made for
the test (and may change ``rulebook.yaml``), breaks one thing, and states what the loader must
say: the message, the file and the rule (or table entry) it names. The probe rules are built from
what the shipped rulebook provides (a quote of the source, one of its areas, a fact of each kind,
its parameters, a charge's penalty and quotes), so the rows hold whichever rules the rulebook has.

The rows cover every ``yield`` of ``rules/_checks.py``, every problem of ``rules/_loader.py``, every
validator of ``rules/_model.py`` and the format errors (unknown key, wrong value, YAML that cannot
be read). To add a check, add a row.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from dmst import Engine, RulebookError, load_rulebook
from dmst.facts.model import Role
from dmst.facts.paths import FACTS
from dmst.rules import FactAtom
from dmst.rules._model import ConclusionSpec, Range
from dmst.rules._source import normalize

SHIPPED = load_rulebook()
META = "rulebook.yaml"
PROBE = "zz_probe.yaml"


# --- what the shipped rulebook provides -----------------------------------------------------------


def _fact(kind: str) -> str:
    return next(p for p, s in FACTS.items() if s.kind == kind and not s.computed_from)


BOOL, AGE, DATE, CHOICE = _fact("bool"), _fact("age"), _fact("date"), _fact("choice")
#: The list of the accused's roles (the fact whose choices are the fact model's roles).
ROLES = next(p for p, s in FACTS.items()
             if s.kind == "set" and set(s.choices) == {r.value for r in Role})
ROLE_NAMES = FACTS[ROLES].choices
#: A fact the rulebook computes (a number of months).
NUMBER = next(iter(SHIPPED.meta.computed))
AREA = SHIPPED.meta.areas[0]
QUOTE = SHIPPED.rules[0].rule.cites[0].quote
STATUTE = next(iter(SHIPPED.meta.statutes))
SOURCE_FILE = str(SHIPPED.meta.source["file"])
PARAMS = SHIPPED.meta.parameters
#: A stated parameter in years, one in months, and a derived one (a sum).
YEARS = next(n for n, p in PARAMS.items() if p.unit == "years" and p.sum is None)
MONTHS = next(n for n, p in PARAMS.items() if p.unit == "months" and p.sum is None)
DERIVED = next(n for n, p in PARAMS.items() if p.sum is not None)
#: A shipped, decided charge whose prison and fine maxima are both stated: its quotes hold them.
_CHARGE = next(r for r in SHIPPED.rules if r.spec.penalty is not None
               and r.spec.penalty.prison_years.max is not None
               and r.spec.penalty.fine_usd.max is not None and not r.silent
               and isinstance(r.rule.then, ConclusionSpec))
OFFENSE = _CHARGE.spec.offense
assert OFFENSE is not None and _CHARGE.spec.penalty is not None
_CHARGE_QUOTES = " ".join(normalize(c.quote) for c in _CHARGE.rule.cites)
_PRISON_MAX = _CHARGE.spec.penalty.prison_years.max or 0
_FINE_MAX = _CHARGE.spec.penalty.fine_usd.max or 0
#: An offense exactly one shipped rule charges, and that rule.
_CHARGED = Counter(r.rule.then.offense for r in SHIPPED.rules
                   if isinstance(r.rule.then, ConclusionSpec) and r.rule.then.offense)
LONE_OFFENSE = next(o for o, n in sorted(_CHARGED.items()) if n == 1)
LONE_CHARGE = next(r for r in SHIPPED.rules if isinstance(r.rule.then, ConclusionSpec)
                   and r.rule.then.offense == LONE_OFFENSE)
#: A true-or-false fact no shipped rule reads.
UNREAD_BOOL = next(p for p, s in FACTS.items() if s.kind == "bool" and p not in {
    a.path for r in SHIPPED.rules for alt in r.alternatives for a in alt
    if isinstance(a, FactAtom)})
#: Names that nothing in the rulebook is close to (so no "did you mean" is offered).
NOWHERE = "gap.qqzzxx"
NO_PARAM = "qqzzxx_param"
NO_OFFENSE = "qqzzxx_offense"


def _stated(n: int) -> bool:
    return bool(re.search(rf"(?<![\d,])(?:{n}|\${n:,d})(?![\d,])", _CHARGE_QUOTES))


def _absent_below(figure: int) -> int:
    """The largest whole number below ``figure`` that the charge's quotes do not state."""
    return next(n for n in range(figure - 1, 0, -1) if not _stated(n))


def _absent_above(figure: int) -> int:
    """The smallest whole number above ``figure`` that the charge's quotes do not state."""
    return next(n for n in range(figure + 1, figure + 10_000) if not _stated(n))


# --- probe rules ----------------------------------------------------------------------------------

_A, _B, _C = "gap.probe_a", "gap.probe_b", "gap.probe_c"
BASE_WHEN: dict[str, Any] = {"fact": AGE, "lt": YEARS}


def probe(rule_id: str = "gap.probe", **changes: Any) -> dict[str, Any]:
    """A small valid rule, with ``changes`` replacing its fields (None removes one)."""
    rule: dict[str, Any] = {
        "id": rule_id,
        "title": "A rule made for a test of the loader.",
        "when": [dict(BASE_WHEN)],
        "then": {"kind": "gap", "title": "A conclusion made for a test of the loader"},
        "cites": [{"quote": QUOTE}],
    }
    for key, value in changes.items():
        if value is None:
            rule.pop(key, None)
        else:
            rule[key] = value
    return rule


def when(*conditions: dict[str, Any]) -> list[dict[str, Any]]:
    """A rule's ``when``: the conditions given."""
    return list(conditions)


def then(**changes: Any) -> dict[str, Any]:
    """The probe's ``then`` with changes."""
    return {**probe()["then"], **changes}


def cite(**changes: Any) -> list[dict[str, Any]]:
    """The probe's one citation with changes."""
    return [{"quote": QUOTE, **changes}]


def charge_probe(rule_id: str = "charge.probe", offense: str | None = None,
                 **penalty: Any) -> dict[str, Any]:
    """A charge with a shipped charge's penalty, offense and quotes; ``penalty`` replaces parts
    of the penalty, as ``prison_years={"max": 7}`` or ``basis="group"``."""
    assert _CHARGE.spec.penalty is not None
    figures = _CHARGE.spec.penalty.model_dump(mode="json", exclude_none=True)
    for part, values in penalty.items():
        figures[part] = {**figures.get(part, {}), **values} if isinstance(values, dict) \
            else values
    return probe(rule_id, then={"kind": "charge", "title": "A charge made for a test",
                                "offense": offense or OFFENSE, "penalty": figures},
                 cites=[{"quote": c.quote, **({"section": c.section} if c.section else {})}
                        for c in _CHARGE.rule.cites])


def topic_pair(give: dict[str, Any], deny: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Two rules on one topic: ``_A`` gives it when ``give`` holds, ``_B`` denies it when
    ``deny`` holds."""
    return (probe(_A, when=[give], then=then(topic="probe_topic", modality="mandatory")),
            probe(_B, when=[deny], then=then(topic="probe_topic", modality="not_available")))


# --- changes to rulebook.yaml ---------------------------------------------------------------------


Change = Callable[[Path], None]


def edit_meta(edit: Callable[[dict[str, Any]], None]) -> Change:
    """Change ``rulebook.yaml`` (read, edited as data, written back)."""
    def change(folder: Path) -> None:
        path = folder / META
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        edit(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                        encoding="utf-8")
    return change


def _param(base: str, **changes: Any) -> dict[str, Any]:
    data = PARAMS[base].model_dump(mode="json", exclude_none=True)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def add_param(name: str, base: str, **changes: Any) -> Change:
    """A parameter ``name``: a copy of the shipped parameter ``base`` with changes."""
    return edit_meta(lambda d: d["parameters"].update({name: _param(base, **changes)}))


def add_presumption(fact: str, value: Any, **changes: Any) -> Change:
    """A presumption of ``fact`` with ``value``, citing the probe's quote (or ``changes``)."""
    entry = {"fact": fact, "value": value, "reason": "A presumption made for a test.",
             "cites": cite(section=AREA), **changes}
    return edit_meta(lambda d: d.setdefault("presumptions", []).append(entry))


def add_warning(condition: dict[str, Any], message: str = "A warning made for a test.",
                code: str = "probe_warning") -> Change:
    """A warning with this condition and message."""
    entry = {"code": code, "when": condition, "message": message}
    return edit_meta(lambda d: d.setdefault("warnings", []).append(entry))


def remove(name: str) -> Change:
    """Delete a file of the copied folder."""
    return lambda folder: (folder / name).unlink()


def all_of(*changes: Change) -> Change:
    """Several changes, in order."""
    def change(folder: Path) -> None:
        for c in changes:
            c(folder)
    return change


def _probe_text(*rules: dict[str, Any], area: str = AREA) -> str:
    return yaml.safe_dump({"area": area, "rules": list(rules)}, sort_keys=False,
                          allow_unicode=True)


def _with_duplicate_title() -> str:
    return _probe_text(probe()).replace("  title: ", "  title: A first title.\n  title: ", 1)


def _not_utf8(folder: Path) -> None:
    (folder / PROBE).write_bytes(_probe_text(probe()).encode() + "# caf\xe9\n".encode("latin-1"))


# --- the table ------------------------------------------------------------------------------------

#: A problem beside the row's own: (file, the rule or entry it names, a message fragment).
Also = tuple[str, str | None, str]


@dataclass(frozen=True)
class Refusal:
    """One broken rulebook and what the loader must say about it."""

    name: str
    #: The message fragment the loader must give.
    says: str
    #: The rule (or table entry: ``parameter x``, ``presumption fact``, ``warning code``) the
    #: problem names; None where it names none.
    rule: str | None
    #: The file the error names.
    file: str = PROBE
    #: The rules of the probe file.
    rules: tuple[dict[str, Any], ...] = (probe(),)
    area: str = AREA
    #: The probe file's text, written as is, instead of ``rules``.
    text: str | None = None
    #: A change to the copied folder, made after the probe file is written.
    change: Change | None = None
    #: ``check``: a problem of the checks (every problem is listed, in ``also`` if not the
    #: row's); ``format``: the file does not match the rule format (each problem names the
    #: rule); ``read``: the file cannot be read (no list of problems).
    how: str = "check"
    also: tuple[Also, ...] = ()
    #: Whether ``says`` is the whole message (after the file's name), nothing added; for the rule
    #: format, the only problem.
    exact: bool = False
    #: Whether the error gives the line.
    line: bool = False
    #: For the rule format: where in the file the problem is (the field it names), if checked.
    where: str | None = None


def check(name: str, says: str, rule: str | None = "gap.probe", **kw: Any) -> Refusal:
    """A row of the checks: the problem names ``rule`` (the probe rule unless given)."""
    return Refusal(name, says, rule, **kw)


def form(name: str, says: str, rule: str | None = "gap.probe", **kw: Any) -> Refusal:
    """A row of the rule format: every problem names ``rule``."""
    return Refusal(name, says, rule, how="format", **kw)


P = "gap.probe"
_STATED_OR_DERIVED = "a parameter is either stated (stated, quote and section) or derived (sum)"
_SILENT_A = probe(_A, source_silent=True)
_FACT_OPS = "a fact condition takes exactly one of is, lt, le, gt, ge, has, lacks, not, unknown"
_PARAM = "probe_param"
_USES_PARAM = (probe(when=[{"fact": AGE, "lt": _PARAM}]),)
_USES_MONTHS_PARAM = (probe(when=[{"fact": NUMBER, "le": _PARAM}]),)
_Y, _M, _D = PARAMS[YEARS], PARAMS[MONTHS], PARAMS[DERIVED]

REFUSALS: list[Refusal] = [
    # --- identity (rules/_checks.py: _identity) ------------------------------------------------
    check("a rule id used twice", f"rule id '{P}' is used twice (also in {PROBE})",
        rules=(probe(), probe(then=P))),
    check("a conclusion defined twice",
        f"defines conclusion '{_A}' again (rule '{_A}' defines it); name it by id instead "
        f"(then: {_A})", _B, rules=(probe(_A), probe(_B, then=then(id=_A)))),
    check("a charge of an offense not in the offense table",
        f"unknown offense '{NO_OFFENSE}'", "charge.probe",
        rules=(charge_probe(offense=NO_OFFENSE),)),
    check("'then' naming a conclusion no rule defines",
        f"unknown conclusion '{NOWHERE}', which no rule defines", rules=(probe(then=NOWHERE),)),
    check("an offense of the fact model missing from the offense table",
        f"offense '{LONE_OFFENSE}' of the fact model has no entry in 'offenses'", None, file=META,
        change=edit_meta(lambda d: d["offenses"].pop(LONE_OFFENSE)),
        also=((LONE_CHARGE.file, LONE_CHARGE.id, f"unknown offense '{LONE_OFFENSE}'"),)),
    check("an offense the fact model does not have",
        f"offense '{NO_OFFENSE}' is not one of the fact model's offenses", None, file=META,
        rules=(charge_probe(offense=NO_OFFENSE),),
        change=edit_meta(lambda d: d["offenses"].update({NO_OFFENSE: "An offense for a test"}))),
    check("an offense no charge has",
        f"offense '{NO_OFFENSE}' is the offense of no charge", None, file=META,
        change=edit_meta(lambda d: d["offenses"].update({NO_OFFENSE: "An offense for a test"})),
        also=((META, None, f"offense '{NO_OFFENSE}' is not one of the fact model's offenses"),)),
    # --- facts and operators (_check_fact) -----------------------------------------------------
    check("an unknown fact, with a suggestion",
        f"unknown fact '{BOOL[:-1]}' (did you mean '{BOOL}'?)",
        rules=(probe(when=when({"fact": BOOL[:-1], "is": True})),)),
    check("an unknown fact, nothing close", "unknown fact 'zzz.qqq'", exact=True,
        rules=(probe(when=when({"fact": "zzz.qqq", "is": True})),)),
    check("a true-or-false fact compared with a parameter",
        f"operator 'lt' does not fit bool fact '{BOOL}'",
        rules=(probe(when=when({"fact": BOOL, "lt": YEARS})),)),
    check("an age tested with 'is'", f"operator 'is' does not fit age fact '{AGE}'",
        rules=(probe(when=when({"fact": AGE, "is": True})),)),
    check("a list tested with 'is'", f"operator 'is' does not fit set fact '{ROLES}'",
        rules=(probe(when=when({"fact": ROLES, "is": ROLE_NAMES[0]})),)),
    check("a choice tested with 'has'", f"operator 'has' does not fit choice fact '{CHOICE}'",
        rules=(probe(when=when({"fact": CHOICE, "has": FACTS[CHOICE].choices[0]})),)),
    check("a date tested with 'le'", f"operator 'le' does not fit date fact '{DATE}'",
        rules=(probe(when=when({"fact": DATE, "le": "as_of.until"})),)),
    check("a computed number tested with 'is'",
        f"operator 'is' does not fit number fact '{NUMBER}'",
        rules=(probe(when=when({"fact": NUMBER, "is": True})),)),
    check("is: 1 on a true-or-false fact", f"'{BOOL}' is true or false, not 1",
        rules=(probe(when=when({"fact": BOOL, "is": 1})),)),
    check("is: 'yes' on a true-or-false fact", f"'{BOOL}' is true or false, not 'yes'",
        rules=(probe(when=when({"fact": BOOL, "is": "yes"})),)),
    check("not: 0 on a true-or-false fact", f"'{BOOL}' is true or false, not 0",
        rules=(probe(when=when({"fact": BOOL, "not": 0})),)),
    check("has: pimp on roles", f"'pimp' is not one of {', '.join(ROLE_NAMES)} for '{ROLES}'",
        rules=(probe(when=when({"fact": ROLES, "has": "pimp"})),)),
    check("lacks: pimp on roles", f"'pimp' is not one of {', '.join(ROLE_NAMES)} for '{ROLES}'",
        rules=(probe(when=when({"fact": ROLES, "lacks": "pimp"})),)),
    check("a choice that is not one", f"'neither' is not one of "
        f"{', '.join(FACTS[CHOICE].choices)} for '{CHOICE}'",
        rules=(probe(when=when({"fact": CHOICE, "is": "neither"})),)),
    check("an age compared with a parameter in months",
        f"parameter '{MONTHS}' is in months, but '{AGE}' is in years",
        rules=(probe(when=when({"fact": AGE, "lt": MONTHS})),)),
    check("a number of months compared with a parameter in years",
        f"parameter '{YEARS}' is in years, but '{NUMBER}' is in months",
        rules=(probe(when=when({"fact": NUMBER, "le": YEARS})),)),
    # --- thresholds (rules/_loader.py: resolve_condition) --------------------------------------
    check("a number written in a rule",
        f"'{AGE} lt 18' writes a number in a rule; name a parameter of {META} instead",
        rules=(probe(when=when({"fact": AGE, "lt": 18})),)),
    check("an unknown parameter, with a suggestion",
        f"unknown parameter '{YEARS}x' (did you mean '{YEARS}'?)",
        rules=(probe(when=when({"fact": AGE, "lt": YEARS + "x"})),)),
    check("an unknown parameter, nothing close", f"unknown parameter '{NO_PARAM}'", exact=True,
        rules=(probe(when=when({"fact": AGE, "lt": NO_PARAM})),)),
    # --- conclusions referred to (_check_rule) -------------------------------------------------
    check("a condition on a conclusion no rule adds",
        f"unknown conclusion '{NOWHERE}', which no rule adds",
        rules=(probe(when=when({"conclusion": NOWHERE})),)),
    check("a condition on a conclusion the source leaves undecided",
        f"refers to '{_A}', which the source leaves undecided", _B,
        rules=(_SILENT_A, probe(_B, when=when({"conclusion": _A})))),
    check("a kind and offense no rule adds", f"no rule adds a charge for {NO_OFFENSE}",
        rules=(probe(when=when({"kind": "charge", "offense": [NO_OFFENSE]})),)),
    check("a scope no rule adds",
        f"no rule adds a charge of a {ROLE_NAMES[0]} for {NO_OFFENSE}",
        rules=(probe(when=None, scope={"kind": "charge", "role": ROLE_NAMES[0],
                                       "offense": [NO_OFFENSE]}),)),
    check("a kind matched only by undecided conclusions", f"no rule adds a gap for {OFFENSE}", _B,
        rules=(probe(_A, then=then(offense=OFFENSE), source_silent=True),
               probe(_B, when=when({"kind": "gap", "offense": [OFFENSE]})))),
    check("'unless' naming a conclusion that does not exist",
        f"'unless' names unknown conclusion '{NOWHERE}', which no rule adds",
        rules=(probe(unless=[NOWHERE]),)),
    check("'unless' naming a conclusion the source leaves undecided",
        f"'unless' names '{_A}', which the source leaves undecided", _B,
        rules=(_SILENT_A, probe(_B, unless=[_A]))),
    # --- cycles (_cycles) ----------------------------------------------------------------------
    check("a cycle through conditions", f"rules form a cycle: {_A} -> {_B} -> {_A}", _B,
        rules=(probe(_A, when=when({"conclusion": _B})), probe(_B, when=when({"conclusion": _A})))),
    check("a cycle through an exception", f"rules form a cycle: {_A} -> {_B} -> {_A}", _B,
        rules=(probe(_A, unless=[_B]), probe(_B, when=when({"conclusion": _A})))),
    check("a rule that needs its own conclusion", f"rules form a cycle: {_A} -> {_A}", _A,
        rules=(probe(_A, when=when({"conclusion": _A})),)),
    # --- citations (_check_cites) and penalties ------------------------------------------------
    check("a quote not in the source",
        "quote not found in the source: \u201cThis sentence is not in the source at all.\u201d",
        rules=(probe(cites=cite(quote="This sentence is not in the source at all.")),)),
    check("a citation section that is not an area",
        "citation section 'Nowhere in particular' is not one of the source's areas",
        rules=(probe(cites=cite(section="Nowhere in particular")),)),
    check("a statute key not in the table",
        "unknown statute 'qqzzxx_statute', not in the statute table",
        rules=(probe(cites=cite(statute="qqzzxx_statute")),)),
    check("a prison maximum not in the rule's quotes",
        f"prison years figure {_absent_above(_PRISON_MAX)} does not appear in the rule's quotes; "
        "penalties only as the source states them", "charge.probe",
        rules=(charge_probe(prison_years={"max": _absent_above(_PRISON_MAX)}),)),
    check("a prison minimum not in the rule's quotes",
        f"prison years figure {_absent_below(_PRISON_MAX)} does not appear in the rule's quotes",
        "charge.probe", rules=(charge_probe(prison_years={"min": _absent_below(_PRISON_MAX)}),)),
    check("a fine maximum not in the rule's quotes",
        f"fine figure {_absent_above(_FINE_MAX)} does not appear in the rule's quotes",
        "charge.probe", rules=(charge_probe(fine_usd={"max": _absent_above(_FINE_MAX)}),)),
    check("a fine minimum not in the rule's quotes",
        f"fine figure {_absent_below(_FINE_MAX)} does not appear in the rule's quotes",
        "charge.probe", rules=(charge_probe(fine_usd={"min": _absent_below(_FINE_MAX)}),)),
    # --- parameters (_parameters) --------------------------------------------------------------
    check("a deadline parameter that does not exist", f"unknown parameter '{NO_PARAM}'",
        rules=(probe(then=then(deadline_after=[NO_PARAM])),)),
    check("a deadline parameter not in months", f"deadline parameter '{YEARS}' is not in months",
        rules=(probe(then=then(deadline_after=[YEARS])),)),
    check("a sum naming a parameter that does not exist",
        "'sum' names a parameter that does not exist", f"parameter {_PARAM}", file=META,
        rules=_USES_MONTHS_PARAM, change=add_param(_PARAM, DERIVED, sum=[MONTHS, NO_PARAM])),
    check("a sum of parameters of another unit", "'sum' adds parameters of another unit",
        f"parameter {_PARAM}", file=META, rules=_USES_MONTHS_PARAM,
        change=add_param(_PARAM, DERIVED, sum=[MONTHS, YEARS])),
    check("a derived parameter that is not its sum",
        f"value {_D.value + 1} is not the sum of {', '.join(_D.sum or ())}",
        f"parameter {_PARAM}", file=META, rules=_USES_MONTHS_PARAM,
        change=add_param(_PARAM, DERIVED, value=_D.value + 1)),
    check("a derived parameter below its sum",
        f"value {_D.value - 1} is not the sum of {', '.join(_D.sum or ())}",
        f"parameter {_PARAM}", file=META, rules=_USES_MONTHS_PARAM,
        change=add_param(_PARAM, DERIVED, value=_D.value - 1)),
    check("a parameter above what its quote states",
        f"value {_Y.value + 1} years is not what '{_Y.stated}' states ({_Y.value} years)",
        f"parameter {_PARAM}", file=META, rules=_USES_PARAM,
        change=add_param(_PARAM, YEARS, value=_Y.value + 1)),
    check("a parameter in months below what its quote states",
        f"value {_M.value - 1} months is not what '{_M.stated}' states ({_M.value} months)",
        f"parameter {_PARAM}", file=META, rules=_USES_MONTHS_PARAM,
        change=add_param(_PARAM, MONTHS, value=_M.value - 1)),
    check("a parameter in years whose quote states years, valued in months",
        f"value {_M.value} years is not what '{_M.stated}' states "
        f"({_M.value // 12} years)", f"parameter {_PARAM}", file=META, rules=_USES_PARAM,
        change=add_param(_PARAM, MONTHS, unit="years")),
    check("a parameter whose stated words are not in its quote",
        "the words 'under 99' are not in its quote", f"parameter {_PARAM}", file=META,
        rules=_USES_PARAM, change=add_param(_PARAM, YEARS, stated="under 99", value=99)),
    check("a parameter whose quote is not in the source",
        "quote not found in the source: \u201cNot in the source, under 18.\u201d",
        f"parameter {_PARAM}", file=META, rules=_USES_PARAM,
        change=add_param(_PARAM, YEARS, quote="Not in the source, under 18.", stated="under 18",
                         value=18)),
    check("a parameter citing a section that is not an area",
        "citation section 'Nowhere in particular' is not one of the source's areas",
        f"parameter {_PARAM}", file=META, rules=_USES_PARAM,
        change=add_param(_PARAM, YEARS, section="Nowhere in particular")),
    check("a parameter citing a statute not in the table",
        "unknown statute 'qqzzxx_statute', not in the statute table", f"parameter {_PARAM}",
        file=META, rules=_USES_PARAM, change=add_param(_PARAM, YEARS, statute="qqzzxx_statute")),
    check("an unused parameter", "is used by no rule or warning", f"parameter {_PARAM}", file=META,
        change=add_param(_PARAM, YEARS)),
    # --- presumptions, computed facts, warnings (_tables) --------------------------------------
    check("a presumption on an unknown fact", "unknown fact 'zzz.qqq'", "presumption zzz.qqq",
        file=META, change=add_presumption("zzz.qqq", False)),
    check("a presumption on a computed fact", f"'{NUMBER}' is computed from "
        f"{', '.join(SHIPPED.meta.computed[NUMBER].args)}; presume the facts it is computed from",
        f"presumption {NUMBER}", file=META, change=add_presumption(NUMBER, 1)),
    check("a presumed choice that is not one of its choices",
        f"'zzz' is not one of {', '.join(FACTS[CHOICE].choices)} for '{CHOICE}'",
        f"presumption {CHOICE}", file=META, change=add_presumption(CHOICE, "zzz")),
    check("a presumed list (one value cannot say which of its choices hold)",
        f"'{ROLES}' is a list; a presumption states a true-or-false fact or a choice",
        f"presumption {ROLES}", file=META, change=add_presumption(ROLES, ROLE_NAMES[0])),
    check("a presumed age", f"'{AGE}' is an age; a presumption states a true-or-false fact or a "
        "choice", f"presumption {AGE}", file=META, change=add_presumption(AGE, 15)),
    check("a presumption citing no section (rulebook.yaml has no area to fall back on)",
        "the citation names no section", f"presumption {BOOL}", file=META,
        change=add_presumption(BOOL, False, cites=cite(section=None))),
    check("a date compared with a parameter in years",
        f"'{DATE}' is a date: compare it with as_of.from or as_of.until",
        rules=(probe(when=when({"fact": DATE, "lt": YEARS})),)),
    check("an age compared with the source's dates",
        f"'{AGE}' is not a date: compare it with a parameter, not as_of.from",
        rules=(probe(when=when({"fact": AGE, "lt": "as_of.from"})),)),
    check("a warning naming an unknown parameter", f"unknown parameter '{NO_PARAM}'",
        "warning probe_warning", file=META, change=add_warning({"fact": AGE, "lt": NO_PARAM})),
    check("a warning whose operator does not fit its fact",
        f"operator 'lt' does not fit bool fact '{BOOL}'", "warning probe_warning", file=META,
        change=add_warning({"fact": BOOL, "lt": YEARS})),
    check("'unknown' in a rule", f"'{BOOL} unknown' is for warnings",
        rules=(probe(when=when({"fact": BOOL, "unknown": True})),)),
    check("a computed fact named as a given fact",
        f"'{UNREAD_BOOL}' is a given fact; a computed fact needs a name of its own",
        f"computed {UNREAD_BOOL}", file=META,
        change=edit_meta(lambda d: d["computed"].update({UNREAD_BOOL: d["computed"][NUMBER]}))),
    check("a presumption with a non-boolean value", f"'{BOOL}' is true or false, not 1",
        f"presumption {BOOL}", file=META, change=add_presumption(BOOL, 1)),
    check("a presumption with text for true or false", f"'{BOOL}' is true or false, not 'no'",
        f"presumption {BOOL}", file=META, change=add_presumption(BOOL, "no")),
    check("a presumption citing what is not in the source",
        "quote not found in the source: \u201cThis sentence is not in the source at all.\u201d",
        f"presumption {BOOL}", file=META,
        change=add_presumption(BOOL, False, cites=cite(quote="This sentence is not in the source "
                                                             "at all.", section=AREA))),
    check("a computed fact from a fact that is not a date", f"'{BOOL}' is not a date fact",
        f"computed {NUMBER}", file=META,
        change=edit_meta(lambda d: d["computed"][NUMBER].update({"from": [BOOL, DATE]}))),
    check("a warning on an unknown fact", "unknown fact 'zzz.qqq'", "warning probe_warning",
        file=META, change=add_warning({"fact": "zzz.qqq", "is": True})),
    check("a warning naming an unknown fact in its message",
        "the message names '{zzz.qqq}', which is not a fact", "warning probe_warning", file=META,
        change=add_warning({"fact": BOOL, "is": True}, "The fact {zzz.qqq} is given.")),
    # --- topics (_topics) ----------------------------------------------------------------------
    check("topics that could give and deny one thing",
        f"can deny 'probe_topic' in a result where rule '{_A}' gives it; make their conditions "
        "exclude each other", _B,
        rules=topic_pair({"fact": AGE, "lt": YEARS}, {"fact": AGE, "le": YEARS})),
    check("topics given to a trafficker and denied to a buyer (one accused may be both)",
        f"can deny 'probe_topic' in a result where rule '{_A}' gives it", _B,
        rules=topic_pair({"fact": ROLES, "has": "trafficker"}, {"fact": ROLES, "has": "buyer"})),
    check("topics whose thresholds meet at one value",
        f"can deny 'probe_topic' in a result where rule '{_A}' gives it", _B,
        rules=topic_pair({"fact": AGE, "le": YEARS}, {"fact": AGE, "ge": YEARS})),
    # --- the loader (rules/_loader.py) ---------------------------------------------------------
    check("a rule file's area not among the source's areas",
        "area 'Nowhere in particular' is not one of the source's areas: " + AREA, None,
        rules=(probe(cites=cite(section=AREA)),), area="Nowhere in particular"),
    Refusal("a duplicate YAML key", "duplicate key 'title' (first on line", None,
            text=_with_duplicate_title(), how="read", line=True),
    Refusal("a YAML syntax error", "not valid YAML", None, text=f"area: {AREA}\nrules: [\n",
            how="read", line=True),
    Refusal("a YAML tag that builds objects",
            "the tag '!!python/object:object' is not allowed", None,
            text="area: !!python/object:object {}\nrules: []\n", how="read", line=True),
    Refusal("a rule file that is not UTF-8", "cannot read rule file: 'utf-8' codec can't decode",
            None, change=_not_utf8, how="read"),
    Refusal("the rulebook's own file missing", "cannot read rule file", None, file=META,
            change=remove(META), how="read"),
    Refusal("the source text missing",
            f"the source text '{SOURCE_FILE}' named in {META} is missing", None, file=META,
            change=remove(SOURCE_FILE), how="read"),
    # --- the rule format: validators of rules/_model.py ----------------------------------------
    form("a negative penalty figure", "a penalty figure cannot be negative", "charge.probe",
        rules=(charge_probe(prison_years={"min": -1}),)),
    form("a penalty minimum above its maximum",
        f"min {_PRISON_MAX + 1} is greater than max {_PRISON_MAX}", "charge.probe",
        rules=(charge_probe(prison_years={"min": _PRISON_MAX + 1}),)),
    form("a group penalty that names no group",
        "a group penalty names its group ('group:'), and only a group one", "charge.probe",
        rules=(charge_probe(basis="group"),)),
    form("a group named on an offense's own penalty",
        "a group penalty names its group ('group:'), and only a group one", "charge.probe",
        rules=(charge_probe(group="the group of a test"),)),
    form("a fact condition with two operators", f"{_FACT_OPS}; got 2",
        rules=(probe(when=when({"fact": AGE, "lt": YEARS, "ge": YEARS})),)),
    form("a fact condition with no operator", f"{_FACT_OPS}; got 0",
        rules=(probe(when=when({"fact": AGE})),)),
    form("a conclusion condition naming nothing",
        "a conclusion condition names a conclusion id, or a kind/offense",
        rules=(probe(when=when({"role": ROLE_NAMES[0]})),)),
    form("a conclusion condition naming an id and a kind",
        "name a conclusion id, or match by kind/offense/role, not both",
        rules=(probe(when=when({"conclusion": _A, "kind": "gap"})),)),
    form("'convicted' without offenses", "'convicted' needs the offenses whose conviction counts",
        rules=(probe(when=None, scope={"kind": "charge", "convicted": True}),)),
    form("a charge without a penalty",
        "a charge states its offense and its penalty (null figures allowed)", "charge.probe",
        rules=(probe("charge.probe", then=then(kind="charge", offense=OFFENSE)),)),
    form("a charge without an offense",
        "a charge states its offense and its penalty (null figures allowed)", "charge.probe",
        rules=(probe("charge.probe", then=then(kind="charge", penalty={})),)),
    form("a penalty on what is not a charge", "only a charge carries a penalty",
        rules=(probe(then=then(penalty={"prison_years": {"max": _PRISON_MAX}})),)),
    form("a rule that always holds with conditions",
        "a rule that always holds takes no 'when' or 'scope'", rules=(probe(always=True),)),
    form("a rule with no conditions",
        "a rule needs conditions: 'when', 'scope' or both (or 'always')",
        rules=(probe(when=None),)),
    form("a certainty on a rule of the source's silence",
        "a rule of the source's silence decides nothing, so it takes no 'certainty'",
        rules=(probe(source_silent=True, certainty="may_apply"),)),
    form("a conclusion id not starting with its kind",
        "a protection conclusion id starts with 'protection.'",
        rules=(probe(then=then(kind="protection")),)),
    form("a parameter both stated and derived", _STATED_OR_DERIVED, None, file=META,
        change=add_param(_PARAM, YEARS, sum=[YEARS])),
    form("a parameter neither stated nor derived", _STATED_OR_DERIVED, None, file=META,
        change=add_param(_PARAM, YEARS, stated=None, quote=None, section=None)),
    form("a stated parameter without its quote", _STATED_OR_DERIVED, None, file=META,
        change=add_param(_PARAM, YEARS, quote=None)),
    form("a stated parameter without its words", _STATED_OR_DERIVED, None, file=META,
        change=add_param(_PARAM, YEARS, stated=None)),
    form("a stated parameter without its section", _STATED_OR_DERIVED, None, file=META,
        change=add_param(_PARAM, YEARS, section=None)),
    form("a derived parameter with a quote", _STATED_OR_DERIVED, None, file=META,
        change=add_param(_PARAM, DERIVED, quote=_Y.quote)),
    # --- the rule format: keys, values, lengths ------------------------------------------------
    form("an unknown key in a rule", "Extra inputs are not permitted", rules=(probe(color="red"),)),
    form("an unknown kind of conclusion", "Input should be 'charge', 'sentencing'",
        rules=(probe(then=then(kind="verdict")),)),
    form("an unknown certainty", "Input should be 'applies' or 'may_apply'",
        rules=(probe(certainty="probably"),)),
    form("an unknown modality", "Input should be 'mandatory', 'may', 'not_available'",
        rules=(probe(then=then(modality="sometimes")),)),
    form("an unknown role", "Input should be 'trafficker', 'buyer' or 'facilitator'",
        rules=(probe(then=then(role="pimp")),)),
    form("an unknown penalty basis", "Input should be 'offense' or 'group'", "charge.probe",
        rules=(charge_probe(basis="shared"),)),
    form("'unknown' other than true", "Input should be True",
        rules=(probe(when=when({"fact": BOOL, "unknown": False})),)),
    form("a misspelt operator (only the form the condition is written in is blamed)",
        "Extra inputs are not permitted", rules=(probe(when=when({"fact": BOOL, "iss": True})),),
        exact=True),
    form("a presumed value that is a list (one message at the value, not one for each type)",
        "must be true or false, a number or text", None, file=META,
        change=add_presumption(BOOL, [False]), exact=True,
        where=f"presumptions.{len(SHIPPED.meta.presumptions)}.value"),
    form("a conclusion that is neither written out nor named (only the written form is blamed)",
        "Input should be a valid dictionary or instance of ConclusionSpec",
        rules=(probe(then=5),), exact=True),
    form("a computed fact from one date (a delay runs from one date to another)",
        "List should have at least 2 items after validation, not 1", None, file=META,
        change=edit_meta(lambda d: d["computed"][NUMBER].update({"from": [DATE]})),
        exact=True),
    form("'any' with one condition", "List should have at least 2 items",
        rules=(probe(when=when({"any": [dict(BASE_WHEN)]})),)),
    form("'all' with one condition", "List should have at least 2 items",
        rules=(probe(when=when({"all": [dict(BASE_WHEN)]})),)),
    form("a quote too short to check", "String should have at least 10 characters",
        rules=(probe(cites=cite(quote="Short.")),)),
    form("a rule citing nothing", "List should have at least 1 item", rules=(probe(cites=[]),)),
    form("a rule id not in dotted lower case", "String should match pattern", "Probe",
        rules=(probe("Probe"),)),
    form("a rule file with no rules", "List should have at least 1 item", None,
        text=f"area: {AREA}\nrules: []\n"),
    form("an unknown key in the rulebook's own file", "Extra inputs are not permitted", None,
        file=META, change=edit_meta(lambda d: d.update(colour="red"))),
    form("a statute confidence the table does not use",
        "Input should be 'high', 'medium', 'unknown' or 'none'", None, file=META,
        change=edit_meta(lambda d: d["statutes"][STATUTE].update(confidence="certain"))),
    form("'convicted' in a condition", "'convicted' ties a rule to the conviction of the charge "
        "it attaches to: it belongs on the 'scope', not in 'when'",
        rules=(probe(when=when({"kind": "charge", "offense": [OFFENSE], "convicted": True})),)),
    form("a source period left out", "'source' gives the period the source describes", None,
        file=META, change=edit_meta(lambda d: d["source"].pop("as_of"))),
    form("a source period that ends before it starts",
        "'source.as_of' must start before it ends", None, file=META,
        change=edit_meta(lambda d: d["source"]["as_of"].update({"until": "2001-01-01"}))),
    form("a source without its file", "'source' names the source's file (text)", None,
        file=META, change=edit_meta(lambda d: d["source"].pop("file"))),
    form("a source period without its end", "'source.as_of' has a 'from' and an 'until' date",
        None, file=META, change=edit_meta(lambda d: d["source"]["as_of"].pop("until"))),
    form("a source period of no length", "'source.as_of' must start before it ends", None,
        file=META, change=edit_meta(
            lambda d: d["source"]["as_of"].update({"until": d["source"]["as_of"]["from"]}))),
    form("a presumption citing nothing", "List should have at least 1 item", None, file=META,
        change=add_presumption(BOOL, False, cites=[])),
    form("a computed fact from three facts", "List should have at most 2 items", None,
        file=META, change=edit_meta(lambda d: d["computed"][NUMBER]["from"].append(DATE))),
    form("a computed fact of a function dmst does not know", "Input should be 'months_between'",
        None, file=META,
        change=edit_meta(lambda d: d["computed"][NUMBER].update(function="days_between"))),
]


def _build(folder: Path, case: Refusal) -> None:
    if case.text is not None:
        (folder / PROBE).write_text(case.text, encoding="utf-8")
    elif case.rules:
        (folder / PROBE).write_text(_probe_text(*copy.deepcopy(case.rules), area=case.area),
                                    encoding="utf-8")
    if case.change is not None:
        case.change(folder)


def test_the_table_has_one_row_per_name() -> None:
    """Row names are the test ids: each is used once."""
    names = [c.name for c in REFUSALS]
    assert len(names) == len(set(names))


def test_the_probe_rules_load(rules_copy: Path) -> None:
    """The probe rules and table entries the rows start from load with the shipped rulebook: each
    refusal is caused by the one thing its row breaks."""
    (rules_copy / PROBE).write_text(_probe_text(
        probe(), probe(_A), probe(_B, when=when({"conclusion": _A}), unless=[P]),
        charge_probe(), charge_probe("charge.probe_group", basis="group",
                                     group="the group of a test"),
        probe("gap.probe_d", when=None, scope={"kind": "charge", "offense": [OFFENSE]}),
        probe("gap.probe_e", when=None,
              scope={"kind": "charge", "role": _CHARGE.spec.role, "offense": [OFFENSE],
                     "convicted": True}),
        probe("gap.probe_f", when=None, always=True),
        probe("gap.probe_g", when=when(
            {"fact": BOOL, "is": False}, {"fact": BOOL, "not": True},
            {"fact": ROLES, "has": ROLE_NAMES[-1]}, {"fact": ROLES, "lacks": ROLE_NAMES[0]},
            {"fact": CHOICE, "is": FACTS[CHOICE].choices[0]},
            {"fact": DATE, "lt": "as_of.until"}, {"fact": DATE, "ge": "as_of.from"},
            {"any": [{"fact": AGE, "ge": YEARS}, {"fact": NUMBER, "le": MONTHS}]},
            {"all": [{"fact": AGE, "le": _PARAM}, {"kind": "charge", "offense": [OFFENSE]}]}),
            cites=cite(section=AREA, statute=STATUTE),
            then=then(deadline_after=[MONTHS, DERIVED])),
        probe("gap.probe_h", when=when({"fact": NUMBER, "gt": "probe_sum"})),
        # one topic, given and denied under conditions that exclude each other
        *[dict(r, id=r["id"] + "_t") for r in
          topic_pair({"fact": AGE, "lt": YEARS}, {"fact": AGE, "ge": YEARS})],
    ), encoding="utf-8")
    all_of(add_param(_PARAM, YEARS), add_param("probe_sum", DERIVED),
           add_presumption(BOOL, False),
           add_warning({"fact": BOOL, "is": True}, f"{{{BOOL}}}"))(rules_copy)
    rulebook = load_rulebook(rules_copy)
    ids = {P, _A, _B, "charge.probe", "charge.probe_group", "gap.probe_d", "gap.probe_e",
           "gap.probe_f", "gap.probe_g", "gap.probe_h", _A + "_t", _B + "_t"}
    assert ids <= set(rulebook.by_id)
    assert {_PARAM, "probe_sum"} <= set(rulebook.meta.parameters)
    assert len(rulebook.rules) == len(SHIPPED.rules) + len(ids)


def test_rulebook_yaml_written_back_loads_the_same(rules_copy: Path) -> None:
    """Writing ``rulebook.yaml`` back through the YAML round trip the rows use keeps it
    loadable and the same."""
    edit_meta(lambda d: None)(rules_copy)
    assert load_rulebook(rules_copy).meta == SHIPPED.meta


@pytest.mark.parametrize("case", REFUSALS, ids=[c.name for c in REFUSALS])
def test_a_rulebook_failing_a_check_is_refused_with_its_message(rules_copy: Path,
                                                                 case: Refusal) -> None:
    """The loader refuses the broken rulebook, names the file and the rule (or table entry)
    and says what is wrong; a check's problem is the only one (or the ones the row lists)."""
    _build(rules_copy, case)
    with pytest.raises(RulebookError) as err:
        load_rulebook(rules_copy)
    error = err.value
    text = str(error)
    first = error.problems[0].message.split(": ", 1)[0] if error.problems else None
    # the error names the file of the first problem: the row's own, unless it lists others
    assert error.file == (first if case.how == "check" and case.also else case.file), text
    assert (error.line is not None) == case.line, text
    if case.how == "read":
        assert case.says in error.message, text
        assert error.problems == (), text
        return
    if case.how == "format":
        assert error.message == "the rule file does not match the rule format", text
        assert any(case.says in p.message for p in error.problems), text
        if case.exact:  # the one problem there is
            assert [p.message for p in error.problems] == [case.says], text
        if case.where is not None:
            assert case.where in [p.field for p in error.problems], text
        for p in error.problems:  # every problem names the rule (or, for none, no rule)
            named = re.match(r"rule '([^']*)'", p.field or "")
            assert (named.group(1) if named else None) == case.rule, text
        return
    if case.exact:
        assert f"{case.file}: {case.says}" in [p.message for p in error.problems], text
    expected = ((case.file, case.rule, case.says), *case.also)
    assert error.message == f"the rulebook has {len(expected)} problem(s)", text
    assert len(error.problems) == len(expected), text
    for file, rule, says in expected:
        assert any(p.message.startswith(f"{file}: ") and p.field == rule and says in p.message
                   for p in error.problems), (file, rule, says, text)


def test_every_problem_is_reported_at_once_in_order(rules_copy: Path) -> None:
    """A rulebook with several problems is refused once, with every problem listed, each naming
    its file and rule, in the order of the checks; the error names the file of the first."""
    (rules_copy / PROBE).write_text(_probe_text(
        probe(_A, when=when({"fact": BOOL, "is": 1})),
        probe(_B, unless=[NOWHERE], cites=cite(statute="qqzzxx_statute")),
        probe(_C, when=when({"fact": AGE, "lt": 18})),
    ), encoding="utf-8")
    add_param(_PARAM, YEARS)(rules_copy)
    with pytest.raises(RulebookError) as err:
        load_rulebook(rules_copy)
    assert err.value.message == "the rulebook has 5 problem(s)"
    assert err.value.file == PROBE
    assert [(p.field, p.message) for p in err.value.problems] == [
        (_C, f"{PROBE}: '{AGE} lt 18' writes a number in a rule; name a parameter of {META} "
             "instead (a threshold lives in one place, with its quote)"),
        (_A, f"{PROBE}: '{BOOL}' is true or false, not 1"),
        (_B, f"{PROBE}: 'unless' names unknown conclusion '{NOWHERE}', which no rule adds"),
        (_B, f"{PROBE}: unknown statute 'qqzzxx_statute', not in the statute table"),
        (f"parameter {_PARAM}", f"{META}: is used by no rule or warning"),
    ]


def _topic_rules(give: list[dict[str, Any]], deny: list[dict[str, Any]],
                 *others: dict[str, Any]) -> str:
    return _probe_text(
        probe("protection.probe_give", when=give,
              then=then(kind="protection", topic="probe_topic", modality="mandatory")),
        probe("protection.probe_deny", when=deny,
              then=then(kind="protection", topic="probe_topic", modality="not_available")),
        *others)


def _chain(prefix: str, length: int, last: dict[str, Any]) -> list[dict[str, Any]]:
    """Rules ``prefix1`` .. ``prefixN``, each holding when the next holds; the last on ``last``."""
    rules = [probe(f"{prefix}{i}", when=[{"conclusion": f"{prefix}{i + 1}"}])
             for i in range(1, length)]
    return [*rules, probe(f"{prefix}{length}", when=[last])]


@pytest.mark.parametrize(("give_depth", "deny_depth"), [(1, 1), (2, 1), (1, 2)])
def test_topics_excluded_through_other_conclusions_load(rules_copy: Path, give_depth: int,
                                                        deny_depth: int) -> None:
    """A topic given on one conclusion and denied on another loads when those conclusions rest,
    some rules down, on conditions that exclude each other: the check follows three references
    in all, on either side."""
    (rules_copy / PROBE).write_text(_topic_rules(
        [{"conclusion": "gap.probe_x1"}], [{"conclusion": "gap.probe_y1"}],
        *_chain("gap.probe_x", give_depth, {"fact": AGE, "lt": YEARS}),
        *_chain("gap.probe_y", deny_depth, {"fact": AGE, "ge": YEARS})), encoding="utf-8")
    assert "protection.probe_deny" in load_rulebook(rules_copy).by_id


@pytest.mark.parametrize(("give_depth", "deny_depth"), [(2, 2), (3, 1), (1, 3)])
def test_topics_excluded_deeper_than_the_check_looks_are_refused(
        rules_copy: Path, give_depth: int, deny_depth: int) -> None:
    """Beyond three references the check cannot show the conditions exclude each other, and
    refuses: it is sound (it never lets a real conflict through), not complete."""
    (rules_copy / PROBE).write_text(_topic_rules(
        [{"conclusion": "gap.probe_x1"}], [{"conclusion": "gap.probe_y1"}],
        *_chain("gap.probe_x", give_depth, {"fact": AGE, "lt": YEARS}),
        *_chain("gap.probe_y", deny_depth, {"fact": AGE, "ge": YEARS})), encoding="utf-8")
    with pytest.raises(RulebookError, match="can deny 'probe_topic'"):
        load_rulebook(rules_copy)


@pytest.mark.parametrize("deny_first", [False, True])
def test_topics_excluded_by_a_conclusion_on_one_side_only_load(rules_copy: Path,
                                                                deny_first: bool) -> None:
    """One side names a conclusion, the other a fact that rules it out: loads whichever side
    holds the reference."""
    ref, fact = [{"conclusion": "gap.probe_x1"}], [{"fact": AGE, "ge": YEARS}]
    give, deny = (fact, ref) if deny_first else (ref, fact)
    (rules_copy / PROBE).write_text(_topic_rules(
        give, deny, *_chain("gap.probe_x", 2, {"fact": AGE, "lt": YEARS})), encoding="utf-8")
    assert "protection.probe_give" in load_rulebook(rules_copy).by_id


def test_topics_excluded_by_an_exception_load(rules_copy: Path) -> None:
    """Given on a conclusion whose every rule yields to what the denial needs: they exclude each
    other, and the rulebook loads; without the exception it is refused."""
    others = (probe("gap.probe_x1", unless=["gap.probe_y1"]), probe("gap.probe_y1"))
    (rules_copy / PROBE).write_text(_topic_rules(
        [{"conclusion": "gap.probe_x1"}], [{"conclusion": "gap.probe_y1"}], *others),
        encoding="utf-8")
    assert "protection.probe_give" in load_rulebook(rules_copy).by_id
    (rules_copy / PROBE).write_text(_topic_rules(
        [{"conclusion": "gap.probe_x1"}], [{"conclusion": "gap.probe_y1"}],
        probe("gap.probe_x1"), probe("gap.probe_y1")), encoding="utf-8")
    with pytest.raises(RulebookError, match="can deny 'probe_topic'"):
        load_rulebook(rules_copy)


def _scoped_topic_rules(give: list[str], deny: list[str]) -> str:
    """A topic given for some charges and denied for others, on the same facts otherwise."""
    return _probe_text(
        probe(_A, scope={"kind": "charge", "offense": give},
              then=then(topic="probe_topic", modality="mandatory")),
        probe(_B, scope={"kind": "charge", "offense": deny},
              then=then(topic="probe_topic", modality="not_available")))


def test_a_topic_given_and_denied_for_different_charges_loads(rules_copy: Path) -> None:
    """Rules attached to different charges never meet in one conclusion: no conflict."""
    (rules_copy / PROBE).write_text(
        _scoped_topic_rules(["enticing_child"], ["computer_luring"]), encoding="utf-8")
    assert _B in load_rulebook(rules_copy).by_id


@pytest.mark.parametrize(("give", "deny"), [
    (["enticing_child", "computer_luring"], ["computer_luring"]),
    (["computer_luring"], ["enticing_child", "computer_luring"]),
])
def test_a_topic_given_and_denied_for_one_charge_is_refused(
        rules_copy: Path, give: list[str], deny: list[str]) -> None:
    """Where the charges the two rules attach to overlap, one result could give and deny the
    topic: refused, whichever side names more charges."""
    (rules_copy / PROBE).write_text(_scoped_topic_rules(give, deny), encoding="utf-8")
    with pytest.raises(RulebookError, match=f"can deny 'probe_topic' in a result where rule "
                                            f"'{_A}' gives it"):
        load_rulebook(rules_copy)


@pytest.mark.parametrize(("bounds", "refusal"), [
    ({"min": 5, "max": 5}, None),  # one figure: "a sentence of 5 years"
    ({"min": 0, "max": 10}, None),  # a figure of 0 is a figure
    ({"max": 0}, None),
    ({"min": 6, "max": 5}, "min 6 is greater than max 5"),
    ({"min": -1}, "a penalty figure cannot be negative"),
    ({"max": -1}, "a penalty figure cannot be negative"),
])
def test_a_penalty_range_is_ordered_and_not_negative(bounds: dict[str, int],
                                                     refusal: str | None) -> None:
    """A range as the source states it: its ends may be equal or 0, never reversed or below 0."""
    if refusal is None:
        assert Range(**bounds).model_dump(exclude_none=True) == bounds
    else:
        with pytest.raises(ValidationError, match=refusal):
            Range(**bounds)


def test_a_topic_given_where_a_list_holds_a_value_and_denied_where_it_does_not_loads(
        rules_copy: Path) -> None:
    """'The roles include trafficker' and 'the roles do not include trafficker' never hold
    together: no conflict."""
    (rules_copy / PROBE).write_text(_probe_text(*topic_pair(
        {"fact": ROLES, "has": "trafficker"}, {"fact": ROLES, "lacks": "trafficker"})),
        encoding="utf-8")
    assert _B in load_rulebook(rules_copy).by_id


def test_a_parameter_in_years_whose_quote_states_years_loads(rules_copy: Path) -> None:
    """'3 years' states 3 for a parameter in years (and 36 for one in months)."""
    assert re.fullmatch(r"\d+ years?", _M.stated or ""), _M.stated
    add_param(_PARAM, MONTHS, unit="years", value=_M.value // 12)(rules_copy)
    (rules_copy / PROBE).write_text(_probe_text(*_USES_PARAM), encoding="utf-8")
    assert load_rulebook(rules_copy).meta.parameters[_PARAM].value == _M.value // 12


def test_a_condition_on_a_kind_of_charge_is_not_the_rules_scope(rules_copy: Path) -> None:
    """A rule that holds when some charge of enticing applies reads that charge as a condition:
    the conclusion does not say it attaches to it (only a ``scope`` does)."""
    (rules_copy / PROBE).write_text(_probe_text(
        probe(when=[{"kind": "charge", "offense": ["enticing_child"]}]),
        probe(_A, when=None, scope={"kind": "charge", "offense": ["enticing_child"]})),
        encoding="utf-8")
    result = Engine(load_rulebook(rules_copy), cache_size=0).evaluate({
        "victim": {"age": 13}, "investigation": {"decoy": False},
        "accused": {"roles": ["trafficker"], "conduct": {"enticed_for_commercial_sex": True}}})
    conditioned, scoped = result.conclusion("gap.probe"), result.conclusion(_A)
    assert conditioned is not None and scoped is not None
    assert (conditioned.applies_to, scoped.applies_to) == ([], ["charge.enticing_child"])
