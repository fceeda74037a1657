"""dmst benchmarks: every figure is a ratio against a baseline measured in the same run.

    python benchmarks/run.py            # the table (a few minutes)
    python benchmarks/run.py --json     # one JSON object with every figure
    python benchmarks/run.py --quick    # smaller samples: a smoke run, not figures to quote

The headline is the **distinct-case mix**: every case different (every fact the rules read is
drawn, a random part of them left unknown: ``scenarios.generate``), so that no cache helps.
Figures on the **repeated-case mix** (the same few cases again and again, which the engine's plan
cache serves) are given beside it, named as such.

1. New case: the full cited result of a case never seen (``Engine.result_json``, cache off)
   against the reference evaluator's firings alone on the same case (``evaluate_reference``: one
   pure-Python pass over the rules in level order, both modes, no result). Per-stage CPU times
   say where the time goes: reading facts, the durable_rules session, planning the result,
   filling it in and writing its JSON.
2. Batch: ``dmst batch`` on distinct cases, full and lean forms, ``--jobs 1`` and ``--jobs 2``,
   against a floor process that only parses each input line and writes the same output bytes.
3. Cold start: ``dmst evaluate`` (with the checked rulebook kept, and on a first start without
   it), ``dmst --help``, ``dmst schema`` and ``dmst rules`` against
   ``python -c "from pydantic import BaseModel; import typer"``.
4. Growth: a new case on synthetic rulebooks 2x, 4x and 6x the shipped one (7x and more are
   refused when the engine is made: durable_rules' alpha stack) against the shipped one; cases
   of 1, 5 and 20 accused-victim pairs against single scenarios; a case of five accused and three
   victims against its fifteen pairs evaluated one by one.
5. The largest accepted scenario file: read and evaluated, against libyaml parsing it alone.

CPU time (``time.process_time``) is used in-process, so that other load on the machine counts
less; subprocess figures are wall time (medians).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from dmst.engine._engine import Engine, as_case  # noqa: E402 - after the path to the helpers
from dmst.engine._reference import evaluate_reference  # noqa: E402
from dmst.facts.load import case_from_data  # noqa: E402
from dmst.rules import load_rulebook  # noqa: E402
from scenarios import generate, generate_case  # noqa: E402
from synthetic import write_scaled_rulebook  # noqa: E402

Row = tuple[str, str, str, str, str]


def _cpu_each(fn: Callable[[Any], Any], items: list[Any]) -> list[float]:
    """CPU milliseconds of ``fn(item)`` for each item."""
    out = []
    for item in items:
        start = time.process_time()
        fn(item)
        out.append((time.process_time() - start) * 1e3)
    return out


def _cpu_total(fn: Callable[[Any], Any], items: list[Any]) -> float:
    """CPU milliseconds per item of ``fn`` over all items (finer than per-item timing)."""
    start = time.process_time()
    for item in items:
        fn(item)
    return (time.process_time() - start) * 1e3 / len(items)


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _distinct(count: int, seed: int) -> list[Any]:
    return [case_from_data(d) for d in generate(count, seed=seed)]


# --- 1. a new case -----------------------------------------------------------------------------


def bench_new_case(count: int) -> dict[str, Any]:
    """The full result of cases never seen, against the reference evaluator's firings alone."""
    engine = Engine(cache_size=0)
    rulebook = engine.rulebook
    files = _distinct(count + 20, seed=11)
    for f in files[:20]:  # warm-up: imports, first allocations
        engine.result_json(f)
    files = files[20:]
    models = [as_case(f) for f in files]
    prepared = [engine.prepare(m) for m in models]
    reference = _cpu_total(lambda p: evaluate_reference(rulebook, p), prepared)
    full = _cpu_total(engine.result_json, files)
    lean = _cpu_total(engine.lean_json, files)
    # the stages of the full result, each over every case
    stage_prepare = _cpu_total(engine.prepare, models)
    firings = [engine.firings(p) for p in prepared]
    stage_durable = _cpu_total(engine.firings, prepared)
    planner = engine._planner
    plans = [planner.plan(p, f) for p, f in zip(prepared, firings, strict=True)]
    stage_plan = _cpu_total(lambda pf: planner.plan(*pf), list(zip(prepared, firings,
                                                                   strict=True)))
    results = [engine.pair_result(p, pl, 0, shared=True) for p, pl in zip(prepared, plans,
                                                                         strict=True)]
    stage_fill = _cpu_total(lambda pp: engine.pair_result(pp[0], pp[1], 0, shared=True),
                            list(zip(prepared, plans, strict=True)))
    stage_json = _cpu_total(lambda r: r.model_dump_json(), results)
    warm_engine = Engine()
    repeated = files[:20]
    for f in repeated:
        warm_engine.result_json(f)
    warm = _cpu_total(warm_engine.result_json, repeated * 10)
    sizes = [len(engine.result_json(f)) for f in files[:100]]
    lean_sizes = [len(engine.lean_json(f)) for f in files[:100]]
    return {
        "cases": len(files),
        "reference_firings_ms": round(reference, 3),
        "full_result_ms": round(full, 3),
        "lean_result_ms": round(lean, 3),
        "ratio_full_to_reference": round(full / reference, 2),
        "ratio_lean_to_reference": round(lean / reference, 2),
        "stages_ms": {"read facts": round(stage_prepare, 3),
                      "durable_rules session": round(stage_durable, 3),
                      "plan the result": round(stage_plan, 3),
                      "fill in the facts": round(stage_fill, 3),
                      "write JSON": round(stage_json, 3)},
        "repeated_mix_full_result_ms": round(warm, 3),
        "ratio_repeated_to_reference": round(warm / reference, 2),
        "result_kib": round(statistics.mean(sizes) / 1024, 1),
        "lean_result_kib": round(statistics.mean(lean_sizes) / 1024, 1),
    }


# --- 2. batch ------------------------------------------------------------------------------------


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
    measure dmst and not the disk."""
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def _wall(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env=env)
    return time.perf_counter() - start


def _dmst() -> list[str]:
    script = Path(sys.executable).with_name("dmst")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dmst"]


def bench_batch(lines: int) -> dict[str, Any]:
    """``dmst batch`` on distinct cases (full, lean; one and two workers) and on the repeated
    mix, against the parse-and-write floor of the same output."""
    with tempfile.TemporaryDirectory(dir=_scratch()) as tmp:
        t = Path(tmp)
        distinct, repeated = t / "distinct.jsonl", t / "repeated.jsonl"
        distinct.write_text("".join(json.dumps(d) + "\n" for d in generate(lines, seed=3)),
                            encoding="utf-8")
        few = generate(20, seed=4)
        repeated.write_text("".join(json.dumps(few[i % 20]) + "\n" for i in range(lines)),
                            encoding="utf-8")
        out: dict[str, Any] = {"lines": lines, "scratch": _scratch() or tempfile.gettempdir()}
        runs = {
            "distinct_full_jobs1": (distinct, ["--jobs", "1"]),
            "distinct_full_jobs2": (distinct, ["--jobs", "2"]),
            "distinct_lean_jobs1": (distinct, ["--jobs", "1", "--form", "lean"]),
            "distinct_lean_jobs2": (distinct, ["--jobs", "2", "--form", "lean"]),
            "repeated_full_jobs1": (repeated, ["--jobs", "1"]),
        }
        for name, (source, flags) in runs.items():
            target = t / f"{name}.jsonl"
            seconds = _wall([*_dmst(), "batch", str(source), "-o", str(target), *flags])
            floor = _wall([sys.executable, "-c", _FLOOR, str(source), str(target),
                           str(t / "floor.jsonl")])
            out[name] = {"seconds": round(seconds, 2), "lines_per_second": round(lines / seconds),
                         "output_mib": round(target.stat().st_size / 2**20, 1),
                         "floor_seconds": round(floor, 2),
                         "ratio_to_floor": round(seconds / floor, 1)}
        out["jobs2_speedup_full"] = round(out["distinct_full_jobs1"]["seconds"]
                                          / out["distinct_full_jobs2"]["seconds"], 2)
        out["jobs2_speedup_lean"] = round(out["distinct_lean_jobs1"]["seconds"]
                                          / out["distinct_lean_jobs2"]["seconds"], 2)
        out["lean_size_ratio"] = round(out["distinct_full_jobs1"]["output_mib"]
                                       / max(out["distinct_lean_jobs1"]["output_mib"], 0.1), 1)
        return out


# --- 3. cold start -------------------------------------------------------------------------------


def bench_cold_start(repeat: int) -> dict[str, Any]:
    """Whole processes against importing pydantic's BaseModel and typer (the import floor)."""
    example = ROOT / "examples" / "trafficker-pimp-15.yaml"
    floor_cmd = [sys.executable, "-c", "from pydantic import BaseModel; import typer"]
    commands = {
        "dmst evaluate": [*_dmst(), "evaluate", str(example), "--format", "json"],
        "dmst --help": [*_dmst(), "--help"],
        "dmst schema": [*_dmst(), "schema"],
        "dmst rules": [*_dmst(), "rules"],
    }

    def median(cmd: list[str]) -> float:
        _wall(cmd)
        return _median([_wall(cmd) for _ in range(repeat)]) * 1e3

    def first_start(cmd: list[str]) -> float:
        """The first start after an install: no checked rulebook kept yet (a new cache folder
        each run), so the rule files are read and checked."""
        times = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as cache:
                times.append(_wall(cmd, {**os.environ, "DMST_CACHE_DIR": cache}))
        return _median(times) * 1e3

    floor = median(floor_cmd)
    out: dict[str, Any] = {"import_floor_ms": round(floor, 1)}
    for name, cmd in commands.items():
        ms = median(cmd)
        out[name] = {"ms": round(ms, 1), "ratio": round(ms / floor, 2)}
    first = first_start(commands["dmst evaluate"])
    out["dmst evaluate, first start"] = {"ms": round(first, 1), "ratio": round(first / floor, 2)}
    return out


# --- 4. growth ----------------------------------------------------------------------------------


def bench_growth(count: int) -> dict[str, Any]:
    """A new case on bigger rulebooks, and cases of more pairs."""
    files = _distinct(count, seed=21)
    out: dict[str, Any] = {"rulebook": {}, "case": {}}
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        for factor in (1, 2, 4, 6):
            rulebook = load_rulebook(write_scaled_rulebook(Path(tmp) / f"x{factor}", factor)) \
                if factor > 1 else load_rulebook()
            engine = Engine(rulebook, cache_size=0)
            for f in files[:5]:
                engine.result_json(f)
            ms = _cpu_total(engine.result_json, files)
            base = ms if base is None else base
            out["rulebook"][f"{factor}x"] = {"rules": len(rulebook.rules), "ms": round(ms, 3),
                                             "ratio": round(ms / base, 2)}
            del engine
            gc.collect()
        refused = None
        try:
            Engine(load_rulebook(write_scaled_rulebook(Path(tmp) / "x7", 7)), cache_size=0)
        except Exception as exc:  # the refusal is the figure
            refused = f"{type(exc).__name__}: {str(exc)[:160]}"
        out["rulebook"]["7x"] = {"refused": refused}
    engine = Engine(cache_size=0)
    rng = random.Random(8)
    single = _cpu_total(engine.result_json, files)
    for pairs, (accused, victims) in ((1, (1, 1)), (5, (5, 1)), (20, (5, 4))):
        cases = [case_from_data(generate_case(rng, accused, victims))
                 for _ in range(max(3, count // (4 * pairs)))]
        ms = _cpu_total(engine.result_json, cases)
        out["case"][f"{pairs} pairs"] = {"ms": round(ms, 3), "per_pair_ms": round(ms / pairs, 3),
                                         "ratio_per_pair_to_single": round(ms / pairs / single,
                                                                            2)}
    # five accused, three victims: the case, against its fifteen pairs one by one
    cases = [case_from_data(generate_case(rng, 5, 3)) for _ in range(max(3, count // 40))]
    whole = _cpu_total(engine.result_json, cases)
    singles = []
    for c in cases:
        singles.append(sum(_cpu_each(engine.result_json, [case_from_data({"facts": _pair(c, k)})
                                                          for k in range(15)])))
    out["case"]["5 accused x 3 victims"] = {
        "case_ms": round(whole, 2), "fifteen_singles_ms": round(_median(singles), 2),
        "ratio": round(whole / _median(singles), 2)}
    return out


def _pair(case_file: Any, k: int) -> dict[str, Any]:
    """Pair ``k`` of a case as a single scenario (its victim's and accused's facts)."""
    facts = case_file.facts
    victim = facts.victims[k % len(facts.victims)]
    accused = facts.accused[k // len(facts.victims)]
    v = victim.model_dump(mode="json", exclude_none=True, exclude={"id", "compensation"})
    a = accused.model_dump(mode="json", exclude_none=True, exclude={"id", "victims"})
    return {"victim": v, "accused": a,
            "investigation": facts.investigation.model_dump(mode="json", exclude_none=True)}


# --- 5. the largest input ------------------------------------------------------------------------


def bench_largest_input(repeat: int) -> dict[str, Any]:
    """Reading and evaluating the largest scenario file dmst accepts, against libyaml parsing
    the same text."""
    import yaml

    from dmst.facts.load import MAX_FILE_BYTES, parse_case
    from dmst.facts.paths import nest

    engine = Engine(cache_size=0)
    facts = nest({p: True for p, s in engine.rulebook.facts.items() if s.kind == "bool"})
    doc: dict[str, Any] = {"title": "t" * 1_000, "facts": facts}
    size = len(yaml.safe_dump(doc, width=10**9))
    doc["narrative"] = ("The child was moved between motels. " * 30_000)[:MAX_FILE_BYTES - size
                                                                           - 200]
    text = yaml.safe_dump(doc, width=10**9)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    read = _median(_cpu_each(lambda t: engine.evaluate_file(parse_case(t)), [text] * repeat))
    floor = _median(_cpu_each(lambda t: yaml.compose(t, Loader=loader), [text] * repeat))
    return {"bytes": len(text.encode()), "ms": round(read, 1), "libyaml_compose_ms": round(floor, 1),
            "ratio": round(read / floor, 2)}


# --- the report ----------------------------------------------------------------------------------


def _machine() -> dict[str, Any]:
    from dmst._version import DURABLE_RULES_VERSION, __version__

    return {"cores": os.cpu_count(), "machine": platform.machine(),
            "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "dmst": __version__,
            "durable_rules": DURABLE_RULES_VERSION, "rules": len(load_rulebook().rules),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def _table(r: dict[str, Any]) -> str:
    n, b, c, g, big = (r.get(k, {}) for k in ("new_case", "batch", "cold_start", "growth",
                                              "largest_input"))
    rows: list[Row] = []
    if n:
        rows.append(("new case, full cited result (distinct mix)", f"{n['full_result_ms']} ms",
                     "reference firings only", f"{n['reference_firings_ms']} ms",
                     f"**{n['ratio_full_to_reference']}**"))
        rows.append(("new case, lean result (distinct mix)", f"{n['lean_result_ms']} ms",
                     "reference firings only", f"{n['reference_firings_ms']} ms",
                     f"{n['ratio_lean_to_reference']}"))
        rows.append(("full result, repeated mix (plan cached)",
                     f"{n['repeated_mix_full_result_ms']} ms", "reference firings only",
                     f"{n['reference_firings_ms']} ms", f"{n['ratio_repeated_to_reference']}"))
    for key, label in (("distinct_full_jobs1", "batch, distinct mix, full, --jobs 1"),
                       ("distinct_full_jobs2", "batch, distinct mix, full, --jobs 2"),
                       ("distinct_lean_jobs1", "batch, distinct mix, lean, --jobs 1"),
                       ("distinct_lean_jobs2", "batch, distinct mix, lean, --jobs 2"),
                       ("repeated_full_jobs1", "batch, repeated mix, full, --jobs 1")):
        if key in b:
            x = b[key]
            rows.append((label, f"{x['lines_per_second']:,} lines/s ({x['output_mib']} MiB)",
                         "parse + write floor", f"{x['floor_seconds']} s", f"{x['ratio_to_floor']}"))
    if b:
        rows.append(("--jobs 2 against --jobs 1, full / lean", f"{b['jobs2_speedup_full']}x / "
                     f"{b['jobs2_speedup_lean']}x", "", "", ""))
    for name in ("dmst evaluate", "dmst evaluate, first start", "dmst --help", "dmst schema",
                 "dmst rules"):
        if name in c:
            rows.append((f"cold start, {name}", f"{c[name]['ms']} ms", "import floor",
                         f"{c['import_floor_ms']} ms", f"{c[name]['ratio']}"))
    for factor, x in g.get("rulebook", {}).items():
        if "ms" in x:
            rows.append((f"new case, rulebook {factor} ({x['rules']} rules)", f"{x['ms']} ms",
                         "shipped rulebook", "", f"{x['ratio']}"))
        else:
            rows.append((f"rulebook {factor}", "refused when the engine is made", "", "", ""))
    for name, x in g.get("case", {}).items():
        if "per_pair_ms" in x:
            rows.append((f"case of {name}, per pair", f"{x['per_pair_ms']} ms",
                         "single scenario", "", f"{x['ratio_per_pair_to_single']}"))
        else:
            rows.append((f"case of {name}", f"{x['case_ms']} ms", "its 15 pairs one by one",
                         f"{x['fifteen_singles_ms']} ms", f"{x['ratio']}"))
    if big:
        rows.append((f"largest scenario file ({big['bytes']:,} bytes), read and evaluated",
                     f"{big['ms']} ms", "libyaml parse", f"{big['libyaml_compose_ms']} ms",
                     f"{big['ratio']}"))
    head = "| measure | dmst | baseline | baseline figure | ratio |\n|---|---|---|---|---|\n"
    return head + "\n".join("| " + " | ".join(row) + " |" for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="smaller samples (a smoke run)")
    parser.add_argument("--only", choices=["new_case", "batch", "cold_start", "growth",
                                           "largest_input"], action="append",
                        help="run only these parts (repeatable)")
    args = parser.parse_args()
    quick = args.quick
    parts: dict[str, Callable[[], dict[str, Any]]] = {
        "new_case": lambda: bench_new_case(60 if quick else 600),
        "batch": lambda: bench_batch(300 if quick else 4000),
        "cold_start": lambda: bench_cold_start(3 if quick else 9),
        "growth": lambda: bench_growth(30 if quick else 200),
        "largest_input": lambda: bench_largest_input(3 if quick else 9),
    }
    report: dict[str, Any] = {"machine": _machine(), "quick": quick}
    for name, run in parts.items():
        if args.only and name not in args.only:
            continue
        report[name] = run()
    report["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(json.dumps(report["machine"]))
        print(_table(report))


if __name__ == "__main__":
    main()
