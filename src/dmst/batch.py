"""Batch evaluation: many scenarios in, one JSON line out for each, streaming and in order.

Input is JSON Lines (one scenario a line, each a JSON object in the scenario-file shape: ``facts``
and optional ``title``, ``narrative``, ``expected``) or a directory of scenario files (YAML or
JSON, taken in sorted name order). Output is UTF-8 JSON, one line for every input line, in
input order::

    {"line": 1, "result": {...}}     the result, exactly as Result.model_dump_json() writes it
    {"line": 2, "error": {...}}      DmstError.to_dict(): type, message, file, line, field, problems

(with ``"file": "name.yaml"`` after ``line`` for a directory). A blank or bad line gets an error
line and the run goes on: lines in = lines out.

Speed. One :class:`~dmst.engine.Engine` serves the whole run, and its cache of legal
signatures; this module only reads, writes, reports progress and runs workers.

Safety. Output is written in whole lines only, in chunks, with interrupt signals held off during
each write; a file the run creates is cut back to its last complete line if a write fails.
Parallel runs (``jobs > 1``) send chunks of lines to worker processes, each with its own engine,
and write their output in input order.
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
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from dmst.engine._engine import Engine
from dmst.errors import DmstError, EvaluationError, SourceFileError
from dmst.facts.load import MAX_FILE_BYTES, load_case_file, parse_line

__all__ = [
    "MAX_LINE_BYTES",
    "SCENARIO_SUFFIXES",
    "BatchEvaluator",
    "Input",
    "LineSink",
    "LineTooLong",
    "Summary",
    "evaluate_lines",
    "evaluate_parallel",
    "open_output",
    "read_items",
    "run_batch",
]

#: A line longer than this is refused (with an error line); it is never held in memory whole.
MAX_LINE_BYTES = MAX_FILE_BYTES
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
    """How a batch went."""

    ok: int = 0
    failed: int = 0

    @property
    def lines(self) -> int:
        return self.ok + self.failed


# --- one process: items to output lines ----------------------------------------------------


class BatchEvaluator:
    """Turns input items into output lines with one engine; counts successes and failures.

    ``source`` names the input in error entries (``error.file``); ``presume=False`` evaluates
    strictly. Not thread-safe: use one per thread (they may share the engine).
    """

    def __init__(self, engine: Engine | None = None, *, source: str = "<input>",
                 presume: bool | None = None) -> None:
        self.engine = engine if engine is not None else Engine()
        self.source = source
        self.presume = presume
        self.summary = Summary()

    def line(self, number: int, item: Item) -> bytes:
        """The output line (ending in a newline) for input item ``number`` (1-based)."""
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

    def _result(self, number: int, item: Item) -> bytes:
        if isinstance(item, Path):
            case = load_case_file(item)
        elif isinstance(item, LineTooLong):
            raise SourceFileError(
                f"the line is {item.size:,} bytes; a line is limited to {MAX_LINE_BYTES:,} bytes",
                file=self.source, line=number,
            )
        else:
            case = parse_line(item, name=self.source, line=number)
        return self.engine.result_json(case, presume=self.presume)


#: JSON as pydantic writes it (no spaces, UTF-8 kept); one encoder, made once.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _error_json(error: DmstError) -> bytes:
    return _COMPACT(error.to_dict()).encode()


def evaluate_lines(lines: Iterable[Item], engine: Engine | None = None, *,
                   source: str = "<input>", start: int = 1,
                   presume: bool | None = None) -> Iterator[bytes]:
    """One output line (UTF-8 JSON ending in a newline) for each input line, in order.

    ``lines`` are JSON lines (bytes or text, with or without their newline), scenario file
    paths, or :class:`LineTooLong`; ``source`` names the input in error entries.
    """
    return BatchEvaluator(engine, source=source, presume=presume).lines(lines, start)


# --- reading input --------------------------------------------------------------------------


class Input:
    """The items of a batch input, and how far reading has got (for progress).

    ``source`` is a JSONL file, a directory of scenario files, or an open binary stream (such as
    standard input; ``name`` then names it in error entries).
    """

    def __init__(self, source: str | Path | IO[bytes], *, name: str | None = None) -> None:
        #: Bytes (for a directory, files) read so far, and of those, done (written out).
        self.bytes_read = 0
        self.done = 0
        #: Bytes (or, for a directory, files) in all, where known.
        self.total: int | None = None
        self.is_directory = False
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
            raise SourceFileError(f"cannot read: {getattr(exc, 'strerror', None) or exc}",
                                  file=self.name) from None
        if stat.S_ISDIR(info.st_mode):
            self.is_directory = True
            try:
                self._files = sorted(
                    (f for f in p.iterdir()
                     if f.suffix.lower() in SCENARIO_SUFFIXES and not f.name.startswith(".")
                     and not f.is_dir()),
                    key=lambda f: f.name,
                )
            except OSError as exc:
                raise SourceFileError(f"cannot list the directory: {exc.strerror}",
                                      file=self.name) from None
            self.total = len(self._files)
            return
        try:
            self._handle = open(p, "rb", buffering=0)
        except OSError as exc:
            raise SourceFileError(f"cannot read: {exc.strerror}", file=self.name) from None
        self._owned = True
        if stat.S_ISREG(info.st_mode):
            self.total = info.st_size

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
        if self._owned and self._handle is not None:
            self._handle.close()


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
        chunk = read(_READ_BLOCK)
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
    line: interrupt signals are held off while a chunk is written (they take effect right
    after), and a file the sink created is cut back to its last complete chunk if a write fails.
    """

    _HELD = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP")
                  if hasattr(signal, n))

    def __init__(self, target: int | IO[bytes], *, truncate: bool = False) -> None:
        self.target = target
        #: Bytes written so far, every one of them in a complete line.
        self.written = 0
        self._truncate = truncate and isinstance(target, int)

    def write(self, data: bytes) -> None:
        if not data:
            return
        hold = hasattr(signal, "pthread_sigmask") and \
            threading.current_thread() is threading.main_thread()
        if hold:
            old = signal.pthread_sigmask(signal.SIG_BLOCK, self._HELD)
        try:
            if isinstance(self.target, int):
                view = memoryview(data)
                while view:
                    view = view[os.write(self.target, view):]
            else:
                self.target.write(data)
                self.target.flush()
        except BaseException:
            if self._truncate:
                assert isinstance(self.target, int)
                try:
                    os.ftruncate(self.target, self.written)
                except OSError:
                    pass
            raise
        finally:
            if hold:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
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
        raise SourceFileError(f"cannot write the output: {exc.strerror}",
                              file=str(path)) from None


# --- running a batch ------------------------------------------------------------------------


Progress = Callable[[Summary, Input], None]


def run_batch(source: str | Path | IO[bytes] | Input, output: int | str | Path | IO[bytes], *,
              jobs: int = 1, engine: Engine | None = None, progress: Progress | None = None,
              engine_factory: Callable[[], Engine] = Engine, summary: Summary | None = None,
              chunk_lines: int = 256, presume: bool | None = None) -> Summary:
    """Evaluate every scenario of ``source`` (a JSONL file, a directory of scenario files, a
    binary stream, or an :class:`Input`) and write one JSON line for each to ``output`` (a file
    descriptor, a binary stream, or a path to create).

    ``jobs > 1`` evaluates in that many worker processes, each with an engine made by
    ``engine_factory``; output order is the input order either way. ``summary``, when given,
    is kept up to date as the run goes (it still counts if the run is interrupted);
    ``progress(summary, input)`` is called now and then. Raises :class:`SourceFileError` if the
    input cannot be opened or the output created.
    """
    summary = summary if summary is not None else Summary()
    reader = source if isinstance(source, Input) else Input(source)
    try:
        if isinstance(output, (str, Path)):
            fd = open_output(output, reader)
            sink = LineSink(fd, truncate=True)
        else:
            fd = None
            sink = LineSink(output)
        try:
            if jobs > 1:
                _run_parallel(reader, sink, summary, jobs, engine_factory, progress,
                              chunk_lines, presume)
            else:
                evaluator = BatchEvaluator(engine if engine is not None else engine_factory(),
                                           source=reader.name, presume=presume)
                evaluator.summary = summary
                _run_serial(reader, sink, evaluator, progress)
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


def _run_serial(source: Input, sink: LineSink, evaluator: BatchEvaluator,
                progress: Progress | None) -> None:
    tick = _Ticker(progress, evaluator.summary, source)
    line = evaluator.line
    number = 0
    pending: list[bytes] = []
    size = 0
    done = 0
    for block in source.blocks():
        for item in block:
            number += 1
            out = line(number, item)
            pending.append(out)
            size += len(out)
            done += _weight(item)
            if size >= _FLUSH_BYTES:
                sink.write(b"".join(pending))
                pending, size = [], 0
                source.done = done
                tick()
        if pending:  # all the input had ready is done: let the reader see it
            sink.write(b"".join(pending))
            pending, size = [], 0
            source.done = done
            tick()
    tick(final=True)


# --- parallel -------------------------------------------------------------------------------

_worker: BatchEvaluator | None = None  # in a worker process only, made by _init_worker


def _init_worker(factory: Callable[[], Engine], source: str, presume: bool | None) -> None:
    global _worker
    # Ctrl-C reaches the whole process group: the parent stops the run, workers just end
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = BatchEvaluator(factory(), source=source, presume=presume)


def _weight(item: Item) -> int:
    """How much of the input an item is: its bytes and newline (a directory counts files)."""
    if isinstance(item, (bytes, str)):
        return len(item) + 1
    if isinstance(item, LineTooLong):
        return item.size + 1
    return 1


def _work(start: int, items: list[Item]) -> tuple[bytes, int, int]:
    assert _worker is not None
    ok, failed = _worker.summary.ok, _worker.summary.failed
    data = b"".join(_worker.lines(items, start))
    return data, _worker.summary.ok - ok, _worker.summary.failed - failed


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


def _sized_chunks(items: Iterable[Item], size: int, weights: deque[int]
                  ) -> Iterator[tuple[int, list[Item]]]:
    """The chunks of ``items``, noting each chunk's weight (for progress) in ``weights``."""
    for start, chunk in _chunks(items, size):
        weights.append(sum(map(_weight, chunk)))
        yield start, chunk


def evaluate_parallel(items: Iterable[Item], jobs: int, *, source: str = "<input>",
                      engine_factory: Callable[[], Engine] = Engine,
                      chunk_lines: int = 256, presume: bool | None = None
                      ) -> Iterator[tuple[bytes, int, int]]:
    """Evaluate ``items`` in ``jobs`` worker processes, each with its own engine; yield
    ``(output lines, ok, failed)`` per chunk of ``chunk_lines`` items, in input order.

    At most ``2 * jobs`` chunks are in flight, so memory stays bounded however long the input.
    ``engine_factory`` must be picklable (a class or a module-level function).
    """
    return _evaluate_chunks(_chunks(items, chunk_lines), jobs, source, engine_factory, presume)


def _evaluate_chunks(chunks: Iterable[tuple[int, list[Item]]], jobs: int, source: str,
                     engine_factory: Callable[[], Engine], presume: bool | None = None
                     ) -> Iterator[tuple[bytes, int, int]]:
    import multiprocessing

    # forkserver: workers start from a clean server process that has dmst imported already
    # (fast, and safe whatever threads the caller runs); spawn where there is no forkserver
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(["dmst.batch"])
    with context.Pool(jobs, initializer=_init_worker,
                      initargs=(engine_factory, source, presume)) as pool:
        window: deque[Any] = deque()
        for start, chunk in chunks:
            window.append(pool.apply_async(_work, (start, chunk)))
            if len(window) >= 2 * jobs:
                yield window.popleft().get()
        while window:
            yield window.popleft().get()


def _run_parallel(source: Input, sink: LineSink, summary: Summary, jobs: int,
                  engine_factory: Callable[[], Engine], progress: Progress | None,
                  chunk_lines: int, presume: bool | None = None) -> None:
    tick = _Ticker(progress, summary, source)
    weights: deque[int] = deque()
    chunks = _sized_chunks(source.items(), chunk_lines, weights)
    for data, ok, failed in _evaluate_chunks(chunks, jobs, source.name, engine_factory,
                                             presume):
        sink.write(data)
        summary.ok += ok
        summary.failed += failed
        source.done += weights.popleft()
        tick()
    tick(final=True)
