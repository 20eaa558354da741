"""What one request of each hot route sends to PostgreSQL, the state store and the broker, as libpq traces it.

In process (the Flask test client), wired as the benchmarked app is (bench/function_app.py: the embedded
runtime's adapters, so the state store and the broker's log are tables of the same PostgreSQL). Each
request runs alone, then the process's background work it caused (the outbox publisher) is waited for,
and the wire trace (functions/store/wire_trace.py) is read: round trips and calls by kind.

`python bench/roundtrips.py` prints the table on a scratch embedded PostgreSQL; `make bench` includes it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import seed  # noqa: E402
from bench.http_figures import TASK, in_process_todo_api  # noqa: E402

RECURRING = json.dumps({"title": "Water the plants", "due_at": "2031-01-06T09:00:00+00:00", "recurrence": "weekly"})
PATCH = json.dumps({"title": "Write the yearly report"})


def _routes(client: Any, headers: dict[str, str]) -> dict[str, Callable[[], Any]]:
    """Each route's one request, after what it needs exists (a task, a warm cache entry)."""

    def created(body: str) -> str:
        resp = client.post("/api/tasks", data=body, headers=headers)
        assert resp.status_code == 201, resp.get_data()
        return str(resp.get_json()["id"])

    plain, recurring, patched = created(TASK), created(RECURRING), created(TASK)
    client.get(f"/api/tasks/{plain}", headers=headers)  # fills the cache: the GET below is a hit
    return {
        "POST /api/tasks": lambda: client.post("/api/tasks", data=TASK, headers=headers),
        "GET /api/tasks/{id} (cache hit)": lambda: client.get(f"/api/tasks/{plain}", headers=headers),
        "PATCH /api/tasks/{id}": lambda: client.patch(f"/api/tasks/{patched}", data=PATCH, headers=headers),
        "POST /api/tasks/{id}/complete (recurring)": lambda: client.post(
            f"/api/tasks/{recurring}/complete", headers=headers
        ),
    }


def count(runtime: Any, headers: dict[str, str]) -> dict[str, dict[str, int]]:
    """Per route: {"db", "state", "publish"} round trips and {"state_calls", "publishes"} of one request."""
    from functions.store.wire_trace import WireTrace

    client = runtime.apps["todo-api"].test_client()
    routes = _routes(client, headers)
    settle(runtime)
    found: dict[str, dict[str, int]] = {}
    for name, call in routes.items():
        with WireTrace(runtime.db) as trace:
            resp = call()
            assert resp.status_code < 300, (name, resp.status_code, resp.get_data()[:300])
            settle(runtime)
        trips, calls = trace.round_trips(), trace.calls()
        found[name] = {
            "db": trips["db"],
            "state": trips["state"],
            "publish": trips["publish"],
            "state_calls": calls["state"],
            "publishes": calls["publish"],
        }
    return found


def settle(runtime: Any) -> None:
    """Wait for what a request left to the process's background (if anything): its events published."""
    for deps in runtime.deps.values():
        flush = getattr(deps.outbox, "flush", None)
        if flush is not None:
            flush(10.0)


def bench_roundtrips(db_url: str, data_dir: Path) -> dict[str, dict[str, int]]:
    with in_process_todo_api(db_url, data_dir) as runtime:
        headers = {**seed.bearer(seed.signing_key(data_dir), "roundtrips"), "Content-Type": "application/json"}
        return count(runtime, headers)


def table(found: dict[str, dict[str, int]]) -> str:
    head = (
        f"{'route':<44} {'db trips':>8} {'state trips':>11} {'publish trips':>13} {'state calls':>11} {'publishes':>9}"
    )
    lines = [head, "-" * len(head)]
    for name, c in found.items():
        lines.append(
            f"{name:<44} {c['db']:>8} {c['state']:>11} {c['publish']:>13} {c['state_calls']:>11} {c['publishes']:>9}"
        )
    return "\n".join(lines)


def main() -> int:
    import shutil
    import tempfile

    from bindings.embedded import postgres

    work = Path(tempfile.mkdtemp(prefix="todo-roundtrips-"))
    os.chmod(work, 0o755)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    try:
        db_url = seed.migrated_database(postgres.database_url(work / "pg-home"), "bench_roundtrips")
        seed.signing_key(work / "data")
        print(table(bench_roundtrips(db_url, work / "data")))
    finally:
        postgres.stop(work / "pg-home")
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
