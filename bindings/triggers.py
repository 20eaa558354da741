"""The trigger model: what an entry of the declaration table (`bindings/table.py`) can say.

Each kind of trigger answers for itself what the adapters ask of it: its kind, whether users call
it, its routes, its entries of `/dapr/subscribe`, the line `python -m bindings list` prints, and
the call that runs its handler once by hand. So no caller switches on the kind; installing a
trigger's routes on a Flask app is the one adapter step that differs, a dispatch in bindings/app.py.
Nothing here imports from bindings/.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from functions.domain.dead_letters import dead_letter_topic

PUBSUB = "kafka-pubsub"
RUN_ROUTE = "/run"  # a cron function's ad hoc run: Dapr service invocation or `python -m bindings invoke`
CLOUDEVENTS_JSON = "application/cloudevents+json"


def event_route(topic: str) -> str:
    """Where daprd delivers a topic's events to its subscriber."""
    return f"/events/{topic}"


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
    summary: str = ""  # what it does, for its clients: the operation's summary in docs/openapi.json
    # Error statuses its handler raises beyond those the adapter answers by itself (bindings/openapi/responses.py):
    # e.g. 409 (functions.errors.Conflict), or 404 where no path parameter names the missing thing.
    errors: tuple[int, ...] = ()


@dataclass(frozen=True)
class AdhocCall:
    """One request that runs a function's handler once by hand (`python -m bindings invoke`)."""

    method: str
    path: str
    body: Any = None  # JSON; None sends no body
    content_type: str = "application/json"
    user: str | None = None  # the caller of a user route: the CLI signs a token for this user


class Trigger:
    """What every kind of trigger answers; each kind below overrides what differs from these defaults."""

    kind: ClassVar[str]
    user_facing: ClassVar[bool] = False  # users call it: bodies are small, callers carry bearer tokens
    routes: tuple[Route, ...] = ()  # the HTTP routes it declares
    binding: str | None = None  # the bindings.cron component that fires it
    dead_letter_topic: str | None = None  # where daprd moves the events its handler drops
    whole_event: ClassVar[bool] = False  # its handler takes a delivered CloudEvent whole, not its `data`

    def subscriptions(self) -> list[dict[str, Any]]:
        """Its entries of GET /dapr/subscribe."""
        return []

    def describe(self, schedules: Mapping[str, str]) -> str:
        """Its line in `python -m bindings list`; `schedules`: each cron component's schedule (dapr/components)."""
        raise NotImplementedError

    def adhoc(self, payload: Any) -> AdhocCall:
        """The call that runs its handler once, from the CLI's JSON: by default the route that JSON names,
        `{"method", "path", "body", "user"}`."""
        call = payload or {}
        return AdhocCall(
            call.get("method", "GET"), call.get("path", "/api/tasks"), call.get("body"), user=call.get("user")
        )


@dataclass(frozen=True)
class Cron(Trigger):
    binding: str  # the bindings.cron component; daprd POSTs each tick to /<binding>
    kind: ClassVar[str] = "cron"

    @property
    def route(self) -> str:
        return f"/{self.binding}"

    def describe(self, schedules: Mapping[str, str]) -> str:
        return f"cron {self.binding} ({schedules.get(self.binding, 'no component!')})"

    def adhoc(self, payload: Any) -> AdhocCall:
        """POST /run with the run's options (none: the defaults)."""
        return AdhocCall("POST", RUN_ROUTE, payload if payload is not None else {})


@dataclass(frozen=True)
class Bulk:
    """Dapr bulk subscribe: daprd hands over up to `max_messages` events in one request."""

    max_messages: int = 100
    max_await_ms: int = 40


@dataclass(frozen=True)
class Topic(Trigger):
    topic: str
    match: str | None = None  # a CEL rule; other events are acknowledged without running the handler
    pubsub: str = PUBSUB
    bulk: Bulk | None = None
    kind: ClassVar[str] = "topic"

    @property
    def route(self) -> str:
        return event_route(self.topic)

    @property
    def ignored_route(self) -> str:
        """Where the events that `match` does not select go: acknowledged, nothing run."""
        return f"{self.route}/ignored"

    @property
    def dead_letter_topic(self) -> str:
        return dead_letter_topic(self.topic)

    def delivery_routes(self) -> dict[str, str]:
        """Route -> topic, for each topic it receives."""
        return {self.route: self.topic}

    def subscriptions(self) -> list[dict[str, Any]]:
        routes: dict[str, Any] = {"default": self.route}
        if self.match:
            routes = {"rules": [{"match": self.match, "path": self.route}], "default": self.ignored_route}
        entry: dict[str, Any] = {
            "pubsubname": self.pubsub,
            "topic": self.topic,
            "routes": routes,
            "deadLetterTopic": self.dead_letter_topic,
            "metadata": {},
        }
        if self.bulk:
            entry["bulkSubscribe"] = {
                "enabled": True,
                "maxMessagesCount": self.bulk.max_messages,
                "maxAwaitDurationMs": self.bulk.max_await_ms,
            }
        return [entry]

    def describe(self, schedules: Mapping[str, str]) -> str:
        return f"topic {self.topic} -> {self.route} (dead letters: {self.dead_letter_topic})"

    def adhoc(self, payload: Any) -> AdhocCall:
        """POST its route with the JSON as a CloudEvent: as given when it is one, else as its `data`."""
        event = payload
        if not (isinstance(payload, dict) and payload.get("specversion")):
            event = {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "source": "cli",
                "type": "cli.invoke",
                "datacontenttype": "application/json",
                "topic": self.topic,
                "data": payload,
            }
        return AdhocCall("POST", self.route, event, CLOUDEVENTS_JSON)


@dataclass(frozen=True)
class DeadLetterTopics(Trigger):
    """Every dead-letter topic, as `listed_by` names them when asked: the table passes its own list, so a topic
    function declared anywhere in the table is covered.

    Its own subscriptions have no dead-letter topic: a `-dlq-dlq` would only move a message one step
    further from the operator, and the handler accepts any CloudEvent, so what remains to fail
    is transient (the database) and is retried by the inbound policy.
    """

    listed_by: Callable[[], tuple[str, ...]]
    pubsub: str = PUBSUB
    kind: ClassVar[str] = "deadlettertopics"
    bulk: ClassVar[Bulk | None] = None
    ignored_route: ClassVar[str | None] = None  # it selects no events: every one is a dead letter to record
    # The handler gets the whole CloudEvent and dedupes itself: the same id may rightly come back after
    # a replay, which an inbox row would hide.
    whole_event: ClassVar[bool] = True

    @property
    def topics(self) -> tuple[str, ...]:
        return self.listed_by()

    def delivery_routes(self) -> dict[str, str]:
        return {event_route(topic): topic for topic in self.topics}

    def subscriptions(self) -> list[dict[str, Any]]:
        return [
            {"pubsubname": self.pubsub, "topic": topic, "routes": {"default": route}, "metadata": {}}
            for route, topic in self.delivery_routes().items()
        ]

    def describe(self, schedules: Mapping[str, str]) -> str:
        return "topics " + ", ".join(self.topics)


@dataclass(frozen=True)
class Invoke(Trigger):
    routes: tuple[Route, ...]
    kind: ClassVar[str] = "invoke"
    user_facing: ClassVar[bool] = True

    def describe(self, schedules: Mapping[str, str]) -> str:
        return "invoke " + ", ".join(f"{r.method} {r.path}" for r in self.routes)


@dataclass(frozen=True)
class Serving:
    """gunicorn's processes and threads for one replica of a function (bench/serving.py measures them; the
    choice and its figures are in docs/performance.md). Rendered into every command that serves it.

    One worker: a pod is limited to one CPU and a request is CPU-bound Python, so a second process only
    adds memory and connections; replicas scale. Four threads overlap the waits on PostgreSQL and daprd;
    eight measured no faster and queued longer behind the GIL (p99).
    """

    workers: int = 1
    threads: int = 4

    def argv(self) -> list[str]:
        return ["--workers", str(self.workers), "--threads", str(self.threads)]


@dataclass(frozen=True)
class Function:
    name: str
    trigger: Trigger
    handler: str | None = None  # cron and topic functions
    input: str | None = None
    summary: str = ""
    adhoc: tuple[Route, ...] = field(default=())  # extra internal routes, e.g. api/notify
    # The secrets this function reads through the secret store (names from functions/secret_catalogue.py):
    # its scoped secrets refuse any other, and its Role and Dapr secret scopes allow exactly these.
    secrets: tuple[str, ...] = ()
    # `module:function(deps) -> str | None`: why the function cannot serve yet (its /healthz answers 503 with
    # that reason, so Kubernetes and daprd hold traffic back), or None when it can.
    readiness: str | None = None
    # `module:function(deps) -> {key: value}`: gauges read from the store when /metrics is scraped (keys and
    # names in bindings/observability.py SCRAPED_GAUGES), so every replica reports the current figure.
    gauges: str | None = None
    serving: Serving = field(default_factory=Serving)
    # The CloudEvent types its handlers emit through the outbox, as the event `source` (functions/domain/events.py);
    # docs/asyncapi.json is rendered from it, and tests/contracts/test_producers.py holds it to what they emit.
    publishes: tuple[str, ...] = ()
    # What it publishes again on others' behalf, verbatim (their id, type and source), to the event topics.
    forwards: str = ""

    @property
    def kind(self) -> str:
        return self.trigger.kind


def resolve(path: str) -> Any:
    """Import `package.module:attribute` on first use."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)
