"""Interrupts and signals in ``dmst batch``: whatever the signal (SIGINT, SIGTERM), whoever
gets it (the process, or its whole process group, workers included), whatever ``--jobs`` and
wherever the output goes, the run ends with exit 130, an output of complete lines numbered
from 1, a summary that counts exactly those lines, no traceback and no leaked semaphore.

Each run is signalled at a random moment of its output (chosen by a seeded random number
generator, so a failing run can be replayed): the test waits on an event set by the thread
reading the output, never on a timer.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")

#: Runs in a test session; the thorough profile runs many more.
RUNS = 60 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 12
LINES = 20_000


def _dmst_command() -> list[str]:
    script = Path(sys.executable).with_name("dmst")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dmst"]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A batch input far longer than any run gets through before its signal."""
    path = tmp_path_factory.mktemp("signals") / "in.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i in range(LINES):
            facts = {"victim": {"age": 10 + i % 9, "willing": i % 2 == 0},
                     "accused": {"roles": [["buyer"], ["trafficker"]][i % 2]}}
            f.write(json.dumps({"facts": facts}) + "\n")
    return path


class _Watch(threading.Thread):
    """Reads a stream to its end, keeping it, and sets ``reached`` once ``until(data)``."""

    def __init__(self, stream: IO[bytes], until: object) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.until = until
        self.data = bytearray()
        self.reached = threading.Event()

    def run(self) -> None:
        while True:
            chunk = self.stream.read1(1 << 16)  # type: ignore[attr-defined]
            if not chunk:
                break
            self.data += chunk
            if not self.reached.is_set() and self.until(self.data):  # type: ignore[operator]
                self.reached.set()
        self.reached.set()  # the stream ended: nothing more will come


@pytest.mark.parametrize("run", range(RUNS))
def test_a_signal_at_a_random_moment_leaves_whole_lines_and_a_true_summary(
        source: Path, tmp_path: Path, run: int) -> None:
    """Signal a running batch once at a random moment; check the output and the summary."""
    rng = random.Random(run)
    sig = rng.choice([signal.SIGINT, signal.SIGTERM])
    to_group = rng.random() < 0.5
    jobs = rng.choice([1, 2])
    to_file = rng.random() < 0.5
    target = tmp_path / "out.jsonl"
    command = [*_dmst_command(), "batch", str(source), "--jobs", str(jobs)]
    if to_file:
        command += ["-o", str(target), "--progress"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    assert proc.stdout is not None and proc.stderr is not None
    if to_file:
        # the progress line on stderr says how many lines are written: wait for a few updates
        updates = rng.randint(1, 3)
        watch = _Watch(proc.stderr, lambda data: data.count(b" lines, ") > updates)
        other = _Watch(proc.stdout, lambda data: False)
    else:
        wanted = rng.randint(1, 600_000)
        watch = _Watch(proc.stdout, lambda data: len(data) >= wanted)
        other = _Watch(proc.stderr, lambda data: False)
    watch.start()
    other.start()
    watch.reached.wait(timeout=300)
    if to_group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    code = proc.wait(timeout=300)
    watch.join(timeout=300)
    other.join(timeout=300)
    err = bytes(watch.data if to_file else other.data).decode("utf-8", "replace")
    out = target.read_bytes() if to_file else bytes(watch.data if not to_file else other.data)
    where = f"run {run}: {signal.Signals(sig).name} to the {'group' if to_group else 'process'}, " \
            f"--jobs {jobs}, output to {'a file' if to_file else 'a pipe'}\n{err}"

    assert code == 130, where
    for bad in ("Traceback", "leaked", "resource_tracker", "Exception ignored", "Error"):
        assert bad not in err, where
    assert out == b"" or out.endswith(b"\n"), where
    numbers = [json.loads(line)["line"] for line in out.splitlines()]
    assert numbers == list(range(1, len(numbers) + 1)), where
    said = re.search(r"interrupted(?: \(SIG\w+\))? after ([\d,]+) lines", err)
    assert said is not None, where
    assert int(said.group(1).replace(",", "")) == len(numbers), where
    if sig != signal.SIGINT:
        assert f"({signal.Signals(sig).name})" in err, where


def test_a_signal_inside_a_hold_waits_for_its_end_and_a_second_one_does_not() -> None:
    """In a hold, the first signal is raised when the hold ends (the chunk is written whole);
    a second signal inside the same hold ends the run at once."""
    from dmst.cli.batch import Interrupted, _Signals

    with _Signals() as signals:
        done = []
        with pytest.raises(Interrupted) as caught:
            with signals.hold():
                os.kill(os.getpid(), signal.SIGTERM)
                done.append("written")
        assert done == ["written"] and caught.value.signum == signal.SIGTERM
        with pytest.raises(Interrupted):
            with signals.hold():
                os.kill(os.getpid(), signal.SIGINT)
                os.kill(os.getpid(), signal.SIGINT)
                done.append("never")
        assert done == ["written"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
