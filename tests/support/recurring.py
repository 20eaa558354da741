"""Helpers for the recurrence tests: drive the embedded broker and read a series."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bindings.embedded.broker import Deliverer
from bindings.embedded.resiliency import RetryPolicy
from tests.support.handlers import query

CE = "application/cloudevents+json"
COMPLETED = "com.todo.task.completed.v1"
BERLIN = ZoneInfo("Europe/Berlin")


def soon(days: int = 1, hour: int = 9) -> datetime:
    """A Berlin wall time some days ahead, so that completing now is before it is due."""
    d = datetime.now(BERLIN) + timedelta(days=days)
    return d.replace(hour=hour, minute=0, second=0, microsecond=0)


def drain(runtime, rounds: int = 20) -> None:
    """Deliver what is due to every subscriber, as the runtime's delivery thread would."""
    deliverer = Deliverer(runtime.broker, runtime.apps, RetryPolicy(max_retries=2, delay=0))
    for _ in range(rounds):
        if not deliverer.deliver_due():
            return


def lose_spawn_events(runtime) -> int:
    """A lost event: spawn-recurrence's deliveries vanish before it ran."""
    with runtime.db.transaction() as tx:
        return tx.execute(
            "DELETE FROM pubsub_deliveries WHERE app_id = 'spawn-recurrence' AND route = '/events/task-events'"
        ).rowcount


def completed_events(runtime) -> list[dict]:
    rows = query(runtime, "select event from outbox where event->>'type' = %s order by created_at", (COMPLETED,))
    return [r["event"] for r in rows]


def deliver(runtime, event: dict) -> str:
    """POST one CloudEvent to spawn-recurrence as daprd would; return its verdict."""
    client = runtime.apps["spawn-recurrence"].test_client()
    resp = client.post("/events/task-events", data=json.dumps(event), content_type=CE)
    assert resp.status_code == 200
    return resp.get_json()["status"]


def instances(runtime, series_id) -> list[dict]:
    return query(
        runtime,
        "select id, status, due_at, title, tags, priority, timezone, recurrence, deleted_at from tasks"
        " where series_id = %s order by due_at",
        (series_id,),
    )


def sweep(runtime) -> dict:
    resp = runtime.apps["recurrence-sweep"].test_client().post("/run", json={})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def open_instances(runtime, series_id) -> list[dict]:
    return [r for r in instances(runtime, series_id) if r["status"] == "open" and r["deleted_at"] is None]
