"""`outbox-relay` (cron, every few seconds): publish the outbox rows the fast path did not."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from functions.context import Context
from functions.deps import Deps
from functions.store import outbox


class RelayRun(BaseModel):
    # Strict: JSON `true` or "5" is no number of batches (pydantic's lax mode would take them as 1 and 5).
    model_config = ConfigDict(extra="forbid", strict=True)
    max_batches: int = Field(20, ge=1, le=1000, description="bounds one run; the next tick takes the rest")


class Relayed(BaseModel):
    published: int
    failed: int
    batches: int


def relay_outbox(cmd: RelayRun, deps: Deps, ctx: Context) -> Relayed:
    published = failed = batches = 0
    settings = deps.settings
    for _ in range(cmd.max_batches):
        with deps.db.transaction() as tx:
            cutoff = deps.clock() - timedelta(seconds=settings.outbox_grace_seconds)
            rows = outbox.claim_unpublished(tx, cutoff, settings.outbox_relay_batch)
            if not rows:
                break
            batches += 1
            # Rows stay locked while they are published, so two relay replicas never send the same batch.
            staged = [(r["topic"], r["event"]) for r in rows]
            sent = set(deps.outbox.publish_in(tx, staged))
            unsent = [r["id"] for r in rows if r["id"] not in sent]
            published += len(sent)
            failed += len(unsent)
            if unsent:
                outbox.count_attempt(tx, unsent)
                break  # the broker is struggling; leave the rest for the next tick
    if published or failed:
        deps.log.info("outbox relayed", extra={"published": published, "failed": failed, "batches": batches})
    return Relayed(published=published, failed=failed, batches=batches)


def backlog_gauges(deps: Deps) -> dict[str, float]:
    """Read when /metrics is scraped (`gauges=` in the table), so every relay replica reports the current
    backlog, including the replicas that lose every tick, and the figure stays true while no tick runs."""
    with deps.db.transaction(timeout=deps.settings.scrape_db_timeout_seconds) as tx:
        count, age = outbox.backlog(tx)
    return {"outbox_backlog": count, "outbox_backlog_age": max(age.total_seconds(), 0.0) if age else 0.0}
