"""How many gunicorn workers and threads a function should run: req/s and worker memory per combination.

Measured for todo-api (POST /api/tasks and a cache-hit GET, the user-facing hot paths), each combination
under the same load, one after another, on the embedded PostgreSQL. The choice is written in
bindings/table.py (`serving=` of each function), and from there into the Procfile, dapr.yaml and the
Deployments; docs/performance.md has the table this printed.

    .venv/bin/python bench/serving.py [--seconds 4] [--connections 8]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import seed  # noqa: E402
from bench.http_figures import TASK, _warm, app_env  # noqa: E402
from bench.servers import gunicorn, load  # noqa: E402

COMBINATIONS = ((1, 4), (1, 8), (2, 4), (2, 8), (3, 4))


def measure(db_url: str, data_dir: Path, seconds: float, connections: int) -> list[dict[str, object]]:
    key = seed.signing_key(data_dir)
    users = [f"serving-{i}" for i in range(connections)]
    headers = {u: seed.bearer(key, u) for u in users}
    ids = {u: [f"/api/tasks/{t}" for t in seed.tasks_of(db_url, u, 50)] for u in users}
    rows = []
    for workers, threads in COMBINATIONS:
        env = {**app_env(db_url, data_dir), "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads)}
        with gunicorn('bench.function_app:create_app("todo-api")', env, name="serving") as api:
            post = load(api.port, [(headers[u], [("POST", "/api/tasks", TASK)]) for u in users], seconds, 1.0, (201,))
            for u in users:
                _warm(api, headers[u], ids[u])
            get = load(api.port, [(headers[u], [("GET", p, None) for p in ids[u]]) for u in users], seconds, 1.0)
            rss = api.worker_rss_mb()
        rows.append(
            {"workers": workers, "threads": threads, "post_rps": post["rps"], "get_rps": get["rps"], "rss_mb": rss}
        )
        print(
            f"todo-api  workers={workers} threads={threads}:"
            f" POST {post['rps']:.0f} req/s (p99 {post['p99_ms']:.0f} ms),"
            f" GET {get['rps']:.0f} req/s (p99 {get['p99_ms']:.0f} ms), worker RSS {rss:.1f} MB",
            flush=True,
        )
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--connections", type=int, default=8)
    args = p.parse_args()
    from bindings.embedded import postgres

    work = Path(tempfile.mkdtemp(prefix="todo-serving-"))
    os.chmod(work, 0o755)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    try:
        db_url = seed.migrated_database(postgres.database_url(work / "pg-home"), "bench_serving")
        seed.signing_key(work / "data")
        measure(db_url, work / "data", args.seconds, args.connections)
    finally:
        postgres.stop(work / "pg-home")
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
