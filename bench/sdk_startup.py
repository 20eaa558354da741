"""Cold start and worker memory of each function under gunicorn beside a real daprd, per sidecar client.

Each start is a pod's: `gunicorn 'bindings.app:create_app(name)'` with the sidecar wiring (bindings/wiring.py), so it
waits for daprd, reads its database URL through daprd's secret store, opens its pool and answers `/healthz`. The
variants are SIDECAR_CLIENT's: `http` (every call through the hand-written port), `sdk` (every call through the
Dapr SDK) and `measured` (each call on the client bindings/sidecar_choice.py chose; started only when that table
mixes the two, as otherwise it is one of the others). They start in turns (http, sdk,
measured, then the reverse) so that a drift in the machine's load falls on all alike.

Memory is the worker's VmRSS after a warm-up that makes the calls a worker makes: for todo-api, POSTs (rate limit
state, publish) and GETs; for conversations, a conversation created, appended to and read (state with TTL and etag);
the others answer /healthz and /metrics, their sidecar calls being their ticks and deliveries.
"""

from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.http_figures import TASK
from bench.servers import ROOT, Server, gunicorn
from bindings.sidecar_choice import sidecar_calls

ALL_VARIANTS = ("http", "sdk", "measured")


def variants() -> tuple[str, ...]:
    """http and sdk; and measured when the table mixes the two (otherwise it is one of them, already started)."""
    mixed = set(sidecar_calls().values()) == {"http", "sdk"}
    return ALL_VARIANTS if mixed else ALL_VARIANTS[:2]


SDK_IMPORT = "import time; t = time.perf_counter(); import dapr.clients; print(time.perf_counter() - t)"


def _request(server: Server, method: str, path: str, headers: dict[str, str], body: str | None = None) -> Any:
    """The answer's status, and its JSON body where it has one."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, json.loads(data) if data.startswith(b"{") else None
    finally:
        conn.close()


def _warm(name: str, server: Server, headers: dict[str, str]) -> float | None:
    """The warm-up; returns the first sidecar-using request's milliseconds (None where none is made)."""
    first = None
    if name == "todo-api":
        for _ in range(10):
            started = time.perf_counter()
            status, _ = _request(server, "POST", "/api/tasks", headers, TASK)
            first = first if first is not None else (time.perf_counter() - started) * 1000
            assert status == 201, status
            assert _request(server, "GET", "/api/tasks?limit=5", headers)[0] == 200
    elif name == "conversations":
        for _ in range(5):
            started = time.perf_counter()
            status, created = _request(server, "POST", "/api/conversations", headers, "{}")
            first = first if first is not None else (time.perf_counter() - started) * 1000
            assert status == 201, (status, created)
            path = f"/api/conversations/{created['conversation_id']}"
            message = json.dumps({"role": "user", "content": "hello"})
            assert _request(server, "POST", f"{path}/messages", headers, message)[0] in (200, 201)
            assert _request(server, "GET", path, headers)[0] == 200
    for _ in range(20):
        server.get("/healthz")
        server.get("/metrics")
    return first


def _order(repeat: int, chosen: tuple[str, ...]) -> tuple[str, ...]:
    return chosen if repeat % 2 == 0 else tuple(reversed(chosen))


def cold_starts(
    functions: list[str], env: dict[str, str], headers: dict[str, str], repeats: int
) -> dict[str, dict[str, Any]]:
    """function -> variant -> {cold_start_s: [...], median_s, rss_mb (max), first_call_ms (median or None)}."""
    out: dict[str, dict[str, Any]] = {}
    chosen = variants()
    for name in functions:
        runs: dict[str, dict[str, list[Any]]] = {v: {"cold": [], "rss": [], "first": []} for v in chosen}
        for repeat in range(repeats):
            for variant in _order(repeat, chosen):
                app = f'bindings.app:create_app("{name}")'
                with gunicorn(app, {**env, "SIDECAR_CLIENT": variant}, name=f"{name}-{variant}") as server:
                    runs[variant]["cold"].append(server.cold_start_s)
                    runs[variant]["first"].append(_warm(name, server, headers))
                    runs[variant]["rss"].append(server.worker_rss_mb())
        out[name] = {
            v: {
                "cold_start_s": r["cold"],
                "median_s": statistics.median(r["cold"]),
                "rss_mb": max(r["rss"]),
                "first_call_ms": statistics.median(r["first"]) if r["first"][0] is not None else None,
            }
            for v, r in runs.items()
        }
    return out


def sdk_import_ms(repeats: int = 5) -> dict[str, Any]:
    """`import dapr.clients` in a fresh interpreter (grpc, protobuf, aiohttp and the SDK's own modules)."""
    times = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", SDK_IMPORT], cwd=ROOT, capture_output=True, text=True, check=True)
        times.append(float(done.stdout) * 1000)
    return {"ms": times, "median_ms": statistics.median(times)}
