"""Every dapr_* metric that k8s/observability's rules and dashboard query is one a real daprd exports, once
exercised the way production exercises it; and a tripped circuit breaker shows in the series the
TodoCircuitBreakerOpen alert reads. (The todo_* ones: tests/bindings/test_metrics_queried_are_exported.py.)
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import urllib3
from prometheus_client.parser import text_string_to_metric_families

from bindings.manifests.port_plan import Pair
from tests.dapr.harness import RealDapr
from tests.support.promql_names import PROMETHEUS_ACCEPT, exposed_names, used_metric_names

pytestmark = pytest.mark.dapr
EVENTS = Path(__file__).resolve().parents[1] / "events"
# daprd opens an endpoint's breaker after more than 5 consecutive failures (dapr/resiliency.yaml appBreaker);
# the call after that is refused, and records the open state.
TRIP_CALLS = 7


def _metrics(pair: Pair) -> str:
    """daprd's metrics port, asked as Prometheus asks: daprd answers the text format, names as they are."""
    url = f"http://127.0.0.1:{pair.metrics_port}/metrics"
    resp = urllib3.request("GET", url, headers={"Accept": PROMETHEUS_ACCEPT}, timeout=10.0, retries=False)
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain"), resp.headers
    return resp.data.decode()


def _samples(text: str, family: str) -> list[tuple[dict[str, str], float]]:
    """Labels and values of one metric family (by its TYPE line's name)."""
    return [(s.labels, s.value) for f in text_string_to_metric_families(text) if f.name == family for s in f.samples]


def _exercise(real_dapr: RealDapr) -> list[Pair]:
    """Invocation, state and publish (todo-api), a bulk delivery (audit-writer), a single delivery from a
    dead-letter topic (dead-letters), and cron ticks (outbox-relay)."""
    pairs = [real_dapr.pairs(f)[0] for f in ("todo-api", "audit-writer", "dead-letters", "outbox-relay")]
    created = real_dapr.api("POST", "api/tasks", {"title": "observed"})
    assert created.status == 201
    assert real_dapr.api("GET", f"api/tasks/{json.loads(created.data)['id']}").status == 200
    poison = {**json.loads((EVENTS / "audit-bad-payload.json").read_text()), "id": str(uuid.uuid4())}
    assert real_dapr.publish("todo-api", "audit-logs", poison) == 204
    real_dapr.rows_eventually("SELECT 1 FROM dead_letters WHERE event_id = %s", (poison["id"],), timeout_s=60)
    real_dapr.rows_eventually("SELECT 1 FROM cron_ticks WHERE function = 'outbox-relay'")
    return pairs


def _trip_breaker(real_dapr: RealDapr, pair: Pair) -> None:
    """Calls that dead-letters answers 404 (no such dead letter): failures to daprd's breaker, 4xx included.
    (The user-facing functions have no breaker, for that very reason: tests/dapr/test_real_dapr.py.)"""
    sidecar = real_dapr.sidecar_of(pair)
    missing = f"/v1.0/invoke/dead-letters/method/dead-letters/{uuid.uuid4()}"
    statuses = [sidecar.call("GET", missing).status for _ in range(TRIP_CALLS)]
    assert statuses == [404] * 6 + [500] * (TRIP_CALLS - 6), statuses


def test_every_daprd_metric_queried_is_exported_and_a_tripped_breaker_shows_open(real_dapr: RealDapr):
    exposed: set[str] = set()
    for pair in _exercise(real_dapr):
        exposed |= exposed_names(_metrics(pair))
    # Its own pair, stopped afterwards: an open breaker refuses calls for 30 s.
    with real_dapr.extra_pair("dead-letters") as pair:
        _trip_breaker(real_dapr, pair)
        text = _metrics(pair)
    exposed |= exposed_names(text)

    target = {"policy": "circuitbreaker", "target": "app_dead-letters"}
    states = {
        labels["status"]: value
        for labels, value in _samples(text, "dapr_resiliency_cb_state")
        if target.items() <= labels.items()
    }
    assert states == {"closed": 0, "half-open": 0, "open": 1, "unknown": 0}
    refused = {**target, "status": "open"}.items()
    counts = [v for labels, v in _samples(text, "dapr_resiliency_count") if refused <= labels.items()]
    assert counts == [TRIP_CALLS - 6]

    used = {n for n in used_metric_names() if n.startswith("dapr_")}
    missing = sorted(used - exposed)
    assert not missing, f"queried by k8s/observability but exported by no daprd here: {missing}"
