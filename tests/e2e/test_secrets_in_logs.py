"""A whole embedded run at DEBUG, every function exercised: no secret value appears in its logs."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest

from tests.e2e.test_embedded_runtime import Embedded, _call, _wait_for

pytestmark = pytest.mark.e2e


def test_a_full_debug_run_logs_no_secret(tmp_path: Path):
    os.chmod(tmp_path, 0o755)
    run = Embedded(tmp_path / "data")
    run.env["LOG_LEVEL"] = "DEBUG"
    alice = run.cli("token", "alice", "--email", "alice@example.com")  # creates secrets.json
    path = run.data_dir / "secrets.json"
    stored = json.loads(path.read_text())
    stored["sendgrid-secret"] = {
        "api-key": "SG." + secrets.token_urlsafe(32),
        "from-email": f"reminders-{secrets.token_hex(6)}@example.com",
    }
    path.write_text(json.dumps(stored))
    run.start()
    try:
        status, task = _call(run.base, "POST", "/api/tasks", alice, {"title": "Secret-free logs"})
        assert status == 201
        for _ in range(2):  # a cache miss, then a hit
            assert _call(run.base, "GET", f"/api/tasks/{task['id']}", alice)[0] == 200
        assert _call(run.base, "PATCH", f"/api/tasks/{task['id']}", alice, {"title": "Renamed"})[0] == 200
        assert _call(run.base, "POST", f"/api/tasks/{task['id']}/complete", alice)[0] == 200
        forged = alice.rsplit(".", 1)[0] + ".AAAA"
        assert _call(run.base, "GET", "/api/tasks", forged)[0] == 401
        status, created = _call(run.base, "POST", "/api/conversations", alice)
        assert status == 201
        cid = created["conversation_id"]
        body = {"role": "user", "content": "hello"}
        assert _call(run.base, "POST", f"/api/conversations/{cid}/messages", alice, body)[0] == 201
        assert _call(run.base, "GET", f"/v1.0/invoke/conversations/method/api/conversations/{cid}", alice)[0] == 200
        _wait_for(lambda: len(_call(run.base, "GET", f"/api/audit?task_id={task['id']}", alice)[1]["items"]) >= 3)
        assert json.loads(run.cli("invoke", "outbox-relay"))["failed"] == 0
    finally:
        run.stop()
    logs = "".join(p.read_text(errors="replace") for p in tmp_path.glob("run-*.log"))
    assert '"level": "debug"' in logs, "the run did not log at DEBUG; the check would prove nothing"
    values = {
        "jwt signing key": stored["jwt-secret"]["signing-key"],
        "sendgrid api key": stored["sendgrid-secret"]["api-key"],
        "sendgrid from address": stored["sendgrid-secret"]["from-email"],
        "a bearer token": alice,
        "a bearer token's signature": alice.rsplit(".", 1)[1],
    }
    leaked = [name for name, value in values.items() if value in logs]
    assert not leaked, f"secret values in the logs: {leaked}"
