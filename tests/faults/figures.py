"""The run's figures: throughput and lag over time, and the time each fault took to recover from.

Definitions (docs/reliability.md repeats them):
- A fault is *lifted* when the harness ends it: the process restarted (as an orchestrator would), resumed, or
  the mail provider answering again.
- *First success*: from the lift to the first success on the path the fault hit (an acknowledged request for
  the API; a delivery recorded in a consumer's inbox for the events; an accepted mail for the reminders).
- *Drained*: from the lift until everything that path had been given before the lift was done (every event
  created before it delivered to that consumer, every reminder due before it mailed). The API has no backlog.
- *Reminder lag*: when the sink accepted the mail, minus the reminder's due time. reminder-check runs once a
  minute, so up to 60 s of it is the schedule, not a fault.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bindings.table import FUNCTIONS
from bindings.triggers import Cron, Invoke
from tests.faults.faults import Fault
from tests.faults.snapshot import Snapshot
from tests.faults.workload import Plan

# The workload path a cron function's failure shows up on.
CRON_PATHS = {"reminder-check": "mail", "outbox-relay": "events"}


@dataclass
class Item:
    origin: float  # offset when the work arose (event written, reminder due)
    done: float  # offset when it was done (delivered, mailed)


def _offset(plan: Plan, when: datetime | float) -> float:
    wall = when.timestamp() if isinstance(when, datetime) else when
    return wall - plan.started_at


def paths(plan: Plan, snap: Snapshot) -> dict[str, list[Item]]:
    """Work done per path: "api", "mail", "events" (any consumer) and "events:<consumer>"."""
    found: dict[str, list[Item]] = defaultdict(list)
    for r in plan.requests:
        if r.acknowledged and r.sent is not None and r.done is not None:
            found["api"].append(Item(r.sent, r.done))
    for (consumer, event_id), received in snap.inbox.items():
        row = snap.outbox.get(event_id)
        if row is not None:
            item = Item(_offset(plan, row["created_at"]), _offset(plan, received))
            found["events"].append(item)
            found[f"events:{consumer}"].append(item)
    for rid, at in snap.mails:
        row = snap.reminders.get(rid)
        if row is not None:
            found["mail"].append(Item(_offset(plan, row["remind_at"]), _offset(plan, at)))
    for items in found.values():
        items.sort(key=lambda i: i.done)
    return found


def path_of(fault: Fault) -> str | None:
    if fault.kind == "postgres-restart":
        return "api"  # every path needs it; the API shows it first
    if fault.kind == "kafka-kill":
        return "events"
    if fault.kind in ("mail-outage", "mail-flaky", "mail-bounce"):
        return "mail"
    if not fault.target:
        return None
    function = fault.target.rsplit("-", 1)[0] if fault.target[-1].isdigit() else fault.target
    fn = FUNCTIONS.get(function)
    if fn is None:
        return None
    if isinstance(fn.trigger, Invoke):
        return "api"
    if isinstance(fn.trigger, Cron):
        return CRON_PATHS.get(function)
    return "mail" if function == "send-reminder" else f"events:{function}"


def recovery(fault: Fault, found: dict[str, list[Item]]) -> dict[str, Any]:
    path = path_of(fault)
    row: dict[str, Any] = {"fault": fault.label, "path": path, "at": fault.started, "lifted": fault.lifted}
    if path is None or fault.lifted is None or fault.kind in ("mail-flaky", "mail-bounce"):
        return row | {"first_success_s": None, "drained_s": None}
    items = found.get(path, [])
    after = [i.done for i in items if i.done >= fault.lifted]
    row["first_success_s"] = round(min(after) - fault.lifted, 2) if after else None
    if path == "api":
        row["drained_s"] = None
    else:
        before = [i.done for i in items if i.origin < fault.lifted]
        row["drained_s"] = round(max(0.0, max(before) - fault.lifted), 2) if before else 0.0
    return row


def series(plan: Plan, found: dict[str, list[Item]], end: float) -> dict[str, list[float | None]]:
    """Per second of the run: acknowledged requests, unanswered or failed ones, deliveries, mails, and the
    largest event-delivery lag and reminder lag of the things done in that second."""
    bins = int(end) + 1
    out: dict[str, list[float | None]] = {k: [0.0] * bins for k in ("acks", "failures", "deliveries", "mails")}
    out |= {k: [None] * bins for k in ("event_lag", "reminder_lag")}  # None: nothing done in that second
    for r in plan.requests:
        if r.done is not None and 0 <= r.done < bins and not r.refused:
            out["acks" if r.acknowledged else "failures"][int(r.done)] += 1
    for key, lag_key in (("events", "event_lag"), ("mail", "reminder_lag")):
        for i in found.get(key, []):
            if 0 <= i.done < bins:
                out["deliveries" if key == "events" else "mails"][int(i.done)] += 1
                out[lag_key][int(i.done)] = max(out[lag_key][int(i.done)] or 0.0, i.done - i.origin)
    return out


def summary(plan: Plan, faults: list[Fault], snap: Snapshot) -> dict[str, Any]:
    found = paths(plan, snap)
    mail_lags = [i.done - i.origin for i in found.get("mail", [])]
    event_lags = [i.done - i.origin for i in found.get("events", [])]
    api = [r.done - r.sent for r in plan.requests if r.acknowledged and r.done is not None and r.sent is not None]
    return {
        "recovery": [recovery(f, found) for f in faults],
        "reminder_lag_max_s": round(max(mail_lags, default=0.0), 1),
        "reminder_lag_p50_s": _pct(mail_lags, 0.5),
        "event_lag_max_s": round(max(event_lags, default=0.0), 1),
        "event_lag_p99_s": _pct(event_lags, 0.99),
        "api_latency_p50_s": _pct(api, 0.5),
        "api_latency_p99_s": _pct(api, 0.99),
        "api_latency_max_s": round(max(api, default=0.0), 2),
    }


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)
