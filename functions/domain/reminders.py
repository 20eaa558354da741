"""Reminder specs and their planning from a task's due time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from functions.domain.types import EARLIEST, Instant

ReminderState = Literal["pending", "claimed", "sent", "cancelled", "failed"]
MAX_LEAD = timedelta(days=366)


class ReminderSpec(BaseModel):
    """`{"before": "PT15M"}` (ISO 8601 duration before due) or `{"at": "<RFC 3339>"}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    before: timedelta | None = Field(None, description="ISO 8601 duration before due_at, e.g. PT15M")
    at: Instant | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ReminderSpec:
        if (self.before is None) == (self.at is None):
            raise ValueError("give exactly one of 'before' (ISO 8601 duration) or 'at' (RFC 3339 time)")
        if self.before is not None and not timedelta(0) <= self.before <= MAX_LEAD:
            raise ValueError("'before' must be between PT0S and P366D")
        return self


def remind_at(spec: ReminderSpec, due_at: datetime | None) -> datetime | None:
    """When the reminder fires; None when it is relative and the task has no due time."""
    if spec.at is not None:
        return spec.at
    if due_at is None or spec.before is None:
        return None
    return due_at - spec.before


def falls_too_early(due_at: datetime, before: timedelta) -> bool:
    """Whether `due_at - before` lies before EARLIEST (near year 1 it would not even be a datetime)."""
    return due_at - EARLIEST < before
