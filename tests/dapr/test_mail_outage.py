"""A mail provider that fails for the moment does not hold the reminders partition or dead-letter the reminder:
send-reminder defers it and reminder-check claims it again (found by `make chaos`).

Before, send-reminder answered RETRY: daprd retried it three times a second apart, then sent it to
reminders-dlq, where it stayed claimed and was never mailed unless someone replayed it. A SendGrid outage of
more than about 4 s lost every reminder that fell due during it.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.dapr.harness import RealDapr, eventually
from tests.support import sendgrid_sink

pytestmark = pytest.mark.dapr
SENDGRID = {"api-key": "SG.test-key", "from-email": "todo@example.com"}


def test_a_reminder_refused_for_the_moment_is_deferred_then_mailed_once(real_dapr: RealDapr):
    user = f"outage-{uuid.uuid4().hex[:8]}"
    outage = [True]
    real_dapr.pairs("dead-letters")
    real_dapr.pairs("reminder-check")
    with (
        sendgrid_sink.running(lambda _body: 503 if outage[0] else 202) as sink,
        real_dapr.configured("send-reminder", env={"SENDGRID_HOST": sink.url}, secrets={"sendgrid-secret": SENDGRID}),
    ):
        due = datetime.now(UTC) + timedelta(hours=1)
        body = {"title": "Outage", "due_at": due.isoformat(), "reminders": [{"at": "2020-01-01T00:00:00Z"}]}
        resp = real_dapr.api("POST", "api/tasks", body, user=user, email=f"{user}@example.com")
        assert resp.status == 201, resp.data
        rid = json.loads(resp.data)["reminders"][0]["id"]

        def run_check() -> None:  # an ad hoc run of reminder-check, through its own daprd, instead of its tick
            assert real_dapr.invoke("reminder-check", "reminder-check", "POST", "run", {}, user=None).status == 200

        def attempts() -> int:
            return sum(b.get("headers", {}).get("X-Todo-Reminder") == rid for b in sink.requests)

        run_check()
        deferred = "SELECT 1 FROM reminders WHERE id = %s AND state = 'claimed' AND last_error LIKE %s"
        real_dapr.rows_eventually(deferred, (rid, "%503%"), timeout_s=60)
        time.sleep(3)  # what a retry through Kafka would have sent meanwhile
        assert attempts() == 1
        assert real_dapr.rows("SELECT topic FROM dead_letters WHERE event->'data'->>'reminder_id' = %s", (rid,)) == []

        outage[0] = False
        passed = "UPDATE reminders SET retry_at = now() WHERE id = %s RETURNING id"  # as if the back-off had passed
        real_dapr.rows(passed, (rid,))
        run_check()
        real_dapr.rows_eventually("SELECT 1 FROM reminders WHERE id = %s AND state = 'sent'", (rid,), timeout_s=60)
        eventually(lambda: sink.accepted()[rid] == 1, timeout_s=10, what="the mail accepted")
        time.sleep(2)
        assert (attempts(), sink.accepted()[rid]) == (2, 1)
