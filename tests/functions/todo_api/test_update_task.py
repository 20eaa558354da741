"""todo-api update_task: partial updates, re-planning reminders, recurrence rules, no-ops and rollbacks."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from functions.errors import Invalid
from tests.support.handlers import DUE, at, count, create, get, outbox_rows, query, reminder_rows, update

UNCHANGED = ("description", "priority", "tags", "due_at", "timezone", "recurrence", "series_id", "created_at")


def pending(task):
    live = sorted((r for r in task.reminders if r.state == "pending"), key=lambda r: r.remind_at)
    return [(r.before, r.at, r.remind_at) for r in live]


def test_partial_update_changes_only_the_given_fields(runtime):
    task = create(runtime, description="two litres", priority="high", tags=["home"], due_at=DUE, recurrence="weekly")
    changed = update(runtime, task.id, title="Buy oat milk")
    assert changed.title == "Buy oat milk"
    assert changed.updated_at > task.updated_at
    for name in UNCHANGED:
        assert getattr(changed, name) == getattr(task, name), name
    assert get(runtime, task.id) == changed


def test_null_clears_an_optional_field(runtime):
    task = create(runtime, description="two litres")
    assert update(runtime, task.id, description=None).description is None


def test_tags_are_replaced(runtime):
    task = create(runtime, tags=["home", "shop"])
    assert update(runtime, task.id, tags=["Errands"]).tags == ["errands"]


def test_moving_due_at_moves_before_reminders_and_keeps_at_reminders(runtime):
    fixed = at(-3)
    task = create(runtime, due_at=DUE, reminders=[{"before": "PT15M"}, {"at": fixed}])
    moved = update(runtime, task.id, due_at=at(24))
    assert pending(moved) == [
        (None, fixed, fixed),
        ("PT15M", None, at(24) - timedelta(minutes=15)),
    ]
    assert [r.id for r in moved.reminders] == [r.id for r in task.reminders]


def test_clearing_due_at_cancels_relative_reminders(runtime):
    fixed = at(-3)
    task = create(runtime, due_at=DUE, reminders=[{"before": "PT15M"}, {"at": fixed}])
    cleared = update(runtime, task.id, due_at=None)
    assert cleared.due_at is None
    assert pending(cleared) == [(None, fixed, fixed)]
    states = {str(r["before"]): r["state"] for r in reminder_rows(runtime, task.id)}
    assert states == {"0:15:00": "cancelled", "None": "pending"}


def test_clearing_due_at_of_a_recurring_task_is_refused(runtime):
    task = create(runtime, due_at=DUE, recurrence="daily", reminders=[{"before": "PT15M"}])
    rows = len(outbox_rows(runtime))
    with pytest.raises(Invalid) as caught:
        update(runtime, task.id, due_at=None)
    assert caught.value.field == "due_at"
    assert get(runtime, task.id) == task
    assert len(outbox_rows(runtime)) == rows


def test_clearing_due_at_and_recurrence_together_is_allowed(runtime):
    task = create(runtime, due_at=DUE, recurrence="daily")
    cleared = update(runtime, task.id, due_at=None, recurrence=None)
    assert (cleared.due_at, cleared.recurrence, cleared.series_id) == (None, None, None)


def test_replacing_reminders(runtime):
    task = create(runtime, due_at=DUE, reminders=[{"before": "PT15M"}, {"at": at(-3)}])
    replaced = update(runtime, task.id, reminders=[{"before": "PT1H"}])
    assert pending(replaced) == [("PT1H", None, at(-1))]
    assert [r["state"] for r in reminder_rows(runtime, task.id)].count("cancelled") == 2
    assert update(runtime, task.id, reminders=[]).reminders == []


def test_before_reminders_on_a_task_without_due_are_refused(runtime):
    task = create(runtime)
    with pytest.raises(Invalid) as caught:
        update(runtime, task.id, reminders=[{"before": "PT15M"}])
    assert caught.value.field == "reminders"
    assert reminder_rows(runtime, task.id) == []


def test_before_reminders_with_a_new_due_at_in_the_same_patch(runtime):
    task = create(runtime)
    changed = update(runtime, task.id, due_at=DUE, reminders=[{"before": "PT30M"}])
    assert pending(changed) == [("PT30M", None, DUE - timedelta(minutes=30))]


def test_adding_a_recurrence_starts_a_series_and_changing_it_starts_a_new_one_from_this_instance(runtime):
    task = create(runtime, due_at=DUE, timezone="Europe/Berlin")
    weekly = update(runtime, task.id, recurrence="weekly")
    assert weekly.recurrence == "FREQ=WEEKLY" and weekly.series_id is not None
    monthly = update(runtime, task.id, recurrence="FREQ=MONTHLY;BYDAY=1MO")
    assert monthly.series_id not in (None, weekly.series_id)
    rows = query(runtime, "select id, rrule, anchor, ended_at from series order by created_at, id")
    old, new = sorted(rows, key=lambda r: r["id"] != weekly.series_id)
    assert (old["rrule"], old["ended_at"] is not None) == ("FREQ=WEEKLY", True)  # its only task left it
    assert (new["rrule"], new["anchor"], new["ended_at"]) == ("FREQ=MONTHLY;BYDAY=1MO", DUE, None)


def test_recurrence_without_due_at_is_refused(runtime):
    task = create(runtime)
    with pytest.raises(Invalid) as caught:
        update(runtime, task.id, recurrence="daily")
    assert caught.value.field == "due_at"


@pytest.mark.parametrize(
    "patch",
    [
        {},
        {"title": "Buy milk"},
        {"due_at": DUE.astimezone(timezone(timedelta(hours=5)))},  # the same instant in another offset
        {"tags": ["Home"], "priority": "medium", "timezone": "UTC"},
    ],
    ids=["empty", "same-title", "same-due", "same-values"],
)
def test_a_no_op_patch_emits_nothing(runtime, patch):
    task = create(runtime, due_at=DUE, tags=["home"], reminders=[{"before": "PT15M"}])
    rows = len(outbox_rows(runtime))
    after = update(runtime, task.id, **patch)
    assert after.model_dump(exclude={"updated_at"}) == task.model_dump(exclude={"updated_at"})
    assert len(outbox_rows(runtime)) == rows


def test_a_failing_update_writes_nothing(runtime):
    task = create(runtime, due_at=DUE, reminders=[{"before": "PT15M"}])
    rows = len(outbox_rows(runtime))
    reminders = reminder_rows(runtime, task.id)
    with pytest.raises(Invalid) as caught:
        update(runtime, task.id, title="changed", due_at=at(5), recurrence="FREQ=HOURLY")
    assert caught.value.field == "recurrence"
    assert get(runtime, task.id) == task
    assert reminder_rows(runtime, task.id) == reminders
    assert len(outbox_rows(runtime)) == rows
    assert count(runtime, "series") == 0
