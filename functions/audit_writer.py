"""`audit-writer` (topic audit-logs): persist one append-only audit record per event, once per event id."""

from __future__ import annotations

from uuid import UUID, uuid5

from pydantic import BaseModel

from functions.context import Context
from functions.deps import Deps
from functions.domain.events import AuditRecordData
from functions.store import audit

_NON_UUID_IDS = UUID("6f1c8f0e-3b7e-4f57-9d43-5d1c7a0a7c11")


class AuditWritten(BaseModel):
    """The audit record's id, and whether this event wrote it (False: the event id was seen before)."""

    id: UUID
    new: bool


def write_audit(record: AuditRecordData, deps: Deps, ctx: Context) -> AuditWritten:
    event_id = ctx.event_id or ""
    # Our own ids are UUIDs; a foreign producer's id is mapped to a stable UUID, still one row per id.
    try:
        record_id = UUID(event_id)
    except ValueError:
        record_id = uuid5(_NON_UUID_IDS, event_id)
    with deps.db.transaction() as tx:
        new = audit.append(tx, record_id, record)
    return AuditWritten(id=record_id, new=new)
