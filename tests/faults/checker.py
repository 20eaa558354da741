"""The checker: what the clients were told (the workload's record) against what the system holds (snapshot.py).

Jepsen's rule: an acknowledged write must be there, exactly once; a write whose answer never came (a 5xx, a
timeout) may or may not be there, but at most once; nothing may be there that nobody asked for. Counts are
read from PostgreSQL's rows, Kafka's own records and offsets, and the mails the sink accepted, never from
what our functions logged or counted about themselves.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from tests.faults.snapshot import Snapshot
from tests.faults.workload import BOUNCE_DOMAIN, Plan, Request

CREATES = ("create", "create_reminder", "create_recurring")
ACTIONS = {"patch": "task.updated", "complete": "task.completed", "delete": "task.deleted"}


@dataclass
class Verdict:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # neither: stuck partitions, dead letters without cause, ...
    counts: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.wrong)

    def describe(self, limit: int = 20) -> str:
        lines = [f"lost: {len(self.lost)}, duplicated: {len(self.duplicated)}, other violations: {len(self.wrong)}"]
        for name, items in (("lost", self.lost), ("duplicated", self.duplicated), ("wrong", self.wrong)):
            lines += [f"  {name}: {item}" for item in items[:limit]]
            if len(items) > limit:
                lines.append(f"  {name}: ... and {len(items) - limit} more")
        return "\n".join(lines)


def check(plan: Plan, snap: Snapshot) -> Verdict:
    v = Verdict()
    reqs = plan.requests
    _tasks(plan, reqs, snap, v)
    _audit(reqs, snap, v)
    _published(snap, v)
    _recurrence(plan, snap, v)
    _reminders(plan, reqs, snap, v)
    _partitions(snap, v)
    _conversations(reqs, snap, v)
    v.counts.update(_counts(reqs, snap))
    return v


def _acked(reqs: list[Request], *ops: str) -> list[Request]:
    return [r for r in reqs if r.op in ops and r.acknowledged]


def _tasks(plan: Plan, reqs: list[Request], snap: Snapshot, v: Verdict) -> None:
    for r in _acked(reqs, *CREATES):
        if r.answer["id"] not in snap.tasks:
            v.lost.append(f"task {r.answer['id']}: acknowledged 201 (request {r.seq}), not stored")
    # Each stored task traces back to a create request by the number in its title (a patch renames a task the
    # workload already knew, never a copy). Successors share their series' title and are checked per series.
    marker = re.compile(rf"^chaos {re.escape(plan.run)} (\d+) ")
    by_seq: dict[int, set[str]] = defaultdict(set)  # create request -> stored tasks (series count once)
    created_by = {r.answer["id"]: r.seq for r in _acked(reqs, *CREATES)}
    for task in snap.tasks.values():
        m = marker.match(task["title"])
        if not m:
            v.wrong.append(f"task {task['id']}: title {task['title']!r} names no request of this run")
            continue
        seq = int(m.group(1))
        origin = reqs[seq] if seq < len(reqs) else None
        if origin is not None and origin.op == "patch" and origin.target == task["id"] and task["id"] in created_by:
            seq, origin = created_by[task["id"]], reqs[created_by[task["id"]]]
        if origin is None or origin.op not in CREATES:
            v.wrong.append(f"task {task['id']}: stored, but request {seq} created nothing")
            continue
        by_seq[seq].add(task["series_id"] or task["id"])
    for seq, found in by_seq.items():
        if len(found) > 1:
            v.duplicated.append(f"request {seq} ({reqs[seq].op}, answered {reqs[seq].status}): {len(found)} tasks")
    for r in _acked(reqs, "delete"):
        if snap.tasks.get(r.target, {}).get("deleted_at") is None:
            v.lost.append(f"task {r.target}: delete acknowledged (request {r.seq}), task not deleted")
    for r in _acked(reqs, "complete"):
        if snap.tasks.get(r.target, {}).get("status") != "done":
            v.lost.append(f"task {r.target}: completion acknowledged (request {r.seq}), task not done")


def _audit(reqs: list[Request], snap: Snapshot, v: Verdict) -> None:
    records: Counter[tuple[str | None, str, str]] = Counter(
        (a["task_id"], a["action"], a["actor"]) for a in snap.audit.values()
    )
    for r in _acked(reqs, *CREATES):
        n = records[(r.answer["id"], "task.created", r.user)]
        if n != 1:
            (v.lost if n == 0 else v.duplicated).append(f"task {r.answer['id']}: {n} task.created audit records")
    # Per task and action: at least the acknowledged requests, at most those not refused.
    wanted: dict[tuple[str, str, str], list[Request]] = defaultdict(list)
    for r in reqs:
        if r.op in ACTIONS and r.target:
            wanted[(r.target, ACTIONS[r.op], r.user)].append(r)
    for key, sent in wanted.items():
        n = records[key]
        low = sum(r.acknowledged for r in sent)
        high = sum(not r.refused for r in sent)
        if n < low:
            v.lost.append(f"task {key[0]}: {low} {key[1]} acknowledged, {n} audit records")
        elif n > high:
            v.duplicated.append(f"task {key[0]}: {n} {key[1]} audit records for {high} requests")
    # Exactly one record per audit event (the record's id is the event id), and none from nowhere.
    audit_events = {eid for eid, row in snap.outbox.items() if row["topic"] == "audit-logs"}
    for eid in sorted(audit_events - snap.audit.keys()):
        row = snap.outbox[eid]
        v.lost.append(f"audit event {eid} ({row['data'].get('action')}, published {row['published_at']}): not recorded")
    for eid in sorted(snap.audit.keys() - audit_events):
        v.wrong.append(f"audit record {eid}: no audit-logs event in the outbox has its id")


def _published(snap: Snapshot, v: Verdict) -> None:
    """Every event the outbox holds is on its topic in Kafka (what the broker holds, not `published_at`)."""
    for eid, row in snap.outbox.items():
        on_kafka = snap.kafka.ids.get(row["topic"], Counter())[eid]
        if on_kafka == 0:
            v.lost.append(f"event {eid} ({row['type']}): in the outbox, not on {row['topic']}")
        elif row["published_at"] is None:
            v.wrong.append(f"event {eid}: on {row['topic']} but never marked published (the relay sends it again)")


def _recurrence(plan: Plan, snap: Snapshot, v: Verdict) -> None:
    """A completed instance has exactly one successor, an open one none (the workload never touches successors,
    so this holds whatever the answers to the completions were)."""
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for task in snap.tasks.values():
        if task["series_id"]:
            series[task["series_id"]].append(task)
    for tasks in series.values():
        tasks.sort(key=lambda t: t["due_at"])
        first, later = tasks[0], tasks[1:]
        want = 1 if first["status"] == "done" else 0
        if len(later) < want:
            v.lost.append(f"task {first['id']}: completed at {first['completed_at']}, no successor")
        elif len(later) > want:
            v.duplicated.append(f"task {first['id']} ({first['status']}): {len(later)} successors")


def _reminders(plan: Plan, reqs: list[Request], snap: Snapshot, v: Verdict) -> None:
    """Each reminder that fell due is mailed once, or (its recipient refused for good) failed and dead-lettered."""
    planned = {r.answer["reminders"][0]["id"]: r for r in _acked(reqs, "create_reminder") if r.answer.get("reminders")}
    mailed = Counter(rid for rid, _ in snap.mails)
    bounce = "@" + BOUNCE_DOMAIN
    bouncing = {u.name for u in plan.users if u.email.endswith(bounce)}
    dead = {
        (d["event"].get("data") or {}).get("reminder_id"): d for d in snap.dead_letters if d["topic"] == "reminders-dlq"
    }
    for rid in sorted(planned.keys() | snap.reminders.keys()):
        row = snap.reminders.get(rid)
        if row is None:
            v.lost.append(f"reminder {rid}: acknowledged (request {planned[rid].seq}), not stored")
            continue
        n = mailed[rid]
        if row["user_id"] in bouncing:
            if n or row["state"] != "failed" or not row["last_error"]:
                v.wrong.append(f"reminder {rid} (a bouncing recipient): {n} mails, state {row['state']}")
            elif rid not in dead:
                v.lost.append(f"reminder {rid}: failed for good ({row['last_error']}) but not dead-lettered")
            continue
        if n == 0:
            v.lost.append(
                f"reminder {rid}: due {row['remind_at']}, not mailed (state {row['state']}, {row['last_error']})"
            )
        elif n > 1:
            v.duplicated.append(f"reminder {rid}: mailed {n} times")
    for rid in sorted(mailed.keys() - snap.reminders.keys()):
        v.wrong.append(f"mail for reminder {rid}, which is not one of this run's")
    # Dead letters only for what failed for good: the bouncing recipients' reminders.
    for d in snap.dead_letters:
        data = d["event"].get("data") or {}
        if d["topic"] == "reminders-dlq" and snap.reminders.get(data.get("reminder_id"), {}).get("user_id") in bouncing:
            continue
        v.wrong.append(
            f"dead letter on {d['topic']} ({d['event'].get('type')}, event {d['event_id']}, {d['times']}x):"
            " its failure was not a permanent one"
        )


def _partitions(snap: Snapshot, v: Verdict) -> None:
    for (group, topic, partition), lag in sorted(snap.kafka.lags().items()):
        if lag:
            v.wrong.append(f"consumer group {group}: {lag} messages left on {topic}[{partition}]")


def _conversations(reqs: list[Request], snap: Snapshot, v: Verdict) -> None:
    for r in _acked(reqs, "converse"):
        if r.target is None:
            if r.answer["conversation_id"] not in snap.conversations:
                v.lost.append(f"conversation {r.answer['conversation_id']}: created (request {r.seq}), not stored")
            continue
        stored = snap.conversations.get(r.target, {}).get("messages", [])
        n = sum(m.get("content") == r.body["content"] for m in stored)
        if n != 1:
            (v.lost if n == 0 else v.duplicated).append(f"message of request {r.seq}: stored {n} times in {r.target}")
    for r in reqs:
        if r.op == "converse" and r.target and not r.acknowledged and not r.refused:
            stored = snap.conversations.get(r.target, {}).get("messages", [])
            if sum(m.get("content") == r.body["content"] for m in stored) > 1:
                v.duplicated.append(f"message of request {r.seq} (answer {r.status}): stored more than once")


def _counts(reqs: list[Request], snap: Snapshot) -> dict[str, Any]:
    events = Counter(row["topic"] for row in snap.outbox.values())
    republished = sum(n - 1 for ids in snap.kafka.ids.values() for n in ids.values() if n > 1)
    return {
        "requests": len(reqs),
        "acknowledged": sum(r.acknowledged for r in reqs),
        "refused": sum(r.refused for r in reqs),
        "unknown": sum(r.unknown for r in reqs),
        "events": dict(events),
        "events_on_kafka_more_than_once": republished,
        "mails_accepted": len(snap.mails),
        "sink_answers": dict(sorted(snap.mail_answers.items())),
        "reminders": len(snap.reminders),
        "dead_letters": len(snap.dead_letters),
    }
