"""`k8s/base`: everything a cluster needs, shaped for production (three brokers, two API pods)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bindings.manifests import dapr_cluster, facts, ingress, kafka, network, scaling, secrets, workloads
from bindings.manifests.yamltext import dump
from bindings.table import pubsubs_of

BASE = "k8s/base"
DAPR_NOTE = "Derived from dapr/ (see bindings/manifests/dapr_cluster.py)"


def _pubsub_facts(root: Path) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    names = {p for fn in facts.functions() for p in pubsubs_of(fn)}
    pubsubs = {n: dapr_cluster.pubsub(root, n) for n in names}
    return pubsubs, {n: dapr_cluster.offset_reset_policy(c) for n, c in pubsubs.items()}


def function_files(root: Path) -> dict[str, str]:
    """One file per function: its identity (service account, secret Role, Dapr Configuration), then its workload."""
    pubsubs, offsets = _pubsub_facts(root)
    files = {}
    for fn in facts.functions():
        docs = [
            *secrets.rbac(fn),
            dapr_cluster.configuration(root, fn),
            workloads.deployment(fn, dapr_cluster.configuration_name(fn)),
            workloads.disruption_budget(fn),
            *scaling.render(fn, pubsubs, offsets),
        ]
        files[f"{BASE}/functions/{fn.name}.yaml"] = dump(*docs, note=f"{fn.name}: {fn.kind} function")
    return files


def render(root: Path) -> dict[str, str]:
    public = ingress.public_functions()
    files = {
        f"{BASE}/namespace.yaml": dump(network.namespace()),
        f"{BASE}/network-policies.yaml": dump(*network.policies(public)),
        f"{BASE}/dapr-resources.yaml": dump(*dapr_cluster.render(root), note=DAPR_NOTE),
        f"{BASE}/kafka.yaml": dump(*kafka.kafka_cluster()),
        f"{BASE}/topics.yaml": dump(*(kafka.kafka_topic(t) for t in kafka.topic_names())),
        **function_files(root),
    }
    if public:
        files[f"{BASE}/ingress.yaml"] = dump(*ingress.render())
    resources = sorted(path.removeprefix(BASE + "/") for path in files)
    resources.remove("namespace.yaml")
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        # No `namespace:` here: it would move the Ingresses out of the ingress controller's namespace.
        # Every resource names its namespace itself.
        "resources": ["namespace.yaml", *resources],
    }
    files[f"{BASE}/kustomization.yaml"] = dump(kustomization)
    return files
