"""After the last fault: wait, bounded, until nothing is left in flight, and say what never settled."""

from __future__ import annotations

import sys
import time

from bindings.devstack import kafka
from tests.faults import ledger
from tests.faults.system import System

POLL_S = 3.0
REPORT_S = 20.0

# Each query counts work still in flight; all must reach 0. They read state only, so a lost item does not
# hold the wait up for long: it is the checker's to find, the wait merely ends at its bound.
IN_FLIGHT = {
    "events not yet marked published": "SELECT count(*) FROM outbox WHERE published_at IS NULL",
    "audit events not yet recorded": (
        "SELECT count(*) FROM outbox o WHERE o.topic = 'audit-logs' AND NOT EXISTS"
        " (SELECT 1 FROM audit_log a WHERE a.id = o.id)"
    ),
    "due reminders not yet mailed or failed": (
        "SELECT count(*) FROM reminders WHERE user_id LIKE %(users)s AND state IN ('pending', 'claimed')"
        " AND remind_at <= now()"
    ),
    "completed instances without a successor": (
        "SELECT count(*) FROM tasks t WHERE t.user_id LIKE %(users)s AND t.status = 'done' AND t.series_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM tasks n WHERE n.series_id = t.series_id AND n.due_at > t.due_at)"
    ),
}


def pending(system: System, run: str) -> dict[str, int]:
    """What is still in flight, by kind (only the kinds not at 0)."""
    found = {}
    for what, sql in IN_FLIGHT.items():
        try:
            [(n,)] = system.rows(sql, {"users": f"chaos-{run}-%"} if "%(users)s" in sql else ())
        except Exception as exc:  # the database itself may still be coming back
            found[f"{what} (unreadable: {type(exc).__name__})"] = -1
            continue
        if n:
            found[what] = n
    return found


def lagging(system: System) -> dict[str, int]:
    led = ledger.read(system.stack.bootstrap, sorted(kafka.all_topics()), read_topics=())
    return {f"lag of {g} on {t}[{p}]": n for (g, t, p), n in led.lags().items() if n}


def wait(system: System, run: str, timeout_s: float) -> tuple[float, dict[str, int]]:
    """Seconds it took to settle, and what was still in flight when it did not (empty when it did)."""
    began = said = time.monotonic()
    while True:
        left = pending(system, run) or lagging(system)
        elapsed = time.monotonic() - began
        if not left or elapsed > timeout_s:
            return elapsed, left
        if time.monotonic() >= said + REPORT_S:  # what the wait is for, when it takes a while
            said = time.monotonic()
            print(f"chaos: settling for {elapsed:.0f} s: {left}", file=sys.stderr, flush=True)
        time.sleep(POLL_S)
