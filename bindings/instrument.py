"""Time and count one handler run; the same wrapper for every trigger kind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from bindings.observability import metrics


class Run:
    outcome: str = "error"


@contextmanager
def measured(function: str, trigger: str) -> Iterator[Run]:
    """Record duration and outcome; the caller sets `run.outcome` before the block ends."""
    run = Run()
    started = time.perf_counter()
    try:
        yield run
    finally:
        m = metrics()
        m.duration.labels(function, trigger).observe(time.perf_counter() - started)
        m.calls.labels(function, trigger, run.outcome).inc()
        if trigger == "cron" and run.outcome == "success":
            # The batch-job convention: alerts compare it with the schedule (k8s/observability).
            m.cron_last_success.labels(function).set_to_current_time()
