#!/usr/bin/env python3
"""Mutation testing of the legal core: would the tests notice if the law or its checks changed?

Usage::

    python tests/mutate.py [--sample N] [--seed S] [--jobs J] [--only TEXT ...] [--list]
                           [--tests FILE ...] [--keys-from FILE] [--survivors-out FILE]

Each mutant is one small change to the rule data (``rules/*.yaml``) or to the Python of the legal
core (``CORE_PYTHON``: the loader, its checks and the rule model in ``rules/``, the fact model and
its computed facts in ``facts/``, and the preparation of facts, the record of firings and the
result builder in ``engine/``). The harness copies the repository to a
temporary folder (the working tree is never touched), makes the copy's code the one ``dmst``
imports (``PYTHONPATH`` points at the copy, with the sub-packages linked as the package-dir mapping
in ``pyproject.toml`` installs them), checks that the tests pass on the unchanged copy, then applies
one mutant at a time and runs the tests in stages (``STAGES``): first the test file most likely
to kill it (and those that killed its neighbours), then a few more, then the rest, stopping at the
first failure. ``--tests`` limits the run to some test files (a survivor of such a run may still
be killed by the others: run it again with ``--keys-from``). A mutant is *killed*
when a test fails; a run that takes longer than the time bound also counts as killed and is
reported. The last line printed is ``mutation score: K/N``.

Operators on rule data: every number ±1 (thresholds, penalty figures, parameters), a penalty
figure dropped, a date ±1 day, ``lt``<->``le`` and ``gt``<->``ge``, every true/false flipped
(``is: true``, ``source_silent``), ``certainty`` applies<->may_apply (added where a rule leaves it
to its default), ``modality`` swapped, one ``unless`` entry dropped, one ``when`` condition
dropped. Operators on Python (by the ``ast`` module, spliced into the source so the rest of the
file stays as written): ``<``<->``<=``, ``>``<->``>=``, ``==``<->``!=``, ``and``<->``or``,
``True``<->``False``, an integer constant ±1, a ``raise`` removed, a ``yield`` removed (in
``rules/`` and ``facts/``, where generators yield the load-time problems). Lines marked
``pragma: no cover`` and annotations are not mutated. Every mutant is checked to parse to exactly
the intended change before it is used.

Mutants known to be equivalent (no test could tell them from the original) are listed in
``EQUIVALENT`` with the reason, by a stable key (file, enclosing function or rule, the line's text
and the change; never a line number), and are not run.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import copy
import datetime as dt
import fnmatch
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent

#: What is mutated, relative to the repository root: the rule data, and the legal core's Python
#: (the loader and its checks, the fact model and its computed facts, the preparation of facts for
#: the rules, the record of firings and the result builder).
RULE_DATA = ("rules/*.yaml",)
CORE_PYTHON = ("rules/*.py", "engine/_prepare.py", "engine/_firings.py", "engine/_plan.py",
               "facts/model.py", "facts/paths.py")
#: Where removing a ``yield`` removes a load-time check (generators of problems).
YIELD_CHECKS = ("rules/*.py", "facts/*.py")

#: Test files tried first, by the file a mutant changes (those that killed mutants of the same
#: file earlier in the run move ahead of these).
FIRST: dict[str, tuple[str, ...]] = {
    "rules/*.yaml": ("test_law.py", "test_examples.py", "test_rulebook.py", "test_engine.py",
                     "test_report.py"),
    "rules/*.py": ("test_rulebook_refusals.py", "test_rulebook.py", "test_law.py",
                   "test_engine.py", "test_examples.py"),
    "engine/*.py": ("test_law.py", "test_examples.py", "test_engine.py", "test_explain.py",
                    "test_report.py"),
    "facts/*.py": ("test_fact_model.py", "test_input_errors.py", "test_law.py", "test_engine.py",
                   "test_examples.py"),
}
#: Slow test files, run last.
LAST = ("test_properties.py", "test_batch.py", "test_stateful.py", "test_concurrency.py",
        "test_signals.py", "test_fuzz.py", "test_web_browser.py", "test_capacity.py")
#: Never run under a mutant: the harness's own tests, and the real browser (the page shows what
#: the service answers, which the service's own tests check).
NEVER = ("test_mutate.py", "test_web_browser.py")
#: How many test files the first, quick stages run before the rest (each stage is one pytest run:
#: a mutant killed by the first file costs only the collection of that file).
STAGES = (1, 4)

#: Test files not run for mutants of some files, and why: they check what no mutant of those
#: files can change. (The first pattern a file matches applies. A renamed test file is simply
#: run again: that costs time, never a wrong score. ``--all-tests`` runs everything.)
_INPUT = "scenario input is read and refused by facts/ before any rule or engine code runs"
_THREADS = "threads against sequential runs of one engine, whatever its rules and code"
_CACHE = "cached against fresh results of one engine, whatever its rules"
_INSTALL = "what an install puts on the machine"
_SIGNALS = "signals, output errors and the text reader of the command line"
_SIZE = "the engine's capacity for a rulebook six times the size, whatever the rules say"
_ANY_RULES = {
    "test_concurrency.py": _THREADS, "test_packaging.py": _INSTALL, "test_signals.py": _SIGNALS,
    "test_output_errors.py": _SIGNALS, "test_text.py": _SIGNALS, "test_capacity.py": _SIZE,
}
SKIP_FILES: dict[str, dict[str, str]] = {
    "rules/*.yaml": {**_ANY_RULES, "test_input_errors.py": _INPUT, "test_stateful.py": _CACHE,
                     "test_errors.py": "the error classes and exit codes",
                     "test_fuzz.py": _INPUT},
    "rules/_coverage.py": {**_ANY_RULES, "test_input_errors.py": _INPUT,
                           "test_fuzz.py": _INPUT,
                           "test_stateful.py": "coverage is a report, not used in evaluation",
                           "test_properties.py": "coverage is a report, not used in evaluation",
                           "test_batch.py": "coverage is a report, not used in evaluation"},
    "rules/*.py": {**_ANY_RULES, "test_input_errors.py": _INPUT, "test_fuzz.py": _INPUT},
    "engine/*.py": {**_ANY_RULES, "test_input_errors.py": _INPUT, "test_fuzz.py": _INPUT},
    "facts/*.py": {**_ANY_RULES},
}
#: Tests (pytest ``-k`` words) not run for mutants of some files, and why.
SKIP_TESTS: dict[str, dict[str, str]] = {
    "*": {
        "memory_stays_flat": "measures memory, not results",
        "interrupted_run": "signals and partial output of a batch run",
        "progress_shows": "the progress bar of a batch run",
        "through_the_installed_command": "the same inputs and messages are checked in-process",
    },
    "rules/*.yaml": {
        "durable_rules_path_agrees": "both evaluators read the same rule data",
        "same_bytes": "determinism holds for any rule data",
        "order_of_facts": "independence from fact order holds for any rule data",
    },
}

#: Mutants no test could kill, by key, with the reason. (tests/test_mutate.py checks the
#: certainty ones against the rulebook: they stay right only while the rule's conditions do.)
_FORCED = ("every way the rule can hold goes through {}, which only ever may apply: the "
           "conclusion's certainty is the weakest of the rule's and its conditions', so it may "
           "apply either way")
_FROZEN = ("frozen only stops writes to an object after it is made, and nothing writes to these; "
           "none is hashed or compared as a key")
_ALIASES = ("the rule files write the aliases ('is', 'from'), which are read with or without "
            "population by field name")
_ZIP = ("the sequences zipped are built together, one item each, so they always have the same "
        "length")
_CLOSEST = "only the closest match is shown: a second one is never used"
_FLOOR = ("the floor of the age at testimony (the age at the offense) only matters against the "
          "rulebook's thresholds (14, 16, 18): a floor of 0 or 1, or a range replaced by the same "
          "range, decides nothing differently")
_STATED = ("the rule format makes a parameter either stated (quote, section and words all "
           "given) or derived (none of them): one given means all are")
_FACT_REASONS = ("charges and consequences keep only reasons on a fact, which have nothing "
                 "below them; the depth only reaches reasons on conclusions, which are dropped")
_ONE_EXCEPTION = ("the rulebook's one exception (status.trafficking_victim, in "
                  "status.csec_only_victim) and the rule it blocks are both the victim's: either "
                  "entity is the victim")
_UNORDERED = ("every rule the rulebook holds is rebuilt by rules/_loader.py _order with its "
              "level; the default only marks a rule not yet ordered, which nothing reads")
_INFINITE = "an infinite end is never equal to a finite one, so whether it is closed is never read"
_LEVELS = ("levels are only compared with each other (the order of evaluation and of statuses); "
           "a shift or a larger step keeps their order")
EQUIVALENT: dict[str, str] = {
    # --- rule data: a certainty its conditions already decide ---------------------------------
    "rules/protections.yaml::protection.compensation_reduced.responsibility/certainty::"
    "certainty: may_apply -> applies": _FORCED.format("protection.crime_victims_compensation"),
    "rules/protections.yaml::protection.compensation_reduced.non_cooperation/certainty::"
    "certainty: may_apply -> applies": _FORCED.format("protection.crime_victims_compensation"),
    "rules/protections.yaml::protection.compensation_filing.timely::certainty: applies "
    "(default) -> may_apply": _FORCED.format("protection.crime_victims_compensation"),
    "rules/protections.yaml::protection.compensation_filing.extension::certainty: applies "
    "(default) -> may_apply": _FORCED.format("protection.crime_victims_compensation"),
    "rules/protections.yaml::protection.compensation_filing.late_without_cause::certainty: "
    "applies (default) -> may_apply": _FORCED.format("protection.crime_victims_compensation"),
    "rules/protections.yaml::protection.compensation_filing.out_of_time::certainty: applies "
    "(default) -> may_apply": _FORCED.format("protection.crime_victims_compensation"),
    # --- Python: changes no behaviour can show ---------------------------------------------
    'engine/_firings.py::Firing::`@dataclass(frozen=True, order=True)`: True -> False':
        _FROZEN,
    'engine/_plan.py::_Alt::`@dataclass(frozen=True)`: True -> False':
        _FROZEN,
    'engine/_plan.py::Outcome::`@dataclass(frozen=True)`: True -> False':
        _FROZEN,
    'engine/_plan.py::PairPlan::`@dataclass(frozen=True)`: True -> False':
        _FROZEN,
    'engine/_plan.py::Plan::`@dataclass(frozen=True)`: True -> False':
        _FROZEN,
    'engine/_plan.py::PairView.failing::`for atom, targets in zip(alt.conclusions, alt.targets, strict=True):`: True -> False':
        _ZIP,
    'engine/_plan.py::PairView.conclusion::`for (m, _), scope, w, c in zip(f.matched, alt.scope, alt.weighed, matched_cert, strict=True):`: True -> False':
        _ZIP,
    'engine/_plan.py::PairView.undetermined::`for (m, _), scope in zip(f.matched, alts[f.rule][f.alternative].scope, strict=True)`: True -> False':
        _ZIP,
    'engine/_plan.py::PairView.conclusion::`cert = weakest([rule.certainty, *(c for c, w in zip(matched_cert, alt.weighed, strict=True) if w)])`: True -> False':
        _ZIP,
    'engine/_prepare.py::PairFacts::`@dataclass(frozen=True)`: True -> False':
        _FROZEN,
    'engine/_prepare.py::Prepared::`@dataclass(frozen=True)`: True -> False':
        _FROZEN,
    'engine/_prepare.py::effective_facts::`if floor > 0:`: > -> >=':
        _FLOOR,
    'engine/_prepare.py::effective_facts::`elif _low(own) < floor:`: < -> <=':
        _FLOOR,
    'engine/_prepare.py::_low::`return int(value.get("min", 0))`: 0 -> 1':
        _FLOOR,
    'engine/_prepare.py::_low::`return int(value.get("min", 0))`: 0 -> -1':
        _FLOOR,
    'engine/_prepare.py::effective_facts::`if floor > 0:`: 0 -> 1':
        _FLOOR,
    'engine/_prepare.py::effective_facts::`if floor > 0:`: 0 -> -1':
        _FLOOR,
    'facts/model.py::_Facts::`frozen=True,`: True -> False':
        _FROZEN,
    'facts/model.py::Case._consistent::`close = difflib.get_close_matches(vid, victim_ids, n=1)`: 1 -> 2':
        _CLOSEST,
    'facts/paths.py::FactSpec::`@dataclass(frozen=True)`: True -> False':
        _FROZEN,
    'rules/_book.py::LoadedRule::`@dataclass(frozen=True)`: True -> False':
        _FROZEN,
    'rules/_checks.py::_unknown::`close = difflib.get_close_matches(name, list(known), n=1) # type: ignore[call-overload]`: 1 -> 2':
        _CLOSEST,
    'rules/_coverage.py::SentenceCoverage::`@dataclass(frozen=True)`: True -> False':
        _FROZEN,
    'rules/_coverage.py::Coverage::`@dataclass(frozen=True)`: True -> False':
        _FROZEN,
    'rules/_loader.py::resolve_condition::`close = difflib.get_close_matches(value, list(meta.parameters), n=1)`: 1 -> 2':
        _CLOSEST,
    'rules/_model.py::_Strict::`model_config = ConfigDict(extra="forbid", frozen=True)`: True -> False':
        _FROZEN,
    'rules/_model.py::FactCondition::`model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)`: True -> False':
        _FROZEN,
    'rules/_model.py::FactCondition::`model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)`: True -> False #2':
        _ALIASES,
    'rules/_model.py::ComputedFact::`model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)`: True -> False':
        _FROZEN,
    'rules/_model.py::ComputedFact::`model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)`: True -> False #2':
        _ALIASES,
    'rules/_source.py::Source::`@dataclass(frozen=True)`: True -> False':
        _FROZEN,
    # --- Python: what the data or the types already guarantee -------------------------------
    "engine/_plan.py::ReasonT::`pair: int = 0`: 0 -> 1":
        "the pair is read only for a reason on a fact, and every such reason names its pair",
    "engine/_plan.py::ReasonT::`pair: int = 0`: 0 -> -1":
        "the pair is read only for a reason on a fact, and every such reason names its pair",
    "engine/_plan.py::_citation::`if entry.section and entry.confidence in (\"high\", "
    "\"medium\"):`: and -> or":
        "the statute table gives a section exactly where the confidence is high or medium "
        "(tests/test_rulebook.py checks the table)",
    "facts/model.py::_Facts::`validate_default=True,`: True -> False":
        "every default of the fact model (unknown, or an empty group) is valid, so validating "
        "it changes nothing",
    "facts/paths.py::_leaf_kind::`assert isinstance(item, type) and issubclass(item, Enum)`: "
    "and -> or":
        "an assertion about the fact model's own types, true either way",
    "facts/paths.py::months_between::`return months + (extra / 32 if extra > 0 else 0.0)`: "
    "> -> >=":
        "the extra days are never negative, and none add 0 months either way",
    "facts/paths.py::months_between::`return months + (extra / 32 if extra > 0 else 0.0)`: "
    "0 -> -1":
        "the extra days are never negative, and none add 0 months either way",
    "engine/_firings.py::Firings.add::`return False`: False -> True":
        "a silent rule's conclusion is never asserted for other rules to read (its action is not "
        "'consumed'), and that is all the answer is used for",
    "engine/_plan.py::Planner.__init__::`if p.quote is not None and p.section is not None "
    "# a stated parameter has both`: and -> or": _STATED,
    "rules/_checks.py::_parameters::`assert p.quote is not None and p.stated is not None and "
    "p.section is not None`: and -> or": _STATED,
    "engine/_plan.py::PairView.missing::`if f.mode is POSSIBLE and (rules is None or f.rule in "
    "rules)]`: and -> or":
        "a definite firing adds no missing fact (its facts are known, its matches definite, its "
        "exceptions impossible), and each has a possible twin with the same matches",
    "engine/_plan.py::PairView.missing::`if holds(POSSIBLE, u, ue) and not holds(DEFINITE, u, "
    "ue):`: and -> or":
        "a possible firing exists only where its exception is not definite, and an exception "
        "that cannot hold has no missing facts to add",
    "engine/_plan.py::PairView.not_applicable::`reasons = self.reasons(cid, entity, 2 if "
    "spec.kind is Kind.PROTECTION else 0)`: 0 -> 1": _FACT_REASONS,
    "engine/_plan.py::PairView.not_applicable::`reasons = self.reasons(cid, entity, 2 if "
    "spec.kind is Kind.PROTECTION else 0)`: 0 -> -1": _FACT_REASONS,
    "engine/_plan.py::PairView.missing::`ue = self.victim_entity if self.rb.entity[u] == VICTIM "
    "else f.entity`: == -> !=": _ONE_EXCEPTION,
    "engine/_plan.py::PairView.reasons::`ue = victim if self.rb.entity[u] == VICTIM else "
    "anchor`: == -> !=": _ONE_EXCEPTION,
    "engine/_plan.py::PairView.reasons::`rule.id, self.rb.conclusions[u].title, conclusion=u, "
    "exception=True))`: True -> False":
        "the one exception (status.trafficking_victim) is only reached below a protection for "
        "CSEC-only victims, and where it holds the trafficking victim's protection gives the same "
        "topic, so that protection is never listed as not applying",
    "engine/_plan.py::Planner.__init__::`self.status_rank = {cid: (rb.rules_for[cid][0].level, "
    "cid) for cid in rb.conclusions}`: 0 -> -1":
        "every rule of a conclusion has the conclusion's level (rules/_loader.py _order)",
    "facts/paths.py::_leaf_kind::`base = args[0]`: 0 -> -1":
        "every fact admits one type besides None (the age's int-or-range is decided above it)",
    "facts/paths.py::_bounds::`for meta in typing.get_args(ann)[1:]:`: 1 -> 0":
        "the first argument of Annotated is the type itself, which has no ge or le",
    "rules/_book.py::LoadedRule::`level: int = 0`: 0 -> 1": _UNORDERED,
    "rules/_book.py::LoadedRule::`level: int = 0`: 0 -> -1": _UNORDERED,
    "rules/_checks.py::_cycles.visit::`state[node] = 2`: 2 -> 3":
        "a node's state is only compared with 1 (on the path) or looked up; any other mark of "
        "'done' works",
    'rules/_checks.py::_interval::`"lt": ((-inf, False), (v, False)), "le": ((-inf, False), '
    '(v, True)),`: False -> True': _INFINITE,
    'rules/_checks.py::_interval::`"lt": ((-inf, False), (v, False)), "le": ((-inf, False), '
    '(v, True)),`: False -> True #3': _INFINITE,
    'rules/_checks.py::_interval::`"gt": ((v, False), (inf, False)), "ge": ((v, True), '
    '(inf, False)),`: False -> True #2': _INFINITE,
    'rules/_checks.py::_interval::`"gt": ((v, False), (inf, False)), "ge": ((v, True), '
    '(inf, False)),`: False -> True #3': _INFINITE,
    "rules/_checks.py::_facts_conflict::`if {a.op, b.op} <= {\"lt\", \"le\", \"gt\", \"ge\"}:`: "
    "<= -> <": "two operators are never all four, so a subset of the four is a proper one",
    "rules/_checks.py::_facts_conflict::`if a.op == \"is\" and b.op == \"is\":`: and -> or":
        "the operators on one fact fit its kind (a load-time check): 'is' meets only 'is' or "
        "'not', and 'not' is set aside above",
    "rules/_loader.py::_order.level_of::`level[cid] = 1 + max((level_of(d) for d in deps if d "
    "in by_conclusion), default=0)`: 1 -> 2": _LEVELS,
    "rules/_loader.py::_order.level_of::`level[cid] = 1 + max((level_of(d) for d in deps if d "
    "in by_conclusion), default=0)`: 0 -> 1": _LEVELS,
    "rules/_loader.py::_order.level_of::`level[cid] = 1 + max((level_of(d) for d in deps if d "
    "in by_conclusion), default=0)`: 0 -> -1": _LEVELS,
    "rules/_loader.py::_parse::`data = load_yaml(text, fast=True)`: True -> False":
        "the fast reader and the safe one read the rule files the same (tests/test_rulebook.py "
        "checks it); only the speed differs",
}

_COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "venv", "__pycache__", ".hypothesis", ".pytest_cache", ".mypy_cache",
    ".ruff_cache", "*.egg-info", "build", "dist", "*.pyc",
)


# --- mutants -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutant:
    """One change to one file: the whole mutated text, where it is and what it does."""

    file: str  # relative to the repository root, with '/'
    line: int
    operator: str
    where: str  # the enclosing rule id / data path, or function
    change: str  # what changed, e.g. "lt: 14 -> lt: 15" or "`a < b` -> `a <= b`"
    key: str  # stable identity: file, where, change (and #n among equal ones); no line number
    text: str = field(repr=False, compare=False)

    def label(self) -> str:
        return f"{self.file}:{self.line} [{self.operator}] {self.where}: {self.change}"


def _dump(data: Any) -> str:
    """A type-exact rendering of YAML data (``1`` and ``true`` differ)."""
    return json.dumps(data, sort_keys=True, default=repr)


def _matches(path: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(path, p) for p in patterns)


def _files(root: Path, patterns: Sequence[str]) -> list[str]:
    found: set[str] = set()
    for pattern in patterns:
        found.update(p.relative_to(root).as_posix() for p in root.glob(pattern) if p.is_file())
    return sorted(found)


def _unique(mutants: list[Mutant]) -> list[Mutant]:
    """Number mutants whose keys would otherwise be equal (``#2``, ``#3`` in source order)."""
    seen: Counter[str] = Counter()
    out = []
    for m in mutants:
        seen[m.key] += 1
        if seen[m.key] > 1:
            m = Mutant(m.file, m.line, m.operator, m.where, m.change,
                       f"{m.key} #{seen[m.key]}", m.text)
        out.append(m)
    return out


# --- rule data (YAML) --------------------------------------------------------------------------

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_OP_SWAP = {"lt": "le", "le": "lt", "gt": "ge", "ge": "gt"}
_CERTAINTY_SWAP = {"applies": "may_apply", "may_apply": "applies"}
#: A modality's nearest different one; a value not listed here takes the next one in the list.
_MODALITY_SWAP = {"mandatory": "may", "may": "mandatory", "not_available": "limited",
                  "limited": "not_available",
                  "not_specifically_authorized": "not_available"}


class _YamlFile:
    """A YAML file's text, its node tree (with positions) and its data."""

    def __init__(self, rel: str, text: str) -> None:
        self.rel = rel
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.root = yaml.compose(text, Loader=yaml.SafeLoader)
        self.data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - safe loader
        self.mutants: list[Mutant] = []

    def _line_start(self, line: int) -> int:
        return sum(len(x) for x in self.lines[:line])

    def add(self, node: yaml.Node, operator: str, where: str, change: str, new_text: str,
            expected: Any) -> None:
        """Keep the mutant if the new text reads as exactly the intended data."""
        try:
            got = yaml.load(new_text, Loader=_LOADER)  # noqa: S506 - safe loader
        except yaml.YAMLError:
            got = None
        if _dump(got) != _dump(expected):
            print(f"note: could not apply {self.rel}: {where}: {change}", file=sys.stderr)
            return
        self.mutants.append(Mutant(self.rel, node.start_mark.line + 1, operator, where, change,
                                   f"{self.rel}::{where}::{change}", new_text))

    def replace(self, node: yaml.Node, new: str) -> str:
        return self.text[:node.start_mark.index] + new + self.text[node.end_mark.index:]


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(data)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def _delete(data: Any, path: tuple[Any, ...]) -> Any:
    out = copy.deepcopy(data)
    target = out
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return out


def _describe_item(item: Any, index: int) -> str:
    if isinstance(item, dict):
        if "id" in item and isinstance(item["id"], str):
            return item["id"]
        if "fact" in item:
            ops = [f"{k} {_plain(v)}" for k, v in item.items() if k != "fact"]
            return "{" + " ".join([str(item["fact"]), *ops]) + "}"
        if "conclusion" in item:
            return "{conclusion " + str(item["conclusion"]) + "}"
        if len(item) == 1:
            (k, v), = item.items()
            if isinstance(v, list):
                return f"{{{k} of {len(v)}}}"
    if isinstance(item, str):
        return item
    return f"[{index}]"


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scalar_text(node: yaml.ScalarNode, value: str) -> str:
    if node.style in ('"', "'"):
        return node.style + value + node.style
    return value


def yaml_mutants(root: Path, rel: str) -> list[Mutant]:
    """Every mutant of one rule data file."""
    doc = _YamlFile(rel, (root / rel).read_text(encoding="utf-8"))
    if doc.root is None:
        return []
    _walk_yaml(doc, doc.root, (), "", None)
    return _unique(doc.mutants)


def _walk_yaml(doc: _YamlFile, node: yaml.Node, path: tuple[Any, ...], where: str,
               key: str | None) -> None:
    data = doc.data
    if isinstance(node, yaml.MappingNode):
        value = _get(data, path)
        keys = [k.value for k, _ in node.value]
        if key is None and path and path[-2:-1] == ("rules",) and "then" in keys \
                and "certainty" not in keys and "id" in keys:
            _add_certainty(doc, node, path, where)
        for k_node, v_node in node.value:
            k = k_node.value
            sub = f"{where}/{k}" if where else k
            if k in _OP_SWAP and isinstance(value, dict) and "fact" in value \
                    and isinstance(v_node, yaml.ScalarNode):
                new_k = _OP_SWAP[k]
                expected = _delete(data, path + (k,))
                _get(expected, path)[new_k] = value[k]
                doc.add(k_node, "compare", where, f"{k}: {_plain(value[k])} -> {new_k}: "
                        f"{_plain(value[k])}", doc.replace(k_node, new_k), expected)
            _walk_yaml(doc, v_node, path + (k,), sub, k)
    elif isinstance(node, yaml.SequenceNode):
        items = _get(data, path)
        for i, item_node in enumerate(node.value):
            label = _describe_item(items[i], i)
            sub = f"{where}[{label}]" if key != "rules" else label
            if key in ("when", "unless") and path[-3:-2] == ("rules",):
                new_text = _drop_item(doc, node, i)
                if new_text is not None:
                    doc.add(item_node, f"drop-{key}", where, f"{key} without {label}", new_text,
                            _delete(data, path + (i,)))
            _walk_yaml(doc, item_node, path + (i,), sub, None)
    elif isinstance(node, yaml.ScalarNode):
        _scalar_mutants(doc, node, path, where, key)


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def _scalar_mutants(doc: _YamlFile, node: yaml.ScalarNode, path: tuple[Any, ...], where: str,
                    key: str | None) -> None:
    data = doc.data
    value = _get(data, path)
    shown = f"{key}: " if key else ""
    if node.tag in (_INT, _FLOAT) and not isinstance(value, bool):
        operator = "penalty" if "penalty" in path else (
            "threshold" if key in _OP_SWAP or key == "is" else "number")
        for delta in (1, -1):
            new = value + delta
            doc.add(node, operator, where, f"{shown}{value} -> {shown}{new}",
                    doc.replace(node, _scalar_text(node, str(new))), _set(data, path, new))
        if "penalty" in path:
            doc.add(node, "penalty", where, f"{shown}{value} -> {shown}null",
                    doc.replace(node, "null"), _set(data, path, None))
    elif node.tag == _BOOL:
        new_text = "false" if value else "true"
        operator = "is" if key == "is" else "flag"
        doc.add(node, operator, where, f"{shown}{_plain(value)} -> {shown}{new_text}",
                doc.replace(node, new_text), _set(data, path, not value))
    elif isinstance(value, (str, dt.date)) and _DATE.match(str(value)):
        day = dt.date.fromisoformat(str(value))
        for delta in (1, -1):
            new = (day + dt.timedelta(days=delta)).isoformat()
            expected = _set(data, path, new if isinstance(value, str) else
                            dt.date.fromisoformat(new))
            doc.add(node, "date", where, f"{shown}{value} -> {shown}{new}",
                    doc.replace(node, _scalar_text(node, new)), expected)
    elif key == "certainty" and value in _CERTAINTY_SWAP:
        new = _CERTAINTY_SWAP[value]
        doc.add(node, "certainty", where, f"certainty: {value} -> {new}",
                doc.replace(node, _scalar_text(node, new)), _set(data, path, new))
    elif key == "modality" and isinstance(value, str):
        new = _MODALITY_SWAP.get(value, "mandatory")
        doc.add(node, "modality", where, f"modality: {value} -> {new}",
                doc.replace(node, _scalar_text(node, new)), _set(data, path, new))


def _add_certainty(doc: _YamlFile, node: yaml.MappingNode, path: tuple[Any, ...],
                   where: str) -> None:
    """A rule left to the default certainty (applies) made ``may_apply``."""
    first_key = node.value[0][0]
    line = first_key.start_mark.line
    indent = " " * first_key.start_mark.column
    at = doc._line_start(line + 1)
    new_text = doc.text[:at] + f"{indent}certainty: may_apply\n" + doc.text[at:]
    expected = copy.deepcopy(doc.data)
    _get(expected, path)["certainty"] = "may_apply"
    doc.add(first_key, "certainty", where, "certainty: applies (default) -> may_apply",
            new_text, expected)


def _drop_item(doc: _YamlFile, seq: yaml.SequenceNode, index: int) -> str | None:
    """The text without one item of a sequence (flow: the others rewritten; block: its lines)."""
    items = seq.value
    item = items[index]
    if seq.flow_style:
        kept = [doc.text[i.start_mark.index:i.end_mark.index] for j, i in enumerate(items)
                if j != index]
        return doc.replace(seq, "[" + ", ".join(kept) + "]")
    first = item.start_mark.line
    if not re.fullmatch(r"\s*-\s*", doc.lines[first][:item.start_mark.column]):
        return None
    if index + 1 < len(items):
        last = items[index + 1].start_mark.line - 1
        while last > first and (not doc.lines[last].strip()
                                or doc.lines[last].lstrip().startswith("#")):
            last -= 1  # comments above the next item are the next item's
    else:
        end = item.end_mark
        ends_before = end.line >= len(doc.lines) or not doc.lines[end.line][:end.column].strip()
        last = end.line - 1 if ends_before else end.line
    if len(items) == 1:
        return None  # an empty block sequence cannot be written in place; see the flow form
    return doc.text[:doc._line_start(first)] + doc.text[doc._line_start(last + 1):]


# --- Python ------------------------------------------------------------------------------------

_CMP_SWAP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
}
_CMP_TEXT = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
             ast.NotEq: "!="}


class _PySite:
    """A place in a Python file, and how to change it."""

    def __init__(self, index: int, operator: str, change: str, apply: Any) -> None:
        self.index = index  # position of the node in ast.walk order
        self.operator = operator
        self.change = change
        self.apply = apply  # (tree, node) -> replacement node, in the copied tree


def _annotate(tree: ast.AST) -> dict[int, tuple[ast.AST | None, str, bool]]:
    """For each node (by id): its parent, its enclosing function/class name, and whether it
    must not be mutated (an annotation, an f-string, a ``pragma: no cover`` line)."""
    info: dict[int, tuple[ast.AST | None, str, bool]] = {}

    def visit(node: ast.AST, parent: ast.AST | None, scope: str, skip: bool) -> None:
        info[id(node)] = (parent, scope, skip)
        inner = scope
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            inner = f"{scope}.{node.name}" if scope else node.name
        for name, value in ast.iter_fields(node):
            children = value if isinstance(value, list) else [value]
            for child in children:
                if not isinstance(child, ast.AST):
                    continue
                child_skip = skip or isinstance(node, ast.JoinedStr) or name in (
                    "annotation", "returns")
                visit(child, node, inner, child_skip)

    visit(tree, None, "", False)
    return info


def python_mutants(root: Path, rel: str) -> list[Mutant]:
    """Every mutant of one Python file of the legal core."""
    text = (root / rel).read_text(encoding="utf-8")
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    info = _annotate(tree)
    yields_ok = _matches(rel, YIELD_CHECKS)
    out: list[Mutant] = []
    for index, node in enumerate(ast.walk(tree)):
        parent, scope, skip = info[id(node)]
        if skip or not hasattr(node, "lineno"):
            continue
        if any("pragma: no cover" in lines[n - 1]
               for n in _header_lines(node, info)):
            continue
        for site in _sites(node, index, parent, yields_ok, info):
            m = _apply_python(rel, text, lines, tree, node, site, scope, info)
            if m is not None:
                out.append(m)
    return _unique(out)


def _header_lines(node: ast.AST, info: dict[int, tuple[ast.AST | None, str, bool]]
                  ) -> Iterator[int]:
    """The first line of the node and of each statement enclosing it."""
    current: ast.AST | None = node
    while current is not None:
        if hasattr(current, "lineno"):
            yield current.lineno  # type: ignore[attr-defined]
        current = info[id(current)][0]


def _sites(node: ast.AST, index: int, parent: ast.AST | None, yields_ok: bool,
           info: dict[int, tuple[ast.AST | None, str, bool]]) -> Iterator[_PySite]:
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            new = _CMP_SWAP.get(type(op))
            if new is None:
                continue

            def swap(n: ast.Compare, i: int = i, new: type[ast.cmpop] = new) -> ast.AST:
                n.ops[i] = new()
                return n

            yield _PySite(index, "compare", f"{_CMP_TEXT[type(op)]} -> {_CMP_TEXT[new]}", swap)
    elif isinstance(node, ast.BoolOp):
        old, new_op = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")

        def flip(n: ast.BoolOp) -> ast.AST:
            n.op = ast.Or() if isinstance(n.op, ast.And) else ast.And()
            return n

        yield _PySite(index, "boolop", f"{old} -> {new_op}", flip)
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        def negate(n: ast.Constant) -> ast.AST:
            n.value = not n.value
            return n

        yield _PySite(index, "bool", f"{node.value} -> {not node.value}", negate)
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        for delta in (1, -1):
            def shift(n: ast.Constant, delta: int = delta) -> ast.AST:
                if n.value + delta < 0:
                    return ast.UnaryOp(ast.USub(), ast.Constant(-(n.value + delta)))
                n.value = n.value + delta
                return n

            yield _PySite(index, "int", f"{node.value} -> {node.value + delta}", shift)
    elif isinstance(node, ast.Raise):
        yield _PySite(index, "raise", "raise removed", lambda n: ast.Pass())
    elif yields_ok and isinstance(node, ast.Expr) and isinstance(node.value,
                                                                 (ast.Yield, ast.YieldFrom)):
        function = _enclosing_function(node, info)
        others = function is not None and sum(
            isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(function)) > 1

        def drop(n: ast.Expr) -> ast.AST:
            if others:
                return ast.Pass()
            return ast.If(test=ast.Constant(False), body=[ast.Expr(ast.Yield(None))], orelse=[])

        yield _PySite(index, "yield", "yield removed", drop)


def _enclosing_function(node: ast.AST, info: dict[int, tuple[ast.AST | None, str, bool]]
                        ) -> ast.AST | None:
    current = info[id(node)][0]
    while current is not None and not isinstance(current, (ast.FunctionDef,
                                                           ast.AsyncFunctionDef)):
        current = info[id(current)][0]
    return current


def _offset(lines: list[str], lineno: int, col: int) -> int:
    """Character offset of (1-based line, UTF-8 byte column) in the text."""
    before = sum(len(x) for x in lines[:lineno - 1])
    return before + len(lines[lineno - 1].encode("utf-8")[:col].decode("utf-8"))


def _replace_in(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for name, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, name, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return
    raise AssertionError("node not found in its parent")


def _apply_python(rel: str, text: str, lines: list[str], tree: ast.Module, node: ast.AST,
                  site: _PySite, scope: str,
                  info: dict[int, tuple[ast.AST | None, str, bool]]) -> Mutant | None:
    """The mutant of one site: the node changed in place (and put back), its new source spliced
    into the text, and the result checked to parse to exactly that change."""
    parent = info[id(node)][0]
    top = node
    while info[id(top)][0] is not tree:
        top = info[id(top)][0]  # type: ignore[assignment]
    position = tree.body.index(top)  # type: ignore[arg-type]
    saved = {name: (list(v) if isinstance(v, list) else v) for name, v in ast.iter_fields(node)}
    replacement = site.apply(node)
    if replacement is not node:
        assert parent is not None
        _replace_in(parent, node, replacement)
    try:
        expected = ast.dump(tree.body[position])
        rendered = ast.unparse(replacement)
        if isinstance(replacement, ast.If):  # `if False: yield`, on the statement's one line
            rendered = " ".join(line.strip() for line in rendered.splitlines())
    finally:
        if replacement is not node:
            _replace_in(parent, replacement, node)  # type: ignore[arg-type]
        for name, value in saved.items():
            setattr(node, name, value)
    if isinstance(node, ast.expr):
        rendered = f"({rendered})"
    start = _offset(lines, node.lineno, node.col_offset)  # type: ignore[attr-defined]
    end = _offset(lines, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
    new_text = text[:start] + rendered + text[end:]
    # Only the top-level statement holding the change is parsed again: the rest is unchanged.
    decorators = getattr(top, "decorator_list", ())
    first = min([top.lineno, *(d.lineno for d in decorators)])  # type: ignore[attr-defined]
    top_start = _offset(lines, first, 0)
    top_end = _offset(lines, top.end_lineno, top.end_col_offset)  # type: ignore[attr-defined]
    segment = new_text[top_start:top_end + len(rendered) - (end - start)]
    try:
        new_tree = ast.parse(segment)
        ok = len(new_tree.body) == 1 and ast.dump(new_tree.body[0]) == expected
    except SyntaxError:
        ok = False
    lineno: int = node.lineno  # type: ignore[attr-defined]
    if not ok:
        print(f"note: could not apply {rel}:{lineno}: {site.change}", file=sys.stderr)
        return None
    where = scope or "<module>"
    change = f"`{' '.join(lines[lineno - 1].split())}`: {site.change}"
    return Mutant(rel, lineno, site.operator, where, change, f"{rel}::{where}::{change}",
                  new_text)


def all_mutants(root: Path, files: Sequence[str] = ()) -> list[Mutant]:
    """Every mutant of the rule data and the legal core's Python (of those ``files``, globs,
    where given), in a stable order."""
    out: list[Mutant] = []
    for rel in _files(root, RULE_DATA):
        if not files or _matches(rel, files):
            out.extend(yaml_mutants(root, rel))
    for rel in _files(root, CORE_PYTHON):
        if not files or _matches(rel, files):
            out.extend(python_mutants(root, rel))
    return out


# --- running -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed, survived, timeout
    seconds: float
    killer: str | None = None


class Workspace:
    """A temporary copy of the repository whose code is the code ``dmst`` imports."""

    def __init__(self, source: Path, base: Path, name: str) -> None:
        self.dir = base / name
        shutil.copytree(source, self.dir, ignore=_COPY_IGNORE, symlinks=True)
        self.site = self._link_packages()
        self.basetemp = base / f"{name}-tmp"
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(self.site), os.environ.get("PYTHONPATH", "")]
                                          ).rstrip(os.pathsep),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
        }

    def _link_packages(self) -> Path:
        """Link the sub-packages into the root package as ``pyproject.toml`` maps them, so that
        the copy's ``src`` folder on ``PYTHONPATH`` is an installed ``dmst``."""
        config = tomllib.loads((self.dir / "pyproject.toml").read_text(encoding="utf-8"))
        mapping: dict[str, str] = config["tool"]["setuptools"]["package-dir"]
        roots = {name: folder for name, folder in mapping.items() if "." not in name}
        (name, folder), = roots.items()
        package = self.dir / folder
        for sub, target in mapping.items():
            if sub.startswith(name + "."):
                link = package.joinpath(*sub.split(".")[1:])
                if not link.exists():
                    link.symlink_to(os.path.relpath(self.dir / target, link.parent))
        return package.parent

    def check_imports(self) -> None:
        """Fail unless every package of the copy is imported from the copy."""
        code = ("import importlib, json, sys; print(json.dumps([importlib.import_module(m).__file__"
                " for m in sys.argv[1:]]))")
        config = tomllib.loads((self.dir / "pyproject.toml").read_text(encoding="utf-8"))
        modules = list(config["tool"]["setuptools"]["package-dir"])
        proc = subprocess.run([sys.executable, "-c", code, *modules], cwd=self.dir,
                              env=self.env, capture_output=True, text=True, check=True)
        for module, path in zip(modules, json.loads(proc.stdout), strict=True):
            if not Path(path).is_relative_to(self.dir):
                raise SystemExit(f"the copy's {module} is not the one imported ({path}); is "
                                 "another dmst first on the path?")

    def write(self, rel: str, text: str) -> None:
        (self.dir / rel).write_text(text, encoding="utf-8")

    def run(self, tests: Sequence[str], timeout: float) -> tuple[int | None, str]:
        """Run these test files, stopping at the first failure: (exit code or None if it
        timed out, output)."""
        shutil.rmtree(self.dir / ".hypothesis", ignore_errors=True)
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "-p", "no:cacheprovider",
                   "--hypothesis-seed=0", f"--basetemp={self.basetemp}", *tests]
        proc = subprocess.Popen(command, cwd=self.dir, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            return None, out
        return proc.returncode, out


_FAILED = re.compile(r"^(?:FAILED|ERROR) (tests/[^\s:]+)", re.MULTILINE)


class Runner:
    """Runs mutants on a pool of workspaces, ordering test files by what killed before."""

    def __init__(self, workspaces: list[Workspace], tests: list[str], timeout: float,
                 fixed_order: bool, all_tests: bool) -> None:
        self.all_tests = all_tests
        self.pool: queue.Queue[Workspace] = queue.Queue()
        for w in workspaces:
            self.pool.put(w)
        self.tests = tests
        self.timeout = timeout
        self.fixed_order = fixed_order
        self.kills: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()

    def order(self, file: str) -> list[str]:
        if self.fixed_order:
            return list(self.tests)
        first = next((v for k, v in FIRST.items() if fnmatch.fnmatch(file, k)), ())
        skipped = set() if self.all_tests else next(
            (set(names) for pattern, names in SKIP_FILES.items() if fnmatch.fnmatch(file, pattern)),
            set())

        def rank(test: str) -> tuple[int, int, int]:
            name = Path(test).name
            static = first.index(name) if name in first else len(first) + (
                1 if name in LAST else 0)
            return (-self.kills[(file, test)], static, self.tests.index(test))

        with self.lock:
            return sorted((t for t in self.tests if Path(t).name not in skipped), key=rank)

    def deselect(self, file: str) -> list[str]:
        """The ``-k`` option leaving out the tests that cannot tell this file's mutants apart."""
        if self.fixed_order or self.all_tests:
            return []
        words = sorted({w for pattern, names in SKIP_TESTS.items()
                        if fnmatch.fnmatch(file, pattern) for w in names})
        return ["-k", " and ".join(f"not {w}" for w in words)] if words else []

    def run(self, mutant: Mutant) -> Outcome:
        workspace = self.pool.get()
        original = (workspace.dir / mutant.file).read_text(encoding="utf-8")
        started = time.monotonic()
        try:
            workspace.write(mutant.file, mutant.text)
            order = self.order(mutant.file)
            stages, at = [], 0
            for size in () if self.fixed_order else STAGES:
                stages.append(order[at:at + size])
                at += size
            stages.append(order[at:])
            for stage in (s for s in stages if s):
                left = self.timeout - (time.monotonic() - started)
                code, out = workspace.run([*self.deselect(mutant.file), *stage], max(left, 1.0))
                if code is None:
                    return Outcome(mutant, "timeout", time.monotonic() - started)
                if code not in (0, 5):  # 5: every test of the stage was left out
                    found = _FAILED.search(out)
                    killer = found.group(1) if found else f"pytest exit {code}"
                    if found:
                        with self.lock:
                            self.kills[(mutant.file, killer)] += 1
                    return Outcome(mutant, "killed", time.monotonic() - started, killer)
            return Outcome(mutant, "survived", time.monotonic() - started)
        finally:
            workspace.write(mutant.file, original)
            self.pool.put(workspace)


def _test_files(root: Path, explicit: Sequence[str]) -> list[str]:
    if explicit:
        return [Path(t).as_posix() for t in explicit]
    found = sorted(p.relative_to(root).as_posix() for p in (root / "tests").glob("test_*.py"))
    return [t for t in found if Path(t).name not in NEVER]


def select(mutants: list[Mutant], only: Sequence[str], operators: Sequence[str],
           sample: int | None, seed: int) -> tuple[list[Mutant], list[Mutant]]:
    """(the mutants to run, the known-equivalent ones left out)."""
    chosen = [m for m in mutants
              if (not only or any(o in m.key for o in only))
              and (not operators or m.operator in operators)]
    equivalent = [m for m in chosen if m.key in EQUIVALENT]
    run = [m for m in chosen if m.key not in EQUIVALENT]
    if sample is not None and sample < len(run):
        run = sorted(random.Random(seed).sample(run, sample), key=mutants.index)
    return run, equivalent


def _listing(title: str, lines: list[str], always: bool = False) -> None:
    """Print ``title (n):`` and the lines indented (nothing for none, unless ``always``)."""
    if lines or always:
        print(f"{title} ({len(lines)}):")
        for line in lines:
            print(f"  {line}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, help="run only N mutants, drawn at random")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1)")
    parser.add_argument("--files", action="append", default=[], metavar="GLOB",
                        help="mutate only these files, e.g. 'rules/*.yaml' (repeatable)")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="only mutants whose key contains TEXT (repeatable)")
    parser.add_argument("--operator", action="append", default=[],
                        help="only mutants of this operator (repeatable)")
    parser.add_argument("--tests", nargs="+", default=[], metavar="FILE",
                        help="run only these test files (default: all but the harness's own), "
                        "ordered per mutant")
    parser.add_argument("--fixed-order", action="store_true",
                        help="run the test files in the order given, in one stage")
    parser.add_argument("--without", action="append", default=[], metavar="FILE",
                        help="leave this test file out (repeatable), e.g. to measure the score "
                        "before it was written")
    parser.add_argument("--timeout", type=float,
                        help="seconds a mutant's run may take (default: 2x the unmutated run "
                        "+ 60)")
    parser.add_argument("--keys-from", metavar="FILE",
                        help="only the mutants whose keys are listed in FILE, one a line (as "
                        "--survivors-out writes them)")
    parser.add_argument("--survivors-out", metavar="FILE",
                        help="write the survivors' keys to FILE, one a line")
    parser.add_argument("--all-tests", action="store_true",
                        help="run every test file for every mutant (no SKIP_FILES/SKIP_TESTS)")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args(argv)

    mutants = all_mutants(ROOT, args.files)
    stale = sorted(k for k in set(EQUIVALENT) - {m.key for m in mutants}
                   if not args.files or _matches(k.split("::")[0], args.files))
    for key in stale:
        print(f"note: listed as equivalent but no longer generated: {key}", file=sys.stderr)
    if args.keys_from:
        wanted = set(Path(args.keys_from).read_text(encoding="utf-8").splitlines()) - {""}
        mutants = [m for m in mutants if m.key in wanted]
    run, equivalent = select(mutants, args.only, args.operator, args.sample, args.seed)
    if args.list:
        for m in run:
            print(f"{m.label()}\n    key: {m.key}")
        for m in equivalent:
            print(f"{m.label()}\n    equivalent: {EQUIVALENT[m.key]}")
        print(f"{len(run)} mutants to run, {len(equivalent)} known equivalent")
        return 0

    tests = [t for t in _test_files(ROOT, args.tests)
             if t not in {Path(w).as_posix() for w in args.without}]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dmst-mutate-") as tmp:
        base = Path(tmp)
        workspaces = [Workspace(ROOT, base, f"copy{i}") for i in range(max(1, args.jobs))]
        workspaces[0].check_imports()
        baseline_start = time.monotonic()
        code, out = workspaces[0].run(tests, args.timeout or 3600)
        baseline = time.monotonic() - baseline_start
        if code != 0:
            print(out)
            print(f"the tests fail on the unmutated copy (exit {code}): fix them first")
            return 1
        timeout = args.timeout or 2 * baseline + 60
        print(f"{len(run)} mutants ({len(equivalent)} known equivalent left out); "
              f"{len(tests)} test files, unmutated run {baseline:.0f} s, bound {timeout:.0f} s "
              f"a mutant; {args.jobs} job(s)", flush=True)
        runner = Runner(workspaces, tests, timeout, fixed_order=args.fixed_order,
                        all_tests=args.all_tests)
        outcomes: list[Outcome] = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(runner.run, m) for m in run]
            for n, future in enumerate(concurrent.futures.as_completed(futures), 1):
                o = future.result()
                outcomes.append(o)
                if not args.quiet:
                    by = f" by {o.killer}" if o.killer else ""
                    print(f"[{n}/{len(run)}] {o.status}{by} ({o.seconds:.1f} s): "
                          f"{o.mutant.label()}", flush=True)

    outcomes.sort(key=lambda o: run.index(o.mutant))
    survived = [o for o in outcomes if o.status == "survived"]
    timed_out = [o for o in outcomes if o.status == "timeout"]
    killed = len(outcomes) - len(survived)
    print()
    _listing("survivors", [o.mutant.label() for o in survived], always=True)
    _listing("timed out, counted as killed", [o.mutant.label() for o in timed_out])
    _listing("known equivalent, not run",
             [f"{m.label()} -- {EQUIVALENT[m.key]}" for m in equivalent])
    if args.survivors_out:
        Path(args.survivors_out).write_text("".join(o.mutant.key + "\n" for o in survived),
                                            encoding="utf-8")
    print("killed by file:")
    for file in sorted({o.mutant.file for o in outcomes}):
        mine = [o for o in outcomes if o.mutant.file == file]
        dead = sum(o.status != "survived" for o in mine)
        print(f"  {file}: {dead}/{len(mine)}")
    total = len(outcomes)
    share = 100 * killed / total if total else 100.0
    print(f"{share:.1f}% killed in {time.monotonic() - started:.0f} s")
    print(f"mutation score: {killed}/{total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
