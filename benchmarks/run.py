"""dmst benchmarks: every figure is a ratio against a baseline measured in the same run.

    python benchmarks/run.py            # the table
    python benchmarks/run.py --json     # one JSON object
    python benchmarks/run.py --quick    # fewer repetitions (a smoke run)

Measures: (1) one warm evaluation through the library (full cited result) against a naive
pure-Python fixpoint over the same rule data (the reference evaluator), median and p99; (2) batch
throughput of ``dmst batch`` on generated scenarios against the floor of only parsing the input
and writing the same output bytes, and the batch's peak memory at two sizes; (3) cold start of
``dmst evaluate`` against ``python -c "import pydantic, typer"``; (4) how the cost grows with the
number of facts given and with the size of the rulebook (a synthetic rulebook of 4x the rules).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from dmst import Engine, Scenario, load_rulebook  # noqa: E402
from dmst.engine.reference import evaluate_reference  # noqa: E402
from dmst.facts.paths import flatten  # noqa: E402
from scenarios import full_scenario, generate, with_known  # noqa: E402
from synthetic import write_scaled_rulebook  # noqa: E402


def _timings(fn: Any, items: list[Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        for item in items:
            start = time.perf_counter_ns()
            fn(item)
            out.append((time.perf_counter_ns() - start) / 1e6)
    return out


def _stats(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {"median_ms": round(statistics.median(ms), 4),
            "p99_ms": round(ms[int(len(ms) * 0.99) - 1], 4)}


def bench_single(count: int, repeat: int) -> dict[str, Any]:
    """One scenario at a time, on varied scenarios: a warm evaluation (the engine has seen the
    scenario's legal signature, so the rule network is skipped and the cited result is filled
    in), and an evaluation of a signature the engine has not seen (the rule network runs), each
    against the naive fixpoint of the same rules (firings only, no result)."""
    scenarios = [Scenario.model_validate(d["facts"]) for d in generate(count, seed=11)]
    engine = Engine()
    uncached = Engine(cache_size=0)
    rulebook = engine.rulebook
    naive: list[float] = []
    warm: list[float] = []
    for s in scenarios:
        engine.evaluate(s)  # the engine now knows this signature
        warm += _timings(engine.evaluate, [s], repeat)
        naive += _timings(lambda x: evaluate_reference(rulebook, flatten(x)), [s], repeat)
    cold_signature = _stats(_timings(uncached.evaluate, scenarios, 1))
    n, w = _stats(naive), _stats(warm)
    return {
        "scenarios": count,
        "naive_fixpoint": n,
        "engine_warm": w,
        "engine_new_signature": cold_signature,
        "ratio_warm_median": round(w["median_ms"] / n["median_ms"], 3),
        "ratio_warm_p99": round(w["p99_ms"] / n["p99_ms"], 3),
        "ratio_new_signature_median": round(cold_signature["median_ms"] / n["median_ms"], 3),
    }


def _batch_input(path: Path, lines: int, seed: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for doc in _batch_docs(lines, seed):
            out.write(json.dumps(doc) + "\n")


def _batch_docs(lines: int, seed: int) -> list[dict[str, Any]]:
    """Case-management traffic: most lines are variations of the example cases (other ages on
    the same side of every threshold, other dates, other irrelevant facts), some are new."""
    import yaml

    rng = random.Random(seed)
    templates = [yaml.safe_load(p.read_text(encoding="utf-8"))["facts"]
                 for p in sorted((ROOT / "examples").glob("*.yaml"))]
    docs = []
    fresh = generate(max(1, lines // 20), seed=seed)
    for i in range(lines):
        if i % 20 == 0:
            docs.append(fresh[i // 20])
            continue
        facts = json.loads(json.dumps(templates[rng.randrange(len(templates))], default=str))
        victim = facts.setdefault("victim", {})
        victim["willing"] = rng.random() < 0.5
        victim["force_fraud_or_coercion"] = rng.random() < 0.5
        age = victim.get("age")
        if isinstance(age, int):
            ceiling = victim.get("age_at_testimony", 40)
            band = [a for a in range(10, 40) if (a < 14) == (age < 14)
                    and (a < 18) == (age < 18) and a <= ceiling]
            victim["age"] = rng.choice(band)
        docs.append({"title": f"case {i}", "facts": facts})
    return docs


def _run_measured(cmd: list[str]) -> tuple[float, int, int]:
    """Wall seconds, exit code and peak resident memory (KiB) of a subprocess.

    The peak is taken by GNU time where it is installed: a child forked from this (large)
    process would otherwise be charged with this process's memory until it execs."""
    timer = shutil.which("time", path="/usr/bin:/bin")
    start = time.perf_counter()
    if timer:
        proc = subprocess.run([timer, "-f", "%M", *cmd], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        seconds = time.perf_counter() - start
        return seconds, proc.returncode, int(proc.stderr.strip().splitlines()[-1])
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - start, os.waitstatus_to_exitcode(status), usage.ru_maxrss


_FLOOR = """
import json, sys
with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], encoding="utf-8") as ref, \\
        open(sys.argv[3], "w", encoding="utf-8") as out:
    for line, result in zip(src, ref):
        json.loads(line)
        out.write(result)
"""


def _scratch() -> str | None:
    """A memory-backed folder for the batch files where there is one, so that the figures
    measure dmst and not the disk (results are large: every conclusion carries its quotes)."""
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def bench_batch(lines: int, big: int | None) -> dict[str, Any]:
    """``dmst batch`` throughput and peak memory against the parse-and-write floor."""
    with tempfile.TemporaryDirectory(dir=_scratch()) as tmp:
        t = Path(tmp)
        src, out, floor_out = t / "in.jsonl", t / "out.jsonl", t / "floor.jsonl"
        _batch_input(src, lines, seed=3)
        cmd = [sys.executable, "-m", "dmst", "batch", str(src), "-o", str(out)]
        seconds, code, rss = _run_measured(cmd)
        if not out.exists():
            return {"error": f"dmst batch did not run (exit {code})"}
        out_lines = sum(1 for _ in out.open(encoding="utf-8"))
        floor_s, _, floor_rss = _run_measured(
            [sys.executable, "-c", _FLOOR, str(src), str(out), str(floor_out)])
        result: dict[str, Any] = {
            "scratch": _scratch() or tempfile.gettempdir(),
            "output_mib": round(out.stat().st_size / 2**20, 1),
            "lines": lines,
            "output_lines": out_lines,
            "exit_code": code,
            "seconds": round(seconds, 3),
            "scenarios_per_second": round(lines / seconds),
            "floor_seconds": round(floor_s, 3),
            "ratio_to_floor": round(seconds / floor_s, 2),
            "peak_rss_mib": round(rss / 1024, 1),
        }
        if big:
            _batch_input(src, big, seed=5)
            big_s, _, big_rss = _run_measured(cmd)
            result.update({
                "big_lines": big,
                "big_scenarios_per_second": round(big / big_s),
                "big_peak_rss_mib": round(big_rss / 1024, 1),
            })
        return result


def bench_cold_start(repeat: int) -> dict[str, Any]:
    """Wall time of a whole `dmst evaluate` process against importing pydantic and typer."""
    example = sorted((ROOT / "examples").glob("*.yaml"))[0]
    dmst_cmd = [str(Path(sys.executable).with_name("dmst")), "evaluate", str(example),
                "--format", "json"]
    floor_cmd = [sys.executable, "-c", "import pydantic, typer"]

    def median(cmd: list[str]) -> float:
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            runs.append(time.perf_counter() - start)
        return statistics.median(runs) * 1000

    median(dmst_cmd)  # let the file cache settle
    cli, floor = median(dmst_cmd), median(floor_cmd)
    return {"dmst_evaluate_ms": round(cli, 1), "import_floor_ms": round(floor, 1),
            "ratio": round(cli / floor, 2)}


def bench_scaling(count: int) -> dict[str, Any]:
    """Cost of a new-signature evaluation as the facts given grow, and with a 4x rulebook."""
    rng = random.Random(5)
    fulls = [full_scenario(rng) for _ in range(count)]
    engine = Engine(cache_size=0)
    by_facts = {}
    for known in (0, 5, 10, 20, len(fulls[0])):
        scenarios = [Scenario.model_validate(with_known(f, rng, known)) for f in fulls]
        by_facts[str(known)] = _stats(_timings(engine.evaluate, scenarios, 1))["median_ms"]
    with tempfile.TemporaryDirectory() as tmp:
        big = load_rulebook(write_scaled_rulebook(Path(tmp) / "rules", 4))
    base_rules = len(engine.rulebook.rules)
    scenarios = [Scenario.model_validate(with_known(f, rng, 20)) for f in fulls]
    one = _stats(_timings(engine.evaluate, scenarios, 1))["median_ms"]
    four = _stats(_timings(Engine(big, cache_size=0).evaluate, scenarios, 1))["median_ms"]
    return {
        "median_ms_by_facts_given": by_facts,
        "rules": {"1x": base_rules, "4x": len(big.rules)},
        "median_ms_by_rulebook": {"1x": one, "4x": four},
        "ratio_4x_to_1x": round(four / one, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    q = args.quick
    results = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count()},
        "single": bench_single(300 if q else 2000, 1 if q else 3),
        "batch": bench_batch(20_000, None if q else 100_000),
        "cold_start": bench_cold_start(5 if q else 15),
        "scaling": bench_scaling(100 if q else 400),
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    s, b, c, g = results["single"], results["batch"], results["cold_start"], results["scaling"]
    rows = [
        ("warm evaluation (seen signature), median (ms)", s["engine_warm"]["median_ms"],
         s["naive_fixpoint"]["median_ms"], s["ratio_warm_median"]),
        ("warm evaluation (seen signature), p99 (ms)", s["engine_warm"]["p99_ms"],
         s["naive_fixpoint"]["p99_ms"],
         s["ratio_warm_p99"]),
        ("new-signature evaluation, median (ms)", s["engine_new_signature"]["median_ms"],
         s["naive_fixpoint"]["median_ms"], s["ratio_new_signature_median"]),
    ]
    if "error" not in b:
        rows.append(("batch of 20,000 lines (s)", b["seconds"], b["floor_seconds"],
                     b["ratio_to_floor"]))
    rows.append(("cold start of dmst evaluate (ms)", c["dmst_evaluate_ms"], c["import_floor_ms"],
                 c["ratio"]))
    rows.append(("4x rulebook, new signature, median (ms)", g["median_ms_by_rulebook"]["4x"],
                 g["median_ms_by_rulebook"]["1x"], g["ratio_4x_to_1x"]))
    print(f"{'measure':46} {'dmst':>10} {'baseline':>10} {'ratio':>7}")
    for name, a, base, ratio in rows:
        print(f"{name:46} {a:>10} {base:>10} {ratio:>7}")
    if "error" in b:
        print(f"batch: {b['error']}")
    else:
        print(f"batch: {b['scenarios_per_second']:,} scenarios/s, peak {b['peak_rss_mib']} MiB"
              + (f"; {b['big_lines']:,} lines: {b['big_scenarios_per_second']:,}/s, peak "
                 f"{b['big_peak_rss_mib']} MiB" if "big_lines" in b else ""))
    print("new-signature median (ms) by facts given:", g["median_ms_by_facts_given"])
    print(f"machine: {results['machine']}")


if __name__ == "__main__":
    main()
