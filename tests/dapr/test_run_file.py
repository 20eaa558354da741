"""`dapr run -f .`: the project's own dapr.yaml with the provisioned Dapr CLI and our daprd.

docs/operations.md's two blocks (`dapr-run-file`, `dapr-stop-file`) run as written, in a copy of the checkout
inside a private network namespace, so dapr.yaml's fixed ports are the run's alone. Every wait is
bounded and the run is killed in the end whatever happened: `dapr run -f` can hang when a daprd dies
at start (the cluster recipe saw it ignore SIGTERM once), and a hang must fail the test, not CI.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import warnings
from pathlib import Path

import pytest
import yaml

from bindings.devstack import dapr_cli
from bindings.devstack.procs import alive
from tests.dapr.conftest import require
from tests.dapr.harness import eventually
from tests.dapr.isolated import PYTHON, Isolated, isolated_checkout
from tests.support import doc_commands
from tests.support.processes import processes

pytestmark = pytest.mark.dapr
UP_TIMEOUT_S = 300.0  # ten apps and daprds on two shared cores, after Kafka and PostgreSQL
STOP_TIMEOUT_S = 60.0


def _apps(root: Path) -> list[dict]:
    return yaml.safe_load((root / "dapr.yaml").read_text())["apps"]


def _healthy(iso: Isolated, app: dict) -> bool:
    url = f"http://127.0.0.1:{app['daprHTTPPort']}/v1.0/invoke/{app['appID']}/method/healthz"
    return iso.ns.http("GET", url).status == 200


def _log_tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _session(sid: int) -> list[str]:
    """The live processes of session `sid`, each with its parent, thread count and command line."""
    found = []
    for p in processes():
        if p.sid != sid or p.state == "Z":
            continue
        try:
            cmdline = (p.proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            threads = len(list((p.proc / "task").iterdir()))
        except OSError:  # it exited meanwhile
            continue
        found.append(f"{p.pid} (parent {p.ppid}, {threads} threads): {cmdline.strip()[:110]}")
    return found


def _kill_session(proc: subprocess.Popen[bytes]) -> None:
    """Whatever is left of the run, even after its first process exited (orphans keep its group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait(timeout=30)


def test_dapr_run_f_runs_every_app_and_dapr_stop_f_stops_them():
    if not dapr_cli.binary().is_file():
        require(f"the Dapr CLI is not provisioned ({dapr_cli.binary()}; run `make provision`)")
    start = doc_commands.block("dapr-run-file")
    stop = doc_commands.block("dapr-stop-file")
    with isolated_checkout("todo-run-file-") as iso:
        apps = _apps(iso.root)
        log = iso.root / "dapr-run.log"
        with log.open("wb") as out:
            run = iso.ns.popen(
                ["bash", "-euo", "pipefail", "-c", start],
                cwd=iso.root,
                env={**os.environ, "SENDGRID_API_KEY": "SG.run-file-test"},  # as the docs ask; no mail is sent
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the guard below kills all of it
            )
        try:
            deadline = time.monotonic() + UP_TIMEOUT_S
            pending = list(apps)
            while pending:
                assert run.poll() is None, f"dapr run -f exited {run.returncode}:\n{_log_tail(log)}"
                assert time.monotonic() < deadline, f"not healthy: {[a['appID'] for a in pending]}\n{_log_tail(log)}"
                pending = [a for a in pending if not _healthy(iso, a)]
                time.sleep(1.0)

            # The CLI finds the run's sidecars by process name and reads its run file from their metadata API.
            listed = json.loads(iso.run([PYTHON, "-m", "bindings", "dapr", "list", "-o", "json"], timeout=60).stdout)
            ours = [a for a in listed if a.get("runTemplatePath") == str(iso.root / "dapr.yaml")]
            assert sorted(a["appId"] for a in ours) == sorted(a["appID"] for a in apps), listed

            _a_task_reaches_the_audit_trail(iso, next(a for a in apps if a["appID"] == "todo-api"))

            stopped = iso.run(["bash", "-euo", "pipefail", "-c", stop], timeout=STOP_TIMEOUT_S + 60)
            assert stopped.returncode == 0, stopped.stdout + stopped.stderr
            run.wait(timeout=STOP_TIMEOUT_S)  # the hang guard: TimeoutExpired fails the test
            # What the CLI started and recorded, each app's process and each daprd, has exited.
            recorded = [pid for a in ours for pid in (a["daprdPid"], a["appPid"]) if pid]
            deadline = time.monotonic() + 30
            while any(alive(pid) for pid in recorded) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert [pid for pid in recorded if alive(pid)] == [], _session(run.pid)
            # Known, cause not found yet: in about one run in five a gunicorn worker, orphaned when its
            # master quits on the CLI's SIGINT, never runs its own signal handler and stays (all its threads
            # in futex waits; docs/development.md "Provisioning", gotchas). Said loudly here; the finally kills it.
            leftovers = _session(run.pid)
            if leftovers:
                warnings.warn(f"dapr stop -f . left orphaned processes: {leftovers}", stacklevel=1)
        finally:
            _kill_session(run)


def _a_task_reaches_the_audit_trail(iso: Isolated, todo_api: dict) -> None:
    """Created through todo-api's daprd (invoke); audit-writer stores its record from Kafka."""
    bearer = iso.run([PYTHON, "-m", "bindings", "token", "alice"], timeout=60).stdout.strip()
    base = f"http://127.0.0.1:{todo_api['daprHTTPPort']}/v1.0/invoke/todo-api/method"
    headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
    created = iso.ns.http("POST", f"{base}/api/tasks", headers=headers, body=json.dumps({"title": "dapr run -f"}))
    assert created.status == 201, created.data
    task_id = json.loads(created.data)["id"]

    def audited() -> list:
        resp = iso.ns.http("GET", f"{base}/api/audit?task_id={task_id}", headers=headers)
        return (
            [r for r in json.loads(resp.data)["items"] if r["action"] == "task.created"] if resp.status == 200 else []
        )

    eventually(audited, timeout_s=60, what="the task's audit record through dapr run -f")
