"""`python -m bindings run` as a user starts it: a subprocess driven over HTTP, killed and restarted."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(base: str, method: str, path: str, token: str | None = None, body: dict | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


class Embedded:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "bindings", *args, "--data-dir", str(self.data_dir)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return out.stdout.strip()

    def start(self) -> None:
        log = open(self.data_dir.parent / f"run-{self.port}.log", "ab")  # noqa: SIM115 - lives with the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bindings", "run", "--port", str(self.port), "--data-dir", str(self.data_dir)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "the runtime exited during start-up"
            try:
                if _call(self.base, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("the runtime did not become healthy within 60 s")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        subprocess.run(
            [sys.executable, "-m", "bindings", "stop", "--data-dir", str(self.data_dir)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            timeout=60,
        )


@pytest.fixture
def embedded(tmp_path: Path):
    os.chmod(tmp_path, 0o755)  # the embedded server runs as an unprivileged user when we are root
    runtime = Embedded(tmp_path / "data")
    runtime.start()
    yield runtime
    runtime.stop()


def _wait_for(predicate, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"not true within {seconds} s")


def test_create_read_isolation_and_crash_restart(embedded: Embedded):
    alice = embedded.cli("token", "alice", "--email", "alice@example.com", "--timezone", "Europe/Berlin")
    bob = embedded.cli("token", "bob")

    status, task = _call(
        embedded.base,
        "POST",
        "/api/tasks",
        alice,
        {"title": "Water plants", "due_at": "2026-12-01T09:00:00+01:00", "tags": ["Home"]},
    )
    assert status == 201 and task["timezone"] == "Europe/Berlin" and task["tags"] == ["home"]
    assert _call(embedded.base, "GET", f"/api/tasks/{task['id']}", alice) == (200, task)
    assert _call(embedded.base, "GET", f"/api/tasks/{task['id']}", bob)[0] == 404
    # The same function through the Dapr-style invoke path.
    assert _call(embedded.base, "GET", f"/v1.0/invoke/todo-api/method/api/tasks/{task['id']}", alice)[0] == 200

    # Crash right after a 201: whatever the fast path had done, the event must still arrive.
    status, crashed = _call(embedded.base, "POST", "/api/tasks", alice, {"title": "Survive a crash"})
    assert status == 201
    embedded.kill()
    embedded.start()

    def audited():
        status, page = _call(embedded.base, "GET", f"/api/audit?task_id={crashed['id']}", alice)
        return status == 200 and [e for e in page["items"] if e["action"] == "task.created"]

    [record] = _wait_for(audited)
    assert record["after"]["title"] == "Survive a crash"


def test_list_and_invoke_commands(embedded: Embedded):
    listing = embedded.cli("list")
    for name in ("todo-api", "audit-writer", "outbox-relay"):
        assert name in listing
    # Ad hoc run while `run` is running, against the same database.
    result = json.loads(embedded.cli("invoke", "outbox-relay"))
    assert set(result) == {"published", "failed", "batches"}


def test_reminders_mail_once_even_with_three_concurrent_checks(embedded: Embedded):
    """As the user checks it: one .eml per due reminder, none for a completed task, whatever runs at once."""
    token = embedded.cli("token", "dora", "--email", "dora@example.org")
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 60))
    due = {"title": "Stretch", "due_at": soon, "reminders": [{"before": "PT2M"}]}  # remind_at is past: due now
    status, task = _call(embedded.base, "POST", "/api/tasks", token, due)
    assert status == 201
    status, done = _call(embedded.base, "POST", "/api/tasks", token, {**due, "title": "Already done"})
    assert _call(embedded.base, "POST", f"/api/tasks/{done['id']}/complete", token)[0] == 200

    checks = [
        subprocess.Popen(
            [sys.executable, "-m", "bindings", "invoke", "reminder-check", "--data-dir", str(embedded.data_dir)],
            cwd=ROOT,
            env=embedded.env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    claimed = [json.loads(p.communicate(timeout=60)[0])["claimed"] for p in checks]
    mail_dir = embedded.data_dir / "mail"
    # The minute's tick may have claimed it first; either way it is claimed exactly once.
    assert sum(claimed) <= 1
    mails = _wait_for(lambda: list(mail_dir.glob("*.eml")), seconds=90)
    time.sleep(2)  # a duplicate, if there were one, would arrive in this time
    assert [m.name for m in mail_dir.glob("*.eml")] == [f"{task['reminders'][0]['id']}.eml"]
    assert "Subject: Reminder: Stretch" in mails[0].read_text()
