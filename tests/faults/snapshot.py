"""What the system holds at the end of a run: PostgreSQL's tables, Kafka (ledger.py) and the sink's mails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bindings.devstack import kafka
from tests.faults import ledger
from tests.faults.system import System


@dataclass
class Snapshot:
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> row
    audit: dict[str, dict[str, Any]] = field(default_factory=dict)  # audit record id (= event id) -> row
    outbox: dict[str, dict[str, Any]] = field(default_factory=dict)  # event id -> row
    inbox: dict[tuple[str, str], Any] = field(default_factory=dict)  # (consumer, event id) -> received_at
    reminders: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> row
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)  # conversation id -> stored entry
    mails: list[tuple[str, float]] = field(default_factory=list)  # (reminder id, time.time()) accepted by the sink
    mail_answers: dict[int, int] = field(default_factory=dict)  # sink status -> count
    kafka: ledger.Ledger = field(default_factory=ledger.Ledger)


def _dicts(system: System, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(system.database_url, autocommit=True, connect_timeout=5, row_factory=dict_row) as conn:
        return conn.execute(sql, params).fetchall()


def take(system: System, run: str, with_kafka: bool = True) -> Snapshot:
    users = f"chaos-{run}-%"
    snap = Snapshot()
    for r in _dicts(
        system,
        "SELECT id::text, user_id, title, status, due_at, series_id::text, deleted_at, created_at, completed_at"
        " FROM tasks WHERE user_id LIKE %s",
        (users,),
    ):
        snap.tasks[r["id"]] = r
    for r in _dicts(
        system, "SELECT id::text, user_id, actor, action, task_id::text, details, recorded_at FROM audit_log"
    ):
        snap.audit[r["id"]] = r
    for r in _dicts(
        system,
        "SELECT id::text, topic, key, event->>'type' AS type, event->'data' AS data, created_at, published_at"
        " FROM outbox",
    ):
        snap.outbox[r["id"]] = r
    for r in _dicts(system, "SELECT consumer, event_id, received_at FROM inbox"):
        snap.inbox[(r["consumer"], r["event_id"])] = r["received_at"]
    for r in _dicts(
        system,
        "SELECT r.id::text, r.task_id::text, r.user_id, r.state, r.last_error, r.remind_at, r.sent_at, r.attempts"
        " FROM reminders r WHERE r.user_id LIKE %s",
        (users,),
    ):
        snap.reminders[r["id"]] = r
    snap.dead_letters = _dicts(
        system, "SELECT topic, original_topic, event_id, event, reason, times, received_at FROM dead_letters"
    )
    prefix = "postgres-statestore||conversation:"
    for r in _dicts(system, "SELECT key, value FROM state WHERE key LIKE %s", (prefix + f"chaos-{run}-%",)):
        snap.conversations[r["key"].rsplit(":", 1)[1]] = r["value"]
    snap.mails = system.sink.accepted_at()
    with system.sink.lock:
        for status in system.sink.answers:
            snap.mail_answers[status] = snap.mail_answers.get(status, 0) + 1
    if with_kafka:
        snap.kafka = ledger.read(system.stack.bootstrap, sorted(kafka.all_topics()))
    return snap
