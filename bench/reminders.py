"""Benchmark of the reminder path on embedded PostgreSQL.

1. `reminder-check` with 1,000 due among 10,000 and among 1,000,000 tasks: its cost should follow
   the number due (the partial index), so the ratio should stay near 1.
2. The whole path claim -> publish -> deliver -> send through the official sendgrid client to a local
   sink, in reminders per second.

Run: `make bench-reminders` (add `ARGS="--sizes 10000,100000"` for a quicker run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.seed import fresh_database  # noqa: E402  (after the sys.path line)

DUE = 1000
SEED_SQL = """
INSERT INTO users (id, email, timezone)
  SELECT 'u' || g, 'u' || g || '@example.org', 'UTC' FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING;
INSERT INTO tasks (id, user_id, title, due_at, timezone)
  SELECT gen_random_uuid(), 'u' || (g % 1000 + 1), 'task ' || g, now() + interval '1 day' + g * interval '1 second',
         'UTC'
  FROM generate_series(1, %(n)s) g;
INSERT INTO reminders (id, task_id, user_id, before, remind_at)
  SELECT gen_random_uuid(), id, user_id, interval '15 minutes', due_at - interval '15 minutes' FROM tasks;
ANALYZE;
"""


def _runtime(data_dir: Path, db_url: str) -> Any:
    from bindings.embedded_runtime import Runtime

    os.environ["DATABASE_URL"] = db_url
    return Runtime.build(data_dir, pool_size=4)


def _make_due(rt: Any, n: int) -> None:
    """Put every reminder back at its planned time, then make `n` of them due now."""
    with rt.db.transaction() as tx:
        for table in ("outbox", "pubsub_deliveries", "pubsub_messages", "inbox"):
            tx.execute(f"DELETE FROM {table}")
        tx.execute(
            "UPDATE reminders r SET state = 'pending', claimed_at = NULL,"
            " remind_at = t.due_at - interval '15 minutes'"
            " FROM tasks t WHERE t.id = r.task_id AND (r.state <> 'pending' OR r.remind_at < now())"
        )
        tx.execute(
            "UPDATE reminders SET remind_at = now() - interval '1 minute'"
            " WHERE id IN (SELECT id FROM reminders ORDER BY id LIMIT %s)",
            (n,),
        )


def _check_once(rt: Any) -> tuple[float, int]:
    from functions.context import Context
    from functions.reminder_check import CheckRun, check_reminders

    started = time.perf_counter()
    result = check_reminders(CheckRun(), rt.deps["reminder-check"], Context(function="reminder-check"))
    return time.perf_counter() - started, result.claimed


def bench_checks(admin_url: str, work: Path, sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    """Seed every size, then time the checks in turns (small, large, large, small, ...) so drift cancels."""
    runtimes: dict[int, Any] = {}
    seeded: dict[int, float] = {}
    times: dict[int, list[float]] = {size: [] for size in sizes}
    try:
        for size in sizes:
            runtimes[size] = _runtime(work / f"rt-{size}", fresh_database(admin_url, f"bench_{size}"))
            started = time.perf_counter()
            with runtimes[size].db.transaction() as tx:
                tx.execute(SEED_SQL.replace("%(n)s", str(int(size))))
            seeded[size] = time.perf_counter() - started
        for turn in range(repeats):
            for size in sizes if turn % 2 == 0 else reversed(sizes):
                _make_due(runtimes[size], DUE)
                elapsed, claimed = _check_once(runtimes[size])
                assert claimed == DUE, f"claimed {claimed}, expected {DUE}"
                times[size].append(elapsed)
    finally:
        for rt in runtimes.values():
            rt.close()
    return [
        {
            "tasks": size,
            "due": DUE,
            "seed_s": round(seeded[size], 1),
            "check_s": times[size],
            "median_s": statistics.median(times[size]),
        }
        for size in sizes
    ]


def bench_path(admin_url: str, work: Path, n: int) -> dict[str, Any]:
    from bindings.embedded.broker import Deliverer
    from bindings.embedded.resiliency import inbound_retry
    from tests.support.reminders import write_sendgrid_secret
    from tests.support.sendgrid_sink import running

    url = fresh_database(admin_url, "bench_path")
    with running() as sink:
        os.environ["SENDGRID_HOST"] = sink.url
        write_sendgrid_secret(work / "rt-path")
        rt = _runtime(work / "rt-path", url)
        try:
            with rt.db.transaction() as tx:
                tx.execute(SEED_SQL.replace("%(n)s", str(n)))
            _make_due(rt, n)
            deliverer = Deliverer(rt.broker, rt.apps, inbound_retry("kafka-pubsub"))
            started = time.perf_counter()
            _check_once(rt)
            while deliverer.deliver_due():
                pass
            elapsed = time.perf_counter() - started
        finally:
            rt.close()
            os.environ.pop("SENDGRID_HOST", None)
        accepted = sink.accepted()
    assert len(accepted) == n and set(accepted.values()) == {1}, "every reminder mailed exactly once"
    return {"reminders": n, "seconds": elapsed, "per_second": n / elapsed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000", help="task counts, the first is the baseline")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--path", type=int, default=2000, help="reminders sent through the whole path")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()

    from bindings.embedded import postgres

    work = Path(tempfile.mkdtemp(prefix="todo-bench-"))
    os.chmod(work, 0o755)
    os.environ.pop("DATABASE_URL", None)
    try:
        admin = postgres.database_url(work / "pg-home")
        sizes = [int(s) for s in args.sizes.split(",")]
        checks = bench_checks(admin, work, sizes, args.repeats)
        path = bench_path(admin, work, args.path)
    finally:
        postgres.stop(work / "pg-home")
        shutil.rmtree(work, ignore_errors=True)

    base = checks[0]["median_s"]
    print(f"\nreminder-check, {DUE} due (median of {args.repeats})")
    print(f"{'tasks':>10} {'seed s':>8} {'check ms':>10} {'ratio':>7}")
    for c in checks:
        print(f"{c['tasks']:>10} {c['seed_s']:>8} {c['median_s'] * 1000:>10.1f} {c['median_s'] / base:>7.2f}")
    print(
        f"\nclaim -> publish -> deliver -> SendGrid sink: {path['reminders']} reminders in "
        f"{path['seconds']:.2f} s = {path['per_second']:.0f} reminders/s (one delivery thread)"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    out = args.out / f"reminders-{stamp}.json"
    out.write_text(json.dumps({"date": stamp, "check": checks, "path": path}, indent=2))
    print(f"\nwritten {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
