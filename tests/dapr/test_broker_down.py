"""While Kafka is down, the API still answers what it committed, and nothing is lost (found by `make chaos`).

The fast path publishes a change's events after its commit, inside the request. With the broker killed,
each publish waited for its timeout, two topics in a row: requests took longer than daprd's appCall
timeout (10 s), so daprd answered 500 for committed changes and retried POSTs the app was still
processing, and with every gunicorn thread waiting, /healthz went unanswered and daprd held the whole
API unhealthy well after the broker was back. Now the fast path gives up after a short timeout, stands
aside for a moment after a failure, and outbox-relay publishes what it leaves.
"""

from __future__ import annotations

import json
import os
import signal
import uuid

import pytest

from bindings.devstack import procs
from tests.dapr.harness import RealDapr, eventually

pytestmark = pytest.mark.dapr
CREATES = 8


def test_with_kafka_down_creates_are_acknowledged_once_and_their_events_published_later(real_dapr: RealDapr):
    for function in ("todo-api", "audit-writer", "outbox-relay"):
        real_dapr.pairs(function)  # running before the broker goes: a daprd cannot start without it
    user = f"broker-down-{uuid.uuid4().hex[:8]}"
    stack = real_dapr.stack
    kafka = int((stack.pid_dir / "kafka.pid").read_text().split()[0])
    os.killpg(kafka, signal.SIGKILL)
    try:
        eventually(lambda: not procs.alive(kafka), timeout_s=10, what="the broker gone")
        answers = [real_dapr.api("POST", "api/tasks", {"title": f"while down {i}"}, user=user) for i in range(CREATES)]
    finally:
        stack.start_kafka()
    assert [a.status for a in answers] == [201] * CREATES, [a.data[:200] for a in answers]
    ids = sorted(json.loads(a.data)["id"] for a in answers)
    stored = real_dapr.rows("SELECT id::text FROM tasks WHERE user_id = %s ORDER BY id", (user,))
    assert [r[0] for r in stored] == ids  # each once: no POST was replayed by daprd
    # Nothing lost: the relay publishes what the fast path left, and audit-writer records each change once.
    recorded = real_dapr.rows_eventually(
        "SELECT task_id::text FROM audit_log WHERE user_id = %s AND action = 'task.created' ORDER BY task_id",
        (user,),
        count=CREATES,
        timeout_s=120,
    )
    assert [r[0] for r in recorded] == ids
    real_dapr.forget_logs_so_far()  # the consumers' "run out of available brokers" lines were this test's doing
