"""Open-loop HTTP load: requests leave on a fixed schedule whatever the replies do, in a process of its own.

`python bench/openloop.py SPEC.json` prints one JSON result. The spec:

    {"host": "127.0.0.1", "port": 8080, "rate": 50, "warmup": 2, "duration": 10, "threads": 16,
     "expect": [201], "keep": false,
     "users": [{"headers": {...}, "request": ["POST", "/api/tasks", "{...}"]}, ...]}

Request i is due at start + i / rate and goes to user i mod len(users). Each thread keeps one persistent
connection and takes the next due request; its latency runs from the *scheduled* time to the end of the
reply, so a reply that is late delays no measurement (no coordinated omission). When every thread is busy
a request leaves late: `late_p99_ms` and `late_over_10ms` say how far the schedule slipped, and a run
whose schedule slipped is not a fixed-rate figure. `keep` returns, per measured request, the scheduled
wall-clock time (time.time(), the host's clock, comparable with PostgreSQL's now()) and the reply's `id`.
"""

from __future__ import annotations

import http.client
import json
import socket
import sys
import threading
import time
from typing import Any

LATE_MS = 10.0  # a send later than this after its slot counts as a slipped schedule


def due(i: int, start: float, rate: float) -> float:
    """When request i must leave: the schedule, independent of every reply."""
    return start + i / rate


def slots(rate: float, warmup: float, duration: float) -> tuple[int, int]:
    """(first measured index, end index): requests due in the warm-up are sent but not counted."""
    return round(warmup * rate), round((warmup + duration) * rate)


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Schedule:
    def __init__(self, end: int) -> None:
        self.next, self.end = 0, end
        self.lock = threading.Lock()

    def take(self) -> int | None:
        with self.lock:
            if self.next >= self.end:
                return None
            self.next += 1
            return self.next - 1


def _connect(host: str, port: int, timeout: float) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    conn.connect()
    assert conn.sock is not None
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # see bench/loadgen.py
    return conn


def run(spec: dict[str, Any]) -> dict[str, Any]:
    rate, host, port = float(spec["rate"]), spec["host"], spec["port"]
    timeout = float(spec.get("timeout", 10))
    expect = set(spec.get("expect", [200]))
    keep = bool(spec.get("keep", False))
    users = [(u["headers"], u["request"]) for u in spec["users"]]
    first, end = slots(rate, float(spec.get("warmup", 2)), float(spec["duration"]))
    schedule = _Schedule(end)
    # perf_counter for latency; time.time() only to hand the scheduled send to the caller (same instant).
    start = time.perf_counter() + 0.2
    wall_start = time.time() + (start - time.perf_counter())
    rows: list[tuple[int, float, float, str, str | None]] = []  # index, latency, lateness, status, id
    rows_lock = threading.Lock()

    def worker() -> None:
        conn: http.client.HTTPConnection | None = None
        while (i := schedule.take()) is not None:
            at = due(i, start, rate)
            if (wait := at - time.perf_counter()) > 0:
                time.sleep(wait)
            sent = time.perf_counter()
            headers, (method, path, body) = users[i % len(users)]
            reply_id: str | None = None
            try:
                conn = conn or _connect(host, port, timeout)
                conn.request(method, path, body=None if body is None else body.encode(), headers=headers)
                resp = conn.getresponse()
                reply = resp.read()
                status = str(resp.status)
                if keep and resp.status in expect:
                    reply_id = json.loads(reply).get("id")
            except (OSError, http.client.HTTPException, ValueError) as exc:
                status = type(exc).__name__
                if conn is not None:
                    conn.close()
                conn = None
            done = time.perf_counter()
            if i >= first:
                with rows_lock:
                    rows.append((i, done - at, sent - at, status, reply_id))
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(int(spec.get("threads", 16)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=end / rate + timeout + 10)
    latencies = sorted(r[1] for r in rows)
    late = sorted(r[2] for r in rows)
    statuses: dict[str, int] = {}
    for r in rows:
        statuses[r[3]] = statuses.get(r[3], 0) + 1
    errors = sum(n for s, n in statuses.items() if not s.isdigit() or int(s) not in expect)
    result: dict[str, Any] = {
        "rate": rate,
        "threads": len(threads),
        "seconds": float(spec["duration"]),
        "requests": len(rows),
        "scheduled": end - first,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] if latencies else float("nan")) * 1000,
        "late_p99_ms": percentile(late, 0.99) * 1000,
        "late_over_10ms": sum(1 for x in late if x * 1000 > LATE_MS),
        "errors": errors,
        "statuses": statuses,
    }
    if keep:
        result["sent"] = [[wall_start + r[0] / rate, r[4]] for r in sorted(rows) if r[4]]
    return result


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        result = run(json.load(f))
    json.dump(result, sys.stdout)
