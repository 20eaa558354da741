"""The event path on the real runtime: `POST /api/tasks` -> its audit record committed by audit-writer.

todo-api, outbox-relay and audit-writer run beside their own daprds on real Kafka and PostgreSQL
(bench/dapr_overhead.py's DevstackProvider). Tasks are created open loop at a fixed rate
(bench/openloop.py), which hands back each task's id and its *scheduled* send time on the host's clock.
The end is read from PostgreSQL, not polled: `audit_log.recorded_at` is `now()` of audit-writer's
transaction, on the same clock, so polling adds no error (it is the transaction's start, a few ms before
its commit). The audit record's id is the outbox row's (the CloudEvent id), so the same join splits the
time into the request (send -> outbox row written, `outbox.created_at` is clock_timestamp()) and the
delivery (outbox row -> audit transaction), and says how many went by the fast path (`attempts` = 0)
rather than by outbox-relay.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.dapr_overhead import DevstackProvider, provider
from bench.http_figures import TASK
from bench.openloop import percentile
from bench.servers import fixed_rate

RATE = 20.0  # creates/s: moderate, a tenth of what todo-api sustains, so the figure is the path, not a queue
USERS = 4
WAIT_S = 30.0  # how long after the last create the audit records may take before the rest count as missing
FUNCTIONS = ("todo-api", "outbox-relay", "audit-writer")

_ROWS = """
SELECT DISTINCT ON (a.task_id) a.task_id::text AS task_id, a.recorded_at, o.created_at, o.attempts
FROM audit_log a JOIN outbox o ON o.id = a.id
WHERE a.task_id = ANY(%s::uuid[])
ORDER BY a.task_id, a.recorded_at
"""


def bench_events(work: Path, env: dict[str, str], seconds: float, rate: float = RATE) -> dict[str, Any]:
    reason = provider(work)
    if isinstance(reason, str):
        return {"skipped": reason}
    try:
        return _measure(DevstackProvider(work / "devstack-events"), env, seconds, rate)
    except Exception as exc:  # as bench_dapr: a failure is the figure's note, not the end of the run
        return {"skipped": f"failed: {type(exc).__name__}: {str(exc)[:300]}"}


def _measure(found: DevstackProvider, env: dict[str, str], seconds: float, rate: float) -> dict[str, Any]:
    import psycopg

    with found.start_many(FUNCTIONS, env) as running:
        api = running.pair("todo-api")
        users = [
            ({**api.bearer(f"events-bench-{i}"), **api.headers(False)}, ("POST", "/api/tasks", TASK))
            for i in range(USERS)
        ]
        load = fixed_rate(api.app_port, users, rate, seconds, 2.0, (201,), keep=True)
        sent = {task: at for at, task in load["sent"]}
        rows: list[dict[str, Any]] = []
        deadline = time.monotonic() + WAIT_S
        with psycopg.connect(running.database_url, autocommit=True) as conn:
            conn.row_factory = psycopg.rows.dict_row  # type: ignore[assignment]
            while time.monotonic() < deadline:
                rows = conn.execute(_ROWS, (list(sent),)).fetchall()
                if len(rows) >= len(sent):
                    break
                time.sleep(0.5)
    return summarize(load, sent, rows, rate, seconds)


def summarize(
    load: dict[str, Any], sent: dict[str, float], rows: list[dict[str, Any]], rate: float, seconds: float
) -> dict[str, Any]:
    total = sorted(r["recorded_at"].timestamp() - sent[r["task_id"]] for r in rows)
    request = sorted(r["created_at"].timestamp() - sent[r["task_id"]] for r in rows)
    delivery = sorted((r["recorded_at"] - r["created_at"]).total_seconds() for r in rows)

    def q(values: list[float]) -> dict[str, float]:
        return {f"p{int(p * 100)}_ms": percentile(values, p) * 1000 for p in (0.5, 0.9, 0.99)}

    notes = [load["note"]] if load.get("note") else []
    if len(rows) < len(sent):
        notes.append(f"{len(sent) - len(rows)} audit records missing after {WAIT_S:.0f} s")
    return {
        "rate": rate,
        "seconds": seconds,
        "created": len(sent),
        "recorded": len(rows),
        "fast_path": sum(1 for r in rows if r["attempts"] == 0),
        **q(total),
        "max_ms": (total[-1] if total else float("nan")) * 1000,
        "request": q(request),  # send -> outbox row written inside todo-api's transaction
        "delivery": {**q(delivery), "max_ms": (delivery[-1] if delivery else float("nan")) * 1000},
        "post": {k: load[k] for k in ("p50_ms", "p99_ms", "late_p99_ms", "late_over_10ms", "errors")},
        **({"note": "; ".join(notes)} if notes else {}),
    }
