"""daprd never replays a user's request into a second change (found by `make chaos`).

daprd's app retry policy replays a call after any error that carries no status: a refused connection (the
app never saw it: safe), but also its own call timeout and a connection reset, when the app may still be
working on the request or may have committed it. For the user-facing functions that turned one POST into
two tasks, or one message into two. They now have a timeout and no retry: the client gets the 500 and,
like any client of a non-idempotent call, looks before it tries again.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.dapr.harness import RealDapr, eventually

pytestmark = pytest.mark.dapr
RESILIENCY = Path(__file__).resolve().parents[2] / "dapr" / "resiliency.yaml"


def _app_call_timeout_s() -> float:
    spec = yaml.safe_load(RESILIENCY.read_text())["spec"]
    return float(spec["policies"]["timeouts"][spec["targets"]["apps"]["todo-api"]["timeout"]].rstrip("s"))


def test_a_create_that_outlives_daprds_call_timeout_is_stored_once(real_dapr: RealDapr):
    user = f"slow-{uuid.uuid4().hex[:8]}"
    assert real_dapr.api("POST", "api/tasks", {"title": "first"}, user=user).status == 201
    title = f"slow {uuid.uuid4().hex[:8]}"
    answers = []
    # Another transaction holds the user's row: the create waits for it (a slow database, as a failover or
    # lock contention makes it) past daprd's call timeout, and then commits.
    with psycopg.connect(real_dapr.database_url) as holder:
        holder.execute("SELECT 1 FROM users WHERE id = %s FOR UPDATE", (user,))
        client = threading.Thread(
            target=lambda: answers.append(real_dapr.api("POST", "api/tasks", {"title": title}, user=user))
        )
        client.start()
        time.sleep(_app_call_timeout_s() + 3)  # daprd gave up on the first attempt; a retry would be waiting too
        holder.rollback()
    client.join(60)
    count = "SELECT count(*) FROM tasks WHERE user_id = %s AND title = %s"
    eventually(lambda: real_dapr.rows(count, (user, title))[0][0] >= 1, timeout_s=30, what="the create committed")
    time.sleep(2)  # a replay would commit right after the first
    assert real_dapr.rows(count, (user, title)) == [(1,)], [json.loads(a.data or b"{}") for a in answers]
