"""The system under test, as tests/dapr starts it: Kafka, PostgreSQL and every function of the table beside its
own daprd (two replicas of the cron and mail path), a SendGrid sink; and the levers the faults pull on it.

Every process is started through `Stack` (pidfiles in the run's data dir) and stopped at the end, also on
failure; what survives the stop is reported and killed by process group.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import urllib3

from bindings import auth
from bindings.devstack import procs
from bindings.devstack.cache import write_private
from bindings.devstack.plan import dynamic_plan
from bindings.devstack.stack import Stack
from bindings.embedded.secrets import FileSecrets
from bindings.manifests.port_plan import Pair
from bindings.table import FUNCTIONS
from functions.settings import Settings
from tests.support import postgres_restart, sendgrid_sink
from tests.support.processes import processes

# Two of the functions that must work once whatever the replica count: the cron claim and the mail path.
REPLICAS = {name: 1 for name in FUNCTIONS} | {"reminder-check": 2, "send-reminder": 2}
SENDGRID = {"api-key": "SG.chaos-key", "from-email": "todo@example.com"}  # the sink wants a Bearer key
KILL_WAIT_S = 10.0
RESTART_WITHIN_S = 180.0  # an orchestrator's back-off: a restart keeps trying this long


@dataclass
class System:
    stack: Stack
    database_url: str
    pairs: dict[str, Pair]  # by pair name: "todo-api", "send-reminder-1", ...
    env: dict[str, str]  # the apps' environment
    sink: sendgrid_sink.Sink
    paused: set[int] = field(default_factory=set)  # process groups stopped with SIGSTOP, resumed at the end

    # --- clients ----------------------------------------------------------------------------------------
    def pair(self, function: str, replica: int = 0) -> Pair:
        return self.pairs[function if replica == 0 else f"{function}-{replica}"]

    def bearer(self, user: str, email: str) -> str:
        key = auth.signing_key(FileSecrets(self.stack.data_dir / "secrets.json"))
        return "Bearer " + auth.issue(key, Settings(data_dir=self.stack.data_dir), user, email=email)

    def invoke_url(self, function: str, path: str) -> str:
        """Service invocation through the function's own daprd, as the ingress's sidecar would call it."""
        return f"{self.pair(function).http_url}/v1.0/invoke/{function}/method/{path.lstrip('/')}"

    @property
    def api_token(self) -> str:
        return self.stack.tokens()["DAPR_API_TOKEN"]

    def rows(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()

    # --- levers -----------------------------------------------------------------------------------------
    def pid(self, name: str) -> int:
        """The process group of `name` (kafka, <pair>.app, <pair>.daprd), from its pidfile."""
        return int((self.stack.pid_dir / f"{name}.pid").read_text().split()[0])

    def kill(self, name: str) -> None:
        """kill -9 the whole process group (a crashed container: no shutdown of any kind)."""
        pgid = self.pid(name)
        os.killpg(pgid, signal.SIGKILL)
        deadline = time.monotonic() + KILL_WAIT_S
        while procs.alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def kill_worker(self, pair: Pair) -> int:
        """kill -9 the gunicorn worker serving the pair's requests; its master starts a new one."""
        master = self.pid(f"{pair.name}.app")
        workers = children(master)
        if not workers:
            raise RuntimeError(f"{pair.name}: gunicorn master {master} has no worker to kill")
        os.kill(workers[0], signal.SIGKILL)
        return workers[0]

    def restart_app(self, pair: Pair) -> None:
        def once() -> None:
            reason = self.stack.wait_app(pair, self.stack.start_app(pair, self.env))
            if reason:
                raise RuntimeError(f"{pair.name} restarted but not ready: {reason}")

        _as_an_orchestrator(once)

    def restart_daprd(self, pair: Pair) -> None:
        def once() -> None:
            self.stack.wait_daprd(pair, self.stack.start_daprd(pair))
            reason = self.stack.wait_app(pair, self.pid(f"{pair.name}.app"))
            if reason:
                raise RuntimeError(f"{pair.name}: app not ready through its restarted daprd: {reason}")

        _as_an_orchestrator(once)

    def pause(self, name: str) -> None:
        pgid = self.pid(name)
        self.paused.add(pgid)
        os.killpg(pgid, signal.SIGSTOP)

    def resume(self, name: str) -> None:
        pgid = self.pid(name)
        os.killpg(pgid, signal.SIGCONT)
        self.paused.discard(pgid)

    def stop_postgres(self) -> None:
        postgres_restart.stop(self.stack.data_dir)

    def start_postgres(self) -> None:
        postgres_restart.start(self.stack.data_dir, self.database_url)

    def kill_kafka(self) -> None:
        self.kill("kafka")

    def start_kafka(self) -> None:
        self.stack.start_kafka()


def _as_an_orchestrator(start: Callable[[], None]) -> None:
    """Start again while the process exits at start, with a growing back-off, as Kubernetes does
    (CrashLoopBackOff): a daprd started while Kafka is down exits at once ("client has run out of available
    brokers"), and comes up once the broker is back."""
    deadline = time.monotonic() + RESTART_WITHIN_S
    pause = 1.0
    while True:
        try:
            return start()
        except procs.StartError as exc:
            if "the process exited" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 10.0)


def children(pid: int) -> list[int]:
    return sorted(p.pid for p in processes() if p.ppid == pid)


def _group_members(pgids: set[int]) -> list[int]:
    """Live processes in any of these process groups (a worker that outlived its master stays in its group)."""
    return [p.pid for p in processes() if p.state != "Z" and p.pgid in pgids]


@contextmanager
def running(keep_logs: bool = False, replicas: dict[str, int] | None = None) -> Iterator[System]:
    """The whole system in a fresh temp dir, stopped (and the dir removed unless `keep_logs`) afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="todo-chaos-"))
    folder.chmod(0o755)  # as root, the embedded PostgreSQL runs as its own user and must reach its data dir
    ports = {k: procs.free_port() for k in ("kafka_port", "controller_port", "zipkin_port")}
    stack = Stack(folder / "data", **ports)
    groups: set[int] = set()
    system: System | None = None
    try:
        with sendgrid_sink.running() as sink:
            url = stack.infra()
            secrets = stack.data_dir / "secrets.json"
            write_private(secrets, json.dumps({**json.loads(secrets.read_text()), "sendgrid-secret": SENDGRID}))
            env = {
                "SENDGRID_HOST": sink.url,
                # The workload's users stay far below the per-user limit; a 429 here would only blur the counts.
                "RATE_LIMIT_REQUESTS": "100000",
                # A mail refused for the moment is tried again at the next tick, not after the default back-off
                # (1 min doubling to 1 h): with 30 % of mails refused, a run would otherwise settle in hours.
                "REMINDER_RETRY_SECONDS": "1",
                "REMINDER_RETRY_MAX_SECONDS": "1",
            }
            pairs = dynamic_plan(replicas or REPLICAS, procs.free_port)
            system = System(stack, url, {p.name: p for p in pairs}, env, sink)
            not_ready = stack.start(pairs, env)
            if not_ready:
                raise RuntimeError(f"started but not ready: {not_ready}")
            yield system
    finally:
        if system is not None:
            for pgid in list(system.paused):
                _signal(pgid, signal.SIGCONT)
        groups = (
            {int(f.read_text().split()[0]) for f in stack.pid_dir.glob("*.pid")} if stack.pid_dir.exists() else set()
        )
        stack.down()
        survivors = _group_members(groups)
        for pid in survivors:
            _signal(pid, signal.SIGKILL, group=False)
        if survivors:
            print(f"chaos: {len(survivors)} processes outlived the stop and were killed: {survivors}", file=sys.stderr)
        if keep_logs:
            print(f"chaos: logs kept in {stack.log_dir}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _signal(pid: int, sig: signal.Signals, group: bool = True) -> None:
    with suppress(ProcessLookupError, PermissionError):
        (os.killpg if group else os.kill)(pid, sig)


def healthz(pair: Pair) -> int | None:
    try:
        return urllib3.request("GET", f"http://127.0.0.1:{pair.app_port}/healthz", timeout=2.0, retries=False).status
    except urllib3.exceptions.HTTPError:
        return None
