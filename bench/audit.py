"""audit-writer events/s in one gunicorn worker: single CloudEvent deliveries, and Dapr bulk deliveries.

Each event gets a fresh id, so every delivery writes (a repeated id would only measure the inbox's
duplicate check). Bulk is Dapr's bulk-subscribe body `{"entries": [...]}` answered by
`{"statuses": [...]}`; when the topic route does not accept it yet, that variant is skipped with the
reason, and `bulk_request` is the one place to change if the body's shape differs.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

from bench.servers import ROOT, Request, Server, gunicorn, load

ROUTE = "/events/audit-logs"
CE_JSON = {"Content-Type": "application/cloudevents+json"}
BULK_JSON = {"Content-Type": "application/json"}
REJECT = ('"RETRY"', '"DROP"')  # a 200 that asks for a retry or drops the event is no success


def _event() -> dict[str, Any]:
    event: dict[str, Any] = json.loads((ROOT / "tests" / "events" / "audit-recorded.json").read_text())
    event["id"] = "__UUID__"  # bench/loadgen.py puts a fresh uuid4 in each request
    return event


def single_request() -> Request:
    return ("POST", ROUTE, json.dumps(_event()))


def bulk_request(size: int) -> Request:
    """One bulk delivery of `size` events, as daprd sends it with bulkSubscribe enabled."""
    entries = [
        {"entryId": f"e{i}", "event": _event(), "contentType": "application/cloudevents+json", "metadata": {}}
        for i in range(size)
    ]
    return ("POST", ROUTE, json.dumps({"entries": entries}))


def accepts_bulk(server: Server) -> str | None:
    """None when the route answers a bulk body with per-entry statuses, else why not."""
    _, path, body = bulk_request(2)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", path, body=body.replace("__UUID__", "bench-probe"), headers=BULK_JSON)
    resp = conn.getresponse()
    reply = resp.read()
    conn.close()
    try:
        statuses = json.loads(reply).get("statuses")
    except (ValueError, AttributeError):
        statuses = None
    if resp.status == 200 and isinstance(statuses, list) and len(statuses) == 2:
        return None
    return f"the topic route does not accept Dapr's bulk body yet (HTTP {resp.status}: {reply[:120]!r})"


def bench_audit(env: dict[str, str], seconds: float, warmup: float, conns: int, bulk_size: int) -> dict[str, Any]:
    out: dict[str, Any] = {"connections": conns, "bulk_size": bulk_size}
    with gunicorn('bench.function_app:create_app("audit-writer")', env, name="audit-writer") as server:
        single = load(server.port, [(CE_JSON, [single_request()])] * conns, seconds, warmup, reject=REJECT)
        out["single"] = {**single, "events_per_s": single["rps"]}
        reason = accepts_bulk(server)
        if reason is None:
            bulk = load(server.port, [(BULK_JSON, [bulk_request(bulk_size)])] * conns, seconds, warmup, reject=REJECT)
            out["bulk"] = {**bulk, "events_per_s": bulk["rps"] * bulk_size}
        else:
            out["bulk"] = {"skipped": reason}
        out["rss_mb"] = server.worker_rss_mb()
    return out
