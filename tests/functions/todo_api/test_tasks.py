"""todo-api task handlers: create/get, reminders, time zone defaults, isolation, complete/reopen, delete."""

from __future__ import annotations

from datetime import timedelta

import pytest

from functions.domain.users import UpdateProfile
from functions.errors import Invalid, NotFound
from functions.todo_api.me import put_me
from tests.support.handlers import (
    DUE,
    api,
    at,
    complete,
    count,
    create,
    ctx,
    delete,
    get,
    listing,
    outbox_rows,
    reminder_rows,
    reopen,
    update,
)


def test_create_then_get_round_trip(runtime):
    created = create(
        runtime,
        title="Buy milk",
        description="two litres",
        priority="high",
        tags=["Home", "shop", "home"],
        due_at=DUE,
        timezone="Europe/Berlin",
    )
    assert created.status == "open"
    assert created.tags == ["home", "shop"]
    assert created.due_at == DUE
    assert created.created_at == created.updated_at
    assert created.completed_at is None and created.series_id is None and created.recurrence is None
    assert get(runtime, created.id) == created


def test_create_with_recurrence_starts_a_series(runtime):
    created = create(runtime, due_at=DUE, timezone="Europe/Berlin", recurrence="weekdays")
    assert created.recurrence == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    assert created.series_id is not None
    assert count(runtime, "series", "id = %s", (created.series_id,)) == 1


def test_create_with_invalid_recurrence_writes_nothing(runtime):
    with pytest.raises(Invalid) as caught:
        create(runtime, due_at=DUE, recurrence="FREQ=HOURLY")
    assert caught.value.field == "recurrence"
    assert [count(runtime, t) for t in ("tasks", "series", "users", "outbox")] == [0, 0, 0, 0]


def test_reminders_are_planned(runtime):
    fixed = at(-48)
    created = create(runtime, due_at=DUE, reminders=[{"before": "PT15M"}, {"at": fixed}, {"before": "P1D"}])
    planned = [(r.remind_at, r.state, r.before, r.at) for r in created.reminders]
    assert planned == [
        (fixed, "pending", None, fixed),
        (DUE - timedelta(days=1), "pending", "P1D", None),
        (DUE - timedelta(minutes=15), "pending", "PT15M", None),
    ]
    assert len(reminder_rows(runtime, created.id)) == 3


def test_timezone_defaults_to_utc(runtime):
    assert create(runtime).timezone == "UTC"


def test_timezone_defaults_to_the_token_claim(runtime):
    assert create(runtime, claims={"timezone": "America/New_York"}).timezone == "America/New_York"


def test_timezone_defaults_to_the_profile_over_the_token_claim(runtime):
    claims = {"timezone": "America/New_York"}
    profile = put_me(UpdateProfile(timezone="Asia/Tokyo"), api(runtime), ctx("alice", **claims))
    assert profile.timezone == "Asia/Tokyo"
    assert create(runtime, claims=claims).timezone == "Asia/Tokyo"
    assert create(runtime, claims=claims, timezone="Europe/Paris").timezone == "Europe/Paris"


@pytest.mark.parametrize(
    "attempt",
    [
        lambda rt, task_id: get(rt, task_id, user="bob"),
        lambda rt, task_id: update(rt, task_id, user="bob", title="mine now"),
        lambda rt, task_id: complete(rt, task_id, user="bob"),
        lambda rt, task_id: reopen(rt, task_id, user="bob"),
        lambda rt, task_id: delete(rt, task_id, user="bob"),
    ],
    ids=["get", "update", "complete", "reopen", "delete"],
)
def test_another_users_task_is_not_found(runtime, attempt):
    task = create(runtime, due_at=DUE, reminders=[{"before": "PT5M"}])
    events = len(outbox_rows(runtime))
    with pytest.raises(NotFound) as caught:
        attempt(runtime, task.id)
    assert caught.value.field == "id"
    assert get(runtime, task.id) == task
    assert len(outbox_rows(runtime)) == events


def test_another_users_tasks_are_not_listed(runtime):
    create(runtime, title="alice's")
    create(runtime, user="bob", title="bob's")
    assert [t.title for t in listing(runtime, user="bob").items] == ["bob's"]


def test_complete_and_reopen(runtime):
    task = create(runtime)
    done = complete(runtime, task.id)
    assert done.status == "done" and done.completed_at is not None
    assert done.updated_at > task.updated_at
    opened = reopen(runtime, task.id)
    assert opened.status == "open" and opened.completed_at is None


def test_complete_is_idempotent(runtime):
    task = create(runtime)
    done = complete(runtime, task.id)
    rows = len(outbox_rows(runtime))
    assert complete(runtime, task.id) == done
    assert len(outbox_rows(runtime)) == rows


def test_reopen_is_idempotent(runtime):
    task = create(runtime)
    rows = len(outbox_rows(runtime))
    assert reopen(runtime, task.id) == task
    assert len(outbox_rows(runtime)) == rows
    complete(runtime, task.id)
    reopen(runtime, task.id)
    rows = len(outbox_rows(runtime))
    reopen(runtime, task.id)
    assert len(outbox_rows(runtime)) == rows


def test_complete_cancels_pending_reminders(runtime):
    task = create(runtime, due_at=DUE, reminders=[{"before": "PT15M"}, {"at": at(-1)}])
    done = complete(runtime, task.id)
    assert done.reminders == []
    assert {r["state"] for r in reminder_rows(runtime, task.id)} == {"cancelled"}


def test_delete_is_soft_and_cancels_reminders(runtime):
    task = create(runtime, due_at=DUE, reminders=[{"before": "PT15M"}])
    other = create(runtime, title="keep me")
    assert delete(runtime, task.id) is None
    assert count(runtime, "tasks", "id = %s and deleted_at is not null", (task.id,)) == 1
    assert {r["state"] for r in reminder_rows(runtime, task.id)} == {"cancelled"}
    assert [t.id for t in listing(runtime).items] == [other.id]
    with pytest.raises(NotFound):
        get(runtime, task.id)


def test_second_delete_is_not_found_and_writes_nothing(runtime):
    task = create(runtime)
    delete(runtime, task.id)
    rows = len(outbox_rows(runtime))
    with pytest.raises(NotFound):
        delete(runtime, task.id)
    assert len(outbox_rows(runtime)) == rows


@pytest.mark.parametrize(
    "attempt",
    [
        lambda rt, task_id: update(rt, task_id, title="again"),
        lambda rt, task_id: complete(rt, task_id),
        lambda rt, task_id: reopen(rt, task_id),
    ],
    ids=["update", "complete", "reopen"],
)
def test_a_deleted_task_cannot_be_changed(runtime, attempt):
    task = create(runtime)
    delete(runtime, task.id)
    with pytest.raises(NotFound):
        attempt(runtime, task.id)
