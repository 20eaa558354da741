"""Validation of the task commands and queries: what the API accepts, and which field a refusal names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from functions.domain.reminders import ReminderSpec
from functions.domain.tasks import CreateTask, TaskQuery, UpdateTask

DUE = "2026-03-01T09:00:00+01:00"
TASK_ID = "7b3b7c8e-8a8f-4b89-9a4a-0a0f6f3b1c11"


def errors(model, **fields):
    """The (loc, message) of every error the model reports for these fields."""
    with pytest.raises(ValidationError) as caught:
        model(**fields)
    return [(e["loc"], e["msg"]) for e in caught.value.errors()]


def locs(model, **fields):
    return [loc for loc, _ in errors(model, **fields)]


def messages(model, **fields):
    return " ".join(msg for _, msg in errors(model, **fields))


@pytest.mark.parametrize("title", ["x", "a" * 200, "  padded  "])
def test_title_of_1_to_200_characters(title):
    assert CreateTask(title=title).title == title.strip()


@pytest.mark.parametrize("title", ["", "   ", "a" * 201])
def test_title_too_short_or_too_long(title):
    assert locs(CreateTask, title=title) == [("title",)]


def test_title_is_required():
    assert locs(CreateTask) == [("title",)]


@pytest.mark.parametrize(("field", "value"), [("title", "a\x00b"), ("description", "a\x00b"), ("tags", ["a\x00b"])])
def test_nul_characters_are_refused(field, value):
    assert locs(CreateTask, **{"title": "x", field: value})[0][0] == field


def test_description_up_to_10000_characters():
    assert CreateTask(title="x", description="d" * 10_000).description == "d" * 10_000
    assert locs(CreateTask, title="x", description="d" * 10_001) == [("description",)]


def test_defaults():
    task = CreateTask(title="x")
    assert (task.priority, task.tags, task.due_at, task.timezone, task.recurrence, task.reminders) == (
        "medium",
        [],
        None,
        None,
        None,
        [],
    )


def test_unknown_priority():
    assert locs(CreateTask, title="x", priority="critical") == [("priority",)]


def test_tags_are_lower_cased_stripped_and_deduplicated_in_order():
    assert CreateTask(title="x", tags=["Home", " home ", "WORK", "home"]).tags == ["home", "work"]
    assert UpdateTask(id=TASK_ID, tags=["A", "a", "B"]).tags == ["a", "b"]
    assert TaskQuery(tag=["Home"]).tag == ["home"]


def test_tag_limits():
    assert len(CreateTask(title="x", tags=[f"t{i}" for i in range(20)]).tags) == 20
    assert locs(CreateTask, title="x", tags=[f"t{i}" for i in range(21)]) == [("tags",)]
    assert CreateTask(title="x", tags=["a" * 50]).tags == ["a" * 50]
    assert locs(CreateTask, title="x", tags=["a" * 51]) == [("tags", 0)]
    assert locs(CreateTask, title="x", tags=["ok", " "]) == [("tags", 1)]


def test_naive_datetime_is_rejected_with_a_timezone_message():
    found = errors(CreateTask, title="x", due_at="2026-03-01T09:00:00")
    assert [loc for loc, _ in found] == [("due_at",)]
    assert "timezone" in found[0][1]


def test_naive_times_rejected_everywhere():
    assert locs(TaskQuery, due_before="2026-03-01T09:00:00") == [("due_before",)]
    assert locs(ReminderSpec, at="2026-03-01T09:00:00") == [("at",)]


@pytest.mark.parametrize("value", [1_700_000_000, 1_700_000_000.5])
def test_integer_timestamps_are_rejected(value):
    found = errors(CreateTask, title="x", due_at=value)
    assert [loc for loc, _ in found] == [("due_at",)]
    assert "RFC 3339" in found[0][1]
    assert locs(TaskQuery, due_after=value) == [("due_after",)]


def test_numeric_strings_are_rejected_as_timestamps():
    assert locs(CreateTask, title="x", due_at="1700000000") == [("due_at",)]
    assert locs(TaskQuery, due_before="1700000000") == [("due_before",)]


def test_offset_time_is_kept():
    task = CreateTask(title="x", due_at=DUE)
    assert task.due_at.utcoffset() == timedelta(hours=1)


def test_known_timezone():
    assert CreateTask(title="x", timezone="Europe/Berlin").timezone == "Europe/Berlin"


def test_unknown_timezone_is_named():
    found = errors(CreateTask, title="x", timezone="Mars/Olympus")
    assert [loc for loc, _ in found] == [("timezone",)]
    assert "'Mars/Olympus'" in found[0][1]


@pytest.mark.parametrize("name", ["America", "Etc"])
def test_timezone_that_is_a_directory_is_a_validation_error(name):
    assert locs(CreateTask, title="x", timezone=name) == [("timezone",)]


def test_reminders_up_to_10():
    at = {"at": DUE}
    assert len(CreateTask(title="x", reminders=[at] * 10).reminders) == 10
    assert locs(CreateTask, title="x", reminders=[at] * 11) == [("reminders",)]


@pytest.mark.parametrize("spec", [{}, {"before": "PT15M", "at": DUE}])
def test_reminder_needs_exactly_one_of_before_and_at(spec):
    found = errors(CreateTask, title="x", due_at=DUE, reminders=[spec])
    assert [loc for loc, _ in found] == [("reminders", 0)]
    assert "exactly one of 'before'" in found[0][1]


def test_reminder_before_is_an_iso_duration_within_bounds():
    assert ReminderSpec(before="PT15M").before == timedelta(minutes=15)
    assert ReminderSpec(before="P366D").before == timedelta(days=366)
    assert "between PT0S and P366D" in messages(ReminderSpec, before="P367D")
    assert "between PT0S and P366D" in messages(ReminderSpec, before="-PT5M")


def test_reminder_extra_field_forbidden():
    assert locs(ReminderSpec, at=DUE, channel="sms") == [("channel",)]


def test_before_reminder_needs_due_at():
    assert "'before' needs due_at" in messages(CreateTask, title="x", reminders=[{"before": "PT15M"}])
    assert CreateTask(title="x", reminders=[{"at": DUE}]).reminders[0].at is not None


def test_recurrence_needs_due_at():
    assert "recurrence needs due_at" in messages(CreateTask, title="x", recurrence="daily")
    assert CreateTask(title="x", due_at=DUE, recurrence="daily").recurrence == "daily"


def test_extra_fields_are_forbidden():
    assert locs(CreateTask, title="x", color="red") == [("color",)]
    assert locs(UpdateTask, id=TASK_ID, status="done") == [("status",)]
    assert locs(TaskQuery, page=2) == [("page",)]


def test_update_is_partial():
    patch = UpdateTask(id=TASK_ID, title="New", due_at=None, description=None)
    assert patch.changes() == {"title": "New", "due_at": None, "description": None}
    assert UpdateTask(id=TASK_ID).changes() == {}


@pytest.mark.parametrize("field", ["title", "priority", "tags", "timezone", "reminders"])
def test_update_refuses_null_for_required_fields(field):
    assert f"{field} cannot be null" in messages(UpdateTask, id=TASK_ID, **{field: None})


def test_update_validates_like_create():
    assert locs(UpdateTask, id=TASK_ID, title="a" * 201) == [("title",)]
    assert locs(UpdateTask, id=TASK_ID, timezone="Nowhere/Land") == [("timezone",)]
    assert locs(UpdateTask, id="not-a-uuid") == [("id",)]


@pytest.mark.parametrize(("limit", "ok"), [(0, False), (1, True), (200, True), (201, False)])
def test_query_limit(limit, ok):
    if ok:
        assert TaskQuery(limit=limit).limit == limit
    else:
        assert locs(TaskQuery, limit=limit) == [("limit",)]


@pytest.mark.parametrize("sort", ["due_at", "-due_at", "priority", "-priority", "created_at", "-created_at"])
def test_query_sorts(sort):
    assert TaskQuery(sort=sort).sort == sort


@pytest.mark.parametrize("sort", ["title", "+due_at", "due_at desc"])
def test_query_unknown_sort(sort):
    assert locs(TaskQuery, sort=sort) == [("sort",)]


def test_query_defaults_and_status():
    query = TaskQuery()
    assert (query.status, query.sort, query.limit, query.cursor) == ("all", "created_at", 50, None)
    assert locs(TaskQuery, status="deleted") == [("status",)]
    assert locs(TaskQuery, q="") == [("q",)]
