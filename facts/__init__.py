"""Facts: the case as dmst reads it (``Scenario``, ``Case``), and the scenario files that carry
it. Names are imported when first used, so that the command line's help stays cheap."""

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "Accused",
    "Compensation",
    "Conduct",
    "Dates",
    "Investigation",
    "Role",
    "Scenario",
    "Victim",
]

if TYPE_CHECKING:
    from dmst.facts.model import (
        Accused,
        Compensation,
        Conduct,
        Dates,
        Investigation,
        Role,
        Scenario,
        Victim,
    )


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'dmst.facts' has no attribute {name!r}")
    value = getattr(importlib.import_module("dmst.facts.model"), name)
    globals()[name] = value
    return value
