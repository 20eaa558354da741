"""One live series, always: only a series' latest instance may change its due time, zone or rule.

Every path that could leave two open instances is driven to its end here: the sweep, a redelivered
`completed` event, complete -> reopen -> complete, and a PATCH racing the predecessor's event.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from functions.errors import Conflict
from tests.support.handlers import complete, count, create, get, query, reopen, update
from tests.support.recurring import completed_events, deliver, drain, instances, lose_spawn_events, soon, sweep

SERIES_CHANGES = [
    {"recurrence": "weekly"},
    {"recurrence": "FREQ=DAILY;INTERVAL=2"},
    {"due_at": "+1h"},
    {"timezone": "America/New_York"},
    {"recurrence": None},
]


def open_tasks(runtime) -> list[dict]:
    return query(runtime, "select id, series_id, due_at from tasks where status = 'open' and deleted_at is null")


def resolved(change: dict, task) -> dict:
    return {k: (task.due_at + timedelta(hours=1) if v == "+1h" else v) for k, v in change.items()}


@pytest.fixture
def done_with_successor(runtime):
    """A daily task completed, and its successor spawned and open."""
    first = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="daily")
    complete(runtime, first.id)
    drain(runtime)
    done, successor = instances(runtime, first.series_id)
    assert (done["status"], successor["status"]) == ("done", "open")
    return first, successor


@pytest.mark.parametrize("change", SERIES_CHANGES)
def test_a_completed_instance_with_an_open_successor_cannot_change_the_series(runtime, done_with_successor, change):
    first, successor = done_with_successor
    events = count(runtime, "outbox")
    with pytest.raises(Conflict) as caught:
        update(runtime, first.id, **resolved(change, first))
    assert str(successor["id"]) in caught.value.detail
    assert caught.value.extra == {"latest_task_id": str(successor["id"])}
    assert caught.value.field == next(iter(change))
    assert count(runtime, "outbox") == events  # nothing written
    assert get(runtime, first.id).series_id == first.series_id
    sweep(runtime)
    drain(runtime)
    assert [t["id"] for t in open_tasks(runtime)] == [successor["id"]]


def test_the_409_reaches_the_client_as_a_problem_naming_the_successor(runtime, api, token, done_with_successor):
    first, successor = done_with_successor
    resp = api.patch(f"/api/tasks/{first.id}", json={"recurrence": "weekly"}, headers={"Authorization": token()})
    assert resp.status_code == 409 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["latest_task_id"] == str(successor["id"]) and str(successor["id"]) in body["detail"]
    assert [e["field"] for e in body["errors"]] == ["recurrence"]


def test_other_fields_of_a_completed_instance_stay_editable(runtime, done_with_successor):
    first, _ = done_with_successor
    changed = update(runtime, first.id, title="Watered", tags=["garden"], due_at=first.due_at, recurrence="daily")
    assert (changed.title, changed.tags, changed.series_id) == ("Watered", ["garden"], first.series_id)


def test_editing_the_open_successor_moves_the_series_and_a_redelivered_event_spawns_nothing(
    runtime, done_with_successor
):
    first, successor = done_with_successor
    moved = update(runtime, successor["id"], recurrence="weekly")
    assert moved.series_id != first.series_id
    [event] = completed_events(runtime)
    assert deliver(runtime, event) == "SUCCESS"  # the old series ended when its latest instance left it
    assert sweep(runtime)["healed"] == 0
    drain(runtime)
    assert [t["id"] for t in open_tasks(runtime)] == [successor["id"]]
    # And the earlier instance, now alone in the ended series, cannot start one either.
    with pytest.raises(Conflict, match="reopen it"):
        update(runtime, first.id, recurrence="FREQ=DAILY;INTERVAL=3")


def test_the_latest_instance_done_with_its_event_in_flight_may_change_the_series(runtime):
    task = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="daily")
    complete(runtime, task.id)
    [event] = completed_events(runtime)
    lose_spawn_events(runtime)
    drain(runtime)
    moved = update(runtime, task.id, recurrence="weekly")
    assert deliver(runtime, event) == "SUCCESS"
    assert deliver(runtime, event) == "SUCCESS"  # redelivered
    assert sweep(runtime)["healed"] == 0
    drain(runtime)
    [nxt] = open_tasks(runtime)
    assert nxt["series_id"] == moved.series_id
    assert nxt["due_at"] - task.due_at == timedelta(days=7)  # the new rule


def test_a_done_instance_whose_series_ended_is_reopened_before_it_starts_a_new_one(runtime):
    task = create(runtime, due_at=soon(), recurrence="FREQ=DAILY;COUNT=1")
    complete(runtime, task.id)
    drain(runtime)
    with pytest.raises(Conflict, match="reopen it"):
        update(runtime, task.id, recurrence="daily")
    assert update(runtime, task.id, recurrence=None).series_id is None  # leaving it starts nothing: allowed
    reopen(runtime, task.id)
    restarted = update(runtime, task.id, recurrence="daily")
    complete(runtime, restarted.id)
    drain(runtime)
    assert len(open_tasks(runtime)) == 1


def test_complete_reopen_complete_around_an_edit_of_the_latest_instance_keeps_one(runtime):
    task = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="daily")
    complete(runtime, task.id)
    reopen(runtime, task.id)
    moved = update(runtime, task.id, recurrence="weekly")
    complete(runtime, task.id)
    drain(runtime)  # the first completion's event finds the task's new series and its second completion
    sweep(runtime)
    drain(runtime)
    [nxt] = open_tasks(runtime)
    assert nxt["series_id"] == moved.series_id


def test_a_patch_racing_the_predecessors_event_leaves_one_open_instance(runtime):
    """Whichever commits first, the series row lock makes the other see it: a 409, or a spawn in the new series."""
    for _ in range(3):
        task = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="daily")
        complete(runtime, task.id)
        event = completed_events(runtime)[-1]
        lose_spawn_events(runtime)

        def patch(task_id=task.id):
            try:
                update(runtime, task_id, recurrence="weekly")
            except Conflict:
                return "409"
            return "200"

        with ThreadPoolExecutor(max_workers=2) as pool:
            edited = pool.submit(patch)
            delivered = pool.submit(deliver, runtime, event)
            assert (edited.result(), delivered.result()) in {("200", "SUCCESS"), ("409", "SUCCESS")}
        drain(runtime)
        assert len(open_tasks(runtime)) == 1  # from the event alone, whichever way the race went
        assert sweep(runtime)["healed"] == 0
        with runtime.db.transaction() as tx:  # a clean slate for the next round
            tx.execute("UPDATE tasks SET deleted_at = now() WHERE status = 'open'")
