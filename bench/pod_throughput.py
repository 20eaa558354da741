"""Quick per-pod throughput of todo-api: one gunicorn process (Procfile settings) against PostgreSQL.

A stand-in for daprd on loopback answers the sidecar calls (secrets, publish) at once, so the figure
is the app's own cost; a real sidecar adds about a millisecond per publish. Bounded: each phase runs
for --seconds and then stops. Usage: python bench/pod_throughput.py [--seconds 10] [--clients 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SIGNING_KEY = "bench-signing-key-" + "x" * 32


class _Sidecar(BaseHTTPRequestHandler):
    def log_message(self, *_: object) -> None:
        pass

    def do_GET(self) -> None:  # secrets
        body = json.dumps({"signing-key": SIGNING_KEY}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # publish, bulk publish
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


Request = tuple[str, str, bytes | None, dict[str, str]]


def _load(port: int, clients: int, seconds: float, make: Callable[[], Request]) -> tuple[int, list[float]]:
    """`clients` keep-alive connections, each sending `make()` requests until the deadline."""
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        while time.monotonic() < deadline:
            method, path, body, headers = make()
            t0 = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            reply = resp.read()
            mine.append(time.perf_counter() - t0)
            if resp.status >= 400 or b'"RETRY"' in reply or b'"DROP"' in reply:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors[0], latencies


def _serve(function: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """The function's Procfile line, as its pod runs it."""
    from bindings.procfile import read

    port = _free_port()
    command = shlex.split(read()[function])
    proc = subprocess.Popen([sys.executable, "-m", *command], cwd=ROOT, env={**env, "APP_PORT": str(port)})
    for _ in range(150):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"{function} did not become healthy")


def _audit_event() -> Request:
    event = json.loads((ROOT / "tests" / "events" / "audit-recorded.json").read_text())
    event["id"] = str(uuid.uuid4())  # a new id each time, or the inbox acknowledges a duplicate
    return ("POST", "/events/audit-logs", json.dumps(event).encode(), {"Content-Type": "application/cloudevents+json"})


def _report(name: str, seconds: float, errors: int, lat: list[float]) -> None:
    lat.sort()
    rate = len(lat) / seconds
    p50, p99 = lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000
    print(f"{name:<28} {rate:7.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  errors {errors}", flush=True)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--clients", type=int, default=8)
    args = p.parse_args()

    from bindings import auth
    from bindings.embedded import postgres
    from bindings.wiring import settings_from_env

    data = Path(tempfile.mkdtemp(prefix="todo-bench-"))
    sidecar = ThreadingHTTPServer(("127.0.0.1", _free_port()), _Sidecar)
    threading.Thread(target=sidecar.serve_forever, daemon=True).start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        env = {
            **os.environ,
            "DATABASE_URL": postgres.database_url(data),
            "DAPR_HTTP_PORT": str(sidecar.server_address[1]),
            "LOG_LEVEL": "WARNING",
        }
        bearer = "Bearer " + auth.issue(SIGNING_KEY, settings_from_env(data), "bench-user")
        user = {"Authorization": bearer, "Content-Type": "application/json"}
        task = json.dumps({"title": "bench", "tags": ["a"], "due_at": "2030-01-01T09:00:00+00:00"}).encode()
        proc, port = _serve("todo-api", env)
        procs.append(proc)
        for name, make in {
            "todo-api POST /api/tasks": lambda: ("POST", "/api/tasks", task, user),
            "todo-api GET /api/tasks": lambda: ("GET", "/api/tasks?limit=50", None, user),
        }.items():
            _report(name, args.seconds, *_load(port, args.clients, args.seconds, make))
        proc.terminate()
        proc.wait(timeout=30)
        proc, port = _serve("audit-writer", env)
        procs.append(proc)
        _report("audit-writer deliveries", args.seconds, *_load(port, args.clients, args.seconds, _audit_event))
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        sidecar.shutdown()
        postgres.stop(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
