"""The declaration table is the one source: /dapr/subscribe, the Procfile and dapr/ must agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bindings.embedded.resiliency import inbound_retry
from bindings.schedules import cron_components, load_components
from bindings.table import FUNCTIONS, dead_letter_topics, declare
from bindings.triggers import Cron, DeadLetterTopics, Function, Invoke, Route, Topic, resolve
from functions.domain.events import TOPICS

ROOT = Path(__file__).resolve().parents[2]


def test_every_handler_and_model_resolves():
    for fn in FUNCTIONS.values():
        routes = fn.trigger.routes if isinstance(fn.trigger, Invoke) else ()
        for route in (*routes, *fn.adhoc):
            assert callable(resolve(route.handler)) and resolve(route.input).model_fields is not None
        if fn.handler:
            assert callable(resolve(fn.handler)) and resolve(fn.input).model_fields is not None


def test_duplicate_names_raise():
    fn = Function("x", Invoke(routes=(Route("GET", "/", "a:b", "c:d"),)))
    with pytest.raises(ValueError, match="declared twice"):
        declare(fn, fn)


def test_procfile_has_one_process_per_function():
    lines = [ln for ln in (ROOT / "Procfile").read_text().splitlines() if ln.strip()]
    procs = dict(ln.split(":", 1) for ln in lines)
    assert set(procs) == set(FUNCTIONS)
    for name, command in procs.items():
        assert f'bindings.app:create_app("{name}")' in command and command.strip().startswith("gunicorn")


def test_every_cron_function_has_its_component_scoped_to_it():
    crons = cron_components()
    for fn in FUNCTIONS.values():
        if isinstance(fn.trigger, Cron):
            comp = crons[fn.trigger.binding]
            assert comp.scopes == (fn.name,), f"{comp.name} must fire only in {fn.name}"
    declared = {fn.trigger.binding for fn in FUNCTIONS.values() if isinstance(fn.trigger, Cron)}
    assert set(crons) == declared, "a cron component without a function would fire into the void"


def test_every_topic_function_may_use_the_pubsub_and_has_a_dead_letter_topic():
    pubsub = load_components()["kafka-pubsub"]
    for fn in FUNCTIONS.values():
        if isinstance(fn.trigger, Topic):
            assert fn.name in pubsub["scopes"]
            [sub] = fn.trigger.subscriptions()
            assert sub["deadLetterTopic"] == f"{fn.trigger.topic}-dlq"


def test_every_dead_letter_topic_is_subscribed_by_dead_letters_and_goes_nowhere_further():
    declared = {fn.trigger.dead_letter_topic for fn in FUNCTIONS.values() if isinstance(fn.trigger, Topic)}
    published = {f"{t}-dlq" for t in TOPICS}
    fn = FUNCTIONS["dead-letters"]
    subs = fn.trigger.subscriptions()
    assert isinstance(fn.trigger, DeadLetterTopics) and fn.name in load_components()["kafka-pubsub"]["scopes"]
    assert {s["topic"] for s in subs} == declared | published >= {"task-events-dlq", "reminders-dlq", "audit-logs-dlq"}
    assert all("deadLetterTopic" not in s and s["routes"] == {"default": f"/events/{s['topic']}"} for s in subs)


def test_a_topic_declared_later_gets_its_dead_letter_topic_subscribed(monkeypatch):
    extra = Function("x-consumer", Topic("invoices"), handler="a:b", input="c:d")
    monkeypatch.setitem(FUNCTIONS, extra.name, extra)
    assert "invoices-dlq" in dead_letter_topics()
    assert "invoices-dlq" in FUNCTIONS["dead-letters"].trigger.topics


def test_inbound_retries_are_bounded():
    policy = inbound_retry("kafka-pubsub")
    assert 0 < policy.max_retries <= 10


def test_resiliency_targets_every_function():
    import yaml

    doc = yaml.safe_load((ROOT / "dapr" / "resiliency.yaml").read_text())
    assert set(doc["spec"]["targets"]["apps"]) == set(FUNCTIONS)


def test_k8s_deployments_match_the_table_when_present():
    deployments = list((ROOT / "k8s").rglob("*.yaml"))
    ids = set()
    for path in deployments:
        ids |= set(re.findall(r'dapr.io/app-id:\s*"?([\w-]+)"?', path.read_text()))
    if not ids:
        pytest.skip("k8s/ has no Deployments yet (the Kubernetes issue adds them)")
    assert ids == set(FUNCTIONS)
