"""The kinds of conclusion (what the command line offers to filter by, without loading the
rulebook's models)."""

from __future__ import annotations

from enum import Enum

__all__ = ["Kind"]


class Kind(str, Enum):
    """What a conclusion is about. ``status`` is a derived fact about the victim."""

    CHARGE = "charge"
    SENTENCING = "sentencing"
    CONSEQUENCE = "consequence"
    DEFENSE_BARRED = "defense_barred"
    PROTECTION = "protection"
    INVESTIGATION = "investigation"
    GAP = "gap"
    STATUS = "status"
