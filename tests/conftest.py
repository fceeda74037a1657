"""Shared fixtures and the hypothesis profiles.

Profiles: ``ci`` (the default: fast enough for every run) and ``thorough`` (deeper, on demand):
``HYPOTHESIS_PROFILE=thorough pytest``.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, settings

from dmst import Conclusion, Engine, Result, load_rulebook

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


#: A buyer who answers an online advertisement placed by a law-enforcement decoy posing as 14.
DECOY: dict[str, Any] = {
    "victim": {"age": 14},
    "accused": {"roles": ["buyer"],
                "conduct": {"bought_commercial_sex": True, "used_internet": True}},
    "investigation": {"decoy": True, "online_operation": True},
}
#: One trafficker, two victims aged 15 (V1) and 12 (V2): enticing reaches only V2.
TWO_VICTIMS = EXAMPLES / "case-trafficker-two-victims.yaml"
#: A case of two accused (a mother who sells her daughter, and the buyer) and one victim.
MOTHER_AND_BUYER = EXAMPLES / "case-mother-and-buyer.yaml"


def own_accused_unnamed(result: Result, accused: str | None) -> Result:
    """The result with derivations naming the pair's own accused unnamed: a derivation names an
    accused only where the victim's conclusion came through another accused's charges, so a
    case's pair and the single form differ only there."""
    def strip(c: Conclusion) -> Conclusion:
        return c.model_copy(update={"derivations": [
            d.model_copy(update={"accused": None}) if d.accused == accused else d
            for d in c.derivations]})
    return result.model_copy(update={"conclusions": [strip(c) for c in result.conclusions],
                                     "statuses": [strip(c) for c in result.statuses]})


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def words(text: str) -> str:
    """The text with every run of whitespace as one space (reports wrap long lines)."""
    return " ".join(text.split())


#: The shipped rule folder (where the loader is).
RULES_DIR = Path(load_rulebook.__code__.co_filename).parent


@pytest.fixture()
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped rule folder."""
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


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
