"""The real-runtime files derived from the table and dapr/: committed copies current, ports distinct."""

from __future__ import annotations

import base64
import itertools
import uuid

import pytest
import yaml

from bindings import manifests
from bindings.devstack import kafka, procs
from bindings.devstack.plan import dynamic_plan
from bindings.devstack.stack import Stack
from bindings.manifests import ROOT, dapr_variants
from bindings.manifests.port_plan import fixed_plan
from bindings.table import FUNCTIONS
from bindings.triggers import Topic


def test_committed_renderings_are_current():
    drift = [p for p in manifests.differences() if p.startswith(("dapr.yaml", "dapr/"))]
    assert drift == [], "run `make manifests` (python -m bindings manifests) and commit the result"


def test_run_file_starts_every_function_of_the_table_once():
    run = yaml.safe_load((ROOT / "dapr.yaml").read_text())
    assert [a["appID"] for a in run["apps"]] == list(FUNCTIONS)
    for app in run["apps"]:
        assert app["command"][-1] == f'bindings.app:create_app("{app["appID"]}")'


def test_fixed_ports_are_distinct_and_clear_of_kafka():
    pairs = fixed_plan()
    ports = [
        p
        for pair in pairs
        for p in (pair.app_port, pair.http_port, pair.grpc_port, pair.internal_grpc_port, pair.metrics_port)
    ]
    assert len(ports) == len(set(ports))
    assert not {9092, 9093} & set(ports)
    # Linux's default ephemeral range: an outgoing connection may hold any port in it when a sidecar starts.
    assert max(ports) < 32768


def test_dynamic_plan_gives_each_replica_its_own_ports():
    counter = itertools.count(20000)
    pairs = dynamic_plan({"todo-api": 2, "audit-writer": 1}, lambda: next(counter))
    assert [p.name for p in pairs] == ["todo-api", "todo-api-1", "audit-writer"]
    assert len({p.http_port for p in pairs}) == 3
    with pytest.raises(KeyError, match="unknown function"):
        dynamic_plan({"nope": 1}, lambda: next(counter))


def test_cluster_variant_keeps_scopes_and_swaps_brokers_and_secret_store():
    files = {
        path.removeprefix("dapr/cluster/"): yaml.safe_load(text.split("\n", 1)[1])
        for path, text in dapr_variants.render(ROOT).items()
        if path.startswith("dapr/cluster/")
    }
    local = yaml.safe_load((ROOT / "dapr/components/kafka-pubsub.yaml").read_text())
    assert files["kafka-pubsub.yaml"]["scopes"] == local["scopes"]
    brokers = {m["name"]: m.get("value") for m in files["kafka-pubsub.yaml"]["spec"]["metadata"]}["brokers"]
    assert brokers.endswith(".svc:9092")
    assert files["postgres-statestore.yaml"]["auth"]["secretStore"] == "kubernetes"  # built into daprd on k8s
    assert "local-secret-store.yaml" not in files
    assert "nameResolution" not in files["config.yaml"]["spec"]


def test_every_topic_of_the_table_gets_a_dead_letter_topic():
    topics = kafka.all_topics()
    for fn in FUNCTIONS.values():
        if isinstance(fn.trigger, Topic):
            assert fn.trigger.topic in topics and fn.trigger.dead_letter_topic in topics
    assert all(n > 0 for n in topics.values())


def test_stop_takes_a_generator_and_stops_app_and_daprd(tmp_path):
    """Stack.stop reads the names once per part: a generator used to stop the apps and leave the daprds running."""
    stack = Stack(tmp_path)
    pids = [
        procs.spawn(["sleep", "30"], name=f"fn.{p}", pid_dir=stack.pid_dir, log=stack.log_dir / p, env={}, cwd=tmp_path)
        for p in ("app", "daprd")
    ]
    stack.stop(name for name in ["fn"])
    assert [procs.alive(pid) for pid in pids] == [False, False]
    assert list(stack.pid_dir.glob("*.pid")) == []


def test_a_kafka_cluster_id_never_starts_with_a_dash():
    # 0xF8 puts 62, the base64url index of "-", in the first character: the storage tool's parser read such an
    # id as an option (CI, 2026-11-30). Kafka's Uuid.randomUuid() draws again; so must we.
    dashed = uuid.UUID(bytes=bytes([0xF8]) + bytes(15))
    plain = uuid.UUID(bytes=bytes([0x10]) + bytes(15))
    draws = iter([dashed, plain])
    assert base64.urlsafe_b64encode(dashed.bytes).decode().startswith("-")
    assert kafka.new_cluster_id(lambda: next(draws)) == base64.urlsafe_b64encode(plain.bytes).decode().rstrip("=")
