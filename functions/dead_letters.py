"""`dead-letters` (every `<topic>-dlq`): record dead-lettered messages; list, show and replay them.

The record keeps the original CloudEvent verbatim. A replay publishes it again to its original
topic with the SAME id, so consumers that had already processed it acknowledge it as a duplicate
(their inbox) and only those that had failed act on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from functions.context import Context
from functions.deps import Deps
from functions.domain.dead_letters import REASON_ATTRIBUTE, SUFFIX, original_topic
from functions.errors import NotFound, Transient
from functions.store import dead_letters

# Attributes the sidecar sets on each delivery; a replay must not claim to come from the dead-letter topic.
_PER_DELIVERY = ("topic", "pubsubname")


class DeadLetterIn(BaseModel):
    """What the adapter hands over: the dead-letter topic it arrived on and the whole CloudEvent."""

    model_config = ConfigDict(extra="forbid")
    topic: str = Field(min_length=len(SUFFIX) + 1, pattern=SUFFIX + "$")
    event: dict[str, Any]

    @field_validator("event")
    @classmethod
    def _has_id(cls, event: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(event.get("id"), str | int) or str(event["id"]) == "":
            raise ValueError("the dead-lettered CloudEvent has no id")
        return event


class DeadLetterRecorded(BaseModel):
    """The record's id, and whether this delivery made it (False: a redelivery of one already recorded)."""

    id: UUID
    new: bool


class DeadLetter(BaseModel):
    id: UUID
    topic: str
    original_topic: str
    event_id: str
    event_type: str | None
    reason: str | None
    times: int
    received_at: datetime
    replayed_at: datetime | None
    replays: int
    event: dict[str, Any] | None = None


class DeadLetterQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=1000)
    all: bool = Field(False, description="include those already replayed")
    topic: str | None = Field(None, max_length=300)


class DeadLetterPage(BaseModel):
    items: list[DeadLetter]


class DeadLetterRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: UUID


def record_dead_letter(letter: DeadLetterIn, deps: Deps, ctx: Context) -> DeadLetterRecorded:
    event = dict(letter.event)
    reason = event.pop(REASON_ATTRIBUTE, None)
    original = original_topic(letter.topic)
    with deps.db.transaction() as tx:
        record_id, new = dead_letters.record(tx, letter.topic, original, event, str(reason) if reason else None)
    if new:
        deps.meter.count("dead_letters", topic=letter.topic)
    deps.log.warning(
        "dead letter recorded" if new else "dead letter redelivered",
        extra={"dead_letter_id": str(record_id), "topic": letter.topic, "event_id": event["id"], "reason": reason},
    )
    return DeadLetterRecorded(id=record_id, new=new)


def list_dead_letters(query: DeadLetterQuery, deps: Deps, ctx: Context) -> DeadLetterPage:
    with deps.db.transaction() as tx:
        rows = dead_letters.newest(tx, query.limit, query.all, query.topic)
    return DeadLetterPage(items=[DeadLetter(**{**r, "event": None}) for r in rows])


def get_dead_letter(ref: DeadLetterRef, deps: Deps, ctx: Context) -> DeadLetter:
    with deps.db.transaction() as tx:
        row = dead_letters.get(tx, ref.id)
    if row is None:
        raise NotFound(f"dead letter {ref.id} not found", field="id")
    return DeadLetter(**row)


def replay_dead_letter(ref: DeadLetterRef, deps: Deps, ctx: Context) -> DeadLetter:
    """Publish the original event again, then mark the record; the row lock keeps replays one at a time."""
    with deps.db.transaction() as tx:
        row = dead_letters.get(tx, ref.id, for_update=True)
        if row is None:
            raise NotFound(f"dead letter {ref.id} not found", field="id")
        event = {k: v for k, v in row["event"].items() if k not in _PER_DELIVERY}
        failed = deps.publisher.publish(row["original_topic"], [event])
        if failed:
            raise Transient(f"could not publish event {row['event_id']} to {row['original_topic']}; try again")
        # A crash before this commit replays once more on the next try: consumers dedupe on the id.
        dead_letters.mark_replayed(tx, ref.id, deps.clock())
        row = dead_letters.get(tx, ref.id)
    assert row is not None
    deps.log.info("dead letter replayed", extra={"dead_letter_id": str(ref.id), "topic": row["original_topic"]})
    return DeadLetter(**row)


def open_gauge(deps: Deps) -> dict[str, float]:
    """Read when /metrics is scraped (`gauges=` in the table): the same figure on every replica."""
    with deps.db.transaction(timeout=deps.settings.scrape_db_timeout_seconds) as tx:
        return {"dead_letters_open": dead_letters.open_count(tx)}
