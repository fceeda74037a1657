"""dmst: Mississippi law on domestic minor sex trafficking as cited, forward-chaining rules.

>>> from dmst import evaluate
>>> result = evaluate({"victim": {"age": 15}})
>>> result.undetermined[0].missing  # doctest: +SKIP

Not legal advice: dmst states the law only as the Protected Innocence Challenge report card for
Mississippi analyses it, for the period it describes.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dmst.engine.engine import Engine, version
from dmst.engine.result import (
    AskNext,
    Citation,
    Conclusion,
    Derivation,
    Result,
    Stamp,
    StatuteRef,
    Undetermined,
    Warning,
)
from dmst.errors import (
    DmstError,
    EvaluationError,
    FactError,
    InputError,
    RulebookError,
    SourceFileError,
)
from dmst.facts.load import CaseFile, load_case_file
from dmst.facts.model import Scenario
from dmst.rules.loader import Rulebook, load_rulebook

__all__ = [
    "AskNext",
    "CaseFile",
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
    "flips",
    "load_case_file",
    "load_rulebook",
    "render_markdown",
    "why_not",
]

__version__ = version()

# Explanations, what-if and Markdown are loaded on first use, so `import dmst` stays quick.
_LAZY = {
    **dict.fromkeys(
        ["ConclusionDelta", "ExplanationNode", "FactChange", "Flip", "FlipReport",
         "ScenarioDiff", "WhyNot", "diff", "explain", "flips", "why_not"],
        "dmst.engine.explain",
    ),
    "render_markdown": "dmst.markdown",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dmst' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from dmst.engine.explain import (
        ConclusionDelta,
        ExplanationNode,
        FactChange,
        Flip,
        FlipReport,
        ScenarioDiff,
        WhyNot,
        diff,
        explain,
        flips,
        why_not,
    )
    from dmst.markdown import render_markdown

_default: Engine | None = None
_default_lock = threading.Lock()


def default_engine() -> Engine:
    """The engine over the shipped rulebook, built on first use and then shared."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Engine()
    return _default


def evaluate(scenario: Scenario | Mapping[str, Any]) -> Result:
    """Evaluate a scenario (or a mapping of facts) with the default engine."""
    return default_engine().evaluate(scenario)
