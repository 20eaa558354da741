"""Operators cannot take the database away from a running runtime: a second `run`, `stop`, `invoke` and
`dead-letters` on a live data dir leave its PostgreSQL alone; the last user stops it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bindings.embedded import postgres
from tests.e2e.test_embedded_runtime import ROOT, Embedded, _call, _free_port

pytestmark = pytest.mark.e2e


def _cli(run: Embedded, *args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bindings", *args, "--data-dir", str(data_dir or run.data_dir)],
        cwd=ROOT,
        env=run.env,
        capture_output=True,
        text=True,
        timeout=90,
    )


def _still_serving(run: Embedded, token: str) -> None:
    assert _call(run.base, "GET", "/healthz") == (200, {"status": "ok"})
    status, _ = _call(run.base, "POST", "/api/tasks", token, {"title": "still here"})
    assert status == 201


@pytest.fixture
def live(tmp_path: Path):
    os.chmod(tmp_path, 0o755)  # the embedded server runs as an unprivileged user when we are root
    run = Embedded(tmp_path / "data")
    run.start()
    yield run
    run.stop()


def test_a_second_run_stop_invoke_and_dead_letters_leave_a_live_runtime_alone(live: Embedded, tmp_path: Path):
    token = live.cli("token", "alice")
    second = _cli(live, "run", "--port", str(_free_port()))
    assert second.returncode == 1
    assert "in use by `python -m bindings run`" in second.stderr and f"pid {live.proc.pid}" in second.stderr
    _still_serving(live, token)

    stop = _cli(live, "stop")
    assert stop.returncode == 1 and "not stopped" in stop.stderr and str(live.proc.pid) in stop.stderr
    _still_serving(live, token)

    assert _cli(live, "invoke", "reminder-check").returncode == 0
    assert _cli(live, "dead-letters", "list").returncode == 0
    _still_serving(live, token)
    # And over real HTTP (waitress collapses a leading "//" in PATH_INFO): a 404 problem all the same.
    assert _call(live.base, "GET", "//api/tasks", token)[0] == 404

    # Another data dir on the taken port: refused before it starts (or creates) anything.
    elsewhere = tmp_path / "other"
    taken = _cli(live, "run", "--port", str(live.port), data_dir=elsewhere)
    assert taken.returncode == 1 and f"cannot listen on 127.0.0.1:{live.port}" in taken.stderr
    assert not (elsewhere / "pg").exists()


def test_the_last_user_stops_postgresql_and_not_before(live: Embedded, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = postgres.database_url(live.data_dir)  # this test process becomes a user, as `invoke` would
    live.proc.terminate()
    assert live.proc.wait(timeout=30) == 0
    assert postgres.running(live.data_dir)  # the run left it to us
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert postgres.release(live.data_dir)  # we were the last: stopped
    assert not postgres.running(live.data_dir)
    assert _cli(live, "stop").stdout.strip() == "not running"


def test_a_run_that_ends_stops_its_postgresql_and_stop_force_stops_a_live_one(live: Embedded):
    assert _cli(live, "stop", "--force").stdout.strip() == "stopped"
    assert not postgres.running(live.data_dir)
    live.proc.terminate()
    live.proc.wait(timeout=30)
    live.start()  # a restart on the same data dir starts it again
    assert postgres.running(live.data_dir)
    live.proc.terminate()
    assert live.proc.wait(timeout=30) == 0
    assert not postgres.running(live.data_dir)
