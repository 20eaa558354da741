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


def _load(
    port: int, clients: int, seconds: float, request: tuple[str, str, bytes | None], token: str
) -> tuple[int, list[float]]:
    method, path, body = request
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        mine = []
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            mine.append(time.perf_counter() - t0)
            if resp.status >= 400:
                errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors[0], latencies


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
    app_port = _free_port()
    server = None
    try:
        url = postgres.database_url(data)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DAPR_HTTP_PORT": str(sidecar.server_address[1]),
            "APP_PORT": str(app_port),
            "LOG_LEVEL": "WARNING",
        }
        from bindings.procfile import read

        command = shlex.split(read()["todo-api"])
        server = subprocess.Popen([sys.executable, "-m", *command], cwd=ROOT, env=env)
        token = auth.issue(SIGNING_KEY, settings_from_env(data), "bench-user")
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", app_port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        body = json.dumps({"title": "bench", "tags": ["a"], "due_at": "2030-01-01T09:00:00+00:00"}).encode()
        phases = {
            "POST /api/tasks": ("POST", "/api/tasks", body),
            "GET /api/tasks?limit=50": ("GET", "/api/tasks?limit=50", None),
        }
        for name, request in phases.items():
            errors, lat = _load(app_port, args.clients, args.seconds, request, token)
            lat.sort()
            rate = len(lat) / args.seconds
            p50, p99 = lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000
            print(f"{name:<26} {rate:7.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  errors {errors}")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        sidecar.shutdown()
        postgres.stop(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
