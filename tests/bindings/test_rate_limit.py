"""The per-user rate limit of user routes: exact under concurrency, with the RateLimit headers."""

from __future__ import annotations

import dataclasses
import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest

from bindings.app import create_app
from bindings.embedded_runtime import Runtime
from bindings.sidecar import Sidecar, SidecarState

NOON = datetime(2026, 11, 27, 12, 0, 10, tzinfo=UTC)  # 10 s into a window: 50 s until it resets


def _app(runtime, clock=None, state=None, **settings):
    deps = runtime.deps["todo-api"]
    deps = dataclasses.replace(
        deps,
        settings=deps.settings.model_copy(update=settings),
        clock=clock or deps.clock,
        state=state or deps.state,
    )
    return create_app("todo-api", deps, app_token="").test_client()


def test_the_limit_answers_429_with_retry_after_and_ratelimit_headers(runtime, token):
    now = [NOON]
    client = _app(runtime, clock=lambda: now[0], rate_limit_requests=3)
    alice = {"Authorization": token("alice")}
    for remaining in (2, 1, 0):
        resp = client.get("/api/tasks", headers=alice)
        assert resp.status_code == 200
        assert resp.headers["RateLimit-Limit"] == "3" and resp.headers["RateLimit-Remaining"] == str(remaining)
        assert resp.headers["RateLimit-Reset"] == "50" and resp.headers["RateLimit-Policy"] == "3;w=60"
    refused = client.post("/api/tasks", json={"title": "over the limit"}, headers=alice)
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.headers["Retry-After"] == "50" and refused.headers["RateLimit-Remaining"] == "0"
    assert "3 requests per 60 s" in refused.get_json()["detail"]
    with runtime.db.transaction() as tx:  # the refused request never reached the handler
        assert tx.one("SELECT count(*) AS n FROM tasks")["n"] == 0
    assert client.get("/api/tasks", headers={"Authorization": token("bob")}).status_code == 200  # per user
    now[0] = NOON + timedelta(seconds=50)  # the next window
    assert client.get("/api/tasks", headers=alice).headers["RateLimit-Remaining"] == "2"


def test_requests_without_a_valid_token_are_not_counted(runtime, token):
    client = _app(runtime, clock=lambda: NOON, rate_limit_requests=1)
    for _ in range(3):
        assert client.get("/api/tasks", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert client.get("/api/tasks", headers={"Authorization": token()}).status_code == 200


@pytest.fixture
def roomy_runtime(database_url, tmp_path, monkeypatch):
    """A pool as large as the server's default worker count, so 100 threads queue only briefly."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    rt = Runtime.build(tmp_path / "data", functions=["todo-api"], pool_size=16)
    yield rt
    rt.close()


def test_100_simultaneous_requests_admit_exactly_the_limit(roomy_runtime):
    from bindings import auth

    deps = roomy_runtime.deps["todo-api"]
    bearer = "Bearer " + auth.issue(auth.signing_key(deps.secrets), deps.settings, "alice")
    # A clock fixed mid-window: the race is about counting, not about a window boundary.
    app = create_app("todo-api", dataclasses.replace(deps, clock=lambda: NOON), app_token="")
    barrier, statuses, lock = threading.Barrier(100), [], threading.Lock()

    def call():
        client = app.test_client()
        barrier.wait(timeout=30)
        status = client.get("/api/tasks", headers={"Authorization": bearer}).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=call) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(statuses) == 100
    assert statuses.count(200) == 60 and statuses.count(429) == 40


def test_two_processes_counting_one_user_admit_exactly_the_limit(runtime, token):
    """Two apps (as two gunicorn workers or replicas: each its own slot hints) share the user's window."""
    first, second = (_app(runtime, clock=lambda: NOON, rate_limit_requests=60) for _ in range(2))
    alice = {"Authorization": token("alice")}
    statuses = []
    for i in range(100):
        client = first if i % 3 else second  # unevenly, so that one app runs ahead of the other
        statuses.append(client.get("/api/tasks?limit=1", headers=alice).status_code)
    assert statuses.count(200) == 60 and statuses.count(429) == 40
    assert statuses[:60] == [200] * 60  # none refused while the window had room


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("fail_open", [True, False])
def test_a_store_that_is_down_fails_open_or_closed_as_configured(runtime, token, fail_open):
    down = SidecarState(Sidecar(f"http://127.0.0.1:{_closed_port()}", timeout=1.0), "postgres-statestore")
    client = _app(runtime, state=down, rate_limit_fail_open=fail_open)
    resp = client.get("/api/tasks", headers={"Authorization": token()})
    assert "RateLimit-Remaining" not in resp.headers  # nothing true to say
    if fail_open:
        assert resp.status_code == 200
    else:
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
        assert "rate limiter" in resp.get_json()["detail"]
