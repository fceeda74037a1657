"""The checked shipped rulebook kept on disk between runs: read back only while nothing it is
made from has changed, never at the cost of a load, and never by ``dmst check``."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dmst.cli import app
from dmst.rules import _cache, _loader, load_rulebook


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("DMST_CACHE_DIR", str(folder))
    return folder


def test_a_second_load_reads_the_checked_rulebook_back(cache_dir: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The first load checks the files and keeps the result; the next reads it back, equal to a
    fresh load (same fingerprint, rules and source), without checking the files again."""
    first = load_rulebook()
    assert len(list(cache_dir.glob("rulebook-*.pickle"))) == 1

    def no_check(*_: object) -> None:
        raise AssertionError("the files were read and checked again")

    monkeypatch.setattr(_loader, "_load", no_check)
    again = load_rulebook()
    monkeypatch.undo()
    fresh = load_rulebook(cache=False)
    assert again.fingerprint == first.fingerprint == fresh.fingerprint
    assert [r.id for r in again.rules] == [r.id for r in fresh.rules]
    assert again.rules == fresh.rules
    assert again.source.text == fresh.source.text


def test_a_changed_rule_file_or_checking_code_is_a_new_key(tmp_path: Path) -> None:
    """The key covers every rule file, the source and the checks: a change to any is a new key,
    so a changed rulebook is checked again."""
    package = resources.files("dmst.rules")
    copy = tmp_path / "rules"
    shutil.copytree(str(package), copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert _cache.key(copy) == _cache.key(package)
    for name in ("demand.yaml", "_checks.py", "source/mississippi-report-card.txt"):
        changed = tmp_path / "changed"
        shutil.rmtree(changed, ignore_errors=True)
        shutil.copytree(copy, changed)
        with (changed / name).open("a", encoding="utf-8") as f:
            f.write("\n# changed\n")
        assert _cache.key(changed) != _cache.key(package), name


def test_an_entry_that_cannot_be_read_is_ignored(cache_dir: Path) -> None:
    """A damaged entry is no entry: the rulebook is loaded and checked from its files."""
    load_rulebook()
    (entry,) = cache_dir.glob("rulebook-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert load_rulebook().fingerprint == load_rulebook(cache=False).fingerprint


def test_a_folder_that_cannot_be_written_fails_no_load(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache folder that is a file (so nothing can be written under it) changes nothing."""
    blocked = tmp_path / "file"
    blocked.write_text("x", encoding="utf-8")
    monkeypatch.setenv("DMST_CACHE_DIR", str(blocked / "cache"))
    assert load_rulebook().fingerprint == load_rulebook(cache=False).fingerprint


def test_dmst_check_always_checks_the_files(cache_dir: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """``dmst check`` reads and checks the rule files whatever the cache holds."""
    def no_cache(*_: object) -> None:
        raise AssertionError("dmst check read the cache")

    monkeypatch.setattr(_cache, "read", no_cache)
    out = CliRunner().invoke(app, ["check"])
    assert out.exit_code == 0, out.output
    assert "Traceback" not in out.output
