"""The one clock: what `Deps.clock` is outside tests, and what the adapters read when no handler is involved."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
