"""dmst: Mississippi law on domestic minor sex trafficking as cited, forward-chaining rules.

>>> import dmst
>>> result = dmst.evaluate({"victim": {"age": 15}})
>>> result.undetermined[0].missing  # doctest: +SKIP

The public API is what ``__all__`` lists; every name is loaded on first use, so ``import dmst`` is
cheap. Not legal advice: dmst states the law only as the Protected Innocence Challenge report card
for Mississippi analyses it, for the period it describes.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dmst._version import __version__

__all__ = [
    "AskNext",
    "Case",
    "CaseFile",
    "CaseResult",
    "Citation",
    "Conclusion",
    "ConclusionDelta",
    "Derivation",
    "DmstError",
    "Engine",
    "EvaluationError",
    "ExplanationNode",
    "FactChange",
    "FactError",
    "Flip",
    "FlipReport",
    "InputError",
    "NotApplicable",
    "Presumption",
    "Result",
    "Rulebook",
    "RulebookError",
    "Scenario",
    "ScenarioDiff",
    "SourceFileError",
    "Stamp",
    "StatuteRef",
    "Undetermined",
    "Warning",
    "WhyNot",
    "__version__",
    "default_engine",
    "diff",
    "evaluate",
    "explain",
    "flatten",
    "flips",
    "load_case",
    "load_case_file",
    "load_rulebook",
    "nest",
    "parse_case",
    "render",
    "why_not",
]

_WHERE = {
    **dict.fromkeys(["Engine"], "dmst.engine._engine"),
    **dict.fromkeys(
        ["AskNext", "CaseResult", "Citation", "Conclusion", "Derivation", "NotApplicable",
         "Presumption", "Result", "Stamp", "StatuteRef", "Undetermined", "Warning"],
        "dmst.engine.result",
    ),
    **dict.fromkeys(
        ["DmstError", "EvaluationError", "FactError", "InputError", "RulebookError",
         "SourceFileError"],
        "dmst.errors",
    ),
    **dict.fromkeys(["CaseFile", "load_case_file", "parse_case", "load_case"], "dmst.facts.load"),
    **dict.fromkeys(["Case", "Scenario"], "dmst.facts.model"),
    **dict.fromkeys(["flatten", "nest"], "dmst.facts.paths"),
    **dict.fromkeys(["Rulebook", "load_rulebook"], "dmst.rules"),
    **dict.fromkeys(["ExplanationNode", "explain"], "dmst.engine.explain"),
    **dict.fromkeys(["WhyNot", "why_not"], "dmst.engine.whynot"),
    **dict.fromkeys(
        ["ConclusionDelta", "FactChange", "Flip", "FlipReport", "ScenarioDiff", "diff", "flips"],
        "dmst.engine.whatif",
    ),
    "render": "dmst.report",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'dmst' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from dmst.engine._engine import Engine
    from dmst.engine.explain import ExplanationNode, explain
    from dmst.engine.result import (
        AskNext,
        CaseResult,
        Citation,
        Conclusion,
        Derivation,
        NotApplicable,
        Presumption,
        Result,
        Stamp,
        StatuteRef,
        Undetermined,
        Warning,
    )
    from dmst.engine.whatif import (
        ConclusionDelta,
        FactChange,
        Flip,
        FlipReport,
        ScenarioDiff,
        diff,
        flips,
    )
    from dmst.engine.whynot import WhyNot, why_not
    from dmst.errors import (
        DmstError,
        EvaluationError,
        FactError,
        InputError,
        RulebookError,
        SourceFileError,
    )
    from dmst.facts.load import CaseFile, load_case, load_case_file, parse_case
    from dmst.facts.model import Case, Scenario
    from dmst.facts.paths import flatten, nest
    from dmst.report import render
    from dmst.rules import Rulebook, load_rulebook

_default: Engine | None = None
_default_lock = threading.Lock()


def default_engine() -> Engine:
    """The engine over the shipped rulebook, built on first use and then shared."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                from dmst.engine._engine import Engine

                _default = Engine()
    return _default


def evaluate(case: Any, *, presume: bool = True) -> Any:
    """Evaluate a scenario or a case (a model, or a mapping of facts) with the default engine:
    a :class:`Result` for one accused and one victim, a :class:`CaseResult` for a case."""
    if not isinstance(case, Mapping) and not hasattr(case, "model_fields"):
        from dmst.errors import FactError

        raise FactError(f"facts must be a mapping of fact groups, not {type(case).__name__}")
    return default_engine().evaluate(case, presume=presume)
