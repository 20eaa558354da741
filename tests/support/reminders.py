"""Helpers of the reminder tests: a runtime wired to a SendGrid sink, a due task, a check, event delivery."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bindings.embedded.secrets import ensure_file
from bindings.embedded_runtime import Runtime
from functions.context import Context
from functions.reminder_check import CheckRun, check_reminders
from tests.support.handlers import create, query, with_settings

ALICE = {"email": "alice@example.org", "timezone": "Europe/Berlin"}


def now() -> datetime:
    return datetime.now(UTC)


def write_sendgrid_secret(data_dir: Path, api_key: str = "SG.test-key", sender: str = "todo@example.org") -> None:
    path = ensure_file(data_dir)
    content = json.loads(path.read_text())
    content["sendgrid-secret"] = {"api-key": api_key, "from-email": sender}
    path.write_text(json.dumps(content))


def build(data_dir: Path, sink_url: str | None, monkeypatch: Any, database_url: str) -> Runtime:
    monkeypatch.setenv("DATABASE_URL", database_url)
    if sink_url:
        monkeypatch.setenv("SENDGRID_HOST", sink_url)
        write_sendgrid_secret(data_dir)
    return Runtime.build(data_dir, pool_size=12)


def due_events(runtime: Runtime) -> list[dict[str, Any]]:
    """The `reminders` CloudEvents as reminder-check wrote them to the outbox (and published them)."""
    rows = query(runtime, "select event from outbox where topic = 'reminders' order by created_at, id")
    return [r["event"] for r in rows]


def deliver(runtime: Runtime, event: dict[str, Any], attempts: int = 30) -> str:
    """Post one CloudEvent to send-reminder as daprd does, redelivering on RETRY (bounded); return the outcome."""
    client = runtime.apps["send-reminder"].test_client()
    outcome = "RETRY"
    for _ in range(attempts):
        resp = client.post(
            "/events/reminders",
            data=json.dumps({**event, "topic": "reminders", "pubsubname": "kafka-pubsub"}),
            content_type="application/cloudevents+json",
        )
        outcome = resp.get_json()["status"]
        if outcome != "RETRY":
            return outcome
    return outcome


def in_minutes(minutes: float) -> str:
    return (now() + timedelta(minutes=minutes)).isoformat()


def check(runtime, **settings):
    deps = runtime.deps["reminder-check"]
    if settings:
        deps = with_settings(deps, **settings)
    return check_reminders(CheckRun(), deps, Context(function="reminder-check"))


def due_task(runtime, user="alice", claims=ALICE, **fields):
    """A task due in 10 minutes with a reminder 15 minutes before: already due."""
    fields.setdefault("reminders", [{"before": "PT15M"}])
    return create(runtime, user=user, claims=claims, due_at=in_minutes(10), **fields)
