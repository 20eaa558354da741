"""outbox-relay (cron, every few seconds): publishes the outbox rows the fast path did not, once each, in batches."""

from __future__ import annotations

import threading

from functions.context import Context
from functions.outbox_relay import RelayRun, relay_outbox
from tests.support.handlers import count, create, outbox_rows, query, with_settings
from tests.support.outbox import BrokerDown, failing_api, published_ids


def relay(runtime, **settings):
    deps = with_settings(runtime.deps["outbox-relay"], outbox_grace_seconds=0, **settings)
    return relay_outbox(RelayRun(), deps, Context(function="outbox-relay"))


def test_relay_publishes_the_leftovers_once(runtime):
    deps = failing_api(runtime, BrokerDown())
    create(runtime, deps=deps)
    create(runtime, deps=deps, title="second")
    first = relay(runtime)
    assert (first.published, first.failed, first.batches) == (4, 0, 1)
    assert all(r["published_at"] is not None for r in outbox_rows(runtime))
    assert sorted(published_ids(runtime)) == sorted(str(r["id"]) for r in outbox_rows(runtime))
    second = relay(runtime)
    assert (second.published, second.failed, second.batches) == (0, 0, 0)
    assert count(runtime, "pubsub_messages") == 4


def test_relay_leaves_young_rows_to_the_fast_path(runtime):
    create(runtime, deps=failing_api(runtime, BrokerDown()))
    deps = with_settings(runtime.deps["outbox-relay"], outbox_grace_seconds=3600)
    assert relay_outbox(RelayRun(), deps, Context(function="outbox-relay")).published == 0
    assert count(runtime, "outbox", "published_at is null") == 2


def test_relay_with_the_broker_down_counts_an_attempt_and_stops(runtime):
    broker = BrokerDown()
    create(runtime, deps=failing_api(runtime, broker))
    deps = with_settings(failing_api(runtime, broker), outbox_grace_seconds=0)
    result = relay_outbox(RelayRun(), deps, Context(function="outbox-relay"))
    assert (result.published, result.failed, result.batches) == (0, 2, 1)
    assert [r["attempts"] for r in query(runtime, "select attempts from outbox")] == [1, 1]
    assert relay(runtime).published == 2


def test_relay_works_in_batches(runtime):
    deps = failing_api(runtime, BrokerDown())
    for i in range(3):
        create(runtime, deps=deps, title=f"task {i}")
    result = relay(runtime, outbox_relay_batch=4)
    assert (result.published, result.batches) == (6, 2)


def test_concurrent_relays_publish_each_row_once(runtime):
    deps = failing_api(runtime, BrokerDown())
    for i in range(10):
        create(runtime, deps=deps, title=f"task {i}")
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait()
            results.append(relay(runtime, outbox_relay_batch=3))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.published for r in results) == 20
    ids = published_ids(runtime)
    assert len(ids) == len(set(ids)) == 20
    assert count(runtime, "outbox", "published_at is null") == 0
