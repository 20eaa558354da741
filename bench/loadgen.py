"""HTTP/1.1 load generator, run as its own process so that it never shares a GIL with the server.

`python bench/loadgen.py SPEC.json` prints one JSON result. The spec:

    {"host": "127.0.0.1", "port": 8080, "warmup": 2, "duration": 10, "expect": [200, 201], "reject": ["RETRY"],
     "connections": [{"headers": {...}, "requests": [["GET", "/ping", null], ...]}, ...]}

Each connection is one thread with one persistent connection, sending its own requests in turn
(so each can carry its own user's token). A status outside `expect`, or a reply containing a
`reject` string, counts as an error. Every `__UUID__` in a body becomes a fresh uuid4, so events
can be sent with unique ids. Requests started during the warm-up are not counted.
"""

from __future__ import annotations

import http.client
import json
import socket
import sys
import threading
import time
import uuid
from typing import Any

MARKER = b"__UUID__"
SAMPLE = 4000  # latencies kept for the plots


def _fresh(body: bytes | None) -> bytes | None:
    if body is None or MARKER not in body:
        return body
    parts = body.split(MARKER)
    out = bytearray(parts[0])
    for part in parts[1:]:
        out += str(uuid.uuid4()).encode() + part
    return bytes(out)


class Connection(threading.Thread):
    def __init__(self, spec: dict[str, Any], conn: dict[str, Any], start: float, measure: float, end: float) -> None:
        super().__init__(daemon=True)
        self.host, self.port = spec["host"], spec["port"]
        self.timeout = float(spec.get("timeout", 10))
        self.expect = set(spec.get("expect", [200]))
        self.reject = [r.encode() for r in spec.get("reject", [])]
        self.headers = conn.get("headers", {})
        self.requests = [(m, p, None if b is None else b.encode()) for m, p, b in conn["requests"]]
        self.start_at, self.measure_at, self.end_at = start, measure, end
        self.latencies: list[float] = []
        self.statuses: dict[str, int] = {}
        self.errors = 0

    def _connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        conn.connect()
        # http.client writes the headers and the body in two sends: without this, Nagle's algorithm
        # and the server's delayed ACK can hold the body back for tens of milliseconds.
        assert conn.sock is not None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def run(self) -> None:
        conn = self._connect()
        i = 0
        while (now := time.perf_counter()) < self.end_at:
            method, path, body = self.requests[i % len(self.requests)]
            i += 1
            try:
                conn.request(method, path, body=_fresh(body), headers=self.headers)
                resp = conn.getresponse()
                reply = resp.read()
                status = str(resp.status)
                if any(r in reply for r in self.reject):
                    status += "+rejected"
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                try:
                    conn = self._connect()
                except OSError:
                    time.sleep(0.05)  # the server is gone or refusing: counted as errors until the deadline
            done = time.perf_counter()
            if now >= self.measure_at and done <= self.end_at:
                self.latencies.append(done - now)
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if not status.isdigit() or int(status) not in self.expect:
                    self.errors += 1
        conn.close()


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(spec: dict[str, Any]) -> dict[str, Any]:
    start = time.perf_counter() + 0.05
    measure = start + float(spec.get("warmup", 2))
    end = measure + float(spec["duration"])
    threads = [Connection(spec, c, start, measure, end) for c in spec["connections"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=end - time.perf_counter() + float(spec.get("timeout", 10)) + 5)
    latencies = sorted(x for t in threads for x in t.latencies)
    statuses: dict[str, int] = {}
    for t in threads:
        for k, v in t.statuses.items():
            statuses[k] = statuses.get(k, 0) + v
    seconds = float(spec["duration"])
    step = max(1, len(latencies) // SAMPLE)
    errors = sum(t.errors for t in threads)
    return {
        "connections": len(threads),
        "seconds": seconds,
        "requests": len(latencies),
        # Only successes count: a fast refusal (413, a RETRY body) must not pass for throughput.
        "rps": (len(latencies) - errors) / seconds,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] if latencies else float("nan")) * 1000,
        "errors": errors,
        "statuses": statuses,
        "sample_ms": [round(x * 1000, 3) for x in latencies[::step]],
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        result = run(json.load(f))
    json.dump(result, sys.stdout)
