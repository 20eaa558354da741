"""Queries of the task aggregate: tasks and their reminders, as the API renders them; keyset pages."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from functions.domain.tasks import PRIORITY_NAME, PRIORITY_RANK, ReminderView, Task, TaskQuery
from functions.errors import Invalid
from functions.store.db import Row, Tx

_COLUMNS = (
    "id, title, description, priority, tags, status, due_at, timezone, recurrence, series_id,"
    " created_at, updated_at, completed_at, version"
)
# sort key -> (column, the cursor value's type)
_SORTS: dict[str, str] = {"due_at": "due_key", "priority": "priority", "created_at": "created_at"}


def to_task(row: Row, reminders: list[ReminderView]) -> Task:
    return Task(**{**row, "priority": PRIORITY_NAME[row["priority"]], "reminders": reminders})


def get(tx: Tx, user_id: str, task_id: UUID, *, for_update: bool = False) -> Task | None:
    """The caller's live task, or None (also when it is someone else's or deleted)."""
    lock = " FOR UPDATE" if for_update else ""
    # The task and its reminders in one round trip: both queries go in one pipeline (the reminders of a task
    # that turns out not to be the caller's are read and dropped).
    task = tx.defer(
        f"SELECT {_COLUMNS} FROM tasks WHERE id = %s AND user_id = %s AND deleted_at IS NULL{lock}",
        (task_id, user_id),
    )
    reminders = reminders_of(tx, [task_id]).get(task_id, [])
    assert task.cursor is not None
    row = task.cursor.fetchone()
    return None if row is None else to_task(row, reminders)


def insert(tx: Tx, task_id: UUID, user_id: str, fields: dict[str, Any], now: datetime) -> Row:
    """Insert the task and return its row as stored (defaults, normalised values): no read-back needed."""
    row = tx.one(
        "INSERT INTO tasks (id, user_id, title, description, priority, tags, due_at, timezone, recurrence,"
        " series_id, created_at, updated_at)"
        " VALUES (%(id)s, %(user_id)s, %(title)s, %(description)s, %(priority)s, %(tags)s, %(due_at)s,"
        f" %(timezone)s, %(recurrence)s, %(series_id)s, %(now)s, %(now)s) RETURNING {_COLUMNS}",
        {
            **fields,
            "priority": PRIORITY_RANK[fields["priority"]],
            "id": task_id,
            "user_id": user_id,
            "now": now,
        },
    )
    assert row is not None
    return row


_UPDATABLE = {
    "title",
    "description",
    "priority",
    "tags",
    "due_at",
    "timezone",
    "recurrence",
    "series_id",
    "status",
    "completed_at",
    "deleted_at",
}


def update(tx: Tx, task_id: UUID, fields: dict[str, Any], now: datetime) -> Row:
    """Change the fields; returns the row as stored (RETURNING), so the reply need not read it back."""
    unknown = fields.keys() - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    values = {**fields}
    if "priority" in values:
        values["priority"] = PRIORITY_RANK[values["priority"]]
    sets = ", ".join(f"{name} = %({name})s" for name in values)
    row = tx.one(
        f"UPDATE tasks SET {sets}, updated_at = %(now)s, version = version + 1 WHERE id = %(id)s RETURNING {_COLUMNS}",
        {**values, "now": now, "id": task_id},
    )
    assert row is not None, f"task {task_id} vanished under its row lock"
    return row


def reminders_of(tx: Tx, task_ids: list[UUID]) -> dict[UUID, list[ReminderView]]:
    if not task_ids:
        return {}
    rows = tx.all(
        "SELECT id, task_id, remind_at, state, before, at FROM reminders"
        " WHERE task_id = ANY(%s) AND state <> 'cancelled' ORDER BY remind_at, id",
        (task_ids,),
    )
    found: dict[UUID, list[ReminderView]] = {}
    for r in rows:
        found.setdefault(r["task_id"], []).append(_view(r["id"], r["remind_at"], r["state"], r["before"], r["at"]))
    return found


def planned_views(planned: list[tuple[UUID, datetime, timedelta | None, datetime | None]]) -> list[ReminderView]:
    """The views of reminders just planned (`reminders.plan`), as `reminders_of` would read them back: pending,
    in UTC, ordered by time then id."""
    views = [
        _view(rid, when.astimezone(UTC), "pending", before, None if at is None else at.astimezone(UTC))
        for rid, when, before, at in planned
    ]
    return sorted(views, key=lambda v: (v.remind_at, v.id))


def _view(rid: UUID, when: datetime, state: str, before: timedelta | None, at: datetime | None) -> ReminderView:
    duration = None if before is None else _iso_duration(before.total_seconds())
    return ReminderView(id=rid, remind_at=when, state=state, before=duration, at=at)  # type: ignore[arg-type]


def _iso_duration(seconds: float) -> str:
    total = int(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    return "P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "" if days else "T0S")


def page(tx: Tx, user_id: str, query: TaskQuery) -> tuple[list[Task], str | None]:
    """One keyset page: ordered by the sort column then id, resumed strictly after the cursor."""
    descending = query.sort.startswith("-")
    sort_name = query.sort.lstrip("-")
    column = _SORTS[sort_name]
    where = ["user_id = %(user)s", "deleted_at IS NULL"]
    params: dict[str, Any] = {"user": user_id, "limit": query.limit + 1}
    if query.status != "all":
        where.append("status = %(status)s")
        params["status"] = query.status
    if query.priority:
        where.append("priority = %(priority)s")
        params["priority"] = PRIORITY_RANK[query.priority]
    if query.tag:
        where.append("tags @> %(tags)s")
        params["tags"] = query.tag
    if query.q:
        where.append("search @@ to_tsquery('simple', %(q)s)")
        params["q"] = _prefix_query(query.q)
    if query.due_before:
        where.append("due_at < %(due_before)s")
        params["due_before"] = query.due_before
    if query.due_after:
        where.append("due_at >= %(due_after)s")
        params["due_after"] = query.due_after
    if query.cursor:
        value, last_id = decode_cursor(query.cursor, query.sort)
        where.append(f"({column}, id) {'<' if descending else '>'} (%(after_value)s, %(after_id)s)")
        params.update(after_value=value, after_id=last_id)
    order = "DESC" if descending else "ASC"
    rows = tx.all(
        f"SELECT {_COLUMNS}, {column} AS sort_value FROM tasks WHERE {' AND '.join(where)}"
        f" ORDER BY {column} {order}, id {order} LIMIT %(limit)s",
        params,
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    reminders = reminders_of(tx, [r["id"] for r in rows])
    tasks = [to_task({k: v for k, v in r.items() if k != "sort_value"}, reminders.get(r["id"], [])) for r in rows]
    cursor = encode_cursor(query.sort, rows[-1]["sort_value"], rows[-1]["id"]) if more else None
    return tasks, cursor


def _prefix_query(text: str) -> str:
    """Each word as a quoted prefix lexeme, ANDed: 'meet plan' finds 'meeting planning'."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in text).split() if w]
    if not words:
        raise Invalid("q has no searchable word", field="q")
    return " & ".join(f"'{w.lower()}':*" for w in words)


def encode_cursor(sort: str, value: Any, last_id: UUID) -> str:
    plain = value.isoformat() if isinstance(value, datetime) else value
    raw = json.dumps([sort, plain, str(last_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, UUID]:
    """The (sort value, last id) that a cursor of ours carries; anything else is Invalid naming `cursor`.

    Every part is type-checked: a cursor is user input, and a well-formed JSON of other types (an id
    that is a number, a date that is a list, a naive time) must be a 422, not an error further down.
    """
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error) as exc:  # not base64, not UTF-8, not JSON
        raise _not_ours() from exc
    if not (isinstance(parts, list) and len(parts) == 3 and isinstance(parts[0], str) and isinstance(parts[2], str)):
        raise _not_ours()
    cursor_sort, value, last_id = parts
    if cursor_sort != sort:
        raise Invalid("cursor was made for another sort order; start again without it", field="cursor")
    try:
        last = UUID(last_id)
    except ValueError as exc:
        raise _not_ours() from exc
    if sort.lstrip("-") == "priority":
        if type(value) is not int or not 0 <= value <= 3:  # bool is an int subclass
            raise _not_ours()
        return value, last
    if not isinstance(value, str):
        raise _not_ours()
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _not_ours() from exc
    if instant.tzinfo is None:
        raise _not_ours()
    return instant, last


def _not_ours() -> Invalid:
    return Invalid("cursor is not one this API issued", field="cursor")
