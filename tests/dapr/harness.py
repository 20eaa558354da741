"""A real runtime for tests: Kafka, PostgreSQL and any functions with any replica count, each beside its daprd.

Scenario helpers live here so that later tests (reminders with two reminder-check replicas, recurrence,
cache and rate limits, dead-letter recording) need only a few lines each.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import urllib3

from bindings import auth
from bindings.devstack import kafka, procs
from bindings.devstack.plan import dynamic_plan
from bindings.devstack.stack import Stack
from bindings.embedded.secrets import FileSecrets
from bindings.manifests.port_plan import Pair
from bindings.sidecar import CE_JSON, Sidecar
from bindings.triggers import PUBSUB
from functions.settings import Settings

T = TypeVar("T")
EXTRA_REPLICA = 90  # extra_pair's replica number: its logs and pidfiles are named <function>-90
# daprd's text log lines that mean something is wrong, whatever the component.
_BAD_LINE = re.compile(r"level=(error|fatal)|has not subscribed|app channel is not initialized|no subscriptions", re.I)


class RealDapr:
    def __init__(self, stack: Stack, database_url: str) -> None:
        self.stack = stack
        self.database_url = database_url
        self.tokens = stack.tokens()
        self._running: dict[str, list[Pair]] = {}
        self._env: dict[str, dict[str, str]] = {}
        self.not_ready: dict[str, str] = {}  # pair name -> the reason its /healthz gave
        self._log_read_from: dict[str, int] = {}  # pair name -> offset in its daprd log where log_problems starts

    def pairs(
        self, function: str, replicas: int = 1, env: dict[str, str] | None = None, *, ready: bool = True
    ) -> list[Pair]:
        """Start `function` with `replicas` app + daprd pairs, once per session.

        A different count restarts it, and so does an `env` (for the apps) other than the running one's;
        `env=None` takes the pairs as they run, `env={}` asks for the defaults. An app that reports itself
        not ready fails the call unless `ready=False`; its reason is in `not_ready`.
        """
        running = self._running.get(function)
        same_env = env is None or env == self._env.get(function, {})
        if running and len(running) == replicas and same_env:
            return running
        if running:
            self.stack.stop(p.name for p in running)
        pairs = dynamic_plan({function: replicas}, procs.free_port)
        for p in pairs:
            self.not_ready.pop(p.name, None)
        self.not_ready.update(self.stack.start(pairs, env))
        self._running[function] = pairs
        self._env[function] = dict(env or {})
        if ready and (unready := {p.name: self.not_ready[p.name] for p in pairs if p.name in self.not_ready}):
            raise AssertionError(f"started but not ready: {unready}")
        return pairs

    @contextmanager
    def configured(
        self,
        function: str,
        replicas: int = 1,
        env: dict[str, str] | None = None,
        secrets: dict[str, dict[str, str]] | None = None,
        *,
        ready: bool = True,
    ) -> Iterator[list[Pair]]:
        """`function` restarted with `env` for its apps and `secrets` added to the local-file store.

        daprd reads the secrets file when it starts, so only these sidecars see the secrets. Afterwards the
        file is restored first, then the function as it ran before (or stopped, if it did not run).
        """
        before, before_env = self._running.get(function), self._env.get(function, {})
        path = self.stack.data_dir / "secrets.json"
        original = path.read_text()
        if secrets:
            _replace_private(path, json.dumps({**json.loads(original), **secrets}, indent=2))
        try:
            yield self._restart(function, replicas, env or {}, ready=ready)
        finally:
            _replace_private(path, original)
            if before:
                self._restart(function, len(before), before_env)
            else:
                self.stack.stop(p.name for p in self._running.pop(function, []))

    @contextmanager
    def extra_pair(self, function: str, env: dict[str, str] | None = None) -> Iterator[Pair]:
        """One more app + daprd of `function`, outside the session's pairs and stopped afterwards: for a test that
        leaves its sidecar in a state others must not meet (an open circuit breaker), under a name of its own so
        that `log_problems()` does not read what it provoked. Not for a topic function: it would join the
        function's consumer group and take partitions from the session's pair."""
        (pair,) = dynamic_plan({function: 1}, procs.free_port)
        pair = dataclasses.replace(pair, replica=EXTRA_REPLICA)
        not_ready = self.stack.start([pair], env)
        try:
            assert not not_ready, f"started but not ready: {not_ready}"
            yield pair
        finally:
            self.stack.stop([pair.name])

    def _restart(self, function: str, replicas: int, env: dict[str, str], *, ready: bool = True) -> list[Pair]:
        running = self._running.pop(function, [])
        if running:
            self.stack.stop(p.name for p in running)
        return self.pairs(function, replicas, env, ready=ready)

    def api(self, method: str, path: str, body: Any = None, user: str | None = "alice", **claims: Any):
        """todo-api through its own daprd, as a user: api("POST", "api/tasks/<id>/complete")."""
        return self.invoke("todo-api", "todo-api", method, path, body, user=user, **claims)

    def rows_eventually(self, sql: str, params: tuple[Any, ...] = (), count: int = 1, timeout_s: float = 30.0):
        """Poll until the query returns at least `count` rows (e.g. a consumer's write after a publish)."""
        return eventually(lambda: (r := self.rows(sql, params)) and len(r) >= count and r, timeout_s, sql)

    def sidecar(self, function: str) -> Sidecar:
        """The first replica's daprd HTTP API, authenticated with the DAPR_API_TOKEN."""
        return self.sidecar_of(self.pairs(function)[0])

    def sidecar_of(self, pair: Pair) -> Sidecar:
        return Sidecar(pair.http_url, self.tokens["DAPR_API_TOKEN"], timeout=15.0)

    def bearer(self, user: str = "alice", **claims: Any) -> str:
        """A user token signed with the key in the local-file secret store that daprd serves."""
        settings = Settings(data_dir=self.stack.data_dir)
        key = auth.signing_key(FileSecrets(self.stack.data_dir / "secrets.json"))
        return "Bearer " + auth.issue(key, settings, user, **claims)

    def invoke(
        self, via: str, app_id: str, method: str, path: str, body: Any = None, user: str | None = "alice", **claims: Any
    ):
        """Service invocation through `via`'s daprd: POST /v1.0/invoke/<app_id>/method/<path>."""
        headers = {"Authorization": self.bearer(user, **claims)} if user else {}
        return self.sidecar(via).call(method, f"/v1.0/invoke/{app_id}/method/{path.lstrip('/')}", body, headers=headers)

    def publish(self, via: str, topic: str, event: dict[str, Any]) -> int:
        """Publish a CloudEvent verbatim through `via`'s daprd; returns the HTTP status."""
        path = f"/v1.0/publish/{PUBSUB}/{topic}"
        return self.sidecar(via).call("POST", path, event, content_type=CE_JSON).status

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def kafka_messages(self, topic: str, count: int, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """Read `count` messages of `topic` from the beginning with Kafka's console consumer (value as JSON)."""
        cmd = kafka.java_cmd(
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
            "--bootstrap-server",
            self.stack.bootstrap,
            "--topic",
            topic,
            "--from-beginning",
            "--max-messages",
            str(count),
            "--timeout-ms",
            str(int(timeout_s * 1000)),
            "--group",
            f"test-reader-{uuid.uuid4().hex[:8]}",
        )
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s + 60).stdout
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    def log_problems(self, pairs: list[Pair] | None = None) -> dict[str, list[str]]:
        """Error lines in the daprd logs of `pairs` (default: every pair started in this session)."""
        chosen = pairs or [p for ps in self._running.values() for p in ps]
        found: dict[str, list[str]] = {}
        for p in chosen:
            with self.stack.daprd_log(p).open("rb") as log:
                log.seek(self._log_read_from.get(p.name, 0))
                text = log.read().decode(errors="replace")
            bad = [line for line in text.splitlines() if _BAD_LINE.search(line)]
            if bad:
                found[p.name] = bad
        return found

    def forget_logs_so_far(self) -> None:
        """After a test broke the infrastructure on purpose (the broker, the database): the errors every running
        daprd logged meanwhile were the point, so `log_problems()` reads only what they log from now on."""
        for ps in self._running.values():
            for p in ps:
                log = self.stack.daprd_log(p)
                self._log_read_from[p.name] = log.stat().st_size if log.exists() else 0

    def app_log(self, pair: Pair) -> list[dict[str, Any]]:
        """The JSON lines an app has logged so far."""
        lines = self.stack.app_log(pair).read_text(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def app_call(self, function: str, method: str, path: str, headers: dict[str, str] | None = None):
        """Straight to the app's port, bypassing daprd (to check what the app itself accepts)."""
        url = f"http://127.0.0.1:{self.pairs(function)[0].app_port}{path}"
        return urllib3.request(method, url, headers=headers or {}, timeout=10.0, retries=False)


def _replace_private(path: Path, text: str) -> None:
    """Rewrite a 0600 file atomically (the secrets file daprd's local-file store reads)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    tmp.replace(path)


def eventually(probe: Callable[[], T | None], timeout_s: float = 30.0, what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy; bounded, with a message naming what never happened."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s:.0f}s")
        time.sleep(0.3)
