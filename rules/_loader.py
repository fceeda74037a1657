"""Load the rulebook: the rule files, the source text and the tables, checked before use.

The loader refuses a rulebook that fails any check of :mod:`dmst.rules._checks` and names the
file and the rule. It expands each rule's conditions into alternatives of atoms, resolves the
parameters conditions name, orders the rules by level and decides each rule's entity.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dmst._yaml import YamlProblem, load_yaml
from dmst.errors import Problem, RulebookError
from dmst.rules._atoms import PAIR, VICTIM, Atom, FactAtom, MatchAtom, RefAtom, fact_entity
from dmst.rules._book import LoadedRule, Rulebook
from dmst.rules._checks import check_rulebook
from dmst.rules._model import (
    AllCondition,
    AnyCondition,
    ConclusionRef,
    ConclusionSpec,
    Condition,
    FactCondition,
    Rule,
    RulebookMeta,
    RuleFile,
)
from dmst.rules._source import Source

__all__ = ["load_rulebook", "resolve_condition"]

META_FILE = "rulebook.yaml"
CONVICTIONS = "accused.convicted_of"


def _package_dir() -> Traversable:
    return resources.files("dmst.rules")


def load_rulebook(directory: str | Path | None = None, *, cache: bool = True) -> Rulebook:
    """Load and check the rulebook from ``directory`` (default: the one shipped with dmst).

    The shipped rulebook, once checked, is kept in the user's cache folder (``$DMST_CACHE_DIR``,
    else ``$XDG_CACHE_HOME/dmst`` or ``~/.cache/dmst``) under a key made of every rule file, the
    source text and the code that reads and checks them, so that a later start reads it back
    instead of checking it again; any change to those files checks it again. ``cache=False``
    (as ``dmst check`` does) always reads and checks the files; a rulebook of another folder is
    never cached.

    Raises :class:`~dmst.errors.RulebookError` naming the file (and, for each problem, the rule)
    when any file is unreadable, not the rule format, or fails a check."""
    if directory is not None:
        return _load(Path(directory))
    shipped = _package_dir()
    if not cache:
        return _load(shipped)
    from dmst.rules import _cache

    key = _cache.key(shipped)
    found = _cache.read(key)
    if isinstance(found, Rulebook):
        return found
    rulebook = _load(shipped)
    _cache.write(key, rulebook)
    return rulebook


def _load(base: Traversable | Path) -> Rulebook:
    meta_text = _read(base, META_FILE)
    meta = _parse(META_FILE, meta_text, RulebookMeta, None)
    source_file = str(meta.source.get("file", ""))
    try:
        text = _read(base, source_file)
    except RulebookError:
        raise RulebookError(f"the source text '{source_file}' named in {META_FILE} is missing",
                            file=META_FILE) from None
    source = Source(
        text=text,
        title=str(meta.source.get("title", "")),
        publisher=str(meta.source.get("publisher", "")),
        edition=str(meta.source.get("edition", "")),
        as_of=tuple(d.isoformat() for d in meta.as_of),  # type: ignore[arg-type]
        url=str(meta.source.get("url", "")),
        headings=tuple(meta.headings),
    )
    names = sorted(n for n in _list_yaml(base) if n != META_FILE)
    digest = hashlib.sha256(meta_text.encode())
    files: list[tuple[str, RuleFile]] = []
    for name in names:
        raw = _read(base, name)
        digest.update(name.encode() + b"\0" + raw.encode())
        files.append((name, _parse(name, raw, RuleFile, "rules")))
    digest.update(text.encode())
    definitions = {
        r.conclusion_id: r.then for _, f in files for r in f.rules
        if isinstance(r.then, ConclusionSpec)
    }
    problems: list[tuple[str, str, str]] = []
    loaded: list[LoadedRule] = []
    for name, rule_file in files:
        if rule_file.area not in meta.areas:
            problems.append((name, "", f"area '{rule_file.area}' is not one of the source's "
                             "areas: " + ", ".join(meta.areas)))
        for rule in rule_file.rules:
            spec = definitions.get(rule.conclusion_id)
            try:
                alternatives = tuple(_alternatives(rule, meta))
            except _Unresolved as exc:
                problems.append((name, rule.id, str(exc)))
                alternatives = ()
            loaded.append(LoadedRule(
                rule, name, rule_file.area, alternatives,
                spec if spec is not None else ConclusionSpec(kind="gap", title="?"),
            ))
    problems.extend(check_rulebook(loaded, meta, source, definitions))
    if problems:
        first = problems[0]
        raise RulebookError(
            f"the rulebook has {len(problems)} problem(s)", file=first[0], problems=tuple(
                Problem(message=f"{f}: {msg}", field=rid or None) for f, rid, msg in problems
            )
        )
    return Rulebook(meta, source, _order(loaded), digest.hexdigest()[:16], tuple(names))


def _read(base: Traversable | Path, name: str) -> str:
    try:
        return base.joinpath(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulebookError(f"cannot read rule file: {exc}", file=name) from None


def _list_yaml(base: Traversable | Path) -> list[str]:
    return [p.name for p in base.iterdir() if p.name.endswith(".yaml") and p.is_file()]


#: The members of a scalar union, as pydantic names them in an error's location.
_SCALAR_TAGS = ("bool", "int", "float", "str")


def _parse(name: str, text: str, model: Any, list_key: str | None) -> Any:
    try:
        data = load_yaml(text, fast=True)
    except YamlProblem as exc:
        raise RulebookError(exc.message, file=name, line=exc.line) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        errors = exc.errors()
        # a value of none of a scalar's types: one message, not one for each type
        tags: dict[tuple[Any, ...], set[Any]] = {}
        for err in errors:
            tags.setdefault(err["loc"][:-1], set()).add(err["loc"][-1] if err["loc"] else None)
        scalar = {where for where, found in tags.items() if set(_SCALAR_TAGS) <= found}
        said: set[tuple[Any, ...]] = set()
        for err in errors:
            loc = err["loc"]
            if loc[:-1] in scalar and loc[-1] in _SCALAR_TAGS:
                if loc[:-1] in said:
                    continue
                said.add(loc[:-1])
                loc, err = loc[:-1], {**err, "msg": "must be true or false, a number or text"}
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


class _Unresolved(ValueError):
    """A condition names a parameter the rulebook does not have."""


def resolve_condition(cond: FactCondition, meta: RulebookMeta) -> FactAtom:
    """The atom of a fact condition, its threshold resolved: a parameter's value, or for
    ``as_of.from`` / ``as_of.until`` the source's period (an ISO date)."""
    op, value = cond.op, cond.value
    param = None
    if op in ("lt", "le", "gt", "ge"):
        if not isinstance(value, str) or isinstance(value, bool):
            raise _Unresolved(
                f"'{cond.fact} {op} {value}' writes a number in a rule; name a parameter of "
                f"{META_FILE} instead (a threshold lives in one place, with its quote)"
            )
        if value in ("as_of.from", "as_of.until"):
            start, until = meta.as_of
            return FactAtom(cond.fact, op, (start if value == "as_of.from" else until).isoformat(),
                            value)
        if value not in meta.parameters:
            import difflib

            close = difflib.get_close_matches(value, list(meta.parameters), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise _Unresolved(f"unknown parameter '{value}'{hint}")
        param, value = value, meta.parameters[value].value
    return FactAtom(cond.fact, op, value, param, unknown_holds=op == "not")


def _alternatives(rule: Rule, meta: RulebookMeta) -> Iterator[tuple[Atom, ...]]:
    """Expand ``when`` (and ``scope``) into alternatives of atoms. A scope tied to convictions
    becomes one alternative per offense: the charge, and the conviction of it."""
    parts: list[list[tuple[Atom, ...]]] = [_dnf(c, meta) for c in rule.when]
    if rule.scope is not None:
        s = rule.scope
        kind = s.kind.value if s.kind else None
        if s.convicted:
            parts.append([
                (MatchAtom(kind, (o,), s.role, True, s.relevance),
                 FactAtom(CONVICTIONS, "has", o, unknown_holds=True))
                for o in s.offense or ()
            ])
        else:
            parts.append([(ref_atom(s, scope=True),)])
    if rule.always:
        yield ()
        return
    for combo in itertools.product(*parts):
        atoms: list[Atom] = []
        for piece in combo:
            for atom in piece:
                if atom not in atoms:
                    atoms.append(atom)
        yield tuple(atoms)


def ref_atom(ref: ConclusionRef, *, scope: bool) -> RefAtom | MatchAtom:
    """The atom of a condition on other conclusions: one by id, or any that matches its kind,
    offenses and role (``scope``: a rule's scope, whose matches the result lists)."""
    if ref.conclusion is not None:
        return RefAtom(ref.conclusion, ref.relevance)
    return MatchAtom(ref.kind.value if ref.kind else None,
                     tuple(ref.offense) if ref.offense else None, ref.role, scope, ref.relevance)


def _dnf(cond: Condition, meta: RulebookMeta) -> list[tuple[Atom, ...]]:
    if isinstance(cond, FactCondition):
        return [(resolve_condition(cond, meta),)]
    if isinstance(cond, ConclusionRef):
        return [(ref_atom(cond, scope=False),)]
    if isinstance(cond, AnyCondition):
        return [alt for c in cond.any for alt in _dnf(c, meta)]
    assert isinstance(cond, AllCondition)
    out: list[tuple[Atom, ...]] = [()]
    for c in cond.all:
        out = [a + b for a in out for b in _dnf(c, meta)]
    return out


def depends_on(r: LoadedRule, specs: dict[str, ConclusionSpec]) -> set[str]:
    """The conclusions a rule reads: by id, by match, and through ``unless``."""
    out: set[str] = set(r.rule.unless)
    for alt in r.alternatives:
        for a in alt:
            if isinstance(a, RefAtom):
                out.add(a.id)
            elif isinstance(a, MatchAtom):
                out.update(cid for cid, s in specs.items()
                           if a.matches(s.kind.value, s.offense, s.role))
    return out


def _order(rules: list[LoadedRule]) -> tuple[LoadedRule, ...]:
    """Rules in evaluation order, each with its level (1 + the level of what it depends on) and
    its anchor entity."""
    specs = {r.conclusion_id: r.spec for r in rules}
    by_conclusion: dict[str, list[LoadedRule]] = {}
    for r in rules:
        by_conclusion.setdefault(r.conclusion_id, []).append(r)
    level: dict[str, int] = {}

    def level_of(cid: str) -> int:
        if cid not in level:
            deps = set().union(*(depends_on(r, specs) for r in by_conclusion[cid]))
            level[cid] = 1 + max((level_of(d) for d in deps if d in by_conclusion), default=0)
        return level[cid]

    ordered = sorted(rules, key=lambda r: (level_of(r.conclusion_id), r.id))
    entity: dict[str, str] = {}
    out: list[LoadedRule] = []
    for cid in sorted(by_conclusion, key=lambda c: (level_of(c), c)):
        anchored = []
        for r in (x for x in ordered if x.conclusion_id == cid):
            pair = any(
                (isinstance(a, FactAtom) and fact_entity(a.path) == PAIR)
                or (not isinstance(a, FactAtom) and any(
                    entity.get(t) == PAIR for t in _atom_targets(a, specs)))
                for alt in r.alternatives for a in alt
            ) or any(entity.get(u) == PAIR for u in r.rule.unless)
            anchored.append(LoadedRule(r.rule, r.file, r.area, r.alternatives, r.spec,
                                       level_of(cid), PAIR if pair else VICTIM))
        status = specs[cid].kind.value == "status"
        entity[cid] = VICTIM if status or all(r.anchor == VICTIM for r in anchored) else PAIR
        out.extend(anchored)
    return tuple(sorted(out, key=lambda r: (r.level, r.id)))


def _atom_targets(atom: Atom, specs: dict[str, ConclusionSpec]) -> list[str]:
    if isinstance(atom, RefAtom):
        return [atom.id]
    assert isinstance(atom, MatchAtom)
    return [cid for cid, s in specs.items() if atom.matches(s.kind.value, s.offense, s.role)]
