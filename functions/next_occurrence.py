"""The next instance of a series after a completed task: shared by spawn-recurrence and recurrence-sweep.

Whoever gets here first (the `completed` event, its redelivery, the hourly sweep) holds the series
row lock; the others then find the successor and do nothing. The unique (series_id, due_at) is the
last line of defence should anything insert without that lock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID, uuid4

from pydantic import BaseModel

from functions.changes import record_task_change
from functions.deps import Deps
from functions.domain import occurrences
from functions.domain.recurrence import RecurrenceError
from functions.domain.tasks import PRIORITY_NAME
from functions.store import reminders, series, tasks
from functions.store.db import Row, Tx

# What became of one attempt to spawn a successor.
SpawnOutcome = Literal["spawned", "series ended", "successor exists", "not done", "not recurring"]


class Spawned(BaseModel):
    completed_task_id: UUID
    outcome: SpawnOutcome
    task_id: UUID | None = None
    due_at: datetime | None = None
    detail: str | None = None  # why a series ended early: its stored rule could not be evaluated


def spawn_next(tx: Tx, deps: Deps, task_id: UUID, *, healed: bool = False) -> Spawned:
    """Create the first instance after both the completed one's due time and its completion time."""
    now = deps.clock()
    done = series.lock_with_task(tx, task_id)
    for _ in range(3):
        # A PATCH may have moved the task to a new series while this waited for the old one's lock
        # (which it then ended): follow the task, so the new series gets its successor from this event.
        if done is None or series.of_task(tx, task_id) == done["series_id"]:
            break
        done = series.lock_with_task(tx, task_id)
    if done is None:
        return Spawned(completed_task_id=task_id, outcome="not recurring")
    if done["status"] != "done" or done["deleted_at"] is not None:
        return Spawned(completed_task_id=task_id, outcome="not done")  # reopened or deleted since
    if done["ended_at"] is not None:
        return Spawned(completed_task_id=task_id, outcome="series ended")
    if series.has_later(tx, done["series_id"], done["due_at"]):
        return Spawned(completed_task_id=task_id, outcome="successor exists")
    moment = max(done["due_at"], done["completed_at"])
    try:
        due = occurrences.next_after(done["rrule"], done["anchor"], done["series_timezone"], moment)
    except RecurrenceError as exc:
        # A rule stored before today's checks, or whose next date lies beyond one evaluation's work limit:
        # no retry can change that, so the series ends here (logged), rather than failing on every try.
        deps.log.error(
            "series ended: its rule cannot be evaluated",
            extra={"series_id": str(done["series_id"]), "rule": done["rrule"], "reason": str(exc)},
        )
        series.end(tx, done["series_id"], now)
        return Spawned(completed_task_id=task_id, outcome="series ended", detail=str(exc))
    if due is None:
        series.end(tx, done["series_id"], now)
        return Spawned(completed_task_id=task_id, outcome="series ended")
    new_id = uuid4()
    if not series.insert_instance(tx, new_id, done["user_id"], _copied(done, due), now):
        return Spawned(completed_task_id=task_id, outcome="successor exists")
    # A reminder whose time has already passed (a late heal) would only be noise.
    specs = [s for s in series.before_specs(tx, done) if s.before is not None and due - s.before > now]
    reminders.plan(tx, new_id, done["user_id"], specs, due)
    created = tasks.get(tx, done["user_id"], new_id)
    assert created is not None
    details = {"series_id": str(done["series_id"]), "previous_task_id": str(task_id), "healed": healed}
    record_task_change(
        tx, deps, deps.function, "created", None, created, owner=done["user_id"], actor_type="function", details=details
    )
    return Spawned(completed_task_id=task_id, outcome="spawned", task_id=new_id, due_at=due)


def _copied(done: Row, due: datetime) -> dict[str, object]:
    """What an instance keeps of the one before: title, description, priority, tags, zone and rule."""
    return {
        "title": done["title"],
        "description": done["description"],
        "priority": PRIORITY_NAME[done["priority"]],
        "tags": done["tags"],
        "due_at": due,
        "timezone": done["timezone"],
        "recurrence": done["recurrence"],
        "series_id": done["series_id"],
    }
