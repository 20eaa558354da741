"""Stage events in the change's transaction; publish them right after commit (the fast path)."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from functions.domain.events import Event, cloudevent
from functions.outbox_marks import PublishedMarks
from functions.protocols import Publisher
from functions.store import outbox as rows
from functions.store.db import Database, Tx


class Outbox:
    def __init__(
        self,
        db: Database,
        publisher: Publisher,
        source: str,
        clock: Callable[[], datetime],
        log: logging.Logger,
        fast_path_pause_s: float = 0.0,
    ) -> None:
        self.db = db
        self.publisher = publisher
        self.source = source
        self.clock = clock
        self.log = log
        self.fast_path_pause_s = fast_path_pause_s
        self._fast_path_paused_until = 0.0  # time.monotonic()
        self.marks = PublishedMarks(db, clock, log)  # functions/outbox_marks.py: batched, off the request path

    def emit(self, tx: Tx, events: Iterable[Event]) -> list[UUID]:
        """Write the events with the change; they are published only if the change commits."""
        staged: list[tuple[str, dict[str, Any]]] = []
        records = []
        now = self.clock()
        for event in events:
            event_id = uuid4()
            envelope = cloudevent(event, event_id=event_id, source=self.source, time=now)
            records.append((event_id, event.topic, event.key, envelope))
            staged.append((event.topic, envelope))
        if staged:
            rows.add(tx, records)
            tx.after_commit.append(lambda: self.publish(staged))
        return [UUID(e["id"]) for _, e in staged]

    def publish(self, staged: list[tuple[str, dict[str, Any]]]) -> int:
        """The fast path: publish, then hand the ids to the batched marks. Never raises.

        It runs in the request that made the change, after the commit. A broker that is down must not hold
        that request up (past daprd's call timeout, which answers 500 for a committed change and retries the
        call; with every thread waiting, /healthz too goes unanswered): so after a failed publish it stands
        aside for `fast_path_pause_s`, and outbox-relay, which polls anyway, publishes what it leaves.
        """
        if time.monotonic() < self._fast_path_paused_until:
            return 0
        sent = self.send(staged)
        if len(sent) < len(staged) and self.fast_path_pause_s:
            self._fast_path_paused_until = time.monotonic() + self.fast_path_pause_s
        self.marks.add(sent)  # marked in batches, off the request path (functions/outbox_marks.py)
        return len(sent)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait for the marks of what this process published so far (tests, the bench, shutdown)."""
        return self.marks.flush(timeout)

    def publish_in(self, tx: Tx, staged: list[tuple[str, dict[str, Any]]]) -> list[UUID]:
        """The relay's path: publish rows it holds locked and mark them in its own transaction."""
        sent = self.send(staged)
        rows.mark_published(tx, sent, self.clock())
        return sent

    def send(self, staged: list[tuple[str, dict[str, Any]]]) -> list[UUID]:
        """Publish per topic in bulk; return the ids that went out. Failures are logged, never raised.
        After a topic's publish fails the others are not tried: they would wait for the same broker."""
        by_topic: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for topic, envelope in staged:
            by_topic[topic].append(envelope)
        sent: list[UUID] = []
        for topic, envelopes in by_topic.items():
            try:
                failed = set(self.publisher.publish(topic, envelopes))
            except Exception as exc:
                self.log.warning(
                    "publish failed; outbox-relay will retry",
                    extra={"topic": topic, "count": len(staged) - len(sent), "error": repr(exc)},
                )
                break
            if failed:
                self.log.warning(
                    "some events were not published; outbox-relay will retry",
                    extra={"topic": topic, "failed": len(failed)},
                )
            sent.extend(UUID(e["id"]) for e in envelopes if e["id"] not in failed)
        return sent
