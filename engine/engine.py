"""The engine: a rulebook compiled once, evaluating scenarios into cited results."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from dmst._version import DURABLE_RULES_VERSION, __version__
from dmst.engine.build import NOTICE, Plan, ResultBuilder, warnings_for
from dmst.engine.durable import CompiledRuleset
from dmst.engine.firings import Firings
from dmst.engine.reference import evaluate_reference
from dmst.engine.result import Result, Stamp
from dmst.errors import EvaluationError, FactError
from dmst.facts.model import Scenario
from dmst.facts.paths import FACTS, flatten
from dmst.rules.loader import FactAtom, Rulebook, load_rulebook

__all__ = ["Engine", "version"]


def version() -> str:
    """The version of dmst."""
    return __version__


class Engine:
    """Evaluates scenarios against a rulebook.

    The rulebook is loaded and checked, then compiled into durable_rules once, when the engine is
    made. Each evaluation runs in its own durable_rules session, deleted afterwards: nothing
    survives from one evaluation to the next. An engine is safe to share between threads.

    Scenarios with the same *legal signature* (the truth value of every fact condition in the
    rulebook) fire the same rules and give results of the same shape, so the engine keeps the
    planned shape of the last ``cache_size`` signatures and skips the rule network for a repeat.
    ``cache_size=0`` turns this off.
    """

    def __init__(self, rulebook: Rulebook | None = None, *, cache_size: int = 1024) -> None:
        self.rulebook = rulebook if rulebook is not None else load_rulebook()
        self._compiled = CompiledRuleset(self.rulebook)
        self._atoms: tuple[FactAtom, ...] = tuple(sorted(
            {a for r in self.rulebook.rules for alt in r.alternatives for a in alt
             if isinstance(a, FactAtom)},
            key=lambda a: (a.path, a.op, str(a.value)),
        ))
        # Which sources of computed facts are known changes the facts an undetermined conclusion
        # is said to miss, though not which rules fire: it is part of the cache key.
        self._sources = tuple(sorted({p for spec in FACTS.values() for p in spec.computed_from}))
        self._cache: OrderedDict[tuple[bool | None, ...], Plan] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self.stamp = self._stamp()
        self._builder = ResultBuilder(self.rulebook, self.stamp)

    def _stamp(self) -> Stamp:
        meta = self.rulebook.meta
        src = meta.source
        as_of = src.get("as_of", {})
        durable_version = DURABLE_RULES_VERSION
        return Stamp(
            rulebook={"id": meta.id, "version": meta.version,
                      "fingerprint": self.rulebook.fingerprint},
            source={"title": str(src.get("title", "")), "publisher": str(src.get("publisher", "")),
                    "edition": str(src.get("edition", "")), "url": str(src.get("url", ""))},
            as_of={"from": str(as_of.get("from", "")), "until": str(as_of.get("until", "")),
                   "note": str(as_of.get("note", ""))},
            engine={"dmst": version(), "durable_rules": durable_version},
            notice=NOTICE,
        )

    # -- evaluation --------------------------------------------------------------------------

    def signature(self, facts: Mapping[str, Any]) -> tuple[bool | None, ...]:
        """The truth value of every fact condition of the rulebook (None: unknown)."""
        return tuple(a.test(facts) for a in self._atoms)  # type: ignore[arg-type]

    def firings(self, facts: dict[str, Any]) -> Firings:
        """The rule firings for flattened facts, through durable_rules (never cached)."""
        try:
            return self._compiled.run(facts)
        except EvaluationError:
            raise
        except Exception as exc:  # an action failed inside the rule network
            raise EvaluationError(
                f"evaluation failed inside the rule engine: {exc}; no partial result is returned"
            ) from exc

    def _plan(self, facts: dict[str, Any]) -> Plan:
        key = self.signature(facts) + tuple(p in facts for p in self._sources)
        if self._cache_size:
            with self._cache_lock:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    return hit
        plan = self._builder.plan(facts, self.firings(facts))
        if self._cache_size:
            with self._cache_lock:
                self._cache[key] = plan
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return plan

    def evaluate(self, scenario: Scenario | Mapping[str, Any]) -> Result:
        """Evaluate a scenario (a :class:`Scenario`, or a mapping of facts) into a result."""
        facts = flatten(as_scenario(scenario))
        return self._builder.fill(self._plan(facts), facts, warnings_for(self.rulebook, facts))

    def evaluate_reference(self, scenario: Scenario | Mapping[str, Any]) -> Result:
        """The same evaluation through the pure-Python reference evaluator (an oracle)."""
        facts = flatten(as_scenario(scenario))
        return self._builder.build(facts, evaluate_reference(self.rulebook, facts),
                                   warnings_for(self.rulebook, facts))


def as_scenario(scenario: Scenario | Mapping[str, Any]) -> Scenario:
    """A :class:`Scenario` from a scenario or a mapping of facts; bad facts raise FactError."""
    if isinstance(scenario, Scenario):
        return scenario
    if not isinstance(scenario, Mapping):
        raise FactError(
            f"facts must be a mapping of fact groups (victim, accused, ...), not "
            f"{type(scenario).__name__}"
        )
    from dmst.facts.load import fact_error

    try:
        return Scenario.model_validate(dict(scenario))
    except ValidationError as exc:
        raise fact_error(exc, dict(scenario)) from None
