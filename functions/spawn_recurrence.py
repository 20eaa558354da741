"""`spawn-recurrence` (topic task-events, completed only): create the next instance of a recurring task."""

from __future__ import annotations

from functions.context import Context
from functions.deps import Deps
from functions.domain.events import TaskEventData
from functions.errors import Invalid
from functions.next_occurrence import Spawned, spawn_next


def spawn_recurrence(event: TaskEventData, deps: Deps, ctx: Context) -> Spawned:
    if event.action != "completed":
        # The subscription's rule routes only completions here; anything else is a routing mistake.
        raise Invalid(f"spawn-recurrence handles completed events, not {event.action!r}", field="action")
    # The adapter's transaction (with the inbox row) is joined, so a redelivery changes nothing.
    with deps.db.transaction() as tx:
        spawned = spawn_next(tx, deps, event.task_id)
    deps.log.info("recurrence", extra=spawned.model_dump(mode="json"))
    return spawned
