"""spawn-recurrence (topic task-events, completed): the next instance, its copy, reminders, audit, the series' end.

Through the embedded broker, and once whatever happens: a redelivered or duplicated `completed`,
complete -> reopen -> complete, several replicas and a sweep at once.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from bindings.app import create_app
from tests.support.handlers import complete, create, delete, query, reminder_rows, reopen, update
from tests.support.recurring import BERLIN, completed_events, deliver, drain, instances, open_instances, soon


def test_completing_a_recurring_task_spawns_the_next_instance_with_its_details(runtime):
    due = soon(2)
    task = create(
        runtime,
        title="Water plants",
        description="the big ones",
        priority="high",
        tags=["home"],
        due_at=due,
        timezone="Europe/Berlin",
        recurrence="daily",
        reminders=[{"before": "PT15M"}, {"before": "P1D"}, {"at": (due - timedelta(hours=3)).isoformat()}],
    )
    complete(runtime, task.id)
    drain(runtime)
    done, nxt = instances(runtime, task.series_id)
    assert (done["id"], done["status"], nxt["status"]) == (task.id, "done", "open")
    assert nxt["due_at"] == due + timedelta(days=1)
    assert nxt["due_at"].astimezone(BERLIN).hour == 9
    assert (nxt["title"], nxt["tags"], nxt["priority"], nxt["timezone"], nxt["recurrence"]) == (
        "Water plants",
        ["home"],
        2,
        "Europe/Berlin",
        "FREQ=DAILY",
    )
    # Relative reminders move with the new due time; the absolute one belonged to the old instance.
    planned = [(r["before"], r["at"], r["remind_at"], r["state"]) for r in reminder_rows(runtime, nxt["id"])]
    expected = [(timedelta(minutes=15), nxt["due_at"] - timedelta(minutes=15)), (timedelta(days=1), due)]
    assert sorted((b, t) for b, a, t, s in planned if a is None and s == "pending") == sorted(expected)
    assert len(planned) == 2


def test_the_spawned_task_is_created_by_the_function_and_audited_as_such(runtime):
    task = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="weekly")
    complete(runtime, task.id)
    drain(runtime)
    [nxt] = [r for r in instances(runtime, task.series_id) if r["status"] == "open"]
    [event] = query(
        runtime,
        "select event from outbox where event->>'type' = 'com.todo.task.created.v1' and key = %s",
        (str(nxt["id"]),),
    )
    assert (event["event"]["source"], event["event"]["data"]["actor"]) == ("spawn-recurrence", "spawn-recurrence")
    assert event["event"]["data"]["user_id"] == "alice"
    [audit] = query(runtime, "select * from audit_log where task_id = %s", (nxt["id"],))
    assert (audit["user_id"], audit["actor"], audit["actor_type"], audit["action"]) == (
        "alice",
        "spawn-recurrence",
        "function",
        "task.created",
    )
    assert audit["details"] == {"series_id": str(task.series_id), "previous_task_id": str(task.id), "healed": False}


def test_a_late_completion_skips_missed_instances_instead_of_piling_them_up(runtime):
    overdue = soon(-3)  # three days ago; completed now
    task = create(runtime, due_at=overdue, timezone="Europe/Berlin", recurrence="daily")
    complete(runtime, task.id)
    drain(runtime)
    rows = instances(runtime, task.series_id)
    assert len(rows) == 2
    assert rows[1]["due_at"] > datetime.now(UTC) and rows[1]["due_at"] - datetime.now(UTC) <= timedelta(days=1)


def test_count_ends_the_series_and_nothing_more_is_spawned(runtime):
    task = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="FREQ=DAILY;COUNT=2")
    complete(runtime, task.id)
    drain(runtime)
    second = instances(runtime, task.series_id)[1]
    complete(runtime, second["id"])
    drain(runtime)
    assert len(instances(runtime, task.series_id)) == 2
    [series] = query(runtime, "select ended_at from series where id = %s", (task.series_id,))
    assert series["ended_at"] is not None


def test_a_one_off_task_spawns_nothing(runtime):
    task = create(runtime, due_at=soon())
    complete(runtime, task.id)
    drain(runtime)
    assert query(runtime, "select count(*) as n from tasks")[0]["n"] == 1


def test_a_new_due_time_starts_a_new_series_anchored_there(runtime):
    task = create(runtime, due_at=soon(2), timezone="Europe/Berlin", recurrence="daily")
    moved = update(runtime, task.id, due_at=soon(2, hour=18))
    assert moved.series_id != task.series_id
    complete(runtime, task.id)
    drain(runtime)
    nxt = instances(runtime, moved.series_id)[1]
    assert nxt["due_at"].astimezone(BERLIN).hour == 18
    assert instances(runtime, task.series_id) == []


def test_deleting_the_open_instance_stops_the_series(runtime):
    task = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="daily")
    complete(runtime, task.id)
    drain(runtime)
    nxt = instances(runtime, task.series_id)[1]
    delete(runtime, nxt["id"])
    [series] = query(runtime, "select ended_at from series where id = %s", (task.series_id,))
    assert series["ended_at"] is not None


def test_an_event_other_than_completed_is_dropped_with_its_reason(runtime):
    task = create(runtime, due_at=soon(), recurrence="daily")
    [created] = query(runtime, "select event from outbox where event->>'type' = 'com.todo.task.created.v1'")
    event = {**created["event"], "type": "com.todo.task.completed.v1"}  # routed here, but the payload says created
    assert deliver(runtime, event) == "DROP"
    assert len(instances(runtime, task.series_id)) == 1


def test_clearing_the_rule_ends_the_series_and_the_sweep_leaves_it_alone(runtime):
    task = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="daily")
    complete(runtime, task.id)
    drain(runtime)
    nxt = instances(runtime, task.series_id)[1]
    one_off = update(runtime, nxt["id"], recurrence=None)
    assert (one_off.series_id, one_off.recurrence) == (None, None)
    [series] = query(runtime, "select ended_at from series where id = %s", (task.series_id,))
    assert series["ended_at"] is not None
    complete(runtime, nxt["id"])
    drain(runtime)
    resp = runtime.apps["recurrence-sweep"].test_client().post("/run", json={})
    assert resp.get_json()["healed"] == 0
    assert query(runtime, "select count(*) as n from tasks")[0]["n"] == 2


def test_resending_the_stored_rule_keeps_the_series(runtime):
    task = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="weekly")
    same = update(runtime, task.id, recurrence="FREQ=WEEKLY", due_at=task.due_at, timezone="Europe/Berlin")
    assert same.series_id == task.series_id


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
