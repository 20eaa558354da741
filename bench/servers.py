"""Apps under gunicorn with the functions' own settings (bindings/gunicorn_conf.py), and load against them."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GUNICORN_CONF = ROOT / "bindings" / "gunicorn_conf.py"
START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    cold_start_s: float  # process start -> first 200 on the health path
    log: Path

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def worker_rss_mb(self) -> float:
        """VmRSS of the (first) gunicorn worker: what one replica of the function holds."""
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def get(self, path: str, headers: dict[str, str] | None = None) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers=headers or {})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()


def _ready(port: int, path: str) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", path)
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


@contextmanager
def gunicorn(app: str, env: dict[str, str], health: str = "/healthz", name: str = "app") -> Iterator[Server]:
    """`gunicorn --config bindings/gunicorn_conf.py APP` on a free loopback port; stopped on exit."""
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"todo-bench-{name}-{port}.log"
    cmd = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), "--no-control-socket", app]
    full_env = {**os.environ, **env, "APP_PORT": str(port), "APP_HOST": "127.0.0.1"}
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        while not _ready(port, health):
            if proc.poll() is not None or time.perf_counter() - started > START_TIMEOUT_S:
                raise RuntimeError(f"{name} did not answer 200 on {health}; see {log}:\n{log.read_text()[-2000:]}")
            time.sleep(0.01)
        yield Server(proc, port, time.perf_counter() - started, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log.unlink(missing_ok=True)  # kept only when the server failed, for the error message's reader


Request = tuple[str, str, str | None]


def _generate(script: str, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run a load generator of bench/ (loadgen.py, openloop.py) in its own process on `spec`; its JSON result."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    try:
        out = subprocess.run(
            [sys.executable, str(ROOT / "bench" / script), f.name], check=True, capture_output=True, timeout=timeout
        )
    finally:
        os.unlink(f.name)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def load(
    port: int,
    connections: list[tuple[dict[str, str], list[Request]]],
    seconds: float,
    warmup: float,
    expect: tuple[int, ...] = (200,),
    reject: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Run bench/loadgen.py in its own process against 127.0.0.1:`port`; one (headers, requests) per connection."""
    spec = {
        "host": "127.0.0.1",
        "port": port,
        "warmup": warmup,
        "duration": seconds,
        "expect": list(expect),
        "reject": list(reject),
        "connections": [{"headers": h, "requests": r} for h, r in connections],
    }
    result = _generate("loadgen.py", spec, timeout=warmup + seconds + 60)
    if result["errors"]:
        result["note"] = f"{result['errors']} unexpected replies: {result['statuses']}"
    return result


def fixed_rate(
    port: int,
    users: list[tuple[dict[str, str], Request]],
    rate: float,
    seconds: float,
    warmup: float,
    expect: tuple[int, ...] = (200,),
    keep: bool = False,
    threads: int = 16,
) -> dict[str, Any]:
    """Run bench/openloop.py (open loop, `rate` requests/s) in its own process; one (headers, request) per user."""
    spec = {
        "host": "127.0.0.1",
        "port": port,
        "rate": rate,
        "warmup": warmup,
        "duration": seconds,
        "threads": threads,
        "expect": list(expect),
        "keep": keep,
        "users": [{"headers": h, "request": r} for h, r in users],
    }
    result = _generate("openloop.py", spec, timeout=warmup + seconds + 60)
    notes = []
    if result["errors"]:
        notes.append(f"{result['errors']} unexpected replies: {result['statuses']}")
    if result["late_over_10ms"]:
        notes.append(f"schedule slipped: {result['late_over_10ms']} sends > 10 ms late")
    if notes:
        result["note"] = "; ".join(notes)
    return result
