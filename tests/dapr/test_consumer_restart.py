"""An event that arrives while its consumer's app is down is delivered once the app is back, not dead-lettered
(found by `make chaos`).

The inbound policy retried three times a second apart: whatever reached a consumer whose app had crashed, and
was being restarted as an orchestrator restarts it, went to its dead-letter topic within 3 s, though nothing
was wrong with it. The policy now retries for about a minute (dapr/resiliency.yaml: pubsubInbound).
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from bindings.devstack import procs
from tests.dapr.harness import RealDapr, eventually

pytestmark = pytest.mark.dapr
EVENTS = Path(__file__).resolve().parents[1] / "events"
DOWN_S = 6.0  # longer than the old policy's three retries a second apart, as long as a quick container restart


def test_an_event_reaching_a_crashed_consumer_is_delivered_after_its_restart(real_dapr: RealDapr):
    (pair,) = real_dapr.pairs("audit-writer")
    real_dapr.pairs("dead-letters")
    stack = real_dapr.stack
    event = {**json.loads((EVENTS / "audit-recorded.json").read_text()), "id": str(uuid.uuid4())}
    app = int((stack.pid_dir / f"{pair.name}.app.pid").read_text().split()[0])
    os.killpg(app, signal.SIGKILL)
    eventually(lambda: not procs.alive(app), timeout_s=10, what="the app gone")
    assert real_dapr.publish("todo-api", "audit-logs", event) == 204
    time.sleep(DOWN_S)
    assert stack.wait_app(pair, stack.start_app(pair, {})) is None

    real_dapr.rows_eventually("SELECT 1 FROM audit_log WHERE id = %s", (event["id"],), timeout_s=90)
    assert real_dapr.rows("SELECT topic FROM dead_letters WHERE event_id = %s", (event["id"],)) == []
