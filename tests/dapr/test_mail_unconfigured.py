"""send-reminder under gunicorn beside daprd with no SendGrid key: not ready, says why, retries, writes no file."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import urllib3

from tests.dapr.harness import RealDapr

pytestmark = pytest.mark.dapr


def test_without_a_sendgrid_key_send_reminder_is_not_ready_and_never_writes_a_file(real_dapr: RealDapr):
    user = f"nokey-{uuid.uuid4().hex[:8]}"
    due = datetime.now(UTC) + timedelta(days=2)
    body = {"title": "No key", "due_at": due.isoformat(), "reminders": [{"at": (due - timedelta(days=1)).isoformat()}]}
    resp = real_dapr.api("POST", "api/tasks", body, user=user, email=f"{user}@example.com")
    assert resp.status == 201, resp.data
    [(reminder_id,)] = real_dapr.rows(
        "SELECT r.id::text FROM reminders r WHERE r.task_id = %s", (json.loads(resp.data)["id"],)
    )

    # The defaults, as a pod gets them: MAIL_SINK=sendgrid, and no sendgrid-secret in the store.
    with real_dapr.configured("send-reminder", env={}, ready=False) as (pair,):
        reason = real_dapr.not_ready[pair.name]
        assert "no SendGrid key" in reason and "sendgrid-secret" in reason, reason

        # What daprd would send it (an ad hoc notify, with the app token): answered 503, the reason named.
        app = f"http://127.0.0.1:{pair.app_port}"
        headers = {"dapr-api-token": real_dapr.tokens["APP_API_TOKEN"], "Content-Type": "application/json"}
        notify = urllib3.request(
            "POST", f"{app}/api/notify", body=json.dumps({"reminder_id": reminder_id}), headers=headers, timeout=15
        )
        assert notify.status == 503 and "sendgrid-secret" in notify.data.decode(), notify.data

        logged = [line for line in real_dapr.app_log(pair) if line.get("message") == "reminder mail not sent"]
        assert logged and logged[0]["level"] == "error" and logged[0]["reminder_id"] == reminder_id
        metrics = urllib3.request("GET", f"{app}/metrics", headers=headers, timeout=5).data.decode()
        assert 'todo_mail_total{function="send-reminder",result="unconfigured"} 1.0' in metrics

        assert real_dapr.rows("SELECT state FROM reminders WHERE id = %s", (reminder_id,)) == [("pending",)]
        assert not list(real_dapr.stack.data_dir.rglob("*.eml")), "no mail file, anywhere in the data dir"
