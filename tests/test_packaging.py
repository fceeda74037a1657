"""What installing dmst puts on a machine: one import name, the rules, the source, the types."""

from __future__ import annotations

from importlib import metadata, resources
from pathlib import Path

import pytest

import dmst


def test_only_the_dmst_name_is_installed() -> None:
    """Nothing but the dmst package (and its metadata) lands in site-packages' top level."""
    site = Path(dmst.__file__).resolve().parent.parent
    found = [d for d in metadata.distributions(path=[str(site)]) if d.metadata["Name"] == "dmst"]
    if not found or found[0].read_text("RECORD") is None:
        pytest.skip("a development install from a source tree has no install record")
    files = found[0].files or []
    tops = {f.parts[0] for f in files if not f.parts[0].startswith("..")}
    allowed = {"dmst"} | {t for t in tops if t.startswith(("dmst-", "__editable__", "dmst."))}
    assert tops <= allowed, f"unexpected top-level names: {sorted(tops - allowed)}"


def test_rule_files_source_text_and_type_marker_ship_with_the_package() -> None:
    """The rule files, the source text with its attribution, and py.typed are package data."""
    rules = resources.files("dmst.rules")
    names = {p.name for p in rules.iterdir()}
    assert {"rulebook.yaml", "traffickers.yaml", "demand.yaml", "facilitators.yaml",
            "protections.yaml", "investigation.yaml", "criminalization.yaml"} <= names
    source = rules.joinpath("source")
    assert "MISSISSIPPI" in source.joinpath("mississippi-report-card.txt").read_text("utf-8")
    assert "Shared Hope International" in source.joinpath("SOURCE.md").read_text("utf-8")
    assert resources.files("dmst").joinpath("py.typed").is_file()


def test_subpackages_map_to_the_top_level_folders() -> None:
    """engine/, facts/ and rules/ are importable as dmst.engine, dmst.facts and dmst.rules."""
    import dmst.engine
    import dmst.facts
    import dmst.rules

    assert dmst.facts.Scenario is dmst.Scenario
    assert dmst.engine.__name__ == "dmst.engine" and dmst.rules.__name__ == "dmst.rules"


def test_console_script_is_declared() -> None:
    """The `dmst` console script points at the CLI entry point."""
    scripts = {e.name: e.value for e in metadata.entry_points(group="console_scripts")}
    assert scripts.get("dmst") == "dmst.cli:main"


def test_declared_versions_match_the_installed_ones() -> None:
    """The version dmst reports, and the durable-rules version in its stamp, are the installed
    ones."""
    from dmst._version import DURABLE_RULES_VERSION

    assert metadata.version("dmst") == dmst.__version__
    assert metadata.version("durable_rules") == DURABLE_RULES_VERSION
