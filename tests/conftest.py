"""Shared fixtures and the hypothesis profiles.

Profiles: ``ci`` (the default: fast enough for every run) and ``thorough`` (deeper, on demand):
``HYPOTHESIS_PROFILE=thorough pytest``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, settings

from dmst import Engine

# The tests keep the checked rulebook in a cache folder of their own, never the user's.
os.environ.setdefault("DMST_CACHE_DIR", tempfile.mkdtemp(prefix="dmst-test-cache-"))

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

#: A trafficker who traffics a 15-year-old and promotes her prostitution: the tests' stock case.
PIMP: dict[str, Any] = {
    "victim": {"age": 15, "engaged_in_commercial_sex": True, "third_party_control": True},
    "accused": {"roles": ["trafficker"],
                "conduct": {"trafficked_for_sex": True, "promoted_prostitution": True}},
    "investigation": {"decoy": False},
    "dates": {"offense": "2018-05-14"},
}


@pytest.fixture(scope="session")
def engine() -> Engine:
    """One engine for the whole run (engines are safe to share)."""
    return Engine()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/*.json from the current results (review the diff with git).",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def write(tmp_path: Path, name: str, facts: dict[str, Any], title: str | None = None) -> Path:
    """Write ``facts`` (and a title) as the scenario file ``<name>.yaml`` in ``tmp_path``."""
    path = tmp_path / f"{name}.yaml"
    doc: dict[str, Any] = {"facts": facts}
    if title:
        doc["title"] = title
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path
