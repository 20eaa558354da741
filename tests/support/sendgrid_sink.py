"""A local stand-in for SendGrid's servers: records every request and answers as told.

Only SendGrid's servers are faked; the official `sendgrid` client talks to this over real HTTP.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Rule = Callable[[dict[str, Any]], int]  # request body -> HTTP status to answer


@dataclass
class Sink:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # when each request arrived (time.time())
    rule: Rule = lambda _body: 202
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> Counter[str]:
        """Reminder id -> how many times the sink accepted (202) a mail for it."""
        with self.lock:
            pairs = list(zip(self.requests, self.answers, strict=True))
        return Counter(body.get("headers", {}).get("X-Todo-Reminder", "?") for body, status in pairs if status == 202)

    def accepted_at(self) -> list[tuple[str, float]]:
        """(reminder id, arrival time) of every accepted mail, in arrival order."""
        with self.lock:
            rows = list(zip(self.requests, self.answers, self.times, strict=True))
        return [(body.get("headers", {}).get("X-Todo-Reminder", "?"), at) for body, status, at in rows if status == 202]

    def accepted_bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [b for b, s in zip(self.requests, self.answers, strict=True) if s == 202]


def flaky(share: float, seed: int = 7, status: int = 503) -> Rule:
    """Fail about `share` of the requests with `status`, deterministically for a given seed."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def rule(_body: dict[str, Any]) -> int:
        with lock:
            return status if rng.random() < share else 202

    return rule


def _handler(sink: Sink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            status = 401 if not self.headers.get("Authorization", "").startswith("Bearer ") else sink.rule(body)
            with sink.lock:
                sink.requests.append(body)
                sink.answers.append(status)
                sink.times.append(time.time())
            errors = {"errors": [{"message": f"sink answered {status}"}]}
            payload = b"" if status == 202 else json.dumps(errors).encode()
            self.send_response(status)
            if status == 202:
                self.send_header("X-Message-Id", f"sink-{len(sink.requests)}")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: Any) -> None:  # keep test output clean
            pass

    return Handler


@contextmanager
def running(rule: Rule | None = None) -> Iterator[Sink]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(sink := Sink(url="")))
    sink.url = f"http://127.0.0.1:{server.server_address[1]}"
    if rule is not None:
        sink.rule = rule
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
