"""Memory soak: resident memory must stay flat over many evaluations and a long batch.

    python benchmarks/memory_soak.py                      # 100,000 evaluations, 1,000,000 lines
    python benchmarks/memory_soak.py --evaluations 20000 --lines 200000

Part 1 evaluates scenarios with the firings cache off, so every evaluation runs and deletes a
durable_rules session. Part 2 streams JSON lines of cases that all differ through
``dmst.batch`` (output discarded), so the engine's plan cache fills to its byte budget and
holds there. Each part prints resident memory as it goes and fails (exit 1) if memory grew by
more than ``--tolerance`` MiB between the end of its warm-up (the first tenth) and its end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dmst import Engine, FactError, Scenario  # noqa: E402 - after the path to the helpers
from dmst.batch import BatchEvaluator  # noqa: E402 - after the path to the benchmark helpers
from scenarios import generate, stream  # noqa: E402 - after the path to the benchmark helpers


def rss_mib() -> float:
    """Current resident memory of this process, in MiB (Linux), else peak (elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (2**20 if sys.platform == "darwin" else 2**10)


def soak_evaluations(count: int, tolerance: float) -> bool:
    docs = generate(500, seed=17)
    scenarios = []
    for d in docs:
        try:
            scenarios.append(Scenario.parse(d["facts"]))
        except FactError:
            continue
    engine = Engine(cache_size=0)
    warm = None
    step = max(count // 10, 1)
    for i in range(count):
        engine.evaluate(scenarios[i % len(scenarios)])
        if (i + 1) % step == 0:
            now = rss_mib()
            warm = now if warm is None else warm
            print(f"evaluations {i + 1:>9,}  rss {now:8.1f} MiB", flush=True)
    grown = rss_mib() - (warm or 0)
    print(f"evaluations: grew {grown:.1f} MiB after warm-up (tolerance {tolerance} MiB)")
    return grown <= tolerance


def _lines(count: int) -> Iterator[str]:
    """Cases that all differ (drawn afresh, never repeated on purpose)."""
    for i, doc in zip(range(count), stream(seed=23), strict=False):
        yield json.dumps({"title": f"case {i}", "facts": doc["facts"]}, default=str)


def soak_batch(count: int, tolerance: float) -> bool:
    evaluator = BatchEvaluator(Engine())
    warm = None
    step = max(count // 10, 1)
    for i, _ in enumerate(evaluator.lines(_lines(count)), 1):
        if i % step == 0:
            now = rss_mib()
            warm = now if warm is None else warm
            print(f"batch lines {i:>9,}  rss {now:8.1f} MiB", flush=True)
    grown = rss_mib() - (warm or 0)
    print(f"batch: {evaluator.summary.ok:,} ok, {evaluator.summary.failed:,} failed; grew "
          f"{grown:.1f} MiB after warm-up (tolerance {tolerance} MiB)")
    return grown <= tolerance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--evaluations", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--tolerance", type=float, default=48.0,
                        help="MiB of growth allowed after warm-up (the batch caches fill up to "
                        "their byte budgets during the run)")
    args = parser.parse_args()
    ok = soak_evaluations(args.evaluations, args.tolerance)
    ok = soak_batch(args.lines, args.tolerance) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
