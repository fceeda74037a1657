"""Batch evaluation: many scenarios in, one JSON line out for each, streaming and in order.

Input is JSON Lines (one scenario a line, each a JSON object in the scenario-file shape: ``facts``
and optional ``title``, ``narrative``, ``expected``) or a directory of scenario files (YAML or
JSON, taken in sorted name order). Output is UTF-8 JSON, one line for every input line, in
input order::

    {"line": 1, "result": {...}}     the result, exactly as Result.model_dump_json() writes it
    {"line": 2, "error": {...}}      DmstError.to_dict(): type, message, file, line, field, problems

(with ``"file": "name.yaml"`` after ``line`` for a directory). A bad line gets an error line and
the run goes on; a blank line is skipped and counted (:attr:`Summary.blank`), so every other
line in gives one line out, numbered as in the input. A directory's entries that are not
regular files (symbolic links included) are skipped and listed (:attr:`Summary.skipped`).

Speed. One :class:`~dmst.engine.Engine` serves the whole run (one in each worker process),
with its cache of plans by legal signature; a result that is written out at once shares the
cached plan's parts instead of copying them. Every cache is bounded, so memory stays flat however
long the input.

Safety. Output is written in whole lines only, in chunks, each inside a *hold* (a context
manager that keeps interruptions off while a chunk is written and its lines are counted; the
command line passes one that defers SIGINT, SIGTERM and SIGHUP), so the summary always equals
what the output holds. A file the run creates is cut back to its last complete line if a write
fails, and a write that fails is a :class:`~dmst.errors.DmstError` naming the output and the
reason ("no space left on device"). Parallel runs (``jobs > 1``, at most the cores available)
send chunks of lines to worker processes over pipes, each worker with its own engine and
deaf to interrupt signals (the parent decides, and ends them), and write their output in input
order. No semaphore or other named resource is created, so none can be left behind.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from dmst._text import printable
from dmst._yaml import YamlProblem, load_yaml
from dmst.engine._engine import Engine
from dmst.errors import DmstError, EvaluationError, SourceFileError
from dmst.facts.load import (
    MAX_FILE_BYTES,
    MAX_LIST_ITEMS,
    CaseFile,
    JsonProblem,
    check_document,
    fact_error,
    load_case_file,
    parse_json,
)
from dmst.facts.paths import expand_dotted

__all__ = [
    "MAX_LINE_BYTES",
    "SCENARIO_SUFFIXES",
    "FORMS",
    "BatchEvaluator",
    "Hold",
    "Input",
    "LineSink",
    "LineTooLong",
    "Summary",
    "evaluate_lines",
    "available_cores",
    "evaluate_parallel",
    "masked",
    "open_output",
    "read_items",
    "run_batch",
]

#: A line longer than this is refused (with an error line); it is never held in memory whole.
MAX_LINE_BYTES = MAX_FILE_BYTES
#: The forms of a result line: the full cited result, or the lean one.
FORMS = ("full", "lean")
#: The files of a directory that are read as scenarios.
SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")

_READ_BLOCK = 1 << 20
_FLUSH_BYTES = 1 << 20


@dataclass(frozen=True)
class LineTooLong:
    """An input line longer than :data:`MAX_LINE_BYTES` (its content is not kept)."""

    size: int


#: One input item: a JSON line (bytes or text), a scenario file, or a line too long to read.
Item = bytes | str | Path | LineTooLong


@dataclass
class Summary:
    """How a batch went: counts of the lines written (``ok`` results and ``failed`` error
    lines), of blank input lines skipped, and the directory entries skipped, as
    ``(name, reason)``."""

    ok: int = 0
    failed: int = 0
    blank: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: Files of a directory not named as scenario files (``*.yaml``, ``*.yml``, ``*.json``)
    #: or hidden (``.name``): not read.
    ignored: int = 0

    @property
    def lines(self) -> int:
        """Output lines: one for every input line but the blank ones."""
        return self.ok + self.failed


#: A context manager factory: ``with hold(): ...`` keeps interruptions off while a chunk of
#: output is written and counted.
Hold = Callable[[], AbstractContextManager[object]]


#: JSON as pydantic writes it (no spaces, UTF-8 kept); one encoder, made once.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class BatchEvaluator:
    """Turns input items into output lines with one engine; counts successes and failures.

    ``source`` names the input in error entries (``error.file``); ``presume=False`` evaluates
    strictly (no presumption); ``form`` is ``"full"`` (the result as
    :meth:`~dmst.engine.Engine.evaluate_file` gives it) or ``"lean"`` (ids, statuses, penalties
    and rule ids, as :meth:`~dmst.engine.Engine.lean_json` gives it). Not thread-safe: use one
    per thread (they may share the engine). Raises ``ValueError`` for another ``form``.
    """

    def __init__(self, engine: Engine | None = None, *, source: str = "<input>",
                 presume: bool | None = None, form: str = "full") -> None:
        if form not in FORMS:
            raise ValueError(f"form must be one of {', '.join(FORMS)}, not {form!r}")
        self.engine = engine if engine is not None else Engine()
        self.source = source
        self.presume = presume
        self.form = form
        self._write = self.engine.lean_json if form == "lean" else self.engine.result_json
        self.summary = Summary()

    # the output line, from the item ---------------------------------------------------------

    def line(self, number: int, item: Item) -> bytes:
        """The output line (ending in a newline) for input item ``number`` (1-based), or
        ``b""`` for a blank line (counted in ``summary.blank``)."""
        if isinstance(item, (bytes, str)) and not item.strip():
            self.summary.blank += 1
            return b""
        head = b'{"line":%d,' % number
        if isinstance(item, Path):
            head += b'"file":' + json.dumps(item.name, ensure_ascii=False).encode() + b","
        try:
            result = self._result(number, item)
        except DmstError as exc:
            self.summary.failed += 1
            return b"".join((head, b'"error":', _error_json(exc), b"}\n"))
        except Exception as exc:  # a bug must not stop the run or lose the line
            self.summary.failed += 1
            error = EvaluationError(
                f"internal error ({type(exc).__name__}: {exc}); this is a bug in dmst",
                file=str(item) if isinstance(item, Path) else self.source,
                line=None if isinstance(item, Path) else number,
            )
            return b"".join((head, b'"error":', _error_json(error), b"}\n"))
        self.summary.ok += 1
        return b"".join((head, b'"result":', result, b"}\n"))

    def lines(self, items: Iterable[Item], start: int = 1) -> Iterator[bytes]:
        """Output lines for ``items``, numbered from ``start``."""
        line = self.line
        for number, item in enumerate(items, start):
            yield line(number, item)

    # the result JSON ------------------------------------------------------------------------

    def _result(self, number: int, item: Item) -> bytes:
        if isinstance(item, Path):
            case = load_case_file(item, follow_symlinks=False)
            return self._write(case, presume=self.presume)
        if isinstance(item, LineTooLong):
            raise SourceFileError(
                f"the line is {item.size:,} bytes; a line is limited to {MAX_LINE_BYTES:,} bytes",
                file=self.source, line=number,
            )
        data = self._parse_line(number, item)
        if isinstance(data.get("facts"), dict):
            data = {**data, "facts": expand_dotted(data["facts"], "facts.")}
        try:
            case = CaseFile.model_validate(data)
        except ValidationError as exc:
            error = fact_error(exc, data, name=self.source)
            raise type(error)(error.message, file=self.source, line=number, field=error.field,
                              problems=error.problems) from None
        return self._write(case, presume=self.presume)

    def _parse_line(self, number: int, item: bytes | str) -> dict[str, Any]:
        try:
            text = item.decode("utf-8") if isinstance(item, bytes) else item
        except UnicodeDecodeError as exc:
            raise SourceFileError(
                f"not UTF-8 text (byte 0x{item[exc.start]:02x} at column {exc.start + 1}); "
                "write the input as UTF-8",
                file=self.source, line=number,
            ) from None
        text = text.rstrip("\r\n")
        try:
            data = parse_json(text, one_line=True)
        except JsonProblem as exc:
            tail = "; every line must be one JSON object with 'facts'" \
                if exc.message.startswith("not valid JSON") else ""
            raise SourceFileError(exc.message + tail, file=self.source, line=number) from None
        if not isinstance(data, dict):
            kind = {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
                type(data), "a number")
            raise SourceFileError(
                f"the line is {kind}; every line must be a JSON object with 'facts' (and "
                "optional title, narrative, expected)",
                file=self.source, line=number,
            )
        # a list too long or a lone surrogate needs room or a \u escape: skip the walk otherwise
        if len(text) >= 2 * MAX_LIST_ITEMS or "\\u" in text:
            check_document(data, name=self.source, line=number)
        return data


def _error_json(error: DmstError) -> bytes:
    return _COMPACT(error.to_dict()).encode()


def evaluate_lines(lines: Iterable[Item], engine: Engine | None = None, *,
                   source: str = "<input>", start: int = 1,
                   presume: bool | None = None, form: str = "full") -> Iterator[bytes]:
    """One output line (UTF-8 JSON ending in a newline) for each input line, in order.

    ``lines`` are JSON lines (bytes or text, with or without their newline), scenario file
    paths, or :class:`LineTooLong`; ``source`` names the input in error entries;
    ``presume=False`` evaluates strictly; ``form``: as for :class:`BatchEvaluator`.
    """
    return BatchEvaluator(engine, source=source, presume=presume, form=form).lines(lines, start)


# --- reading input --------------------------------------------------------------------------


class Input:
    """The items of a batch input, and how far reading has got (for progress).

    ``source`` is a JSONL file (or a named pipe), a directory of scenario files, or an open
    binary stream (such as standard input; ``name`` then names it in error entries). A
    directory's entries named ``*.yaml``, ``*.yml`` or ``*.json`` are read in name order if they
    are regular files; the others (symbolic links, pipes, directories, devices) are listed in
    :attr:`skipped` with the reason, and never opened. Raises :class:`SourceFileError` if the
    input cannot be read, or if it is one scenario file (``dmst evaluate`` reads those).
    """

    def __init__(self, source: str | Path | IO[bytes], *, name: str | None = None) -> None:
        #: Bytes (for a directory, files) read so far, and of those, done (written out).
        self.bytes_read = 0
        self.done = 0
        #: Bytes (or, for a directory, files) in all, where known.
        self.total: int | None = None
        self.is_directory = False
        #: Directory entries not read, as ``(name, reason)``; files of other kinds, counted.
        self.skipped: list[tuple[str, str]] = []
        self.ignored = 0
        self._handle: IO[bytes] | None = None
        self._owned = False
        self._files: list[Path] = []
        #: The input's file identity (device, inode) where known: the output must not be it.
        self.identity: tuple[int, int] | None = None
        if not isinstance(source, (str, Path)):
            given = getattr(source, "name", None)
            self.name = name or (given if isinstance(given, str) else "<stream>")
            self._handle = source
            try:
                info = os.fstat(source.fileno())
                self.identity = (info.st_dev, info.st_ino)
            except (AttributeError, OSError, ValueError):
                pass
            return
        self.name = name or str(source)
        p = Path(source)
        try:
            info = p.stat()
            self.identity = (info.st_dev, info.st_ino)
        except (FileNotFoundError, NotADirectoryError):
            raise SourceFileError("no such file or directory; check the path",
                                  file=self.name) from None
        except (OSError, ValueError) as exc:
            raise SourceFileError(f"cannot read: {_reason(exc)}", file=self.name) from None
        if stat.S_ISDIR(info.st_mode):
            self.is_directory = True
            self._list(p)
            self.total = len(self._files)
            return
        if p.suffix.lower() in (".yaml", ".yml"):
            raise _scenario_file(self.name)
        try:
            fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            info = os.fstat(fd)
            if hasattr(os, "set_blocking"):
                os.set_blocking(fd, True)
            self._handle = os.fdopen(fd, "rb", buffering=0)
        except OSError as exc:
            raise SourceFileError(f"cannot read: {_reason(exc)}", file=self.name) from None
        self._owned = True
        if stat.S_ISREG(info.st_mode):
            self.total = info.st_size
            if self._is_one_scenario(info.st_size):
                self.close()
                raise _scenario_file(self.name)

    def _list(self, directory: Path) -> None:
        try:
            with os.scandir(directory) as entries:
                found = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            raise SourceFileError(f"cannot list the directory: {_reason(exc)}",
                                  file=self.name) from None
        for entry in found:
            if entry.name.startswith(".") or \
                    Path(entry.name).suffix.lower() not in SCENARIO_SUFFIXES:
                self.ignored += 1
                continue
            try:
                if entry.is_symlink():
                    self.skipped.append((entry.name, "a symbolic link (only regular files in "
                                         "the directory are read)"))
                elif not entry.is_file(follow_symlinks=False):
                    kind = "a directory" if entry.is_dir(follow_symlinks=False) else \
                        "not a regular file (a pipe, a device or a socket)"
                    self.skipped.append((entry.name, kind))
                else:
                    self._files.append(Path(entry.path))
            except OSError as exc:
                self.skipped.append((entry.name, f"cannot read it: {_reason(exc)}"))

    def _is_one_scenario(self, size: int) -> bool:
        """True if this regular file is one scenario document rather than JSON Lines: its first
        non-blank line is not JSON, and the whole file is a mapping with scenario keys."""
        assert self._handle is not None
        head = os.pread(self._handle.fileno(), min(size, 1 << 16), 0)
        first = next((ln for ln in head.splitlines() if ln.strip()), b"")
        try:
            json.loads(first)
            return False
        except ValueError:
            pass
        if size > MAX_FILE_BYTES:
            return False
        try:
            text = os.pread(self._handle.fileno(), size, 0).decode("utf-8-sig")
            data = load_yaml(text, max_depth=20, fast=True)
        except (UnicodeDecodeError, YamlProblem, OSError):
            return False
        return isinstance(data, dict) and "facts" in data

    def holds(self, identity: tuple[int, int]) -> bool:
        """True if the file with this (device, inode) is the input or one of its files."""
        if identity == self.identity:
            return True
        for f in self._files:
            try:
                info = f.stat()
            except OSError:
                continue
            if (info.st_dev, info.st_ino) == identity:
                return True
        return False

    def items(self) -> Iterator[Item]:
        """Every input item in order (scenario lines, or files of a directory)."""
        for block in self.blocks():
            yield from block

    def blocks(self) -> Iterator[list[Item]]:
        """The items, grouped as they become available (one group per read of the input)."""
        if self.is_directory:
            for f in self._files:
                self.bytes_read += 1
                yield [f]
            return
        assert self._handle is not None
        yield from _read_blocks(self._handle, self)

    def close(self) -> None:
        """Close the input if this object opened it."""
        if self._owned and self._handle is not None:
            self._handle.close()


def _scenario_file(name: str) -> SourceFileError:
    return SourceFileError(
        "this is a scenario file: use dmst evaluate to evaluate it (dmst batch reads JSON "
        "Lines, one scenario a line, or a directory of scenario files)", file=name)


def _reason(exc: BaseException) -> str:
    return printable(str(getattr(exc, "strerror", None) or exc)).lower()


def read_items(handle: IO[bytes]) -> Iterator[Item]:
    """The lines of a binary stream, without their newline; a line longer than
    :data:`MAX_LINE_BYTES` becomes a :class:`LineTooLong` and is never held whole."""
    for block in _read_blocks(handle, None):
        yield from block


def _read_blocks(handle: IO[bytes], progress: Input | None) -> Iterator[list[Item]]:
    read = getattr(handle, "read1", handle.read)  # what is there, without waiting for more
    carry = b""
    skipping = 0  # > 0: inside a line too long, this many bytes of it so far
    first = True
    while True:
        try:
            chunk = read(_READ_BLOCK)
        except OSError as exc:
            name = progress.name if progress is not None else "<input>"
            raise SourceFileError(f"cannot read: {_reason(exc)}", file=name) from None
        if not chunk:
            break
        if progress is not None:
            progress.bytes_read += len(chunk)
        if first:
            chunk = chunk.removeprefix(b"\xef\xbb\xbf")
            first = False
        parts = chunk.split(b"\n")
        out: list[Item] = []
        if skipping:
            skipping += len(parts[0])
            if len(parts) == 1:
                continue
            out.append(LineTooLong(skipping))
            skipping = 0
        else:
            parts[0] = carry + parts[0]
            if len(parts) == 1:
                carry = parts[0]
                if len(carry) > MAX_LINE_BYTES:
                    skipping, carry = len(carry), b""
                continue
            out.append(_bounded(parts[0]))
        carry = parts.pop()
        out.extend(_bounded(p) for p in parts[1:])
        if len(carry) > MAX_LINE_BYTES:
            skipping, carry = len(carry), b""
        yield out
    if skipping:
        yield [LineTooLong(skipping)]
    elif carry:
        yield [_bounded(carry)]


def _bounded(line: bytes) -> Item:
    return LineTooLong(len(line)) if len(line) > MAX_LINE_BYTES else line


# --- writing output -------------------------------------------------------------------------


class LineSink:
    """Writes chunks of complete lines to a file descriptor or a binary stream, never part of a
    line: a file the sink created (``truncate``) is cut back to its last complete chunk if a
    write fails. A write that fails raises :class:`DmstError` naming ``name`` and the reason
    (``BrokenPipeError`` is left as it is: the reader went away, which is no error).
    """

    def __init__(self, target: int | IO[bytes], *, truncate: bool = False,
                 name: str = "the output") -> None:
        self.target = target
        self.name = name
        #: Bytes written so far, every one of them in a complete line.
        self.written = 0
        self._truncate = truncate and isinstance(target, int)

    def write(self, data: bytes) -> None:
        """Write ``data`` (complete lines) whole, or raise with the output as it was."""
        if not data:
            return
        try:
            if isinstance(self.target, int):
                view = memoryview(data)
                while view:
                    view = view[os.write(self.target, view):]
            else:
                self.target.write(data)
                self.target.flush()
        except BaseException as exc:
            if self._truncate:
                assert isinstance(self.target, int)
                try:
                    os.ftruncate(self.target, self.written)
                except OSError:
                    pass
            if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
                raise DmstError(f"cannot write {self.name}: {_reason(exc)}") from None
            raise
        self.written += len(data)


def open_output(path: str | Path, source: Input | None = None) -> int:
    """Create (or empty) ``path`` for writing and return its descriptor; refuse to overwrite
    the input (or a scenario file of an input directory)."""
    if source is not None:
        try:
            info = os.stat(path)
        except OSError:
            info = None  # the output does not exist yet
        if info is not None and source.holds((info.st_dev, info.st_ino)):
            raise SourceFileError(
                "the output file is part of the input; writing it would destroy the input: "
                "choose another output file", file=str(path))
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError as exc:
        raise SourceFileError(f"cannot write the output: {_reason(exc)}",
                              file=str(path)) from None


_HELD = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))


@contextmanager
def masked() -> Iterator[None]:
    """The default :data:`Hold`: SIGINT, SIGTERM and SIGHUP are blocked in the calling thread
    (the main thread only; elsewhere nothing is done) and take effect right after. A program
    with threads of its own, or one that wants a second signal to force an end, passes its own
    hold instead (the ``dmst`` command does)."""
    hold = hasattr(signal, "pthread_sigmask") and \
        threading.current_thread() is threading.main_thread()
    if hold:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        if hold:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


def available_cores() -> int:
    """The processor cores this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# --- running a batch ------------------------------------------------------------------------


Progress = Callable[[Summary, Input], None]


def run_batch(source: str | Path | IO[bytes] | Input, output: int | str | Path | IO[bytes], *,
              jobs: int = 1, engine: Engine | None = None, progress: Progress | None = None,
              engine_factory: Callable[[], Engine] = Engine, summary: Summary | None = None,
              chunk_lines: int = 256, hold: Hold = masked,
              output_name: str | None = None, presume: bool | None = None,
              form: str = "full") -> Summary:
    """Evaluate every scenario of ``source`` (a JSONL file, a directory of scenario files, a
    binary stream, or an :class:`Input`) and write one JSON line for each to ``output`` (a file
    descriptor, a binary stream, or a path to create).

    ``jobs > 1`` evaluates in that many worker processes (at most :func:`available_cores`, and
    never more than there are chunks of ``chunk_lines`` items), each with an engine made by
    ``engine_factory``; output order is the input order either way. ``summary``, when given, is
    kept up to date as the run goes and always counts exactly the lines written so far (also
    when the run is interrupted: each chunk is written and counted inside ``hold()``).
    ``progress(summary, input)`` is called now and then. ``output_name`` names the output in
    errors; ``presume=False`` evaluates strictly; ``form``: as for :class:`BatchEvaluator`. Raises :class:`SourceFileError` if the input cannot be read or the output created,
    :class:`DmstError` if the output cannot be written.
    """
    summary = summary if summary is not None else Summary()
    reader = source if isinstance(source, Input) else Input(source)
    summary.skipped.extend(reader.skipped)
    summary.ignored += reader.ignored
    jobs = max(1, min(jobs, available_cores()))
    try:
        if isinstance(output, (str, Path)):
            fd = open_output(output, reader)
            sink = LineSink(fd, truncate=True, name=output_name or str(output))
        else:
            fd = None
            sink = LineSink(output, name=output_name or "the output")
        try:
            if jobs > 1:
                _run_parallel(reader, sink, summary, jobs, engine_factory, progress,
                              chunk_lines, hold, presume, form)
            else:
                evaluator = BatchEvaluator(engine if engine is not None else engine_factory(),
                                           source=reader.name, presume=presume, form=form)
                _run_serial(reader, sink, evaluator, summary, progress, hold)
        finally:
            if fd is not None:
                os.close(fd)
    finally:
        reader.close()
    return summary


class _Ticker:
    def __init__(self, progress: Progress | None, summary: Summary, source: Input) -> None:
        self.progress = progress
        self.summary = summary
        self.source = source
        self.next = 0.0

    def __call__(self, final: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if final or now >= self.next:
            self.next = now + 0.2
            self.progress(self.summary, self.source)


def _run_serial(source: Input, sink: LineSink, evaluator: BatchEvaluator, summary: Summary,
                progress: Progress | None, hold: Hold) -> None:
    tick = _Ticker(progress, summary, source)
    line = evaluator.line
    counts = evaluator.summary
    number = 0
    pending: list[bytes] = []
    size = 0
    done = 0

    def flush() -> None:
        nonlocal pending, size
        with hold():
            sink.write(b"".join(pending))
            summary.ok, summary.failed, summary.blank = counts.ok, counts.failed, counts.blank
            source.done = done
        pending, size = [], 0
        tick()

    for block in source.blocks():
        for item in block:
            number += 1
            # a signal waits for the line to be done: raised inside the evaluation it could be
            # taken for the line's own failure (a serializer wraps what its callbacks raise)
            with hold():
                out = line(number, item)
                pending.append(out)
                size += len(out)
                done += _weight(item)
            if size >= _FLUSH_BYTES:
                flush()
        flush()  # all the input had ready is done: let the reader see it
    tick(final=True)


# --- parallel -------------------------------------------------------------------------------


def _weight(item: Item) -> int:
    """How much of the input an item is: its bytes and newline (a directory counts files)."""
    if isinstance(item, (bytes, str)):
        return len(item) + 1
    if isinstance(item, LineTooLong):
        return item.size + 1
    return 1


def _chunks(items: Iterable[Item], size: int) -> Iterator[tuple[int, list[Item]]]:
    chunk: list[Item] = []
    start = 1
    for number, item in enumerate(items, 1):
        if not chunk:
            start = number
        chunk.append(item)
        if len(chunk) >= size:
            yield start, chunk
            chunk = []
    if chunk:
        yield start, chunk


def _worker_main(conn: Any, factory: Callable[[], Engine], source: str,
                 presume: bool | None, form: str) -> None:
    """A worker process: evaluate the chunks the parent sends until it sends None or goes."""
    # The parent alone decides when a run ends (and ends its workers): a Ctrl-C or a SIGTERM
    # sent to the whole process group must not kill a worker halfway or make it print a
    # traceback. The signals were blocked from the start (the parent blocked them before
    # starting this process); ignore them, then unblock.
    for sig in _HELD:
        signal.signal(sig, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
    try:
        evaluator = BatchEvaluator(factory(), source=source, presume=presume, form=form)
    except Exception as exc:
        _send(conn, ("error", exc if isinstance(exc, DmstError) else
                     EvaluationError(f"a worker could not start ({type(exc).__name__}: {exc})")))
        return
    counts = evaluator.summary
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the parent went away
        if task is None:
            return
        start, items = task
        before = (counts.ok, counts.failed, counts.blank)
        data = b"".join(evaluator.lines(items, start))
        if not _send(conn, ("ok", (data, counts.ok - before[0], counts.failed - before[1],
                                   counts.blank - before[2]))):
            return


def _send(conn: Any, message: Any) -> bool:
    try:
        conn.send(message)
        return True
    except (OSError, EOFError, ValueError):
        return False


class _Workers:
    """Worker processes, each fed over its own pipe, one chunk at a time: results come back in
    the order the chunks went out. Workers start only as chunks need them; leaving the
    ``with`` block ends them (asked to stop after a complete run, killed otherwise)."""

    def __init__(self, jobs: int, factory: Callable[[], Engine], source: str, hold: Hold,
                 presume: bool | None = None, form: str = "full") -> None:
        import multiprocessing

        # forkserver: workers start from a clean server process that has dmst imported
        # already (fast, and safe whatever threads the caller runs); spawn where there is none
        methods = multiprocessing.get_all_start_methods()
        self._context: Any = multiprocessing.get_context(
            "forkserver" if "forkserver" in methods else "spawn")
        if self._context.get_start_method() == "forkserver":
            self._context.set_forkserver_preload(["dmst.batch"])
        self._jobs = jobs
        self._factory = factory
        self._source = source
        self._hold = hold
        self._presume = presume
        self._form = form
        self._procs: list[Any] = []
        self._conns: list[Any] = []
        self._idle: deque[int] = deque()
        self._busy: deque[int] = deque()  # in the order their chunks were sent
        self._complete = False

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._hold():
            for conn in self._conns:
                if self._complete:
                    _send(conn, None)
            for proc in self._procs:
                if not self._complete:
                    proc.kill()
                proc.join(timeout=10)
                if proc.exitcode is None:
                    proc.kill()
                    proc.join()
                proc.close()
            for conn in self._conns:
                conn.close()

    def _start(self) -> int:
        parent, child = self._context.Pipe(duplex=True)
        proc = self._context.Process(target=_worker_main,
                                     args=(child, self._factory, self._source, self._presume,
                                           self._form),
                                     daemon=True)
        # blocked here, the signals stay blocked in the worker (and in a forkserver started
        # now, and so in every worker it forks) until the worker ignores them. The resource
        # tracker is started first: starting it unblocks SIGINT and SIGTERM in this thread.
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
        with masked():
            proc.start()
            self._procs.append(proc)
            self._conns.append(parent)
        child.close()
        return len(self._procs) - 1

    def results(self, chunks: Iterable[tuple[int, list[Item]]]
                ) -> Iterator[tuple[bytes, int, int, int]]:
        """``(output lines, ok, failed, blank)`` for each chunk, in chunk order."""
        for chunk in chunks:
            if self._idle:
                worker = self._idle.popleft()
            elif len(self._procs) < self._jobs:
                worker = self._start()
            else:
                worker = self._busy.popleft()
                yield self._receive(worker)
            if not _send(self._conns[worker], chunk):
                self._receive(worker)  # it is gone: this says why
                raise EvaluationError("a worker process stopped taking work",
                                      file=self._source)
            self._busy.append(worker)
        while self._busy:
            worker = self._busy.popleft()
            yield self._receive(worker)
            self._idle.append(worker)
        self._complete = True

    def _receive(self, worker: int) -> tuple[bytes, int, int, int]:
        try:
            kind, payload = self._conns[worker].recv()
        except (EOFError, OSError):
            proc = self._procs[worker]
            proc.join(timeout=10)
            code = proc.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else \
                f"exit code {code}"
            raise EvaluationError(
                f"a worker process ended unexpectedly ({how}); the output holds the complete "
                "lines before it", file=self._source) from None
        if kind == "error":
            raise payload
        return payload  # type: ignore[no-any-return]


def evaluate_parallel(items: Iterable[Item], jobs: int, *, source: str = "<input>",
                      engine_factory: Callable[[], Engine] = Engine,
                      chunk_lines: int = 256, presume: bool | None = None,
                      form: str = "full") -> Iterator[tuple[bytes, int, int]]:
    """Evaluate ``items`` in up to ``jobs`` worker processes, each with its own engine; yield
    ``(output lines, ok, failed)`` per chunk of ``chunk_lines`` items, in input order.

    At most one chunk per worker is in flight, so memory stays bounded however long the input.
    ``engine_factory`` must be picklable (a class or a module-level function). The workers are
    ended when the iterator is exhausted or closed.
    """
    with _Workers(jobs, engine_factory, source, masked, presume, form) as workers:
        for data, ok, failed, _ in workers.results(_chunks(items, chunk_lines)):
            yield data, ok, failed


def _run_parallel(source: Input, sink: LineSink, summary: Summary, jobs: int,
                  engine_factory: Callable[[], Engine], progress: Progress | None,
                  chunk_lines: int, hold: Hold, presume: bool | None = None,
                  form: str = "full") -> None:
    tick = _Ticker(progress, summary, source)
    weights: deque[int] = deque()

    def chunks() -> Iterator[tuple[int, list[Item]]]:
        for start, chunk in _chunks(source.items(), chunk_lines):
            weights.append(sum(map(_weight, chunk)))
            yield start, chunk

    with _Workers(jobs, engine_factory, source.name, hold, presume, form) as workers:
        for data, ok, failed, blank in workers.results(chunks()):
            with hold():
                sink.write(data)
                summary.ok += ok
                summary.failed += failed
                summary.blank += blank
                source.done += weights.popleft()
            tick()
    tick(final=True)
