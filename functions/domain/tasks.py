"""Task commands, queries and views, and the rules that tie them together."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from functions.domain.reminders import ReminderSpec, ReminderState
from functions.domain.types import Instant, Tag, Text, TimeZoneName, too_long

Priority = Literal["low", "medium", "high", "urgent"]
PRIORITY_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "urgent": 3}
PRIORITY_NAME = {rank: name for name, rank in PRIORITY_RANK.items()}
Status = Literal["open", "done"]
SortKey = Literal["due_at", "-due_at", "priority", "-priority", "created_at", "-created_at"]

Description = Field(None, max_length=10_000)


def _unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


@cache
def _max_lengths(model: type[BaseModel]) -> dict[str, int]:
    """Each string field's maxLength as the model's JSON Schema (docs/openapi.json) states it."""
    out: dict[str, int] = {}
    for name, prop in model.model_json_schema()["properties"].items():
        for variant in (prop, *prop.get("anyOf", [])):
            if "maxLength" in variant:
                out[name] = variant["maxLength"]
    return out


class _StripsWhitespace(BaseModel):
    """A command that strips the whitespace around its strings, yet holds their length limits to the text as
    sent, as its JSON Schema states them: else a 201-character title ending in a space passed as 200."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _within_limit_as_sent(cls, value: Any, info: ValidationInfo) -> Any:
        limit = _max_lengths(cls).get(info.field_name or "")
        if isinstance(value, str) and limit is not None and len(value) > limit:
            raise too_long(limit)
        return value


class CreateTask(_StripsWhitespace):
    title: Text = Field(min_length=1, max_length=200)
    description: Text | None = Description
    priority: Priority = "medium"
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    due_at: Instant | None = None
    timezone: TimeZoneName | None = None
    recurrence: str | None = Field(None, max_length=500)
    reminders: list[ReminderSpec] = Field(default_factory=list, max_length=10)

    _dedupe_tags = field_validator("tags")(_unique)

    @model_validator(mode="after")
    def _needs_due(self) -> CreateTask:
        missing = due_at_missing(self.due_at, recurrence=self.recurrence, reminders=self.reminders)
        if missing:
            raise ValueError(missing[1])
        return self


def _no_null(schema: dict[str, Any]) -> None:
    """The JSON Schema of a field that may be left out (kept as it is) but not sent as null (`_not_null`)."""
    variants = [v for v in schema.pop("anyOf", []) if v != {"type": "null"}]
    if len(variants) == 1:
        schema.update(variants[0])
    schema.pop("default", None)


class UpdateTask(_StripsWhitespace):
    """A partial update: only the fields present change; `null` clears an optional field."""

    id: UUID
    title: Text | None = Field(None, min_length=1, max_length=200, json_schema_extra=_no_null)
    description: Text | None = Description
    priority: Priority | None = Field(None, json_schema_extra=_no_null)
    tags: list[Tag] | None = Field(None, max_length=20, json_schema_extra=_no_null)
    due_at: Instant | None = None
    timezone: TimeZoneName | None = Field(None, json_schema_extra=_no_null)
    recurrence: str | None = Field(None, max_length=500)
    reminders: list[ReminderSpec] | None = Field(None, max_length=10, json_schema_extra=_no_null)

    @field_validator("tags")
    @classmethod
    def _dedupe(cls, tags: list[str] | None) -> list[str] | None:
        return None if tags is None else _unique(tags)

    @field_validator("title", "priority", "tags", "timezone", "reminders", mode="before")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        # Only fields the body sends are validated, so this names the one that was sent as null.
        if value is None:
            raise ValueError(f"{info.field_name} cannot be null: leave it out to keep it")
        return value

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set if name != "id"}


def due_at_missing(
    due_at: datetime | None, *, recurrence: str | None = None, reminders: Iterable[ReminderSpec] = ()
) -> tuple[str, str] | None:
    """What a task without a due time cannot have: the field at fault and why, or None.

    A recurrence (its first due date anchors the series) and a `before` reminder (it counts back from
    the due time) both need `due_at`. Creating a task checks both at once; a PATCH checks each where
    it applies.
    """
    if due_at is not None:
        return None
    if recurrence is not None:
        return "due_at", "recurrence needs due_at: the first due date anchors the series"
    if any(r.before is not None for r in reminders):
        return "reminders", "a reminder with 'before' needs due_at"
    return None


class TaskRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: UUID


class TaskQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["open", "done", "all"] = "all"
    priority: Priority | None = None
    tag: list[Tag] = Field(default_factory=list, max_length=20)
    q: str | None = Field(None, min_length=1, max_length=200)
    due_before: Instant | None = None
    due_after: Instant | None = None
    sort: SortKey = "created_at"
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)


class ReminderView(BaseModel):
    id: UUID
    remind_at: datetime
    state: ReminderState
    before: str | None = None
    at: datetime | None = None


class Task(BaseModel):
    id: UUID
    title: str
    description: str | None
    priority: Priority
    tags: list[str]
    status: Status
    due_at: datetime | None
    timezone: str
    recurrence: str | None
    series_id: UUID | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    reminders: list[ReminderView] = Field(default_factory=list)


class TaskPage(BaseModel):
    items: list[Task]
    next_cursor: str | None


AUDITED_FIELDS = ("title", "description", "priority", "tags", "due_at", "timezone", "recurrence", "status")


def snapshot(task: Task) -> dict[str, Any]:
    """The audited fields of a task, JSON-ready."""
    data = task.model_dump(mode="json")
    return {name: data[name] for name in AUDITED_FIELDS}


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The changed fields only, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before[k] for k in keys if k in before}, {k: after[k] for k in keys}
