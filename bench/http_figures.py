"""todo-api under load beside the bare baseline, both under gunicorn on the same PostgreSQL.

Every connection of the API's runs is its own user, so a per-user rate limit and per-user cache keys
are exercised as many users would exercise them; the limit is raised for the run (RATE_LIMIT_REQUESTS)
so that it is checked on every request but never refuses one.
"""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import seed
from bench.loadgen import percentile
from bench.servers import Request, Server, gunicorn, load

TASK = json.dumps(
    {"title": "Write the quarterly report", "priority": "high", "tags": ["work"], "due_at": "2031-01-06T09:00:00+00:00"}
)
# The primary list figure (filter + sort, 50 items) and a tag filter, whose cost is stated.
LIST_QUERIES = {
    "list": "/api/tasks?status=open&priority=high&sort=due_at&limit=50",
    "list_tag": "/api/tasks?tag=work&sort=-created_at&limit=50",
}
PATCH = json.dumps({"title": "Write the yearly report", "priority": "low"})
NO_RATE_LIMIT = str(10**9)
COMPLETES_PER_SECOND = 150  # recurring tasks seeded per connection and second of load: each is completed once


@dataclass(frozen=True)
class LoadConfig:
    seconds: float
    warmup: float
    connections: int
    ids_per_user: int
    list_sizes: tuple[int, ...]  # the first is the baseline of the growth ratio


def app_env(db_url: str, data_dir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": db_url,
        "BENCH_DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_REQUESTS": NO_RATE_LIMIT,
    }


@contextmanager
def in_process_todo_api(db_url: str, data_dir: Path) -> Iterator[Any]:
    """todo-api on the embedded runtime inside this process (its Flask test client, no server), with the bench's
    app environment set while it lives and the caller's restored after."""
    from bindings.embedded_runtime import Runtime

    saved = {k: os.environ.get(k) for k in app_env(db_url, data_dir)}
    os.environ.update(app_env(db_url, data_dir))
    runtime = Runtime.build(data_dir, functions=["todo-api"])
    try:
        yield runtime
    finally:
        runtime.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _warm(server: Server, headers: dict[str, str], paths: list[str]) -> None:
    """One GET per id before the timed run, so that a read-through cache answers the run from memory/state."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for path in paths:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError(f"warm-up GET {path} answered {resp.status}")
    conn.close()


def merged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One result from several runs of the same load: rates over the total time, percentiles over all samples."""
    sample = sorted(x for r in runs for x in r["sample_ms"])
    seconds = sum(r["seconds"] for r in runs)
    requests = sum(r["requests"] for r in runs)
    notes = [r["note"] for r in runs if r.get("note")]
    return {
        "connections": runs[0]["connections"],
        "seconds": seconds,
        "requests": requests,
        "rps": requests / seconds,
        **{f"p{q}_ms": percentile(sample, q / 100) for q in (50, 90, 99)},
        "errors": sum(r["errors"] for r in runs),
        "sample_ms": sample,
        **({"note": "; ".join(notes)} if notes else {}),
    }


def bench_http(db_url: str, data_dir: Path, cfg: LoadConfig) -> dict[str, Any]:
    """The figures on a migrated database; `data_dir` holds the secrets file the app and the tokens share."""
    key = seed.signing_key(data_dir)
    for size in cfg.list_sizes:
        seed.list_user(db_url, f"list-{size}", size)
    env = app_env(db_url, data_dir)
    out: dict[str, Any] = {}

    def run(server: Server, conns: list[tuple[dict[str, str], list[Request]]], *expect: int) -> dict[str, Any]:
        return load(server.port, conns, cfg.seconds, cfg.warmup, expect or (200,))

    plain = {"Content-Type": "application/json"}
    users = [f"bench-{i}" for i in range(cfg.connections)]
    headers = {u: seed.bearer(key, u) for u in users}
    ids = {u: [f"/api/tasks/{t}" for t in seed.tasks_of(db_url, u, cfg.ids_per_user)] for u in users}
    with (
        gunicorn("bench.baseline_app:create_app()", env, name="baseline") as base,
        gunicorn('bench.function_app:create_app("todo-api")', env, name="todo-api") as api,
    ):
        # Pairs run back to back so that a change in the machine's load hits both sides alike.
        out["insert"] = run(base, [(plain, [("POST", "/insert", TASK)])] * cfg.connections, 201)
        out["post"] = run(api, [(headers[u], [("POST", "/api/tasks", TASK)]) for u in users], 201)
        out["ping"] = run(base, [({}, [("GET", "/ping", None)])] * cfg.connections)
        for u in users:
            _warm(api, headers[u], ids[u])
        out["get"] = run(api, [(headers[u], [("GET", p, None) for p in ids[u]]) for u in users])
        # Changes, each beside a bare INSERT of its own run. A PATCH writes the same task again (a new version
        # each time); a completion needs an open recurring task each time, so each is seeded once per request.
        out["insert_patch"] = run(base, [(plain, [("POST", "/insert", TASK)])] * cfg.connections, 201)
        out["patch"] = run(api, [(headers[u], [("PATCH", p, PATCH) for p in ids[u]]) for u in users])
        per_user = int(COMPLETES_PER_SECOND * (cfg.seconds + cfg.warmup))
        recurring = {u: seed.recurring_tasks_of(db_url, u, per_user) for u in users}
        out["insert_complete"] = run(base, [(plain, [("POST", "/insert", TASK)])] * cfg.connections, 201)
        completes = [(headers[u], [("POST", f"/api/tasks/{t}/complete", None) for t in recurring[u]]) for u in users]
        out["complete"] = run(api, completes)
        if out["complete"]["requests"] > per_user * len(users) * cfg.seconds / (cfg.seconds + cfg.warmup):
            note = "some completions met a task already done (cheaper): seed more (COMPLETES_PER_SECOND)"
            out["complete"]["note"] = "; ".join(filter(None, [out["complete"].get("note"), note]))
        # One connection: one user's data, and no queueing behind other clients in the figure. The sizes run
        # there and back (10k, 1M, 1M, 10k), half the time each, so that a drift in the machine's load cancels.
        for name, path in LIST_QUERIES.items():
            halves: dict[int, list[dict[str, Any]]] = {size: [] for size in cfg.list_sizes}
            for size in [*cfg.list_sizes, *reversed(cfg.list_sizes)]:
                owner = seed.bearer(key, f"list-{size}")
                halves[size].append(load(api.port, [(owner, [("GET", path, None)])], cfg.seconds / 2, cfg.warmup))
            for size, runs in halves.items():
                out[f"{name}_{size}"] = merged(runs)
        out["rss_mb"] = {"baseline": base.worker_rss_mb(), "todo-api": api.worker_rss_mb()}
    out["config"] = {"connections": cfg.connections, "seconds": cfg.seconds, "sizes": list(cfg.list_sizes)}
    return out
