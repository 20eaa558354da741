"""GET /api/audit: the caller's own audit trail, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from functions.context import Context
from functions.deps import Deps
from functions.store import audit


class AuditQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task_id: UUID | None = None
    limit: int = Field(50, ge=1, le=500)


class AuditEntry(BaseModel):
    id: UUID
    actor: str
    actor_type: str
    action: str
    task_id: UUID | None
    at: datetime
    before: dict[str, Any]
    after: dict[str, Any]
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntry]


def list_audit(query: AuditQuery, deps: Deps, ctx: Context) -> AuditPage:
    user = ctx.require_user()
    with deps.db.transaction() as tx:
        rows = audit.newest(tx, user.id, query.task_id, query.limit)
    return AuditPage(items=[AuditEntry(**r) for r in rows])
