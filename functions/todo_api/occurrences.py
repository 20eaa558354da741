"""GET /api/tasks/{id}/occurrences?count=N: the first N instances of the task's series, from its anchor."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from functions.context import Context
from functions.deps import Deps
from functions.domain import occurrences
from functions.domain.recurrence import RecurrenceError
from functions.errors import Conflict, NotFound
from functions.store import series, tasks


class OccurrenceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: UUID
    count: int = Field(10, ge=1, le=occurrences.MAX_COUNT)


class Occurrences(BaseModel):
    series_id: UUID | None
    timezone: str
    occurrences: list[str] = Field(description="RFC 3339 with the series zone's offset at each instance")
    truncated: bool = Field(False, description="the work limit of one evaluation ended the list before `count`")


def list_occurrences(query: OccurrenceQuery, deps: Deps, ctx: Context) -> Occurrences:
    """A recurring task answers from its series' anchor; a dated one-off is a series of one; undated, none."""
    user = ctx.require_user()
    with deps.db.transaction() as tx:
        task = tasks.get(tx, user.id, query.id)
        if task is None:
            raise NotFound(f"task {query.id} not found", field="id")
        found = series.get(tx, task.series_id) if task.series_id else None
    if found is not None:
        zone = found["timezone"]
        try:
            instants, complete = occurrences.listing(found["rrule"], found["anchor"], zone, query.count)
        except RecurrenceError as exc:  # a rule stored before today's checks
            raise Conflict(
                f"this series' stored rule can no longer be evaluated ({exc}); PATCH recurrence on its latest task",
                field="recurrence",
            ) from exc
    else:
        zone = task.timezone
        instants = [] if task.due_at is None else occurrences.first(None, task.due_at, zone, 1)
        complete = True
    return Occurrences(
        series_id=task.series_id,
        timezone=zone,
        occurrences=[t.isoformat() for t in instants],
        truncated=not complete,
    )
