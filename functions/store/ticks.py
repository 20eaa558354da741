"""Once per cron tick: the first replica to insert (function, tick) runs the job."""

from __future__ import annotations

from datetime import datetime

from functions.store.db import Tx


def claim(tx: Tx, function: str, tick: datetime, claimant: str) -> bool:
    row = tx.one(
        "INSERT INTO cron_ticks (function, tick, claimed_by) VALUES (%s, %s, %s)"
        " ON CONFLICT DO NOTHING RETURNING 1 AS won",
        (function, tick, claimant),
    )
    return row is not None
