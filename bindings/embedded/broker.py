"""Durable in-process pub/sub on PostgreSQL, delivering the way daprd does.

Publishing writes the message and one delivery row per subscription in one transaction, so an
event survives a crash like it would in Kafka. Delivery POSTs the CloudEvent to the subscriber's
route as `application/cloudevents+json` and reads the reply by Dapr's rules: SUCCESS or an empty
2xx acknowledges, DROP or 404 dead-letters, anything else retries per dapr/resiliency.yaml and
dead-letters once the retries are spent.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask

from bindings.embedded.resiliency import RetryPolicy
from bindings.table import FUNCTIONS
from functions.domain.dead_letters import REASON_ATTRIBUTE
from functions.store.db import Database, Tx

log = logging.getLogger("bindings.embedded.broker")
_TYPE_RULE = re.compile(r'^\s*event\.type\s*==\s*"([^"]+)"\s*$')


@dataclass(frozen=True)
class Subscription:
    app_id: str
    topic: str
    default_route: str
    rules: tuple[tuple[str, str], ...]  # (event type, path): the CEL form `event.type == "..."`
    dead_letter_topic: str | None

    def route_for(self, event: dict[str, Any]) -> str:
        for event_type, path in self.rules:
            if event.get("type") == event_type:
                return path
        return self.default_route


def subscriptions(pubsub: str) -> dict[str, list[Subscription]]:
    """What each function's GET /dapr/subscribe declares, by topic."""
    by_topic: dict[str, list[Subscription]] = {}
    for fn in FUNCTIONS.values():
        for sub in fn.trigger.subscriptions():
            if sub["pubsubname"] != pubsub:
                continue
            rules = []
            for rule in sub["routes"].get("rules", []):
                m = _TYPE_RULE.match(rule["match"])
                if not m:
                    raise ValueError(f'{fn.name}: the embedded broker only evaluates `event.type == "..."` rules')
                rules.append((m.group(1), rule["path"]))
            by_topic.setdefault(sub["topic"], []).append(
                Subscription(fn.name, sub["topic"], sub["routes"]["default"], tuple(rules), sub.get("deadLetterTopic"))
            )
    return by_topic


class Broker:
    """The publishing side; any process of the data dir (run, invoke) can publish."""

    def __init__(self, db: Database, subs: dict[str, list[Subscription]]) -> None:
        self.db = db
        self.subs = subs
        self.wake = threading.Event()

    def publish(self, topic: str, events: list[dict[str, Any]]) -> list[str]:
        if events:
            self.db.execute(*self._statement(topic, events))  # one statement: atomic, one round trip
        self.wake.set()
        return []

    def append(self, tx: Tx, topic: str, events: list[dict[str, Any]]) -> None:
        """Log the messages and fan them out to every subscription, within `tx`."""
        if events:
            tx.execute(*self._statement(topic, events))

    def _statement(self, topic: str, events: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        """The messages and their deliveries in ONE statement, as a bulk publish is one call: the messages take
        their ids from the sequence in the order given, and each delivery joins its message by position."""
        deliveries = [
            (n, sub.app_id, sub.route_for(event), sub.dead_letter_topic)
            for n, event in enumerate(events, start=1)
            for sub in self.subs.get(topic, [])
        ]
        sql = (
            "WITH x AS (SELECT nextval(pg_get_serial_sequence('pubsub_messages', 'id')) AS id, k, e, n"
            " FROM unnest(%(keys)b::text[], %(events)b::text[]) WITH ORDINALITY AS u(k, e, n)),"
            " m AS (INSERT INTO pubsub_messages (id, topic, key, event) SELECT id, %(topic)s, k, e::jsonb FROM x)"
            " INSERT INTO pubsub_deliveries (message_id, app_id, route, dead_letter_topic)"
            " SELECT x.id, d.app, d.route, d.dlt FROM x JOIN unnest(%(n)b::bigint[], %(apps)b::text[],"
            " %(routes)b::text[], %(dlts)b::text[]) AS d(n, app, route, dlt) ON d.n = x.n"
        )
        return sql, {
            "topic": topic,
            "keys": [event.get("partitionkey") for event in events],
            "events": [json.dumps(event) for event in events],
            "n": [d[0] for d in deliveries],
            "apps": [d[1] for d in deliveries],
            "routes": [d[2] for d in deliveries],
            "dlts": [d[3] for d in deliveries],
        }


class Deliverer:
    """The consuming side, in the `run` process: one thread, like a sidecar per subscriber."""

    def __init__(self, broker: Broker, apps: dict[str, Flask], retry: RetryPolicy, batch: int = 100) -> None:
        self.broker = broker
        self.clients = {name: app.test_client() for name, app in apps.items()}
        self.retry = retry
        self.batch = batch

    def run(self, stop: threading.Event, idle_wait: float = 0.25) -> None:
        while not stop.is_set():
            try:
                done = self.deliver_due()
            except Exception:
                log.exception("delivery loop error")
                done = 0
            if not done:
                self.broker.wake.wait(idle_wait)
                self.broker.wake.clear()

    def deliver_due(self) -> int:
        with self.broker.db.transaction() as tx:
            rows = tx.all(
                "SELECT d.id, d.app_id, d.route, d.dead_letter_topic, d.attempts, m.topic, m.event"
                " FROM pubsub_deliveries d JOIN pubsub_messages m ON m.id = d.message_id"
                " WHERE d.next_attempt_at <= now() ORDER BY d.next_attempt_at, d.id LIMIT %s"
                " FOR UPDATE OF d SKIP LOCKED",
                (self.batch,),
            )
            for row in rows:
                self._deliver(tx, row)
        return len(rows)

    def _deliver(self, tx: Tx, row: dict[str, Any]) -> None:
        client = self.clients.get(row["app_id"])
        if client is None:  # published by a process that knows a function this one does not serve
            return
        event = row["event"]
        headers = {"traceparent": event["traceparent"]} if event.get("traceparent") else {}
        # A fresh context: the subscriber's handler must open its own transaction, not join this one.
        resp = contextvars.Context().run(
            client.post,
            row["route"],
            data=json.dumps(event),
            content_type="application/cloudevents+json",
            headers=headers,
        )
        verdict, reason = read_reply(resp.status_code, resp.get_data())
        if verdict == "SUCCESS":
            tx.execute("DELETE FROM pubsub_deliveries WHERE id = %s", (row["id"],))
            return
        attempts = row["attempts"] + 1
        if verdict == "RETRY" and attempts <= self.retry.max_retries:
            tx.execute(
                "UPDATE pubsub_deliveries SET attempts = %s, last_error = %s, next_attempt_at = now() + %s"
                " WHERE id = %s",
                (attempts, reason, timedelta(seconds=self.retry.backoff(attempts)), row["id"]),
            )
            return
        log.warning(
            "message dead-lettered",
            extra={
                "app_id": row["app_id"],
                "topic": row["topic"],
                "event_id": event.get("id"),
                "reason": reason,
                "dead_letter_topic": row["dead_letter_topic"],
            },
        )
        tx.execute("DELETE FROM pubsub_deliveries WHERE id = %s", (row["id"],))
        if row["dead_letter_topic"]:
            # daprd forwards the message as it was; here the reason rides along as an extension
            # attribute, which dead-letters records and strips again before a replay.
            reason_attr = {REASON_ATTRIBUTE: f"{row['app_id']}: {reason}"}
            self.broker.append(tx, row["dead_letter_topic"], [{**event, **reason_attr}])


def read_reply(status: int, body: bytes) -> tuple[str, str]:
    """How daprd (dapr/dapr v1.18) reads a subscriber's reply, by the rules the module docstring sums up;
    the status is case-sensitive, so "success" is a retry, as it is for daprd."""
    if status == 404:
        return "DROP", "subscriber answered 404"
    if not 200 <= status < 300:
        return "RETRY", f"subscriber answered HTTP {status}"
    if not body.strip():
        return "SUCCESS", ""
    try:
        reply = json.loads(body)
    except ValueError:
        return "SUCCESS", ""  # a 2xx whose body is not JSON still acknowledges
    value = reply.get("status") if isinstance(reply, dict) else None
    if value in (None, "", "SUCCESS"):
        return "SUCCESS", ""
    detail = f": {reply['reason']}" if isinstance(reply.get("reason"), str) else ""
    if value == "DROP":
        return "DROP", f"subscriber answered DROP{detail}"
    return "RETRY", f"subscriber answered status {value!r}{detail}"
