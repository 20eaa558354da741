"""bench/openloop.py: the schedule's arithmetic, and that every scheduled request is sent and counted once."""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.openloop import due, run, slots


def test_request_i_is_due_at_i_over_rate_whatever_the_replies() -> None:
    assert due(0, 100.0, 50.0) == 100.0
    assert due(50, 100.0, 50.0) == 101.0
    assert due(125, 10.0, 50.0) == 12.5


def test_warm_up_slots_are_sent_but_not_measured() -> None:
    # 2 s of warm-up and 10 s measured at 20/s: requests 40..239 are measured, 240 sent in all.
    assert slots(20.0, 2.0, 10.0) == (40, 240)
    assert slots(50.0, 0.0, 1.0) == (0, 50)


class _Created(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"id": self.path.rsplit("/", 1)[-1]}).encode()
        self.send_response(201)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_every_measured_slot_is_sent_once_and_its_reply_id_kept() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Created)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        users = [{"headers": {}, "request": ["POST", f"/tasks/u{n}", "{}"]} for n in range(3)]
        spec = {"host": "127.0.0.1", "port": server.server_address[1], "rate": 40, "warmup": 0.25}
        result = run({**spec, "duration": 0.5, "threads": 4, "expect": [201], "keep": True, "users": users})
    finally:
        server.shutdown()
    assert result["scheduled"] == 20 and result["requests"] == 20 and result["errors"] == 0
    # Slots 10..29 go round the users in turn; each kept row names its user's reply id.
    assert sorted(task for _, task in result["sent"]) == sorted(f"u{i % 3}" for i in range(10, 30))
    times = [at for at, _ in result["sent"]]
    assert all(abs(b - a - 0.025) < 1e-6 for a, b in itertools.pairwise(times))
