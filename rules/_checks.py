"""The load-time checks of the rulebook. Each yields ``(file, rule id, message)`` problems; the
loader refuses a rulebook with any.

* identity: rule ids unique; each conclusion defined in full by exactly one rule, named by id by
  the others; every charge's offense is in the offense table, which is the fact model's;
* conditions: every fact exists and every operator and value fits it; every conclusion a
  condition or ``unless`` names is added, and decided, by some rule; no cycle;
* citations: every quote is in the source; sections are areas; statute keys are in the table;
  every penalty figure is in the defining rule's quotes;
* parameters: each stated value is in its quote and its words give the value; each derived one
  is its sum; each is used;
* presumptions, computed facts and warnings name facts that exist, with values that fit;
* consistency: no two rules can give and deny one topic in one result (their conditions must
  exclude each other, or they must attach to different charges).
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Iterator

from dmst.facts.model import Offense
from dmst.facts.paths import FACTS, FactSpec
from dmst.rules._atoms import Atom, FactAtom, MatchAtom, RefAtom
from dmst.rules._book import LoadedRule, fact_specs
from dmst.rules._model import Citation, ConclusionSpec, Modality, RulebookMeta
from dmst.rules._source import Source, normalize

__all__ = ["check_rulebook"]

Found = Iterator[tuple[str, str, str]]
META = "rulebook.yaml"

_OPS_FOR_KIND = {
    "bool": {"is", "not"},
    "int": {"is", "lt", "le", "gt", "ge"},
    "age": {"lt", "le", "gt", "ge"},
    "number": {"lt", "le", "gt", "ge"},
    "date": {"lt", "ge"},
    "set": {"has", "lacks"},
    "choice": {"is"},
}
_PERIOD = ("as_of.from", "as_of.until")


def check_rulebook(rules: list[LoadedRule], meta: RulebookMeta, source: Source,
                   definitions: dict[str, ConclusionSpec]) -> Found:
    """Every problem of the rulebook (see the module docstring)."""
    facts = fact_specs(meta)
    yield from _identity(rules, meta, definitions)
    decided = {r.conclusion_id for r in rules if not r.rule.source_silent}
    for r in rules:
        yield from _check_rule(r, meta, source, facts, definitions, decided)
    yield from _cycles(rules, definitions)
    yield from _parameters(rules, meta, source)
    yield from _tables(meta, source, facts)
    yield from _topics(rules, definitions)


def _identity(rules: list[LoadedRule], meta: RulebookMeta,
              definitions: dict[str, ConclusionSpec]) -> Found:
    seen: dict[str, str] = {}
    defined_by: dict[str, str] = {}
    for r in rules:
        if r.id in seen:
            yield r.file, r.id, f"rule id '{r.id}' is used twice (also in {seen[r.id]})"
        seen[r.id] = r.file
        cid = r.conclusion_id
        if isinstance(r.rule.then, ConclusionSpec):
            if cid in defined_by:
                yield r.file, r.id, (
                    f"defines conclusion '{cid}' again (rule '{defined_by[cid]}' defines it); "
                    f"name it by id instead (then: {cid})"
                )
            defined_by.setdefault(cid, r.id)
            spec = r.rule.then
            if spec.offense is not None and spec.offense not in meta.offenses:
                yield r.file, r.id, _unknown("offense", spec.offense, meta.offenses)
        elif cid not in definitions:
            yield r.file, r.id, _unknown("conclusion", cid, definitions, "which no rule defines")
    enum = {o.value for o in Offense}
    for missing in sorted(enum - set(meta.offenses)):
        yield META, "", f"offense '{missing}' of the fact model has no entry in 'offenses'"
    for extra in sorted(set(meta.offenses) - enum):
        yield META, "", f"offense '{extra}' is not one of the fact model's offenses"
    charged = {s.offense for s in definitions.values() if s.offense}
    for unused in sorted(set(meta.offenses) - charged):
        yield META, "", f"offense '{unused}' is the offense of no charge"


def _unknown(what: str, name: str, known: object, tail: str = "") -> str:
    close = difflib.get_close_matches(name, list(known), n=1)  # type: ignore[call-overload]
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown {what} '{name}'{hint}" + (f", {tail}" if tail else "")


def _check_rule(r: LoadedRule, meta: RulebookMeta, source: Source, facts: dict[str, FactSpec],
                definitions: dict[str, ConclusionSpec], decided: set[str]) -> Found:
    where = (r.file, r.id)
    for alt in r.alternatives:
        for atom in alt:
            if isinstance(atom, FactAtom):
                if atom.op == "unknown":
                    yield *where, (f"'{atom.path} unknown' is for warnings: a rule reads what "
                                   "the facts say, and an unknown fact leaves it undetermined")
                yield from (where + (m,) for m in _check_fact(atom, facts, meta))
            elif isinstance(atom, RefAtom):
                if atom.id not in definitions:
                    yield *where, _unknown("conclusion", atom.id, definitions, "which no rule adds")
                elif atom.id not in decided:
                    yield *where, f"refers to '{atom.id}', which the source leaves undecided"
            elif not any(atom.matches(s.kind.value, s.offense, s.role)
                         for cid, s in definitions.items() if cid in decided):
                yield *where, f"no rule adds {atom.describe()}"
    for u in r.rule.unless:
        if u not in definitions:
            yield *where, "'unless' names " + _unknown("conclusion", u, definitions,
                                                       "which no rule adds")
        elif u not in decided:
            yield *where, f"'unless' names '{u}', which the source leaves undecided"
    yield from (where + (m,) for m in _check_cites(r.rule.cites, r.area, meta, source))
    spec = r.rule.then
    if isinstance(spec, ConclusionSpec) and spec.penalty is not None:
        quotes = " ".join(normalize(c.quote) for c in r.rule.cites)
        for label, rng, fmt, after in (
            # a term of years is a number the words "years" follow (after a range's other end:
            # "5–30 years", "up to 10 years"), so an age ("under 18") is never read as one
            ("prison years", spec.penalty.prison_years, "{:d}", _YEARS_AFTER),
            ("fine", spec.penalty.fine_usd, "${:,d}", r"(?![\d,])"),
        ):
            for figure in (rng.min, rng.max):
                if figure is not None and not re.search(
                    r"(?<![\d,$])" + re.escape(fmt.format(figure)) + after, quotes
                ):
                    yield *where, (
                        f"{label} figure {figure} does not appear in the rule's quotes; penalties "
                        "only as the source states them"
                    )


def _check_cites(cites: list[Citation], area: str | None, meta: RulebookMeta, source: Source
                 ) -> Iterator[str]:
    """Problems of citations; ``area`` is the section a citation without one falls in (None
    where there is no such default: the citation must name its section)."""
    for c in cites:
        if not source.contains(c.quote):
            yield f"quote not found in the source: \u201c{c.quote[:80]}\u201d"
        section = c.section or area
        if section is None:
            yield "the citation names no section: give the section of the source it is in"
        elif section not in meta.areas:
            yield f"citation section '{section}' is not one of the source's areas"
        if c.statute is not None and c.statute not in meta.statutes:
            yield _unknown("statute", c.statute, meta.statutes, "not in the statute table")


def _check_fact(atom: FactAtom, facts: dict[str, FactSpec], meta: RulebookMeta) -> Iterator[str]:
    spec = facts.get(atom.path)
    if spec is None:
        yield _unknown("fact", atom.path, facts)
        return
    if atom.op == "unknown":
        return
    if atom.op not in _OPS_FOR_KIND[spec.kind]:
        yield f"operator '{atom.op}' does not fit {spec.kind} fact '{atom.path}'"
        return
    if spec.kind == "bool" and not isinstance(atom.value, bool):
        yield f"'{atom.path}' is true or false, not {atom.value!r}"
    if spec.kind in ("set", "choice") and atom.value not in spec.choices:
        yield f"'{atom.value}' is not one of {', '.join(spec.choices)} for '{atom.path}'"
    if spec.kind == "date" and atom.param not in _PERIOD:
        yield (f"'{atom.path}' is a date: compare it with as_of.from or as_of.until, the "
               "source's period")
        return
    if spec.kind != "date" and atom.param in _PERIOD:
        yield f"'{atom.path}' is not a date: compare it with a parameter, not {atom.param}"
        return
    if atom.param is not None and atom.param in meta.parameters:
        unit = meta.parameters[atom.param].unit
        if spec.unit is not None and spec.unit != unit:
            yield f"parameter '{atom.param}' is in {unit}, but '{atom.path}' is in {spec.unit}"


def _cycles(rules: list[LoadedRule], definitions: dict[str, ConclusionSpec]) -> Found:
    from dmst.rules._loader import depends_on

    graph: dict[str, set[str]] = {}
    for r in rules:
        graph.setdefault(r.conclusion_id, set()).update(
            depends_on(r, definitions) & set(definitions))
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path + [node, nxt]
            if nxt not in state:
                found = visit(nxt, path + [node])
                if found:
                    return found
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            if cycle:
                owner = next(r for r in rules if r.conclusion_id == cycle[-2])
                yield owner.file, owner.id, "rules form a cycle: " + " -> ".join(cycle)
                return


_YEARS = re.compile(r"(\d+)\s+years?")
#: What follows a prison term's figure: "years", perhaps after the other end of a range.
_YEARS_AFTER = r"(?:\s*(?:[\u2013-]|to)\s*\d+)?\s+years?\b"


def _parameters(rules: list[LoadedRule], meta: RulebookMeta, source: Source) -> Found:
    used = {a.param for r in rules for alt in r.alternatives for a in alt
            if isinstance(a, FactAtom) and a.param}
    used |= {w.when.value for w in meta.warnings if isinstance(w.when.value, str)}
    for r in rules:
        for name in (r.spec.deadline_after or []) if isinstance(r.rule.then, ConclusionSpec) else []:
            used.add(name)
            if name not in meta.parameters:
                yield r.file, r.id, _unknown("parameter", name, meta.parameters)
            elif meta.parameters[name].unit != "months":
                yield r.file, r.id, f"deadline parameter '{name}' is not in months"
    for p in meta.parameters.values():
        used |= set(p.sum or ())
    for name, p in meta.parameters.items():
        where = (META, f"parameter {name}")
        if p.sum is not None:
            parts = [meta.parameters.get(n) for n in p.sum]
            if any(q is None for q in parts):
                yield *where, "'sum' names a parameter that does not exist"
            elif any(q.unit != p.unit for q in parts if q is not None):
                yield *where, "'sum' adds parameters of another unit"
            elif sum(q.value for q in parts if q is not None) != p.value:
                yield *where, f"value {p.value} is not the sum of {', '.join(p.sum)}"
        else:
            assert p.quote is not None and p.stated is not None and p.section is not None
            yield from (where + (m,) for m in _check_cites(
                [Citation(quote=p.quote, section=p.section, statute=p.statute)],
                p.section, meta, source))
            if normalize(p.stated) not in normalize(p.quote):
                yield *where, f"the words '{p.stated}' are not in its quote"
            stated_years = _YEARS.search(p.stated)
            number = re.search(r"\d+", p.stated)
            expected = (int(stated_years.group(1)) * (12 if p.unit == "months" else 1)
                        if stated_years else int(number.group()) if number else None)
            if expected != p.value:
                yield *where, (f"value {p.value} {p.unit} is not what '{p.stated}' states"
                               + (f" ({expected} {p.unit})" if expected is not None else ""))
        if name not in used:
            yield *where, "is used by no rule or warning"


def _tables(meta: RulebookMeta, source: Source, facts: dict[str, FactSpec]) -> Found:
    from dmst.rules._loader import _Unresolved, resolve_condition

    for p in meta.presumptions:
        where = (META, f"presumption {p.fact}")
        spec = facts.get(p.fact)
        if spec is None:
            yield *where, _unknown("fact", p.fact, FACTS)
        elif spec.computed_from:
            yield *where, (f"'{p.fact}' is computed from {', '.join(spec.computed_from)}; "
                           "presume the facts it is computed from, if any")
        elif spec.kind == "bool" and not isinstance(p.value, bool):
            yield *where, f"'{p.fact}' is true or false, not {p.value!r}"
        elif spec.kind == "choice":
            if p.value not in spec.choices:
                yield *where, (f"{p.value!r} is not one of {', '.join(spec.choices)} for "
                               f"'{p.fact}'")
        elif spec.kind != "bool":
            yield *where, (f"'{p.fact}' is {_A_KIND.get(spec.kind, spec.kind)}; a presumption "
                           "states a true-or-false fact or a choice, as the source reads it")
        yield from (where + (m,) for m in _check_cites(p.cites, None, meta, source))
    for path, c in meta.computed.items():
        if path in FACTS:
            yield META, f"computed {path}", f"'{path}' is a given fact; a computed fact needs a " \
                "name of its own"
        for arg in c.args:
            if FACTS.get(arg) is None or FACTS[arg].kind != "date":
                yield META, f"computed {path}", f"'{arg}' is not a date fact"
    for w in meta.warnings:
        where = (META, f"warning {w.code}")
        try:
            atom = resolve_condition(w.when, meta)
        except _Unresolved as exc:
            yield *where, str(exc)
        else:
            yield from (where + (m,) for m in _check_fact(atom, facts, meta))
        names = {f for _, f, _, _ in string.Formatter().parse(w.message) if f}
        for n in sorted(names - set(facts) - {"as_of.from", "as_of.until"}):
            yield *where, f"the message names '{{{n}}}', which is not a fact"


_A_KIND = {"age": "an age", "number": "a number", "date": "a date", "set": "a list"}


# --- consistency: no result gives and denies one topic -----------------------------------------


def _topics(rules: list[LoadedRule], definitions: dict[str, ConclusionSpec]) -> Found:
    by_conclusion: dict[str, list[LoadedRule]] = {}
    for r in rules:
        by_conclusion.setdefault(r.conclusion_id, []).append(r)
    decided = [r for r in rules if not r.rule.source_silent]
    gives = [r for r in decided if r.spec.topic and r.spec.modality is not Modality.NOT_AVAILABLE]
    denies = [r for r in decided if r.spec.topic and r.spec.modality is Modality.NOT_AVAILABLE]
    for d in denies:
        for g in gives:
            if g.spec.topic != d.spec.topic:
                continue
            for ga in g.alternatives:
                for da in d.alternatives:
                    if not _exclusive(frozenset(ga), frozenset(da), by_conclusion, 3):
                        yield d.file, d.id, (
                            f"can deny '{d.spec.topic}' in a result where rule '{g.id}' gives it; "
                            "make their conditions exclude each other"
                        )
                        break
                else:
                    continue
                break


def _facts_conflict(a: FactAtom, b: FactAtom) -> bool:
    if a.path != b.path or a.unknown_holds or b.unknown_holds or "not" in (a.op, b.op):
        return False
    if a.op == "is" and b.op == "is":
        return bool(a.value != b.value)
    if {a.op, b.op} == {"has", "lacks"}:  # a list that holds a value, and one that does not
        return bool(a.value == b.value)
    if {a.op, b.op} <= {"lt", "le", "gt", "ge"}:
        lo_a, hi_a = _interval(a)
        lo_b, hi_b = _interval(b)
        return _before(hi_a, lo_b) or _before(hi_b, lo_a)
    return False


def _interval(a: FactAtom) -> tuple[tuple[float, bool], tuple[float, bool]]:
    """The values an atom admits, as ((low, closed), (high, closed))."""
    inf = float("inf")
    v = a.value
    return {
        "lt": ((-inf, False), (v, False)), "le": ((-inf, False), (v, True)),
        "gt": ((v, False), (inf, False)), "ge": ((v, True), (inf, False)),
    }[a.op]


def _before(high: tuple[float, bool], low: tuple[float, bool]) -> bool:
    """Whether every value up to ``high`` is below every value from ``low``."""
    return high[0] < low[0] or (high[0] == low[0] and not (high[1] and low[1]))


def _exclusive(a: frozenset[Atom], b: frozenset[Atom],
               rules: dict[str, list[LoadedRule]], depth: int) -> bool:
    """Whether no result can satisfy both conjunctions of atoms (a sound, partial test)."""
    fa = [x for x in a if isinstance(x, FactAtom)]
    fb = [x for x in b if isinstance(x, FactAtom)]
    if any(_facts_conflict(x, y) for x in fa for y in fb):
        return True
    sa = [x for x in a if isinstance(x, MatchAtom) and x.scope and x.offenses]
    sb = [x for x in b if isinstance(x, MatchAtom) and x.scope and x.offenses]
    if sa and sb and all(not set(x.offenses or ()) & set(y.offenses or ())
                         for x in sa for y in sb):
        return True  # they attach to different charges
    refs_a = {x.id for x in a if isinstance(x, RefAtom)}
    refs_b = {x.id for x in b if isinstance(x, RefAtom)}
    for mine, theirs in ((refs_a, refs_b), (refs_b, refs_a)):
        for ref in theirs:
            producers = [r for r in rules.get(ref, []) if not r.rule.source_silent]
            if producers and all(set(r.rule.unless) & mine for r in producers):
                return True  # every rule for it yields to a conclusion the other side needs
    if depth == 0:
        return False
    # every test above treats the two sides alike, so a side may be expanded as either argument
    for side, other in ((a, b), (b, a)):
        for ref in (x for x in side if isinstance(x, RefAtom)):
            producers = [r for r in rules.get(ref.id, []) if not r.rule.source_silent]
            rest = side - {ref}
            if producers and all(_exclusive(rest | frozenset(alt), other, rules, depth - 1)
                                 for r in producers for alt in r.alternatives):
                return True
    return False
