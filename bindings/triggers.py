"""The declaration model: triggers (cron, topic, dead-letter topics, invoke routes) and functions.

`bindings/table.py` holds the table itself; everything here is what an entry of it can say.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Literal

from functions.domain.dead_letters import dead_letter_topic

PUBSUB = "kafka-pubsub"


@dataclass(frozen=True)
class Route:
    """An HTTP route of an invoke function; `input` is built from path params plus body or query."""

    method: str
    path: str
    handler: str
    input: str
    status: int = 200
    source: Literal["body", "query", "none"] = "body"
    auth: Literal["user", "internal"] = "user"


@dataclass(frozen=True)
class Cron:
    binding: str  # the bindings.cron component; daprd POSTs each tick to /<binding>

    @property
    def route(self) -> str:
        return f"/{self.binding}"


@dataclass(frozen=True)
class Bulk:
    """Dapr bulk subscribe: daprd hands over up to `max_messages` events in one request."""

    max_messages: int = 100
    max_await_ms: int = 40


@dataclass(frozen=True)
class Topic:
    topic: str
    match: str | None = None  # a CEL rule; other events are acknowledged without running the handler
    pubsub: str = PUBSUB
    bulk: Bulk | None = None

    @property
    def route(self) -> str:
        return f"/events/{self.topic}"

    @property
    def dead_letter_topic(self) -> str:
        return dead_letter_topic(self.topic)


@dataclass(frozen=True)
class DeadLetterTopics:
    """Every `<topic>-dlq`: of the topics our events go to and of every Topic subscription in the table.

    Read when asked, so a topic function declared anywhere in the table is covered. Its own
    subscriptions have no dead-letter topic: a `-dlq-dlq` would only move a message one step
    further from the operator, and the handler accepts any CloudEvent, so what remains to fail
    is transient (the database) and is retried by the inbound policy.
    """

    pubsub: str = PUBSUB

    @property
    def topics(self) -> tuple[str, ...]:
        from bindings.table import FUNCTIONS  # the table declares this trigger, so it is read when asked
        from functions.domain.events import TOPICS

        subscribed = {fn.trigger.topic for fn in FUNCTIONS.values() if isinstance(fn.trigger, Topic)}
        return tuple(sorted(dead_letter_topic(t) for t in subscribed | set(TOPICS)))

    @staticmethod
    def route_of(topic: str) -> str:
        return f"/events/{topic}"


@dataclass(frozen=True)
class Invoke:
    routes: tuple[Route, ...]


@dataclass(frozen=True)
class Function:
    name: str
    trigger: Cron | Topic | DeadLetterTopics | Invoke
    handler: str | None = None  # cron and topic functions
    input: str | None = None
    summary: str = ""
    adhoc: tuple[Route, ...] = field(default=())  # extra internal routes, e.g. api/notify
    # The secrets this function reads through the secret store (names from functions/secret_catalogue.py):
    # its port refuses any other, and its Role and Dapr secret scopes allow exactly these.
    secrets: tuple[str, ...] = ()
    # `module:function(deps) -> str | None`: why the function cannot serve yet (its /healthz answers 503 with
    # that reason, so Kubernetes and daprd hold traffic back), or None when it can.
    readiness: str | None = None
    # `module:function(deps) -> {key: value}`: gauges read from the store when /metrics is scraped (keys and
    # names in bindings/observability.py SCRAPED_GAUGES), so every replica reports the current figure.
    gauges: str | None = None

    @property
    def kind(self) -> str:
        return type(self.trigger).__name__.lower()

    def subscriptions(self) -> list[dict[str, Any]]:
        """This function's entries of GET /dapr/subscribe."""
        t = self.trigger
        if isinstance(t, DeadLetterTopics):
            return [
                {"pubsubname": t.pubsub, "topic": topic, "routes": {"default": t.route_of(topic)}, "metadata": {}}
                for topic in t.topics
            ]
        if not isinstance(t, Topic):
            return []
        routes: dict[str, Any] = {"default": t.route}
        if t.match:
            routes = {"rules": [{"match": t.match, "path": t.route}], "default": f"{t.route}/ignored"}
        entry: dict[str, Any] = {
            "pubsubname": t.pubsub,
            "topic": t.topic,
            "routes": routes,
            "deadLetterTopic": t.dead_letter_topic,
            "metadata": {},
        }
        if t.bulk:
            entry["bulkSubscribe"] = {
                "enabled": True,
                "maxMessagesCount": t.bulk.max_messages,
                "maxAwaitDurationMs": t.bulk.max_await_ms,
            }
        return [entry]


def resolve(path: str) -> Any:
    """Import `package.module:attribute` on first use."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _table(*functions: Function) -> dict[str, Function]:
    from functions.secret_catalogue import secret

    table: dict[str, Function] = {}
    for fn in functions:
        if fn.name in table:
            raise ValueError(f"function {fn.name!r} is declared twice")
        for name in fn.secrets:
            secret(name)  # an unknown name fails here, at import, not in a pod
        table[fn.name] = fn
    return table
