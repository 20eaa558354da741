"""Read-modify-write on the state store under the read etag, tried again when another writer got there first."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from functions.errors import Conflict
from functions.protocols import Meter

T = TypeVar("T")


class StillConflicting(Conflict):
    """Every attempt met another writer; the caller decides what the client is told."""


def retry_on_conflict(
    attempt: Callable[[], T], meter: Meter, kind: str, *, attempts: int, first_pause: float, max_pause: float
) -> T:
    """Run `attempt` (read, change, save with the read etag) until it raises no Conflict.

    Between tries a random pause of up to `first_pause` doubled each time, never above `max_pause`: the
    jitter keeps racing writers from meeting again. Each conflict is counted as
    `todo_state_conflicts_total{kind}`.
    """
    for n in range(attempts):
        if n:
            time.sleep(random.uniform(0, min(max_pause, first_pause * 2**n)))
        try:
            return attempt()
        except Conflict:
            meter.count("state_conflicts", kind=kind)
    raise StillConflicting(f"{attempts} attempts met a concurrent write")
