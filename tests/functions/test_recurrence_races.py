"""Duplicates and races: a redelivered or duplicated `completed`, complete -> reopen -> complete, a concurrent
sweep; and the sweep healing a series whose event was lost."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bindings.app import create_app
from tests.support.handlers import complete, create, delete, query, reopen
from tests.support.recurring import completed_events, deliver, drain, instances, lose_spawn_events, sweep

BERLIN = ZoneInfo("Europe/Berlin")


def soon(days: int = 1) -> datetime:
    return (datetime.now(BERLIN) + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)


def open_instances(runtime, series_id) -> list[dict]:
    return [r for r in instances(runtime, series_id) if r["status"] == "open" and r["deleted_at"] is None]


@pytest.fixture
def completed_without_spawn(runtime):
    """A recurring task completed whose event spawn-recurrence never saw."""
    task = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="daily")
    complete(runtime, task.id)
    assert lose_spawn_events(runtime) == 1
    drain(runtime)
    assert len(instances(runtime, task.series_id)) == 1
    return task


def test_a_redelivered_completed_event_spawns_once(runtime, completed_without_spawn):
    task = completed_without_spawn
    [event] = completed_events(runtime)
    assert [deliver(runtime, event) for _ in range(3)] == ["SUCCESS"] * 3
    assert len(open_instances(runtime, task.series_id)) == 1


def test_the_same_completion_under_other_event_ids_spawns_once(runtime, completed_without_spawn):
    task = completed_without_spawn
    [event] = completed_events(runtime)
    for _ in range(3):
        assert deliver(runtime, {**event, "id": str(uuid.uuid4())}) == "SUCCESS"
    assert len(open_instances(runtime, task.series_id)) == 1


def test_complete_reopen_complete_spawns_once(runtime):
    task = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="daily")
    complete(runtime, task.id)
    drain(runtime)
    reopen(runtime, task.id)
    complete(runtime, task.id)
    drain(runtime)
    assert len(completed_events(runtime)) == 2
    rows = instances(runtime, task.series_id)
    assert [r["status"] for r in rows] == ["done", "open"]


def test_complete_reopen_complete_before_any_delivery_spawns_once(runtime):
    task = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="daily")
    complete(runtime, task.id)
    reopen(runtime, task.id)
    complete(runtime, task.id)
    drain(runtime)
    assert len(open_instances(runtime, task.series_id)) == 1


def test_reopened_before_its_event_arrives_spawns_nothing(runtime, completed_without_spawn):
    task = completed_without_spawn
    reopen(runtime, task.id)
    [event] = completed_events(runtime)
    assert deliver(runtime, event) == "SUCCESS"
    assert [r["status"] for r in instances(runtime, task.series_id)] == ["open"]


def test_concurrent_events_on_several_replicas_and_a_sweep_spawn_once(runtime, completed_without_spawn):
    task = completed_without_spawn
    [event] = completed_events(runtime)
    deps = runtime.deps["spawn-recurrence"]
    replicas = [create_app("spawn-recurrence", deps, app_token="").test_client() for _ in range(3)]
    sweeper = runtime.apps["recurrence-sweep"].test_client()

    def run(i: int) -> int:
        if i % 4 == 3:
            return sweeper.post("/run", json={}).status_code
        body = {**event, "id": event["id"] if i % 2 else str(uuid.uuid4())}
        return replicas[i % 3].post("/events/task-events", json=body).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(run, range(12), timeout=60))
    assert codes == [200] * 12
    assert len(open_instances(runtime, task.series_id)) == 1
    assert query(runtime, "select count(*) as n from tasks where series_id = %s", (task.series_id,))[0]["n"] == 2


def test_the_sweep_heals_a_series_whose_event_was_lost(runtime, completed_without_spawn):
    task = completed_without_spawn
    swept = sweep(runtime)
    assert (swept["candidates"], swept["healed"], swept["failed"]) == (1, 1, 0)
    drain(runtime)
    done, nxt = instances(runtime, task.series_id)
    assert nxt["due_at"] == done["due_at"] + timedelta(days=1)
    [audit] = query(runtime, "select actor, actor_type, details from audit_log where task_id = %s", (nxt["id"],))
    assert (audit["actor"], audit["actor_type"], audit["details"]["healed"]) == ("recurrence-sweep", "function", True)
    [run] = query(runtime, "select user_id, actor, details from audit_log where action = 'recurrence.swept'")
    assert (run["user_id"], run["actor"], run["details"]["healed"]) == ("@system", "recurrence-sweep", 1)
    # The lost event turning up after all, and the next sweep, change nothing.
    [event] = completed_events(runtime)
    assert deliver(runtime, event) == "SUCCESS"
    assert sweep(runtime)["healed"] == 0
    assert len(instances(runtime, task.series_id)) == 2


def test_the_sweep_leaves_healthy_ended_and_stopped_series_alone(runtime):
    healthy = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="daily")
    complete(runtime, healthy.id)
    drain(runtime)
    ended = create(runtime, due_at=soon(), recurrence="FREQ=DAILY;COUNT=1")
    complete(runtime, ended.id)
    stopped = create(runtime, due_at=soon(), recurrence="daily")
    delete(runtime, stopped.id)
    open_one = create(runtime, due_at=soon(), recurrence="daily")
    lose_spawn_events(runtime)
    drain(runtime)
    swept = sweep(runtime)
    assert (swept["healed"], swept["failed"]) == (0, 0)
    assert [len(instances(runtime, t.series_id)) for t in (healthy, ended, stopped, open_one)] == [2, 1, 1, 1]


def test_a_sweep_tick_leaves_a_fresh_completion_to_its_event(runtime, completed_without_spawn):
    task = completed_without_spawn
    resp = (
        runtime.apps["recurrence-sweep"]
        .test_client()
        .post("/recurring-task-cron", data=b"", content_type="application/json")
    )
    assert resp.status_code == 200
    assert len(instances(runtime, task.series_id)) == 1  # within the 60 s grace of a tick
    assert sweep(runtime)["healed"] == 1  # an ad hoc run heals at once


def test_the_sweep_works_in_bounded_batches(runtime):
    tasks = [create(runtime, due_at=soon(), recurrence="daily") for _ in range(5)]
    for t in tasks:
        complete(runtime, t.id)
    lose_spawn_events(runtime)
    resp = runtime.apps["recurrence-sweep"].test_client().post("/run", json={"batch": 2, "max_batches": 2})
    assert resp.get_json()["scanned_batches"] == 2
    healed_first = resp.get_json()["healed"]
    assert 1 <= healed_first <= 4
    assert sweep(runtime)["healed"] == 5 - healed_first
