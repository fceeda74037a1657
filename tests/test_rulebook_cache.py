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


def test_the_folder_follows_the_environment(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """``$DMST_CACHE_DIR`` first, then ``$XDG_CACHE_HOME/dmst``, then ``~/.cache/dmst``."""
    monkeypatch.setenv("DMST_CACHE_DIR", str(tmp_path / "own"))
    assert _cache.folder() == tmp_path / "own"
    monkeypatch.delenv("DMST_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _cache.folder() == tmp_path / "xdg" / "dmst"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _cache.folder() == tmp_path / "home" / ".cache" / "dmst"


def test_a_new_folder_is_made_and_only_the_four_newest_entries_are_kept(
        cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing makes the folder (and its parents); after six entries the four newest remain,
    each readable under its key."""
    import os
    import time

    nested = cache_dir / "a" / "b"
    monkeypatch.setenv("DMST_CACHE_DIR", str(nested))
    names = [f"k{i}" for i in range(6)]
    start = time.time() - 100
    for i, name in enumerate(names):
        _cache.write(name, {"n": i})
        entry = nested / f"rulebook-{name}.pickle"
        os.utime(entry, (start + i, start + i))  # in the past, each newer than the one before
    kept = sorted(p.name for p in nested.glob("rulebook-*.pickle"))
    assert kept == [f"rulebook-{n}.pickle" for n in names[2:]]
    assert [_cache.read(n) for n in names] == [None, None, *({"n": i} for i in range(2, 6))]


def test_a_key_is_32_hex_digits() -> None:
    """The key names the entry's file: 32 hexadecimal digits of a SHA-256."""
    key = _cache.key(resources.files("dmst.rules"))
    assert len(key) == 32 and int(key, 16) >= 0
