"""The outbox's fast path stands aside while the broker fails, so requests do not wait on it (tests/dapr/
test_broker_down.py shows why on the real runtime); outbox-relay publishes what it leaves."""

from __future__ import annotations

from bindings.wiring import make_deps
from tests.support.handlers import api, count, create, outbox_rows, with_settings


class Broker:
    """An external broker that is down until told otherwise."""

    def __init__(self):
        self.calls = 0
        self.down = True

    def publish(self, topic, events):
        self.calls += 1
        if self.down:
            raise ConnectionError("broker unreachable")
        return []


def deps_with(runtime, broker, pause):
    deps = with_settings(api(runtime), outbox_fast_path_pause_seconds=pause)
    return make_deps("todo-api", deps.db, broker, deps.state, deps.secrets, deps.invoker, deps.settings)


def test_after_a_failed_publish_the_fast_path_leaves_events_to_the_relay_for_a_while(runtime):
    broker = Broker()
    deps = deps_with(runtime, broker, pause=3600)
    create(runtime, deps=deps)
    broker.down = False
    create(runtime, deps=deps, title="second")
    assert broker.calls == 1  # the second change did not ask the broker: the relay will
    assert count(runtime, "tasks") == 2
    assert [r["published_at"] for r in outbox_rows(runtime)] == [None] * 4


def test_without_a_pause_every_change_tries_the_fast_path(runtime):
    broker = Broker()
    deps = deps_with(runtime, broker, pause=0)
    create(runtime, deps=deps)
    broker.down = False
    create(runtime, deps=deps, title="second")
    assert broker.calls == 3  # one failed, then one bulk publish per topic
    assert deps.outbox.flush()  # marks are batched off the request path (functions/outbox_marks.py)
    assert sum(r["published_at"] is not None for r in outbox_rows(runtime)) == 2
