"""The facts a what-if tries by default (kept apart from the fact model, so that the command
line's help can name them without building it)."""

from __future__ import annotations

__all__ = ["FLIP_FACTS"]

#: The facts the what-if (``dmst flips``) changes by default: the victim's age and age at
#: testimony across every threshold the rules compare them with, and the true/false facts that
#: most often turn a case.
FLIP_FACTS: tuple[str, ...] = (
    "victim.age",
    "victim.age_at_testimony",
    "investigation.decoy",
    "accused.conduct.used_internet",
    "victim.third_party_control",
)
