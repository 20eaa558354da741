"""A broker that is down, and todo-api wired to it, so that its events wait in the outbox."""

from __future__ import annotations

from bindings.wiring import make_deps
from tests.support.handlers import api, query


class BrokerDown:
    """A fake external broker that refuses every publish."""

    def __init__(self):
        self.calls = 0

    def publish(self, topic, events):
        self.calls += 1
        raise ConnectionError("broker unreachable")


def failing_api(runtime, publisher):
    deps = api(runtime)
    return make_deps("todo-api", deps.db, publisher, deps.state, deps.secrets, deps.invoker, deps.settings)


def published_ids(runtime):
    return [r["event"]["id"] for r in query(runtime, "select event from pubsub_messages order by id")]
