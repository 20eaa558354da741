"""reminder-check (cron, every minute): claims due reminders once, however many checkers or replicas run, and
emits one `reminders` event each through the outbox; with send-reminder, each reminder is mailed once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from functions.context import Context
from functions.outbox_relay import RelayRun, relay_outbox
from functions.reminder_check import CheckRun, check_reminders
from tests.support import reminders as rs
from tests.support.handlers import count, create, helpers_with_clock, query, with_settings
from tests.support.sendgrid_sink import flaky


def test_three_checkers_duplicate_deliveries_and_flaky_sends_mail_each_reminder_once(rt, sink):
    tasks = [rs.due_task(rt, user=f"u{i % 3}", claims={"email": f"u{i % 3}@example.org"}) for i in range(40)]
    expected = {str(t.reminders[0].id) for t in tasks}
    barrier = threading.Barrier(3)

    def checker(_: int) -> int:
        barrier.wait()
        return rs.check(rt, reminder_batch=7).claimed

    with ThreadPoolExecutor(3) as pool:
        claimed = list(pool.map(checker, range(3)))
    assert sum(claimed) == 40, claimed  # disjoint claims: no reminder claimed twice
    events = rs.due_events(rt)
    assert {e["data"]["reminder_id"] for e in events} == expected and len(events) == 40

    sink.rule = flaky(0.3)
    for round_ in range(1, 20):  # a refused mail is deferred: a later check claims it again, with a new event
        with ThreadPoolExecutor(8) as pool:  # every event delivered twice, concurrently
            outcomes = list(pool.map(lambda e: rs.deliver(rt, e), events + events))
        assert set(outcomes) == {"SUCCESS"}
        if count(rt, "reminders", "state = 'sent'") == 40:
            break
        later = helpers_with_clock(rt, "reminder-check", rs.now() + timedelta(hours=round_))
        before = len(rs.due_events(rt))
        assert check_reminders(CheckRun(), later, Context(function="reminder-check")).claimed > 0
        events = rs.due_events(rt)[before:]
    assert sink.accepted() == {rid: 1 for rid in expected}
    assert len(sink.requests) > 40, "the flaky sink must have refused some sends"
    assert count(rt, "reminders", "state = 'sent'") == 40
    sent_audits = "event->>'type' = 'com.todo.audit.recorded.v1' and event->'data'->>'action' = 'reminder.sent'"
    assert count(rt, "outbox", sent_audits) == 40


def test_a_checker_killed_between_claim_and_publish_still_mails_once(rt, sink, database_url, tmp_path):
    task = rs.due_task(rt)
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


def test_a_reminder_planned_in_the_past_fires_at_the_next_check(rt, sink):
    create(rt, claims=rs.ALICE, title="late", reminders=[{"at": "2020-01-01T00:00:00Z"}])
    assert rs.check(rt).claimed == 1
    assert [rs.deliver(rt, e) for e in rs.due_events(rt)] == ["SUCCESS"]
    assert len(sink.accepted()) == 1


def test_future_reminders_are_not_claimed(rt):
    create(rt, claims=rs.ALICE, title="later", due_at=rs.in_minutes(60), reminders=[{"before": "PT15M"}])
    assert rs.check(rt).claimed == 0


def test_the_spring_forward_hour_in_berlin(rt, sink):
    # 03:30 CEST on 29 March 2026; one hour before is 01:30 CET (00:30Z): 02:30 does not exist that night.
    task = create(
        rt,
        claims=rs.ALICE,
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


def test_concurrent_ticks_of_three_replicas_run_the_check_once(rt):
    rs.due_task(rt)
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
