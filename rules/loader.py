"""Load and check the rulebook: the rule files, the source text and the statute table.

The loader refuses a rulebook that fails any check and names the file and the rule. Checks: YAML
is safe and has no duplicate keys; every rule matches the rule format; ids are unique; rules that
add the same conclusion agree on it; every fact path exists in the fact model and every operator
fits the fact; every conclusion a rule refers to is added by some rule; there is no cycle; every
quote is in the source; every penalty figure appears in the rule's own quotes; every statute key
is in the table.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dmst._yaml import YamlProblem, load_yaml
from dmst.errors import Problem, RulebookError
from dmst.facts.paths import FACTS
from dmst.rules.model import (
    AllCondition,
    AnyCondition,
    Certainty,
    ConclusionRef,
    ConclusionSpec,
    Condition,
    FactCondition,
    Rule,
    RulebookMeta,
    RuleFile,
    StatuteEntry,
)
from dmst.rules.source import Source, normalize

__all__ = [
    "Atom",
    "FactAtom",
    "LoadedRule",
    "MatchAtom",
    "RefAtom",
    "Rulebook",
    "load_rulebook",
]

META_FILE = "rulebook.yaml"


# --- conditions in evaluation form -------------------------------------------------------------


@dataclass(frozen=True)
class FactAtom:
    """``fact op value``: true, false, or unknown when the fact is not given."""

    path: str
    op: str  # is, lt, le, gt, ge, has
    value: Any

    def test(self, facts: dict[str, Any]) -> bool | None:
        """True, False, or None (unknown) against the flattened facts."""
        if self.path not in facts:
            return None
        given = facts[self.path]
        if self.op == "is":
            return bool(given == self.value)
        if self.op == "has":
            return self.value in given
        if self.op == "lt":
            return bool(given < self.value)
        if self.op == "le":
            return bool(given <= self.value)
        if self.op == "gt":
            return bool(given > self.value)
        return bool(given >= self.value)

    def describe(self) -> str:
        symbol = {"is": "is", "lt": "<", "le": "\u2264", "gt": ">", "ge": "\u2265", "has": "includes"}
        value = str(self.value).lower() if isinstance(self.value, bool) else self.value
        return f"{self.path} {symbol[self.op]} {value}"


@dataclass(frozen=True)
class RefAtom:
    """Another conclusion, by id, holds."""

    id: str

    def describe(self) -> str:
        return f"conclusion {self.id}"


@dataclass(frozen=True)
class MatchAtom:
    """Some conclusion with these attributes holds (any one of the offenses)."""

    kind: str | None
    offenses: tuple[str, ...] | None
    role: str | None
    #: True for a rule's scope: the result lists every matching conclusion.
    scope: bool = False

    def matches(self, spec: ConclusionSpec) -> bool:
        return (
            (self.kind is None or spec.kind.value == self.kind)
            and (self.offenses is None or spec.offense in self.offenses)
            and (self.role is None or spec.role == self.role)
        )

    def describe(self) -> str:
        parts = [self.kind or "conclusion"]
        if self.role:
            parts.append(f"of a {self.role}")
        if self.offenses:
            parts.append("for " + " or ".join(self.offenses))
        return "a " + " ".join(parts)


Atom = FactAtom | RefAtom | MatchAtom


@dataclass(frozen=True)
class LoadedRule:
    """A checked rule with its conditions expanded into alternatives (disjunctive normal form)."""

    rule: Rule
    file: str
    area: str
    #: Each alternative is a conjunction of atoms; the rule holds when one alternative holds.
    alternatives: tuple[tuple[Atom, ...], ...]
    level: int = 0

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def conclusion_id(self) -> str:
        return self.rule.conclusion_id

    @property
    def spec(self) -> ConclusionSpec:
        return self.rule.then

    @property
    def certainty(self) -> Certainty:
        return self.rule.certainty

    @property
    def silent(self) -> bool:
        return self.rule.source_silent

    @property
    def scope(self) -> MatchAtom | None:
        for atom in self.alternatives[0]:
            if isinstance(atom, MatchAtom) and atom.scope:
                return atom
        return None

    def fact_paths(self) -> tuple[str, ...]:
        paths = {a.path for alt in self.alternatives for a in alt if isinstance(a, FactAtom)}
        return tuple(sorted(paths))


@dataclass
class Rulebook:
    """The checked rulebook: rules in evaluation order, the source and the statute table."""

    meta: RulebookMeta
    source: Source
    rules: tuple[LoadedRule, ...]
    fingerprint: str
    files: tuple[str, ...] = field(default_factory=tuple)

    @cached_property
    def by_id(self) -> dict[str, LoadedRule]:
        return {r.id: r for r in self.rules}

    @cached_property
    def conclusions(self) -> dict[str, ConclusionSpec]:
        """Every conclusion id a rule can add, with its description (the first rule's ``then``)."""
        out: dict[str, ConclusionSpec] = {}
        for r in self.rules:
            out.setdefault(r.conclusion_id, r.spec)
        return out

    @cached_property
    def rules_for(self) -> dict[str, tuple[LoadedRule, ...]]:
        out: dict[str, list[LoadedRule]] = {}
        for r in self.rules:
            out.setdefault(r.conclusion_id, []).append(r)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def consumed(self) -> frozenset[str]:
        """Conclusion ids some rule's condition can match (the rest need not be asserted)."""
        used: set[str] = set()
        for r in self.rules:
            for alt in r.alternatives:
                for atom in alt:
                    used.update(self._targets(atom))
            used.update(r.rule.unless)
        return frozenset(used)

    def _targets(self, atom: Atom) -> Iterator[str]:
        if isinstance(atom, RefAtom):
            yield atom.id
        elif isinstance(atom, MatchAtom):
            for cid, spec in self.conclusions.items():
                if atom.matches(spec) and not self.rules_for[cid][0].silent:
                    yield cid

    def targets(self, atom: Atom) -> tuple[str, ...]:
        """The conclusion ids a conclusion atom can be satisfied by."""
        found = self._target_cache.get(atom)
        if found is None:
            found = self._target_cache[atom] = tuple(self._targets(atom))
        return found

    @cached_property
    def _target_cache(self) -> dict[Atom, tuple[str, ...]]:
        return {}

    def statute(self, key: str) -> StatuteEntry:
        return self.meta.statutes[key]

    def thresholds(self) -> dict[str, tuple[float, ...]]:
        """Every number a rule compares a fact with, by fact path."""
        out: dict[str, set[float]] = {}
        for r in self.rules:
            for alt in r.alternatives:
                for a in alt:
                    if isinstance(a, FactAtom) and a.op in ("lt", "le", "gt", "ge"):
                        out.setdefault(a.path, set()).add(a.value)
        return {k: tuple(sorted(v)) for k, v in sorted(out.items())}


# --- loading -----------------------------------------------------------------------------------


def _package_dir() -> Traversable:
    return resources.files("dmst.rules")


def load_rulebook(directory: str | Path | None = None) -> Rulebook:
    """Load and check the rulebook from ``directory`` (default: the one shipped with dmst)."""
    base: Traversable | Path = Path(directory) if directory is not None else _package_dir()
    meta_text = _read(base, META_FILE)
    meta = _parse(META_FILE, meta_text, RulebookMeta, None)
    source_file = str(meta.source.get("file", ""))
    try:
        text = _read(base, source_file)
    except RulebookError:
        raise RulebookError(f"the source text '{source_file}' named in {META_FILE} is missing",
                            file=META_FILE) from None
    as_of = meta.source.get("as_of", {})
    source = Source(
        text=text,
        title=str(meta.source.get("title", "")),
        publisher=str(meta.source.get("publisher", "")),
        edition=str(meta.source.get("edition", "")),
        as_of=(str(as_of.get("from", "")), str(as_of.get("until", ""))),
        url=str(meta.source.get("url", "")),
        headings=tuple(meta.headings),
    )
    names = sorted(
        n for n in _list_yaml(base) if n != META_FILE
    )
    digest = hashlib.sha256(meta_text.encode())
    loaded: list[LoadedRule] = []
    for name in names:
        raw = _read(base, name)
        digest.update(name.encode() + b"\0" + raw.encode())
        rule_file = _parse(name, raw, RuleFile, "rules")
        if rule_file.area not in meta.areas:
            raise RulebookError(
                f"area '{rule_file.area}' is not one of the source's areas: "
                + ", ".join(meta.areas),
                file=name,
            )
        for rule in rule_file.rules:
            loaded.append(
                LoadedRule(rule, name, rule_file.area, tuple(_alternatives(rule)))
            )
    digest.update(text.encode())
    problems = list(_check(loaded, meta, source))
    if problems:
        first = problems[0]
        raise RulebookError(
            f"the rulebook has {len(problems)} problem(s)", file=first[0], problems=tuple(
                Problem(message=f"{f}: {msg}", field=rid) for f, rid, msg in problems
            )
        )
    ordered = _order(loaded)
    return Rulebook(meta, source, ordered, digest.hexdigest()[:16], tuple(names))


def _read(base: Traversable | Path, name: str) -> str:
    try:
        return base.joinpath(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulebookError(f"cannot read rule file: {exc}", file=name) from None


def _list_yaml(base: Traversable | Path) -> list[str]:
    return [p.name for p in base.iterdir() if p.name.endswith(".yaml") and p.is_file()]


def _parse(name: str, text: str, model: Any, list_key: str | None) -> Any:
    try:
        data = load_yaml(text, fast=True)
    except YamlProblem as exc:
        raise RulebookError(exc.message, file=name, line=exc.line) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = err["loc"]
            rule_id = None
            if list_key and len(loc) >= 2 and loc[0] == list_key and isinstance(loc[1], int):
                try:
                    rule_id = data[list_key][loc[1]].get("id")
                except (AttributeError, IndexError, KeyError, TypeError):
                    rule_id = None
            where = ".".join(str(p) for p in loc)
            label = f"rule '{rule_id}' ({where})" if rule_id else where
            problems.append(Problem(message=err["msg"], field=label))
        raise RulebookError("the rule file does not match the rule format", file=name,
                            problems=tuple(problems)) from None


def _alternatives(rule: Rule) -> Iterator[tuple[Atom, ...]]:
    """Expand ``when`` (and ``scope``) into alternatives of atoms."""
    parts: list[list[tuple[Atom, ...]]] = [_dnf(c) for c in rule.when]
    if rule.scope is not None:
        s = rule.scope
        parts.append([(MatchAtom(s.kind.value if s.kind else None,
                                 tuple(s.offense) if s.offense else None, s.role, True),)])
    for combo in itertools.product(*parts):
        atoms: list[Atom] = []
        for piece in combo:
            for atom in piece:
                if atom not in atoms:
                    atoms.append(atom)
        yield tuple(atoms)


def _dnf(cond: Condition) -> list[tuple[Atom, ...]]:
    if isinstance(cond, FactCondition):
        return [(FactAtom(cond.fact, cond.op, cond.value),)]
    if isinstance(cond, ConclusionRef):
        if cond.conclusion is not None:
            return [(RefAtom(cond.conclusion),)]
        return [(MatchAtom(cond.kind.value if cond.kind else None,
                           tuple(cond.offense) if cond.offense else None, cond.role),)]
    if isinstance(cond, AnyCondition):
        return [alt for c in cond.any for alt in _dnf(c)]
    assert isinstance(cond, AllCondition)
    out: list[tuple[Atom, ...]] = [()]
    for c in cond.all:
        out = [a + b for a in out for b in _dnf(c)]
    return out


# --- checks ------------------------------------------------------------------------------------

_OPS_FOR_KIND = {
    "bool": {"is"},
    "int": {"is", "lt", "le", "gt", "ge"},
    "number": {"lt", "le", "gt", "ge"},
    "date": set(),
    "set": {"has"},
}


def _check(rules: list[LoadedRule], meta: RulebookMeta, source: Source
           ) -> Iterator[tuple[str, str, str]]:
    seen: dict[str, str] = {}
    specs: dict[str, tuple[LoadedRule, ConclusionSpec]] = {}
    for r in rules:
        if r.id in seen:
            yield r.file, r.id, f"rule id '{r.id}' is used twice (also in {seen[r.id]})"
        seen[r.id] = r.file
        cid = r.conclusion_id
        if cid in specs:
            other, spec = specs[cid]
            if spec.model_dump(exclude={"id"}) != r.spec.model_dump(exclude={"id"}):
                yield r.file, r.id, (
                    f"adds conclusion '{cid}' differently from rule '{other.id}'; rules adding "
                    "one conclusion must describe it the same way"
                )
            if other.silent != r.silent:
                yield r.file, r.id, f"conclusion '{cid}' is both decided and undecided"
        else:
            specs[cid] = (r, r.spec)
    silent = {cid for cid, (r, _) in specs.items() if r.silent}
    all_specs = {cid: s for cid, (_, s) in specs.items()}
    for r in rules:
        yield from _check_rule(r, meta, source, all_specs, silent)
    yield from _check_cycles(rules, all_specs)


def _check_rule(r: LoadedRule, meta: RulebookMeta, source: Source,
                specs: dict[str, ConclusionSpec], silent: set[str]
                ) -> Iterator[tuple[str, str, str]]:
    where = (r.file, r.id)
    for alt in r.alternatives:
        for atom in alt:
            if isinstance(atom, FactAtom):
                yield from (where + (m,) for m in _check_fact(atom))
            elif isinstance(atom, RefAtom):
                if atom.id not in specs:
                    yield *where, f"refers to conclusion '{atom.id}', which no rule adds"
                elif atom.id in silent:
                    yield *where, f"refers to '{atom.id}', which the source leaves undecided"
            elif not any(atom.matches(s) for cid, s in specs.items() if cid not in silent):
                yield *where, f"no rule adds {atom.describe()}"
    if r.alternatives and all(not alt for alt in r.alternatives):  # pragma: no cover
        yield *where, "has no conditions"
    for u in r.rule.unless:
        if u not in specs:
            yield *where, f"'unless' names conclusion '{u}', which no rule adds"
    for c in r.rule.cites:
        if not source.contains(c.quote):
            yield *where, f"quote not found in the source: \u201c{c.quote[:80]}\u201d"
        section = c.section or r.area
        if section not in meta.areas:
            yield *where, f"citation section '{section}' is not one of the source's areas"
        if c.statute is not None and c.statute not in meta.statutes:
            yield *where, f"statute '{c.statute}' is not in the statute table"
    if r.spec.penalty is not None:
        quotes = " ".join(normalize(c.quote) for c in r.rule.cites)
        for label, rng, fmt in (
            ("prison years", r.spec.penalty.prison_years, "{:d}"),
            ("fine", r.spec.penalty.fine_usd, "${:,d}"),
        ):
            for figure in (rng.min, rng.max):
                if figure is not None and not re.search(
                    r"(?<![\d,])" + re.escape(fmt.format(figure)) + r"(?![\d,])", quotes
                ):
                    yield *where, (
                        f"{label} figure {figure} does not appear in the rule's quotes; penalties "
                        "only as the source states them"
                    )


def _check_fact(atom: FactAtom) -> Iterator[str]:
    spec = FACTS.get(atom.path)
    if spec is None:
        import difflib

        close = difflib.get_close_matches(atom.path, FACTS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        yield f"unknown fact '{atom.path}'{hint}"
        return
    if atom.op not in _OPS_FOR_KIND[spec.kind]:
        yield f"operator '{atom.op}' does not fit {spec.kind} fact '{atom.path}'"
        return
    if spec.kind == "bool" and not isinstance(atom.value, bool):
        yield f"'{atom.path}' is true or false, not {atom.value!r}"
    if spec.kind in ("int", "number") and (
        isinstance(atom.value, bool) or not isinstance(atom.value, (int, float))
    ):
        yield f"'{atom.path}' is compared with a number, not {atom.value!r}"
    if spec.kind == "set" and atom.value not in spec.choices:
        yield f"'{atom.value}' is not one of {', '.join(spec.choices)} for '{atom.path}'"


def _deps(r: LoadedRule, specs: dict[str, ConclusionSpec]) -> set[str]:
    out: set[str] = set(r.rule.unless)
    for alt in r.alternatives:
        for a in alt:
            if isinstance(a, RefAtom):
                out.add(a.id)
            elif isinstance(a, MatchAtom):
                out.update(cid for cid, s in specs.items() if a.matches(s))
    return out


def _check_cycles(rules: list[LoadedRule], specs: dict[str, ConclusionSpec]
                  ) -> Iterator[tuple[str, str, str]]:
    graph: dict[str, set[str]] = {}
    for r in rules:
        graph.setdefault(r.conclusion_id, set()).update(_deps(r, specs) & set(specs))
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


def _order(rules: list[LoadedRule]) -> tuple[LoadedRule, ...]:
    """Rules in evaluation order, each with its level (1 + the level of what it depends on)."""
    specs: dict[str, ConclusionSpec] = {}
    for r in rules:
        specs.setdefault(r.conclusion_id, r.spec)
    by_conclusion: dict[str, list[LoadedRule]] = {}
    for r in rules:
        by_conclusion.setdefault(r.conclusion_id, []).append(r)
    level: dict[str, int] = {}

    def level_of(cid: str) -> int:
        if cid not in level:
            deps = set().union(*(_deps(r, specs) for r in by_conclusion[cid]))
            level[cid] = 1 + max((level_of(d) for d in deps if d in by_conclusion), default=0)
        return level[cid]

    out = [
        LoadedRule(r.rule, r.file, r.area, r.alternatives, level_of(r.conclusion_id))
        for r in rules
    ]
    return tuple(sorted(out, key=lambda r: (r.level, r.id)))
