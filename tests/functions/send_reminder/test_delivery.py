"""send-reminder (topic reminders; POST /api/notify ad hoc): mails a claimed reminder exactly once.

On a real PostgreSQL, with the official sendgrid client against a local sink: what changed since the
claim is skipped, transient faults are retried, and what can never be sent is failed and dropped.
"""

from __future__ import annotations

from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from functions.context import Context
from functions.domain.events import ReminderDueData
from functions.errors import Rejected
from functions.reminder_check import CheckRun, check_reminders
from functions.send_reminder import send_reminder
from tests.support import reminders as rs
from tests.support.handlers import (
    complete,
    count,
    create,
    delete,
    get,
    helpers_with_clock,
    query,
    update,
    with_settings,
)


def test_completing_between_claim_and_send_sends_nothing(rt, sink):
    task = rs.due_task(rt)
    assert rs.check(rt).claimed == 1
    complete(rt, task.id)
    assert [rs.deliver(rt, e) for e in rs.due_events(rt)] == ["SUCCESS"]
    assert sink.requests == []
    assert query(rt, "select state from reminders")[0]["state"] == "cancelled"


def test_deleting_between_claim_and_send_sends_nothing(rt, sink):
    task = rs.due_task(rt)
    assert rs.check(rt).claimed == 1
    delete(rt, task.id)
    assert [rs.deliver(rt, e) for e in rs.due_events(rt)] == ["SUCCESS"]
    assert sink.requests == []


def test_moving_due_at_after_the_claim_skips_the_stale_event_and_plans_the_new_time(rt, sink):
    task = rs.due_task(rt)
    assert rs.check(rt).claimed == 1
    update(rt, task.id, due_at=rs.in_minutes(120))
    assert [rs.deliver(rt, e) for e in rs.due_events(rt)] == ["SUCCESS"]
    assert sink.requests == []
    row = query(rt, "select state, remind_at from reminders")[0]
    assert row["state"] == "pending" and row["remind_at"] > rs.now()
    assert rs.check(rt).claimed == 0  # not due yet at its new time


def test_429_and_5xx_defer_the_reminder_and_a_later_check_claims_it_again(rt, sink):
    rs.due_task(rt)
    rs.check(rt)
    (event,) = rs.due_events(rt)
    sink.rule = lambda _b: 503
    # Acknowledged (not retried through Kafka, which holds the partition and ends in the dead-letter topic):
    # the reminder stays claimed, to be claimed again after a back-off.
    assert rs.deliver(rt, event, attempts=1) == "SUCCESS"
    row = query(rt, "select state, attempts, retry_at, last_error from reminders")[0]
    assert row["state"] == "claimed" and "503" in row["last_error"]
    assert row["retry_at"] - rs.now() > timedelta(seconds=30)  # the first back-off, reminder_retry_seconds
    assert rs.check(rt).claimed == 0  # not before its retry time
    for status, hours in ((429, 1), (500, 2)):
        sink.rule = lambda _b, s=status: s
        at = helpers_with_clock(rt, "reminder-check", rs.now() + timedelta(hours=hours))
        assert check_reminders(CheckRun(), at, Context(function="reminder-check")).claimed == 1
        assert rs.deliver(rt, rs.due_events(rt)[-1], attempts=1) == "SUCCESS"
    assert query(rt, "select attempts from reminders")[0]["attempts"] == 3
    sink.rule = lambda _b: 202
    assert rs.deliver(rt, event) == "SUCCESS"  # a redelivery of the first event: a duplicate, nothing sent
    at = helpers_with_clock(rt, "reminder-check", rs.now() + timedelta(hours=3))
    assert check_reminders(CheckRun(), at, Context(function="reminder-check")).claimed == 1
    assert rs.deliver(rt, rs.due_events(rt)[-1]) == "SUCCESS"
    assert len(sink.accepted()) == 1 and query(rt, "select state from reminders")[0]["state"] == "sent"


def test_a_reminder_refused_for_the_moment_too_often_fails_and_is_dropped(rt, sink):
    rs.due_task(rt)
    rs.check(rt)
    sink.rule = lambda _b: 503
    (event,) = rs.due_events(rt)
    deps = with_settings(rt.deps["send-reminder"], reminder_max_attempts=1)
    with pytest.raises(Rejected, match="gave up after 1 attempts"):  # a DROP, with the reason
        send_reminder(ReminderDueData.model_validate(event["data"]), deps, Context(function="send-reminder"))
    row = query(rt, "select state, last_error from reminders")[0]
    assert row["state"] == "failed" and "503" in row["last_error"]
    assert count(rt, "outbox", "event->'data'->>'action' = 'reminder.failed'") == 1


def test_a_bad_key_defers_the_reminder_rather_than_blame_it(rt, sink):
    rs.due_task(rt)
    rs.check(rt)
    sink.rule = lambda _b: 401
    assert rs.deliver(rt, rs.due_events(rt)[0], attempts=1) == "SUCCESS"
    row = query(rt, "select state, last_error from reminders")[0]
    assert row["state"] == "claimed" and "credentials" in row["last_error"]


def test_a_claim_whose_event_was_lost_is_claimed_again_after_its_lease(rt, sink):
    task = rs.due_task(rt)
    assert rs.check(rt).claimed == 1  # its event is lost: never delivered (dead-lettered, say)
    assert rs.check(rt).claimed == 0
    lease = timedelta(seconds=rt.deps["reminder-check"].settings.reminder_claim_lease_seconds)
    at = helpers_with_clock(rt, "reminder-check", rs.now() + lease + timedelta(seconds=1))
    assert check_reminders(CheckRun(), at, Context(function="reminder-check")).claimed == 1
    first, second = rs.due_events(rt)
    assert first["id"] != second["id"] and first["data"] == second["data"]
    assert [rs.deliver(rt, e) for e in (second, first)] == ["SUCCESS", "SUCCESS"]
    assert sink.accepted() == {str(task.reminders[0].id): 1}


def test_a_rejected_address_marks_the_reminder_failed_audits_and_drops(rt, sink):
    rs.due_task(rt, user="bob", claims={"email": "bob@invalid"})
    rs.check(rt)
    sink.rule = lambda body: 400
    (event,) = rs.due_events(rt)
    assert rs.deliver(rt, event) == "DROP"
    row = query(rt, "select state, last_error from reminders")[0]
    assert row["state"] == "failed" and "400" in row["last_error"]
    assert count(rt, "outbox", "event->'data'->>'action' = 'reminder.failed'") == 1
    assert rs.deliver(rt, event) == "SUCCESS"  # a redelivery is a duplicate: acknowledged, nothing sent
    assert len(sink.requests) == 1


def test_a_user_without_an_email_fails_the_reminder_with_the_reason(rt, sink):
    rs.due_task(rt, user="carol", claims={})
    rs.check(rt)
    assert rs.deliver(rt, rs.due_events(rt)[0]) == "DROP"
    row = query(rt, "select state, last_error from reminders")[0]
    assert row["state"] == "failed" and "no e-mail address" in row["last_error"]
    assert sink.requests == []


def test_a_bad_event_is_dropped_with_nothing_written(rt, sink):
    client = rt.apps["send-reminder"].test_client()
    for data in ({"reminder_id": "nope"}, {}):
        resp = client.post(
            "/events/reminders",
            json={"specversion": "1.0", "id": "x1", "source": "t", "type": "com.todo.reminder.due.v1", "data": data},
            content_type="application/cloudevents+json",
        )
        assert resp.get_json()["status"] == "DROP"
    assert count(rt, "inbox") == 0 and sink.requests == []


def test_notify_sends_a_reminder_ad_hoc_once(rt, sink):
    task = create(rt, claims=rs.ALICE, title="call mum", due_at=rs.in_minutes(600), reminders=[{"before": "PT15M"}])
    rid = str(task.reminders[0].id)
    client = rt.apps["send-reminder"].test_client()
    first = client.post("/api/notify", json={"reminder_id": rid})
    assert first.status_code == 200 and first.get_json()["outcome"] == "sent"
    again = client.post("/api/notify", json={"reminder_id": rid})
    skipped = {"reminder_id": rid, "outcome": "skipped", "reason": "the reminder is already sent", "message_id": None}
    assert again.get_json() == skipped
    assert sink.accepted() == {rid: 1}
    missing = client.post("/api/notify", json={"reminder_id": "00000000-0000-0000-0000-000000000000"})
    assert missing.status_code == 404
    bad = client.post("/api/notify", json={"reminder": rid})
    assert bad.status_code == 422 and "reminder_id" in bad.get_data(as_text=True)


def test_without_a_key_mail_goes_to_eml_files(database_url, tmp_path, monkeypatch):
    runtime = rs.build(tmp_path / "data", None, monkeypatch, database_url)
    try:
        task = rs.due_task(runtime, title="Water <the> plants")
        rs.check(runtime)
        assert [rs.deliver(runtime, e) for e in rs.due_events(runtime)] == ["SUCCESS"]
        files = list((tmp_path / "data" / "mail").glob("*.eml"))
        assert [f.name for f in files] == [f"{task.reminders[0].id}.eml"]
        msg = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
        assert msg["To"] == "alice@example.org" and msg["Subject"].startswith("Reminder: Water <the> plants (due ")
        assert "Water <the> plants" in msg.get_body(("plain",)).get_content()
        assert "Water &lt;the&gt; plants" in msg.get_body(("html",)).get_content()
    finally:
        runtime.close()


def test_no_mail_dir_is_created_when_sendgrid_is_configured(rt, sink, tmp_path):
    rs.due_task(rt)
    rs.check(rt)
    rs.deliver(rt, rs.due_events(rt)[0])
    assert not Path(tmp_path / "data" / "mail").exists()


def test_a_cached_task_shows_its_reminder_claimed_then_sent(rt, sink):
    task = rs.due_task(rt)
    assert get(rt, task.id).reminders[0].state == "pending"  # fills the cache
    assert get(rt, task.id).reminders[0].state == "pending"  # served from it
    rs.check(rt)
    assert get(rt, task.id).reminders[0].state == "claimed"
    rs.deliver(rt, rs.due_events(rt)[0])
    assert get(rt, task.id).reminders[0].state == "sent"
