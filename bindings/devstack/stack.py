"""Kafka + PostgreSQL + app/daprd pairs on one machine, every listener on 127.0.0.1, every process pidfiled."""

from __future__ import annotations

import json
import os
import re
import secrets as random
import shutil
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import urllib3
import yaml

from bindings.devstack import daprd, kafka, procs
from bindings.devstack.cache import write_private as _write_private
from bindings.manifests import ROOT
from bindings.manifests.dapr_cluster import secret_scope, set_metadata
from bindings.manifests.dapr_variants import LOCAL_SECRET_STORE, component_files, load
from bindings.manifests.port_plan import Pair
from bindings.procfile import gunicorn_argv
from bindings.table import FUNCTIONS
from bindings.triggers import Serving

KAFKA_PORT = 9092
CONTROLLER_PORT = 9093
ZIPKIN_PORT = 9411  # dapr/config.yaml's tracing endpoint
START_TIMEOUT_S = 90.0  # per stage; daprd waits for Kafka metadata and the app before it reports healthy


class Stack:
    """One data dir's runtime: `infra()` starts Kafka and PostgreSQL, `start(pairs)` the functions, `down()` all."""

    def __init__(
        self,
        data_dir: Path,
        kafka_port: int = KAFKA_PORT,
        controller_port: int = CONTROLLER_PORT,
        zipkin_port: int = ZIPKIN_PORT,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.zipkin_port = zipkin_port
        self.run_dir = self.data_dir / "run"
        self.pid_dir = self.run_dir / "pids"
        self.log_dir = self.run_dir / "logs"
        self.kafka_port = kafka_port
        self.controller_port = controller_port
        self._probes_before: dict[str, float] = {}  # pair name -> daprd's healthy probes before its app started

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    def tokens(self) -> dict[str, str]:
        """The app token (daprd -> app) and API token (app -> daprd), made once per data dir, mode 0600."""
        path = self.run_dir / "tokens.json"
        if not path.exists():
            self.run_dir.mkdir(parents=True, exist_ok=True)
            body = json.dumps({"APP_API_TOKEN": random.token_urlsafe(24), "DAPR_API_TOKEN": random.token_urlsafe(24)})
            _write_private(path, body)
            tokens = json.loads(body)
            # The same, for a shell: `source .data/run/tokens.env` before curl or `dapr run -f .`.
            _write_private(self.run_dir / "tokens.env", "".join(f"export {k}={v}\n" for k, v in tokens.items()))
        return json.loads(path.read_text())

    # --- infrastructure -------------------------------------------------------------------------------------
    def infra(self, extra_topics: dict[str, int] | None = None) -> str:
        """Start (or join) PostgreSQL and Kafka, write the secrets file and the resources; return the database URL."""
        from bindings.embedded import postgres

        url = postgres.database_url(self.data_dir)
        self._write_secrets(url)
        self.start_kafka(extra_topics)
        self._start_zipkin_sink()
        self._render_resources()
        return url

    def spans_file(self) -> Path:
        return self.run_dir / "spans.jsonl"

    def _start_zipkin_sink(self) -> None:
        """Receive daprd's spans (run/spans.jsonl) so tracing is exercised and daprd logs no export failures."""
        if procs.port_open(self.zipkin_port):
            return
        cmd = [sys.executable, "-m", "bindings.devstack.zipkin_sink", str(self.zipkin_port), str(self.spans_file())]
        log = self.log_dir / "zipkin.log"
        pid = procs.spawn(cmd, name="zipkin", pid_dir=self.pid_dir, log=log, env=dict(os.environ), cwd=ROOT)
        procs.wait_for(
            f"Zipkin sink on :{self.zipkin_port}",
            lambda: procs.port_open(self.zipkin_port),
            timeout=15,
            pid=pid,
            log=log,
        )

    def _write_secrets(self, database_url: str) -> None:
        from bindings.embedded.secrets import ensure_file

        path = ensure_file(self.data_dir)  # keeps the JWT key that `python -m bindings token` signs with
        content = json.loads(path.read_text())
        content["database-secret"] = {"url": database_url}
        if os.environ.get("SENDGRID_API_KEY"):
            content["sendgrid-secret"] = {"api-key": os.environ["SENDGRID_API_KEY"]}
        tmp = path.with_name(path.name + ".tmp")
        _write_private(tmp, json.dumps(content, indent=2))
        tmp.replace(path)

    def start_kafka(self, extra_topics: dict[str, int] | None = None) -> None:
        """Start the broker unless it runs (also to restart it on its formatted log dir), then the topics."""
        log = self.log_dir / "kafka.log"
        if not procs.port_open(self.kafka_port):
            props = kafka.format_storage(self.data_dir / "kafka", self.kafka_port, self.controller_port)
            cmd = kafka.java_cmd("kafka.Kafka", str(props), heap=kafka.HEAP)
            pid = procs.spawn(cmd, name="kafka", pid_dir=self.pid_dir, log=log, env=dict(os.environ), cwd=self.data_dir)
            procs.wait_for(
                f"Kafka on {self.bootstrap}",
                lambda: procs.port_open(self.kafka_port),
                timeout=START_TIMEOUT_S,
                pid=pid,
                log=log,
            )
        kafka.create_topics(self.bootstrap, kafka.all_topics(extra_topics))

    def resources_dir(self) -> Path:
        return self.run_dir / "resources"

    def config_file(self, function: str) -> Path:
        """The function's own Configuration: dapr/config.yaml with its secret scopes, as in the cluster."""
        return self.run_dir / "config" / f"{function}.yaml"

    def _render_resources(self) -> None:
        """The committed components with this data dir's paths and ports; everything else verbatim."""
        out = self.resources_dir()
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        for name, comp in component_files(ROOT).items():
            kind = comp["spec"]["type"]
            if kind == "pubsub.kafka":
                set_metadata(comp, "brokers", self.bootstrap)
            elif kind == "secretstores.local.file":
                set_metadata(comp, "secretsFile", str(self.data_dir / "secrets.json"))
            (out / name).write_text(yaml.safe_dump(comp, sort_keys=False))
        shutil.copy(ROOT / "dapr" / "resiliency.yaml", out / "resiliency.yaml")
        config = load(ROOT / "dapr" / "config.yaml")
        resolution = config["spec"].get("nameResolution", {}).get("configuration")
        if resolution is not None:
            resolution["connectionString"] = str(self.data_dir / "nameresolution.db")
        config["spec"]["tracing"]["zipkin"]["endpointAddress"] = f"http://127.0.0.1:{self.zipkin_port}/api/v2/spans"
        shutil.rmtree(self.run_dir / "config", ignore_errors=True)
        for fn in FUNCTIONS.values():
            # Each sidecar may read exactly its function's declared secrets, as the cluster's scopes allow.
            config["spec"]["secrets"] = {"scopes": [secret_scope(LOCAL_SECRET_STORE, fn)]}
            path = self.config_file(fn.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump(config, sort_keys=False))

    # --- functions -------------------------------------------------------------------------------------------
    def start(self, pairs: Iterable[Pair], env: dict[str, str] | None = None) -> dict[str, str]:
        """Start every pair's daprd, then its app once the sidecar's components are up; wait until all are healthy.

        An app that serves but says it is not ready for a reason waiting cannot fix (send-reminder without a
        SendGrid key) is not waited for: it is returned, pair name -> reason, for the caller to report.
        """
        pairs = list(pairs)
        # Made here even without pairs: `dapr-up --infra-only` prints where they are, and the guide sources
        # tokens.env before `dapr run -f .` (test_run_file.py).
        self.tokens()
        started = [(p, self.start_daprd(p)) for p in pairs]
        for p, pid in started:
            self.wait_daprd(p, pid)
        apps = [(p, self.start_app(p, env or {})) for p in pairs]
        not_ready: dict[str, str] = {}
        for p, pid in apps:
            reason = self.wait_app(p, pid)
            if reason:
                not_ready[p.name] = reason
        return not_ready

    def start_daprd(self, p: Pair) -> int:
        """Spawn the pair's daprd (also to restart it, as an orchestrator would); returns its pid."""
        return procs.spawn(
            self.daprd_cmd(daprd.ensure(), p),
            name=f"{p.name}.daprd",
            pid_dir=self.pid_dir,
            log=self.daprd_log(p),
            env={**os.environ, **self.tokens(), **daprd.HOST_ENV},
            cwd=ROOT,
        )

    def wait_daprd(self, p: Pair, pid: int) -> None:
        procs.wait_for(
            f"daprd of {p.name} (components ready on :{p.http_port})",
            lambda: procs.http_status(f"{p.http_url}/v1.0/healthz/outbound") == 204,
            timeout=START_TIMEOUT_S,
            pid=pid,
            log=self.daprd_log(p),
        )

    def start_app(self, p: Pair, extra: dict[str, str]) -> int:
        """Spawn the pair's app under gunicorn (also to restart it beside a running daprd); returns its pid."""
        # What daprd's health probe has seen so far: wait_app waits for a healthy probe of THIS app.
        self._probes_before[p.name] = _healthy_probes(p) or 0.0
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # the URL comes from the secret store
        env.update(self.tokens())
        env.update(
            {
                "APP_HOST": "127.0.0.1",
                "APP_PORT": str(p.app_port),
                "DAPR_HTTP_PORT": str(p.http_port),
                "DAPR_GRPC_PORT": str(p.grpc_port),
                "TODO_DATA_DIR": str(self.data_dir),
            }
        )
        env.update(extra)
        # Not the table's serving: up to ten functions share one machine here, so each gets one light worker.
        cmd = gunicorn_argv(p.function, (sys.executable, "-m", "gunicorn"), Serving(workers=1, threads=4))
        return procs.spawn(cmd, name=f"{p.name}.app", pid_dir=self.pid_dir, log=self.app_log(p), env=env, cwd=ROOT)

    def wait_app(self, p: Pair, pid: int) -> str | None:
        """Wait until daprd forwards calls to the app; None then, or the reason an app gives for not being ready
        that waiting cannot fix (it is not waited for)."""
        procs.wait_for(
            f"{p.name}: app answering /healthz on :{p.app_port}",
            lambda: _readiness(p) is not None,
            timeout=START_TIMEOUT_S,
            pid=pid,
            log=self.app_log(p),
        )
        reason = _readiness(p)
        if reason and reason != DATABASE_DOWN:
            return reason
        # Not through daprd yet: until its health probe (every 5 s) has seen the app healthy, daprd answers an
        # invocation with a 500, which its retries repeat and the app's circuit breaker counts. Six in a row
        # opened it for 30 s, and the start (or a restart under load) then ran past START_TIMEOUT_S.
        baseline = self._probes_before.pop(p.name, 0.0)
        procs.wait_for(
            f"{p.name}: daprd's health probe of the app on :{p.app_port} passing",
            lambda: _probed_healthy(p, baseline),
            timeout=START_TIMEOUT_S,
            pid=pid,
            log=self.app_log(p),
        )
        auth = {"dapr-api-token": self.tokens()["DAPR_API_TOKEN"]}
        procs.wait_for(
            f"{p.name}: app on :{p.app_port} healthy through daprd :{p.http_port}",
            lambda: procs.http_status(f"{p.http_url}/v1.0/invoke/{p.function}/method/healthz", auth) == 200,
            timeout=START_TIMEOUT_S,
            pid=pid,
            log=self.app_log(p),
        )
        return None

    def daprd_cmd(self, binary: Path, p: Pair) -> list[str]:
        flags: dict[str, Any] = {
            "app-id": p.function,
            "app-port": p.app_port,
            "app-protocol": "http",
            "app-channel-address": "127.0.0.1",
            "dapr-http-port": p.http_port,
            "dapr-grpc-port": p.grpc_port,
            "dapr-internal-grpc-port": p.internal_grpc_port,
            "dapr-internal-grpc-listen-address": "127.0.0.1",
            "dapr-listen-addresses": "127.0.0.1",
            "metrics-port": p.metrics_port,
            "metrics-listen-address": "127.0.0.1",
            "resources-path": self.resources_dir(),
            "config": self.config_file(p.function),
            "log-level": "info",
            "app-health-check-path": "/healthz",
            "dapr-graceful-shutdown-seconds": 5,
        }
        cmd = [str(binary), "--enable-app-health-check"]
        for k, v in flags.items():
            cmd += [f"--{k}", str(v)]
        return cmd

    def daprd_log(self, p: Pair) -> Path:
        return self.log_dir / f"{p.name}.daprd.log"

    def app_log(self, p: Pair) -> Path:
        return self.log_dir / f"{p.name}.app.log"

    def write_ports(self, pairs: Iterable[Pair]) -> Path:
        """run/ports.json: what is running where, for the guide's curl commands (docs/operations.md) and for scripts."""
        path = self.run_dir / "ports.json"
        path.write_text(json.dumps({p.name: p.__dict__ for p in pairs} | {"kafka": self.bootstrap}, indent=2))
        return path

    # --- stopping -------------------------------------------------------------------------------------------
    def stop(self, names: Iterable[str]) -> None:
        """Stop some pairs (by Pair.name), apps first so nothing is delivered to a dying app."""
        names = list(names)  # read twice below: a generator would leave every daprd running, its pidfile lost
        for part in ("app", "daprd"):
            self._stop_files([f for n in names if (f := self.pid_dir / f"{n}.{part}.pid").exists()])

    def down(self) -> list[str]:
        """Stop everything this data dir started (apps, then sidecars, then Kafka, then PostgreSQL)."""
        from bindings.embedded import postgres

        stopped: list[str] = []
        for pattern in ("*.app.pid", "*.daprd.pid", "*.pid"):
            stopped += self._stop_files(sorted(self.pid_dir.glob(pattern)) if self.pid_dir.exists() else [])
        if postgres.stop(self.data_dir):
            stopped.append("postgresql")
        return stopped

    def _stop_files(self, pidfiles: list[Path]) -> list[str]:
        batch = self.pid_dir / "_stopping"
        batch.mkdir(parents=True, exist_ok=True)
        for f in pidfiles:
            f.replace(batch / f.name)
        return procs.stop_all(batch)


DATABASE_DOWN = "database unavailable"  # the reason bindings/app.py's /healthz gives; waiting can fix that one


def _readiness(p: Pair) -> str | None:
    """The app's /healthz, asked directly (through daprd a 503 is retried and trips its breaker): an empty
    string when ready, the reason when not ready, None while it does not answer."""
    try:
        resp = urllib3.request("GET", f"http://127.0.0.1:{p.app_port}/healthz", timeout=2.0, retries=False)
        body = json.loads(resp.data) if resp.status in (200, 503) else None
    except (urllib3.exceptions.HTTPError, ValueError):
        return None
    if not isinstance(body, dict):
        return None
    return "" if resp.status == 200 else str(body.get("reason") or "not ready")


_PROBES = re.compile(r'^dapr_http_healthprobes_completed_count\{[^}]*status="200"[^}]*\} (\S+)$', re.M)


def _healthy_probes(p: Pair) -> float | None:
    """How many of daprd's health probes of the app passed (its metrics); None when daprd exports no such count."""
    try:
        resp = urllib3.request("GET", f"http://127.0.0.1:{p.metrics_port}/metrics", timeout=2.0, retries=False)
    except urllib3.exceptions.HTTPError:
        return None
    text = resp.data.decode(errors="replace") if resp.status == 200 else ""
    found = _PROBES.findall(text)
    return sum(float(v) for v in found) if found else None


def _probed_healthy(p: Pair, baseline: float) -> bool:
    count = _healthy_probes(p)
    if count is None and procs.http_status(f"http://127.0.0.1:{p.metrics_port}/metrics") == 200:
        # A daprd that does not export the count (another version, on PATH): give it one probe interval.
        time.sleep(daprd.HEALTH_PROBE_INTERVAL_S)
        return True
    return count is not None and count > baseline
