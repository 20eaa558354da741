"""Starting a pair never calls the app through daprd before daprd has seen it healthy (found by `make chaos`).

daprd answers an invocation of an app it does not yet consider healthy with a 500, retried by the app's
policy and counted by its circuit breaker (`appBreaker`: open after more than 5 consecutive failures, for
30 s). Its health probe runs every 5 s, so an app that has just come up is unhealthy to daprd for up to
5 s: polling `/healthz` through daprd then opened the breaker, and a start or a restart under load took
30 s more, past the 90 s limit (a flaky tests/dapr start, and every restart during a chaos run).
"""

from __future__ import annotations

import os
import re
import signal

import pytest
import urllib3

from bindings.manifests.port_plan import Pair
from tests.dapr.harness import RealDapr, eventually

pytestmark = pytest.mark.dapr


def _metric_lines(pair: Pair, prefix: str) -> list[tuple[str, float]]:
    text = urllib3.request("GET", f"http://127.0.0.1:{pair.metrics_port}/metrics", timeout=10.0).data.decode()
    return [(ln, float(ln.rsplit(" ", 1)[1])) for ln in text.splitlines() if ln.startswith(prefix + "{")]


def _healthz_invocations(pair: Pair) -> dict[str, int]:
    """daprd's count of `GET /v1.0/invoke/<app>/method/healthz` by answer status."""
    path = f'path="/v1.0/invoke/{pair.function}/method/healthz"'
    found: dict[str, int] = {}
    for line, value in _metric_lines(pair, "dapr_http_server_request_count"):
        if path in line:
            status = re.search(r'status="(\d+)"', line)
            found[status.group(1) if status else "?"] = int(value)
    return found


def _failed_probes(pair: Pair) -> float:
    return sum(
        v for line, v in _metric_lines(pair, "dapr_http_healthprobes_completed_count") if 'status="200"' not in line
    )


def test_an_app_restarted_beside_its_sidecar_is_called_through_it_only_once_daprd_saw_it_healthy(
    real_dapr: RealDapr,
):
    stack = real_dapr.stack
    # outbox-relay has a circuit breaker (the user-facing functions have none) and may run as an extra pair.
    with real_dapr.extra_pair("outbox-relay") as pair:
        assert _healthz_invocations(pair) == {"200": 1}
        # The app crashes and daprd notices (3 failed probes, 5 s apart); then it is restarted, as an
        # orchestrator restarts a container beside its running sidecar. It serves again within a second,
        # while daprd holds it unhealthy until its next probe.
        before = _failed_probes(pair)
        os.killpg(int((stack.pid_dir / f"{pair.name}.app.pid").read_text().split()[0]), signal.SIGKILL)
        eventually(lambda: _failed_probes(pair) >= before + 3, timeout_s=30, what="daprd's probes failing")
        assert stack.wait_app(pair, stack.start_app(pair, {})) is None
        assert _healthz_invocations(pair) == {"200": 2}
