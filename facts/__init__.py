"""Facts: the case as dmst reads it (``Scenario``), and the scenario files that carry it."""

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
