"""A PostgreSQL restart under the running functions (found by `make chaos`).

- Stale connections: each function's pool kept the connections the restart had closed, and handed them out
  one by one, so the first requests after the database was back failed (503) as if it were still down.
- A mail in flight: send-reminder holds its transaction open while SendGrid answers. When the database went
  away meanwhile, the 202 could not be recorded, the event was retried and the reminder mailed twice. The
  send is now recorded again in a new transaction, retried while the database comes back.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.dapr.harness import RealDapr
from tests.support import postgres_restart, sendgrid_sink

pytestmark = pytest.mark.dapr
SENDGRID = {"api-key": "SG.test-key", "from-email": "todo@example.com"}


def _restart(real_dapr: RealDapr, down_s: float = 0.5) -> None:
    postgres_restart.stop(real_dapr.stack.data_dir)
    try:
        time.sleep(down_s)
    finally:
        postgres_restart.start(real_dapr.stack.data_dir, real_dapr.database_url)


def test_after_a_restart_the_first_requests_find_the_database_back(real_dapr: RealDapr):
    user = f"pg-{uuid.uuid4().hex[:8]}"
    real_dapr.pairs("todo-api")  # started here, once: RealDapr is not thread-safe, six threads would start six
    threads = [
        threading.Thread(
            target=real_dapr.api, args=("POST", "api/tasks", {"title": f"warm {i}"}), kwargs={"user": user}
        )
        for i in range(6)
    ]
    for t in threads:  # concurrent requests leave several connections in todo-api's pool
        t.start()
    for t in threads:
        t.join(30)
    _restart(real_dapr)
    answers = [real_dapr.api("GET", "api/tasks", user=user).status for _ in range(6)]
    real_dapr.forget_logs_so_far()  # what the sidecars logged while the database was away was this test's doing
    assert answers == [200] * 6


def test_a_mail_accepted_while_the_database_restarts_is_recorded_and_sent_once(real_dapr: RealDapr):
    user = f"pg-mail-{uuid.uuid4().hex[:8]}"
    arrived, answer = threading.Event(), threading.Event()

    def slow_accept(_body: dict) -> int:
        # The first attempt: SendGrid takes its time, and the database goes away meanwhile.
        if not arrived.is_set():
            arrived.set()
            answer.wait(30)
        return 202

    real_dapr.pairs("reminder-check")
    with (
        sendgrid_sink.running(slow_accept) as sink,
        real_dapr.configured("send-reminder", env={"SENDGRID_HOST": sink.url}, secrets={"sendgrid-secret": SENDGRID}),
    ):
        due = datetime.now(UTC) + timedelta(hours=1)
        body = {"title": "In flight", "due_at": due.isoformat(), "reminders": [{"at": "2020-01-01T00:00:00Z"}]}
        resp = real_dapr.api("POST", "api/tasks", body, user=user, email=f"{user}@example.com")
        assert resp.status == 201, resp.data
        rid = json.loads(resp.data)["reminders"][0]["id"]
        assert real_dapr.invoke("reminder-check", "reminder-check", "POST", "run", {}, user=None).status == 200
        assert arrived.wait(60), "the mail never reached the sink"
        postgres_restart.stop(real_dapr.stack.data_dir)
        try:
            answer.set()  # SendGrid accepts while the database is away
            time.sleep(1.0)
        finally:
            postgres_restart.start(real_dapr.stack.data_dir, real_dapr.database_url)
        real_dapr.rows_eventually("SELECT 1 FROM reminders WHERE id = %s AND state = 'sent'", (rid,), timeout_s=90)
        time.sleep(5)  # a redelivery would mail it again within the inbound retries' first seconds
        real_dapr.forget_logs_so_far()
        assert sink.accepted()[rid] == 1
