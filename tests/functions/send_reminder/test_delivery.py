"""reminder-check + send-reminder on a real PostgreSQL, with the official sendgrid client against a local sink."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from functions.context import Context
from functions.outbox_relay import RelayRun, relay_outbox
from functions.reminder_check import CheckRun, check_reminders
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
from tests.support.sendgrid_sink import flaky, running

ALICE = {"email": "alice@example.org", "timezone": "Europe/Berlin"}


@pytest.fixture
def sink():
    with running() as s:
        yield s


@pytest.fixture
def rt(database_url, tmp_path, monkeypatch, sink):
    runtime = rs.build(tmp_path / "data", sink.url, monkeypatch, database_url)
    yield runtime
    runtime.close()


def check(runtime, **settings):
    deps = runtime.deps["reminder-check"]
    if settings:
        deps = with_settings(deps, **settings)
    return check_reminders(CheckRun(), deps, Context(function="reminder-check"))


def due_task(runtime, user="alice", claims=ALICE, **fields):
    """A task due in 10 minutes with a reminder 15 minutes before: already due."""
    fields.setdefault("reminders", [{"before": "PT15M"}])
    return create(runtime, user=user, claims=claims, due_at=rs.soon(10), **fields)


def test_three_checkers_duplicate_deliveries_and_flaky_sends_mail_each_reminder_once(rt, sink):
    tasks = [due_task(rt, user=f"u{i % 3}", claims={"email": f"u{i % 3}@example.org"}) for i in range(40)]
    expected = {str(t.reminders[0].id) for t in tasks}
    barrier = threading.Barrier(3)

    def checker(_: int) -> int:
        barrier.wait()
        return check(rt, reminder_batch=7).claimed

    with ThreadPoolExecutor(3) as pool:
        claimed = list(pool.map(checker, range(3)))
    assert sum(claimed) == 40, claimed  # disjoint claims: no reminder claimed twice
    events = rs.due_events(rt)
    assert {e["data"]["reminder_id"] for e in events} == expected and len(events) == 40

    sink.rule = flaky(0.3)
    with ThreadPoolExecutor(8) as pool:  # every event delivered twice, concurrently
        outcomes = list(pool.map(lambda e: rs.deliver(rt, e), events + events))
    assert set(outcomes) == {"SUCCESS"}
    assert sink.accepted() == {rid: 1 for rid in expected}
    assert len(sink.requests) > 40, "the flaky sink must have refused some sends"
    assert count(rt, "reminders", "state = 'sent'") == 40
    sent_audits = "event->>'type' = 'com.todo.audit.recorded.v1' and event->'data'->>'action' = 'reminder.sent'"
    assert count(rt, "outbox", sent_audits) == 40


def test_a_checker_killed_between_claim_and_publish_still_mails_once(rt, sink, database_url, tmp_path):
    task = due_task(rt)
    script = textwrap.dedent(
        """
        import os, signal, sys
        from pathlib import Path
        from bindings.embedded_runtime import Runtime
        from bindings.wiring import make_deps
        from functions.context import Context
        from functions.reminder_check import CheckRun, check_reminders

        class DiesOnPublish:
            # The process dies right after the claim committed, before anything reached the broker.
            def publish(self, topic, events):
                os.kill(os.getpid(), signal.SIGKILL)

        rt = Runtime.build(Path(sys.argv[1]), functions=["reminder-check"], pool_size=2)
        d = rt.deps["reminder-check"]
        deps = make_deps(d.function, d.db, DiesOnPublish(), d.state, d.secrets, d.invoker, d.settings)
        check_reminders(CheckRun(), deps, Context(function="reminder-check"))
        """
    )
    env = {**os.environ, "DATABASE_URL": database_url}
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "other")], env=env, timeout=60, capture_output=True
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    assert query(rt, "select state from reminders")[0]["state"] == "claimed"
    assert count(rt, "outbox", "topic = 'reminders' and published_at is null") == 1

    relay_deps = with_settings(rt.deps["outbox-relay"], outbox_grace_seconds=0)
    assert relay_outbox(RelayRun(), relay_deps, Context(function="outbox-relay")).published == 1
    for _ in range(3):  # the embedded broker delivers (and would redeliver) to send-reminder
        rt_deliverer(rt).deliver_due()
    assert sink.accepted() == {str(task.reminders[0].id): 1}


def rt_deliverer(runtime):
    from bindings.embedded.broker import Deliverer
    from bindings.embedded.resiliency import inbound_retry

    return Deliverer(runtime.broker, runtime.apps, inbound_retry("kafka-pubsub"))


def test_completing_between_claim_and_send_sends_nothing(rt, sink):
    task = due_task(rt)
    assert check(rt).claimed == 1
    complete(rt, task.id)
    assert [rs.deliver(rt, e) for e in rs.due_events(rt)] == ["SUCCESS"]
    assert sink.requests == []
    assert query(rt, "select state from reminders")[0]["state"] == "cancelled"


def test_deleting_between_claim_and_send_sends_nothing(rt, sink):
    task = due_task(rt)
    assert check(rt).claimed == 1
    delete(rt, task.id)
    assert [rs.deliver(rt, e) for e in rs.due_events(rt)] == ["SUCCESS"]
    assert sink.requests == []


def test_moving_due_at_after_the_claim_skips_the_stale_event_and_plans_the_new_time(rt, sink):
    task = due_task(rt)
    assert check(rt).claimed == 1
    update(rt, task.id, due_at=rs.soon(120))
    assert [rs.deliver(rt, e) for e in rs.due_events(rt)] == ["SUCCESS"]
    assert sink.requests == []
    row = query(rt, "select state, remind_at from reminders")[0]
    assert row["state"] == "pending" and row["remind_at"] > rs.now()
    assert check(rt).claimed == 0  # not due yet at its new time


def test_a_reminder_planned_in_the_past_fires_at_the_next_check(rt, sink):
    create(rt, claims=ALICE, title="late", reminders=[{"at": "2020-01-01T00:00:00Z"}])
    assert check(rt).claimed == 1
    assert [rs.deliver(rt, e) for e in rs.due_events(rt)] == ["SUCCESS"]
    assert len(sink.accepted()) == 1


def test_future_reminders_are_not_claimed(rt):
    create(rt, claims=ALICE, title="later", due_at=rs.soon(60), reminders=[{"before": "PT15M"}])
    assert check(rt).claimed == 0


def test_the_spring_forward_hour_in_berlin(rt, sink):
    # 03:30 CEST on 29 March 2026; one hour before is 01:30 CET (00:30Z): 02:30 does not exist that night.
    task = create(
        rt,
        claims=ALICE,
        title="Catch the early train",
        due_at="2026-03-29T03:30:00+02:00",
        timezone="Europe/Berlin",
        reminders=[{"before": "PT1H"}],
    )
    assert task.reminders[0].remind_at == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    just_before = helpers_with_clock(rt, "reminder-check", datetime(2026, 3, 29, 0, 29, 59, tzinfo=UTC))
    assert check_reminders(CheckRun(), just_before, Context(function="reminder-check")).claimed == 0
    at_time = helpers_with_clock(rt, "reminder-check", datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    assert check_reminders(CheckRun(), at_time, Context(function="reminder-check")).claimed == 1
    assert [rs.deliver(rt, e) for e in rs.due_events(rt)] == ["SUCCESS"]
    (mail,) = sink.accepted_bodies()
    assert mail["subject"] == "Reminder: Catch the early train (due Sun 29 Mar 2026, 03:30 CEST)"
    text = mail["content"][0]["value"]
    assert "Due: Sun 29 Mar 2026, 03:30 CEST (Europe/Berlin)" in text
    assert "reminded at Sun 29 Mar 2026, 01:30 CET (Europe/Berlin)" in text


def test_429_and_5xx_are_retried_and_leave_the_reminder_claimed(rt, sink):
    due_task(rt)
    check(rt)
    (event,) = rs.due_events(rt)
    for status in (429, 500, 503):
        sink.rule = lambda _b, s=status: s
        assert rs.deliver(rt, event, attempts=1) == "RETRY"
    assert query(rt, "select state from reminders")[0]["state"] == "claimed"
    assert count(rt, "inbox", "consumer = 'send-reminder'") == 0
    sink.rule = lambda _b: 202
    assert rs.deliver(rt, event) == "SUCCESS"
    assert len(sink.accepted()) == 1


def test_a_bad_key_is_retried_not_blamed_on_the_reminder(rt, sink):
    due_task(rt)
    check(rt)
    sink.rule = lambda _b: 401
    assert rs.deliver(rt, rs.due_events(rt)[0], attempts=1) == "RETRY"
    assert query(rt, "select state from reminders")[0]["state"] == "claimed"


def test_a_rejected_address_marks_the_reminder_failed_audits_and_drops(rt, sink):
    due_task(rt, user="bob", claims={"email": "bob@invalid"})
    check(rt)
    sink.rule = lambda body: 400
    (event,) = rs.due_events(rt)
    assert rs.deliver(rt, event) == "DROP"
    row = query(rt, "select state, last_error from reminders")[0]
    assert row["state"] == "failed" and "400" in row["last_error"]
    assert count(rt, "outbox", "event->'data'->>'action' = 'reminder.failed'") == 1
    assert rs.deliver(rt, event) == "SUCCESS"  # a redelivery is a duplicate: acknowledged, nothing sent
    assert len(sink.requests) == 1


def test_a_user_without_an_email_fails_the_reminder_with_the_reason(rt, sink):
    due_task(rt, user="carol", claims={})
    check(rt)
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
    task = create(rt, claims=ALICE, title="call mum", due_at=rs.soon(600), reminders=[{"before": "PT15M"}])
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
        task = due_task(runtime, title="Water <the> plants")
        check(runtime)
        assert [rs.deliver(runtime, e) for e in rs.due_events(runtime)] == ["SUCCESS"]
        files = list((tmp_path / "data" / "mail").glob("*.eml"))
        assert [f.name for f in files] == [f"{task.reminders[0].id}.eml"]
        msg = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
        assert msg["To"] == "alice@example.org" and msg["Subject"].startswith("Reminder: Water <the> plants (due ")
        assert "Water <the> plants" in msg.get_body(("plain",)).get_content()
        assert "Water &lt;the&gt; plants" in msg.get_body(("html",)).get_content()
    finally:
        runtime.close()


def test_concurrent_ticks_of_three_replicas_run_the_check_once(rt):
    due_task(rt)
    client_headers = {"readTimeUTC": "2026-11-27 10:00:00.123456789 +0000 UTC"}
    apps = [rt.apps["reminder-check"].test_client() for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        codes = list(pool.map(lambda c: c.post("/reminder-checker-cron", headers=client_headers).status_code, apps))
    assert codes == [200, 200, 200]
    assert count(rt, "cron_ticks", "function = 'reminder-check'") == 1
    assert count(rt, "reminders", "state = 'claimed'") == 1


def test_the_cron_component_is_every_minute_on_utc():
    from bindings.schedules import cron_components

    schedule = cron_components()["reminder-checker-cron"].schedule
    tick = schedule.tick_of(datetime(2026, 11, 27, 10, 0, 30, tzinfo=UTC))
    assert tick == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert schedule.next_after(tick) == datetime(2026, 11, 27, 10, 1, tzinfo=UTC)


def test_no_mail_dir_is_created_when_sendgrid_is_configured(rt, sink, tmp_path):
    due_task(rt)
    check(rt)
    rs.deliver(rt, rs.due_events(rt)[0])
    assert not Path(tmp_path / "data" / "mail").exists()


def test_a_cached_task_shows_its_reminder_claimed_then_sent(rt, sink):
    task = due_task(rt)
    assert get(rt, task.id).reminders[0].state == "pending"  # fills the cache
    assert get(rt, task.id).reminders[0].state == "pending"  # served from it
    check(rt)
    assert get(rt, task.id).reminders[0].state == "claimed"
    rs.deliver(rt, rs.due_events(rt)[0])
    assert get(rt, task.id).reminders[0].state == "sent"
