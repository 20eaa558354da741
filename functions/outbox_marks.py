"""Marking outbox rows published, in batches, off the request path.

A published row only needs its mark so that outbox-relay does not publish it again; nothing else reads
it. So the fast path hands the ids of what it published to this queue, and one background thread marks
them every `interval` seconds (or as soon as `batch` ids wait) in ONE statement for all the requests
since the last one, instead of a transaction per request.

What it costs in guarantees: nothing is lost (the row and its event were committed before publishing).
A mark that never happens (a crash before the batch, a failed UPDATE) leaves the row to outbox-relay,
which republishes the very envelope the row holds, with the same CloudEvent id, once the row is older
than `outbox_grace_seconds`; the consumers' inbox drops that duplicate. `interval` must stay well under
that grace, so that a healthy process marks its rows before the relay looks at them.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from functions.store import outbox as rows
from functions.store.db import Database

IDLE_ROUNDS = 50  # empty intervals before the thread ends (10 s at the default interval)


class PublishedMarks:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        log: logging.Logger,
        *,
        interval: float = 0.2,
        batch: int = 500,
    ) -> None:
        self.db = db
        self.clock = clock
        self.log = log
        self.interval = interval
        self.batch = batch
        self._pending: list[UUID] = []
        self._busy = 0  # ids taken by the thread and not yet marked
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._at_exit = False
        self._hurry = False  # a flush is waiting: mark now rather than at the end of the interval

    def add(self, ids: list[UUID]) -> None:
        if not ids:
            return
        with self._cond:
            self._pending.extend(ids)
            if self._thread is None:  # started on use (after gunicorn's fork, in the worker); ends when idle
                self._thread = threading.Thread(target=self._run, name="outbox-marks", daemon=True)
                self._thread.start()
                if not self._at_exit:
                    atexit.register(self.flush, 2.0)  # a clean exit marks what it published
                    self._at_exit = True
            if len(self._pending) >= self.batch:
                self._cond.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every id handed over so far is marked (or given up); False on timeout."""
        with self._cond:
            self._hurry = True
            self._cond.notify_all()
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _run(self) -> None:
        idle = 0
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._hurry or len(self._pending) >= self.batch, self.interval)
                ids, self._pending, self._hurry = self._pending, [], False
                idle = 0 if ids else idle + 1
                if idle >= IDLE_ROUNDS:  # nothing for a while: end; the next `add` starts a thread again
                    self._thread = None
                    return
                self._busy = len(ids)
            try:
                if ids:
                    rows.mark_published_now(self.db, ids, self.clock())
            except Exception as exc:  # the relay will publish these again, with the same ids
                self.log.warning("could not mark events published", extra={"count": len(ids), "error": repr(exc)})
            finally:
                with self._cond:
                    self._busy = 0
                    self._cond.notify_all()
