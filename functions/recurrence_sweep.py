"""`recurrence-sweep` (cron recurring-task-cron, hourly): spawn the successor a lost event did not.

A series needs one when its latest instance is done (not deleted) and nothing follows it. Each
series is healed in a transaction of its own, so one failure neither blocks nor undoes the others:
a series that fails is skipped, logged at ERROR with its reason, and named in the run's result
(`failed`, `failed_series`) and its `recurrence.swept` audit record; the run itself succeeds, so
that one bad series cannot fail every run for all the others. The next run tries it again.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from functions.changes import record_run
from functions.context import Context
from functions.deps import Deps
from functions.next_occurrence import spawn_next
from functions.store import series


class SweepRun(BaseModel):
    # Strict: JSON `true` or "5" is no number of batches (pydantic's lax mode would take them as 1 and 5).
    model_config = ConfigDict(extra="forbid", strict=True)
    batch: int = Field(500, ge=1, le=10_000, description="series scanned per query")
    max_batches: int = Field(200, ge=1, le=10_000, description="bounds one run; the next tick goes on")


MAX_NAMED_FAILURES = 50  # a run names at most this many failed series; `failed` counts them all


class FailedSeries(BaseModel):
    task_id: UUID  # the series' latest, completed task
    reason: str


class Swept(BaseModel):
    scanned_batches: int
    candidates: int
    healed: int
    ended: int
    failed: int
    failed_series: list[FailedSeries] = Field(default_factory=list)


def sweep_recurrence(cmd: SweepRun, deps: Deps, ctx: Context) -> Swept:
    now = deps.clock()
    # On a tick, leave a just-completed task to its in-flight event; an ad hoc run heals at once.
    grace = timedelta(seconds=deps.settings.recurrence_sweep_grace_seconds if ctx.tick else 0)
    counts = {"candidates": 0, "healed": 0, "ended": 0, "failed": 0}
    failures: list[FailedSeries] = []
    after: UUID | None = None
    batches = 0
    while batches < cmd.max_batches:
        batches += 1
        with deps.db.transaction() as tx:
            due, after = series.needing_successor(tx, after, cmd.batch, now - grace)
        counts["candidates"] += len(due)
        for task_id in due:
            _heal(deps, task_id, counts, failures)
        if after is None:
            break
    swept = Swept(scanned_batches=batches, **counts, failed_series=failures)
    if swept.healed or swept.ended or swept.failed:
        with deps.db.transaction() as tx:
            record_run(tx, deps, "recurrence.swept", swept.model_dump(mode="json"))
    log = deps.log.error if swept.failed else deps.log.info
    log("recurrence sweep", extra=swept.model_dump(mode="json"))
    return swept


def _heal(deps: Deps, task_id: UUID, counts: dict[str, int], failures: list[FailedSeries]) -> None:
    try:
        with deps.db.transaction() as tx:
            spawned = spawn_next(tx, deps, task_id, healed=True)
    except Exception as exc:  # whatever it is, it must not stop the other series' healing
        deps.log.exception("could not heal series; skipped", extra={"task_id": str(task_id)})
        counts["failed"] += 1
        if len(failures) < MAX_NAMED_FAILURES:
            failures.append(FailedSeries(task_id=task_id, reason=f"{type(exc).__name__}: {exc}"[:500]))
        return
    if spawned.outcome == "spawned":
        counts["healed"] += 1
    elif spawned.outcome == "series ended":
        counts["ended"] += 1
