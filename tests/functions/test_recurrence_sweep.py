"""recurrence-sweep (cron, hourly): the successor a lost event did not spawn, once, in bounded batches.

Healthy, ended and stopped series are left alone, and a tick leaves a fresh completion to its event. A
series that cannot be healed is skipped and reported; it never fails the sweep for the others.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from tests.support.handlers import complete, create, delete, query
from tests.support.recurring import completed_events, deliver, drain, instances, lose_spawn_events, soon, sweep


def lost_completion(runtime):
    task = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="daily")
    complete(runtime, task.id)
    lose_spawn_events(runtime)
    drain(runtime)
    return task


def set_series(runtime, series_id, column, value):
    with runtime.db.transaction() as tx:  # a row as an older version, or a bug, could have left it
        tx.execute(f"UPDATE series SET {column} = %s WHERE id = %s", (value, series_id))


def test_a_failing_series_is_skipped_and_named_and_the_others_are_healed(runtime, caplog):
    broken = lost_completion(runtime)
    set_series(runtime, broken.series_id, "timezone", "Nowhere/Atlantis")
    healthy = [lost_completion(runtime) for _ in range(2)]
    with caplog.at_level(logging.ERROR):
        swept = sweep(runtime)  # HTTP 200: the run itself succeeds
    assert (swept["candidates"], swept["healed"], swept["failed"]) == (3, 2, 1)
    [failure] = swept["failed_series"]
    assert failure["task_id"] == str(broken.id) and "Atlantis" in failure["reason"]
    assert [len(instances(runtime, t.series_id)) for t in healthy] == [2, 2]
    assert any(r.getMessage() == "could not heal series; skipped" and r.exc_info for r in caplog.records)
    drain(runtime)
    [run] = query(runtime, "select details from audit_log where action = 'recurrence.swept'")
    assert (run["details"]["failed"], run["details"]["failed_series"][0]["task_id"]) == (1, str(broken.id))
    # The next run tries it again, and still heals nothing twice.
    again = sweep(runtime)
    assert (again["healed"], again["failed"]) == (0, 1)


def test_a_cron_tick_with_a_failing_series_still_answers_200(runtime):
    broken = lost_completion(runtime)
    set_series(runtime, broken.series_id, "timezone", "Nowhere/Atlantis")
    resp = (
        runtime.apps["recurrence-sweep"]
        .test_client()
        .post("/recurring-task-cron", data=b"", content_type="application/json")
    )
    assert resp.status_code == 200


def test_a_stored_rule_beyond_todays_limits_ends_its_series_instead_of_retrying_forever(runtime):
    task = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="daily")
    set_series(runtime, task.series_id, "rrule", "FREQ=DAILY;COUNT=9223372036854775808")
    complete(runtime, task.id)
    [event] = completed_events(runtime)
    lose_spawn_events(runtime)
    assert deliver(runtime, event) == "SUCCESS"  # not RETRY, then a dead letter
    [row] = query(runtime, "select ended_at from series where id = %s", (task.series_id,))
    assert row["ended_at"] is not None
    assert len(instances(runtime, task.series_id)) == 1
    swept = sweep(runtime)
    assert (swept["candidates"], swept["failed"]) == (0, 0)  # an ended series is not a candidate


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
