"""Profiles (pyinstrument) of the todo-api routes whose figure missed its target.

In process, through the Flask test client, so the profile shows our code (adapter, handler, store)
rather than gunicorn's socket handling; the wiring is the same as the benchmarked app's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import seed
from bench.http_figures import TASK, in_process_todo_api
from bench.report import Figure

REQUESTS = 300
ROUTES = {
    "POST /api/tasks": ("POST", "/api/tasks"),
    "GET /api/tasks/{id}": ("GET", None),
    "GET /api/tasks filter+sort": ("GET", "/api/tasks?status=open&priority=high&sort=due_at&limit=50"),
    "PATCH /api/tasks/{id}": ("PATCH", None),
}


def profile_misses(figures: list[Figure], db_url: str, data_dir: Path, out: Path, stamp: str) -> dict[str, str]:
    missed = [route for route in ROUTES if any(f.passed is False and f.name.startswith(route) for f in figures)]
    if not missed:
        return {}
    from pyinstrument import Profiler

    written: dict[str, str] = {}
    with in_process_todo_api(db_url, data_dir) as runtime:
        client = runtime.apps["todo-api"].test_client()
        user = "profile-user"
        headers = seed.bearer(seed.signing_key(data_dir), user)
        task_ids = seed.tasks_of(db_url, user, 50)
        for route in missed:
            method, path = ROUTES[route]
            paths = [path] if path else [f"/api/tasks/{t}" for t in task_ids]
            _call(client, method, paths, headers, len(paths))  # warm: caches, pool, first-call imports
            profiler = Profiler(interval=0.0005)
            with profiler:
                _call(client, method, paths, headers, REQUESTS)
            target = out / stamp / f"profile-{route.split()[0].lower()}-{len(written)}.txt"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"{route}: {REQUESTS} requests in process\n\n" + profiler.output_text(unicode=True))
            written[route] = str(target)
    return written


def _call(client: Any, method: str, paths: list[str], headers: dict[str, str], n: int) -> None:
    for i in range(n):
        resp = client.open(
            paths[i % len(paths)], method=method, headers=headers, data=TASK if method in ("POST", "PATCH") else None
        )
        if resp.status_code >= 300:
            raise RuntimeError(
                f"{method} {paths[i % len(paths)]} answered {resp.status_code}: {resp.get_data()[:200]!r}"
            )
