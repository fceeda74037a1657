"""Load on ``POST /v1/evaluate`` over loopback, against the library call in the same run.

    python benchmarks/web_load.py                        # 16 clients, 20,000 requests, 1 worker
    python benchmarks/web_load.py --workers 2 --json     # one JSON object
    python benchmarks/web_load.py --requests 2000        # a smoke run

The server is ``dmst serve`` in a subprocess on 127.0.0.1 (a free port, access log off). The
clients are asyncio connections kept alive in this process, each sending one request at a time;
every request is a different generated case (benchmarks/scenarios.py, seeded), so that the figure
is not a cache's. The run is bounded in count (--requests) and in time (--time-limit), and stops
by itself either way.

Reported: throughput, p50 and p99 latency (under the 16 clients, and for one client alone), errors (any response but 200, or a body that is not a
result), and the server's resident memory (all its processes) after start, after the warm-up and
after the run. Baseline: the same cases through the library in this process, one at a time, the
work a request adds nothing to (``parse_case`` + ``Engine.evaluate`` + ``model_dump_json``). The
two alternate in blocks of 2,000 cases (a block over HTTP, then the same block through the
library), so that both meet the machine in the same state: on a shared machine the speed drifts
by a factor of several within minutes, and only the ratios mean much.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dmst import Engine  # noqa: E402
from dmst.facts.load import parse_case  # noqa: E402
from scenarios import generate  # noqa: E402

_MIB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tree(pid: int) -> list[int]:
    """The process and all its descendants (uvicorn's workers)."""
    out = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            out.extend(_tree(int(child)))
    return out


def _rss_mib(pid: int) -> float:
    """Resident memory of a process tree in MiB (Linux /proc)."""
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Server:
    """``dmst serve`` in a subprocess, stopped by SIGTERM when the run ends."""

    def __init__(self, workers: int) -> None:
        self.port = _free_port()
        cmd = [sys.executable, "-m", "dmst", "serve", "--host", "127.0.0.1", "--port",
               str(self.port), "--workers", str(workers), "--no-access-log"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the server stopped: " + self.proc.stderr.read().decode()[-2000:])
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v1/health",
                                            timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _request(port: int, body: bytes) -> bytes:
    return (b"POST /v1/evaluate HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (port, len(body))
            ) + body


async def _client(port: int, bodies: list[bytes], state: dict[str, Any], latencies: list[float],
                  deadline: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            i = state["next"]
            if i >= len(bodies) or time.perf_counter() > deadline:
                return
            state["next"] = i + 1
            start = time.perf_counter()
            try:
                writer.write(_request(port, bodies[i]))
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = None
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length or 0)
                ok = status == 200 and body.startswith(b'{"conclusions":')
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                ok = False
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            latencies.append(time.perf_counter() - start)
            state["done"] += 1
            if not ok:
                state["errors"] += 1
    finally:
        writer.close()


async def _load(port: int, bodies: list[bytes], clients: int, deadline: float,
                latencies: list[float]) -> dict[str, int]:
    """Send ``bodies`` over ``clients`` connections until done or ``deadline``."""
    state = {"next": 0, "done": 0, "errors": 0}
    await asyncio.gather(*(_client(port, bodies, state, latencies, deadline)
                           for _ in range(clients)))
    return state


def _library(engine: Engine, bodies: list[bytes], deadline: float,
             latencies: list[float]) -> int:
    """The same cases through the library, one at a time in this process."""
    done = 0
    for body in bodies:
        t = time.perf_counter()
        if t > deadline:
            break
        engine.evaluate(parse_case(body, json_only=True).facts).model_dump_json()
        latencies.append(time.perf_counter() - t)
        done += 1
    return done


def run(clients: int, requests: int, workers: int, time_limit: float, warmup: int,
        seed: int, block: int = 2000) -> dict[str, Any]:
    """The load and its baseline in alternating blocks of ``block`` cases (each block over
    HTTP, then the same block through the library), so that both see the same machine."""
    single = 500  # cases sent by one client alone, for the latency of an idle server
    bodies = [json.dumps(doc).encode() for doc in generate(requests + warmup + single,
                                                           seed=seed)]
    warm, alone, measured = bodies[:warmup], bodies[warmup:warmup + single], \
        bodies[warmup + single:]
    engine = Engine()
    http_lat: list[float] = []
    lib_lat: list[float] = []
    http = {"done": 0, "errors": 0, "seconds": 0.0}
    lib = {"done": 0, "seconds": 0.0}
    server = Server(workers)
    try:
        server.wait_ready()
        rss_start = _rss_mib(server.proc.pid)
        start = time.perf_counter()
        deadline = start + time_limit
        warmed = asyncio.run(_load(server.port, warm, clients, deadline, []))
        _library(engine, warm, deadline, [])
        rss_warm = _rss_mib(server.proc.pid)
        alone_http: list[float] = []
        alone_lib: list[float] = []
        asyncio.run(_load(server.port, alone, 1, deadline, alone_http))
        _library(engine, alone, deadline + 60, alone_lib)
        for i in range(0, len(measured), block):
            chunk = measured[i:i + block]
            t = time.perf_counter()
            state = asyncio.run(_load(server.port, chunk, clients, deadline, http_lat))
            http["seconds"] += time.perf_counter() - t
            http["done"] += state["done"]
            http["errors"] += state["errors"]
            t = time.perf_counter()
            lib["done"] += _library(engine, chunk[:state["done"]], deadline + 60, lib_lat)
            lib["seconds"] += time.perf_counter() - t
            if time.perf_counter() > deadline:
                break
        rss_end = _rss_mib(server.proc.pid)
    finally:
        server.stop()
    size = statistics.mean(len(b) for b in measured)
    load = {"requests": http["done"], "errors": http["errors"],
            "seconds": round(http["seconds"], 2),
            "per_second": round(http["done"] / http["seconds"], 1),
            "p50_ms": round(1000 * _percentile(http_lat, 0.50), 2),
            "p99_ms": round(1000 * _percentile(http_lat, 0.99), 2),
            "stopped_by_time": http["done"] < len(measured)}
    library = {"calls": lib["done"], "seconds": round(lib["seconds"], 2),
               "per_second": round(lib["done"] / lib["seconds"], 1),
               "p50_ms": round(1000 * _percentile(lib_lat, 0.50), 3),
               "p99_ms": round(1000 * _percentile(lib_lat, 0.99), 3)}
    return {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "system": f"{platform.system()} {platform.release()}",
                    "machine": platform.machine(),
                    "load_average_at_end": round(os.getloadavg()[0], 2)},
        "setup": {"clients": clients, "workers": workers, "warmup_requests": warmup,
                  "mean_request_bytes": round(size), "seed": seed, "block": block},
        "http": {**load, "warmup_errors": warmed["errors"]},
        "memory_mib": {"after_start": round(rss_start, 1), "after_warmup": round(rss_warm, 1),
                       "after_run": round(rss_end, 1)},
        "library": library,
        "one_client": {"http_p50_ms": round(1000 * _percentile(alone_http, 0.5), 2),
                       "library_p50_ms": round(1000 * _percentile(alone_lib, 0.5), 3),
                       "requests": len(alone_http)},
        "ratio_http_to_library_p50": round(load["p50_ms"] / library["p50_ms"], 1),
        "ratio_library_to_http_throughput": round(library["per_second"] / load["per_second"],
                                                  2),
    }


def table(r: dict[str, Any]) -> str:
    h, lib, mem, s = r["http"], r["library"], r["memory_mib"], r["setup"]
    rows = [
        "| measure | `POST /v1/evaluate` | library call | ratio |",
        "|---|---|---|---|",
        f"| throughput | {h['per_second']:,} requests/s ({s['clients']} clients, "
        f"{s['workers']} worker{'s' if s['workers'] > 1 else ''}) | {lib['per_second']:,} "
        f"calls/s (one thread) | {r['ratio_library_to_http_throughput']} |",
        f"| latency p50 | {h['p50_ms']} ms | {lib['p50_ms']} ms | "
        f"{r['ratio_http_to_library_p50']} |",
        f"| latency p99 | {h['p99_ms']} ms | {lib['p99_ms']} ms | "
        f"{round(h['p99_ms'] / lib['p99_ms'], 1)} |",
        f"| latency p50, one client alone | {r['one_client']['http_p50_ms']} ms | "
        f"{r['one_client']['library_p50_ms']} ms | "
        f"{round(r['one_client']['http_p50_ms'] / r['one_client']['library_p50_ms'], 1)} |",
        f"| errors | {h['errors']} of {h['requests']:,} | — | |",
        f"| server memory (RSS) | {mem['after_start']} MiB after start, "
        f"{mem['after_warmup']} after warm-up, {mem['after_run']} after the run | — | |",
    ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--time-limit", type=float, default=600.0,
                        help="seconds the HTTP load may take in all, at most")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = run(args.clients, args.requests, args.workers, args.time_limit, args.warmup,
                 args.seed)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(table(result))
        print(f"\n{result['machine']}; {result['setup']}")
    if result["http"]["errors"] or result["http"]["warmup_errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
