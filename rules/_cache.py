"""The checked shipped rulebook, kept on disk between runs (see :func:`load_rulebook`).

The key is a digest of every file the rulebook is made from (rule files, tables, source text) and
of the code that reads and checks them (this package, the fact model, the YAML reader), with the
versions of Python and pydantic: any change to one of them is a new key, so the checks run again.
Reading or writing the cache never fails a load: an entry that cannot be read is ignored (and the
rulebook is loaded and checked from its files), a folder that cannot be written is left alone.
An entry is a pickle, which runs code when read: the folder must be the user's own, never one that
others can write.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pydantic

__all__ = ["folder", "key", "read", "write"]

#: The code whose behaviour the checked rulebook depends on (besides this package's own).
_CODE = (("dmst.facts", "model.py"), ("dmst.facts", "paths.py"), ("dmst.facts", "_flips.py"),
         ("dmst", "_yaml.py"), ("dmst", "errors.py"), ("dmst", "_version.py"))


def folder() -> Path:
    """Where the cache lives: ``$DMST_CACHE_DIR``, else ``$XDG_CACHE_HOME/dmst``, else
    ``~/.cache/dmst``."""
    if os.environ.get("DMST_CACHE_DIR"):
        return Path(os.environ["DMST_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dmst"


def _files(base: Traversable) -> list[Traversable]:
    out: list[Traversable] = []
    for entry in sorted(base.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            if not entry.name.startswith((".", "__")):
                out.extend(_files(entry))
        elif entry.name.endswith((".yaml", ".py", ".txt", ".md", ".csv")):
            out.append(entry)
    return out


def key(rules: Traversable) -> str:
    """The cache key of the rulebook in the folder ``rules`` (the ``dmst.rules`` package)."""
    digest = hashlib.sha256()
    digest.update(f"{sys.version}\0{pydantic.VERSION}\0".encode())
    code = [resources.files(package).joinpath(name) for package, name in _CODE]
    for entry in [*_files(rules), *code]:
        digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _path(name: str) -> Path:
    return folder() / f"rulebook-{name}.pickle"


def read(name: str) -> Any:
    """The object kept under this key, or None (none kept, or not readable)."""
    try:
        with _path(name).open("rb") as f:
            return pickle.load(f)  # noqa: S301 - the user's own cache folder, written below
    except Exception:  # noqa: BLE001 - a bad entry is no entry: the rulebook is loaded again
        return None


def write(name: str, value: Any, keep: int = 4) -> None:
    """Keep ``value`` under this key, atomically, and only the ``keep`` newest entries (so that
    a few installs of dmst side by side each find theirs); nothing if the folder cannot be
    written."""
    target = _path(name)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".rulebook-")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target)
    except (OSError, pickle.PicklingError):
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return
    with contextlib.suppress(OSError):
        entries = sorted(target.parent.glob("rulebook-*.pickle"),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[keep:]:
            old.unlink()
