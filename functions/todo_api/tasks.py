"""Task CRUD: create, read, list, update, complete, reopen, delete."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from functions import task_cache
from functions.changes import record_task_change
from functions.context import Context
from functions.deps import Deps
from functions.domain import recurrence
from functions.domain.reminders import ReminderSpec, falls_too_early
from functions.domain.tasks import CreateTask, Task, TaskPage, TaskQuery, TaskRef, UpdateTask, due_at_missing
from functions.domain.users import User
from functions.errors import Conflict, Invalid, NotFound
from functions.store import reminders, series, tasks, users
from functions.store.db import Tx


def _zone_for(tx: Tx, user: User, requested: str | None) -> str:
    """The zone a new task lives in: the one requested, else the profile's, else the token's, else UTC. Registers
    the user on first write either way (one statement, deferred when the profile need not be read)."""
    if requested:
        users.ensure(tx, user.id, user.email, user.timezone)
        return requested
    return users.ensure_zone(tx, user.id, user.email, user.timezone) or user.timezone or "UTC"


def _rule(rule: str, due_at: Any, zone: str) -> str:
    try:
        return recurrence.normalize(rule, due_at.astimezone(ZoneInfo(zone)))
    except recurrence.RecurrenceError as exc:
        raise Invalid(str(exc), field="recurrence") from exc


def _check_reminder_times(specs: list[ReminderSpec], due_at: Any) -> None:
    for i, spec in enumerate(specs):
        if spec.before is not None and due_at is not None and falls_too_early(due_at, spec.before):
            raise Invalid("due_at minus 'before' falls before 0001-01-02T00:00:00Z", field=f"reminders.{i}.before")


def _load(tx: Tx, user: User, task_id: UUID) -> Task:
    task = tasks.get(tx, user.id, task_id, for_update=True)
    if task is None:
        raise NotFound(f"task {task_id} not found", field="id")
    return task


def create_task(cmd: CreateTask, deps: Deps, ctx: Context) -> Task:
    user = ctx.require_user()
    now = deps.clock()
    task_id = uuid4()
    _check_reminder_times(cmd.reminders, cmd.due_at)
    # One transaction in at most three round trips: the user (with the profile's zone when needed), the task
    # (RETURNING what was stored), then the reminders, the series and the outbox rows with the COMMIT. The
    # reply is built from what was written, not read back.
    with deps.db.transaction() as tx:
        zone = _zone_for(tx, user, cmd.timezone)
        fields = cmd.model_dump(exclude={"reminders"})
        fields.update(timezone=zone, series_id=None)
        if cmd.recurrence is not None:
            fields["recurrence"] = _rule(cmd.recurrence, cmd.due_at, zone)
            fields["series_id"] = uuid4()
            series.insert(tx, fields["series_id"], user.id, fields["recurrence"], cmd.due_at, zone)
        row = tasks.insert(tx, task_id, user.id, fields, now)
        planned = reminders.plan(tx, task_id, user.id, cmd.reminders, cmd.due_at)
        created = tasks.to_task(row, tasks.planned_views(planned))
        record_task_change(tx, deps, user.id, "created", None, created)
    return created


def get_task(ref: TaskRef, deps: Deps, ctx: Context) -> Task:
    """Read through the task cache (functions/task_cache.py); PostgreSQL answers on a miss."""
    user = ctx.require_user()

    def load() -> Task | None:
        with deps.db.transaction() as tx:
            return tasks.get(tx, user.id, ref.id)

    task = task_cache.read_through(deps, user.id, ref.id, load)
    if task is None:
        raise NotFound(f"task {ref.id} not found", field="id")
    return task


def list_tasks(query: TaskQuery, deps: Deps, ctx: Context) -> TaskPage:
    user = ctx.require_user()
    if query.due_before and query.due_after and query.due_after >= query.due_before:
        raise Invalid("due_after must be earlier than due_before", field="due_after")
    with deps.db.transaction() as tx:
        items, cursor = tasks.page(tx, user.id, query)
    return TaskPage(items=items, next_cursor=cursor)


def update_task(cmd: UpdateTask, deps: Deps, ctx: Context) -> Task:
    user = ctx.require_user()
    now = deps.clock()
    changes = cmd.changes()
    with deps.db.transaction() as tx:
        before = _load(tx, user, cmd.id)
        due_at = changes.get("due_at", before.due_at)
        zone = changes.get("timezone", before.timezone)
        rule = changes.get("recurrence", before.recurrence)
        fields = {k: v for k, v in changes.items() if k != "reminders"}
        if missing := due_at_missing(due_at, recurrence=rule):
            raise Invalid(missing[1], field=missing[0])
        fields.update(_series_change(tx, user, before, changes, rule, due_at, zone, now))
        if cmd.reminders is not None:
            if missing := due_at_missing(due_at, reminders=cmd.reminders):
                raise Invalid(missing[1], field=missing[0])
            _check_reminder_times(cmd.reminders, due_at)
            reminders.cancel_pending(tx, before.id, now)  # replaced: the new due time moves none of them
        if "due_at" in changes and due_at != before.due_at:
            longest = reminders.longest_live_before(tx, before.id)
            if due_at is not None and longest is not None and falls_too_early(due_at, longest):
                raise Invalid("due_at would move a 'before' reminder before 0001-01-02T00:00:00Z", field="due_at")
            reminders.replan(tx, before.id, due_at, now)
        if cmd.reminders is not None:
            reminders.plan(tx, before.id, user.id, cmd.reminders, due_at)
        row = tasks.update(tx, before.id, fields, now) if fields else None
        task_cache.invalidate_after_commit(tx, deps, user.id, before.id)
        # The reply from what was written (RETURNING); the reminders are read again only if they changed.
        replanned = cmd.reminders is not None or ("due_at" in changes and due_at != before.due_at)
        views = tasks.reminders_of(tx, [before.id]).get(before.id, []) if replanned else before.reminders
        after = before.model_copy(update={"reminders": views}) if row is None else tasks.to_task(row, views)
        if after.model_dump(exclude={"updated_at"}) != before.model_dump(exclude={"updated_at"}):
            record_task_change(tx, deps, user.id, "updated", before, after)
    return after


def _series_change(
    tx: Tx, user: User, before: Task, changes: dict[str, Any], rule: str | None, due_at: Any, zone: str, now: Any
) -> dict[str, Any]:
    """A new rule, due time or zone starts a new series anchored at this instance.

    The instances already done stay in the old series, which ends here unless a later instance
    carries it on. Re-sending what is already stored changes nothing. Only the series' latest
    instance may do this (see `_check_latest`): one live series, always.
    """
    sent = [name for name in ("due_at", "timezone", "recurrence") if name in changes]
    if not sent:
        return {}
    normalized = _rule(rule, due_at, zone) if "recurrence" in changes and rule is not None else rule
    if before.series_id is not None and (normalized, due_at, zone) == (
        before.recurrence,
        before.due_at,
        before.timezone,
    ):
        return {"recurrence": normalized}
    if before.series_id is not None:
        _check_latest(tx, before, sent[0], starts_series=normalized is not None)
        series.end_if_latest(tx, before.series_id, before.due_at, now)
    if normalized is None:
        return {"recurrence": None, "series_id": None}
    series_id = uuid4()
    series.insert(tx, series_id, user.id, normalized, due_at, zone)
    return {"recurrence": normalized, "series_id": series_id}


def _check_latest(tx: Tx, task: Task, field: str, *, starts_series: bool) -> None:
    """Refuse to change the series fields of an instance that is not its series' latest live one.

    Otherwise a completed instance whose successor is open would start a second series next to the
    first: after the next sweep, two open tasks. The series row lock (as spawn-recurrence and the
    sweep take it) serialises this with a spawn in flight, so "latest" cannot change underneath.
    """
    assert task.series_id is not None
    current = series.lock(tx, task.series_id)
    latest = series.latest_live(tx, task.series_id)
    if latest is not None and latest["id"] != task.id:
        raise Conflict(
            f"task {task.id} is an earlier instance of its series; change {field} on task {latest['id']},"
            " the series' latest instance, or change only this task's other fields",
            field=field,
            extra={"latest_task_id": str(latest["id"])},
        )
    # A done instance of an ended series would start a series whose latest instance is done, which the
    # sweep then continues: an ended series coming back. Reopening the task first says that is meant.
    if starts_series and task.status == "done" and current is not None and current["ended_at"] is not None:
        raise Conflict(f"task {task.id} ended its series; reopen it to start a new series from it", field=field)


def complete_task(ref: TaskRef, deps: Deps, ctx: Context) -> Task:
    return _set_status(ref, deps, ctx, "done")


def reopen_task(ref: TaskRef, deps: Deps, ctx: Context) -> Task:
    return _set_status(ref, deps, ctx, "open")


def _set_status(ref: TaskRef, deps: Deps, ctx: Context, status: str) -> Task:
    """Idempotent: asking for the status a task already has changes and emits nothing."""
    user = ctx.require_user()
    now = deps.clock()
    with deps.db.transaction() as tx:
        before = _load(tx, user, ref.id)
        if before.status == status:
            return before
        done = status == "done"
        row = tasks.update(tx, ref.id, {"status": status, "completed_at": now if done else None}, now)
        task_cache.invalidate_after_commit(tx, deps, user.id, ref.id)
        views = before.reminders
        if done:
            reminders.cancel_pending_later(tx, ref.id, now)
            views = [v for v in views if v.state not in reminders.LIVE_STATES]  # cancelled ones are not shown
        after = tasks.to_task(row, views)  # from what was written, not read back
        record_task_change(tx, deps, user.id, "completed" if done else "reopened", before, after)
    return after


def delete_task(ref: TaskRef, deps: Deps, ctx: Context) -> None:
    """Soft delete; pending reminders are cancelled. A second delete answers 404."""
    user = ctx.require_user()
    now = deps.clock()
    with deps.db.transaction() as tx:
        before = _load(tx, user, ref.id)
        reminders.cancel_pending(tx, ref.id, now)
        tasks.update(tx, ref.id, {"deleted_at": now}, now)
        task_cache.invalidate_after_commit(tx, deps, user.id, ref.id)
        if before.series_id is not None:
            # Deleting the latest instance stops the series; an older one leaves it running.
            series.end_if_latest(tx, before.series_id, before.due_at, now)
        record_task_change(tx, deps, user.id, "deleted", before, before.model_copy(update={"updated_at": now}))
