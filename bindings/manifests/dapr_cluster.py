"""The Dapr Components, Configuration and Resiliency of the cluster, derived from `dapr/`.

`dapr/components` stays the one place for schedules and metadata: a cluster variant in
`dapr/cluster/` (same component name) replaces a local document where the two must differ.
What always differs is applied here: the namespace, Kafka's address (the Strimzi bootstrap),
secrets from Kubernetes' built-in `kubernetes` store instead of the local file.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from bindings.manifests import facts, ingress, kafka
from bindings.triggers import Function

SECRET_STORE = "kubernetes"  # built into every daprd on Kubernetes; needs no component
ZIPKIN = "http://zipkin.observability.svc.cluster.local:9411/api/v2/spans"
OFFSET_RESET = {"oldest": "earliest", "newest": "latest"}  # Dapr initialOffset -> KEDA offsetResetPolicy


def _documents(folder: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return docs


def _by_kind(root: Path, kind: str) -> dict[str, dict[str, Any]]:
    """Local documents of a kind, each replaced by its cluster variant where one exists."""
    found: dict[str, dict[str, Any]] = {}
    for folder in (root / "dapr" / "components", root / "dapr", root / "dapr" / "cluster"):
        for doc in _documents(folder):
            if doc.get("kind") == kind:
                found[doc["metadata"]["name"]] = copy.deepcopy(doc)
    return found


def meta(doc: dict[str, Any]) -> dict[str, Any]:
    return {m["name"]: m.get("value") for m in doc["spec"].get("metadata", [])}


def set_metadata(doc: dict[str, Any], name: str, value: str) -> None:
    """Replace (or add) one `spec.metadata` entry, as a plain value (a secretKeyRef it had goes)."""
    items = doc["spec"].setdefault("metadata", [])
    for item in items:
        if item["name"] == name:
            item.clear()
            item.update({"name": name, "value": value})
            return
    items.append({"name": name, "value": value})


def components(root: Path) -> list[dict[str, Any]]:
    out = []
    for name, doc in _by_kind(root, "Component").items():
        if doc["spec"]["type"].startswith("secretstores.local."):
            continue  # the kubernetes store replaces the local file
        doc["metadata"] = {"name": name, "namespace": facts.NAMESPACE}
        if doc.get("auth", {}).get("secretStore"):
            doc["auth"] = {"secretStore": SECRET_STORE}
        if doc["spec"]["type"] == "pubsub.kafka":
            _kafka_for_cluster(doc)
        out.append(doc)
    return out


def _kafka_for_cluster(doc: dict[str, Any]) -> None:
    if "consumerGroup" in meta(doc):
        # KEDA watches the group named after each app id; a shared or per-pod group breaks scaling.
        raise ValueError(f"{doc['metadata']['name']}: remove consumerGroup, Dapr must use the app id")
    set_metadata(doc, "brokers", kafka.BOOTSTRAP)


def pubsub(root: Path, name: str) -> dict[str, Any]:
    return next(c for c in components(root) if c["metadata"]["name"] == name)


def offset_reset_policy(component: dict[str, Any]) -> str:
    return OFFSET_RESET[meta(component).get("initialOffset") or "newest"]


def configuration(root: Path, fn: Function) -> dict[str, Any]:
    """The function's own Configuration: the shared tracing, metrics and access control, and secret
    scopes that allow exactly the secrets it declares (its Role allows the same, bindings/manifests/secrets.py)."""
    (doc,) = _by_kind(root, "Configuration").values()
    doc["metadata"] = {"name": configuration_name(fn), "namespace": facts.NAMESPACE, "labels": facts.labels(fn)}
    spec = doc["spec"]
    # mTLS is the control plane's (the `daprsystem` Configuration, on by default); the app's
    # Configuration schema requires sentry fields there that only the control plane knows.
    spec.pop("mtls", None)
    if "zipkin" in spec.get("tracing", {}):
        spec["tracing"]["zipkin"]["endpointAddress"] = ZIPKIN
    for policy in spec.get("accessControl", {}).get("policies", []):
        # Callers are identified as <namespace>/<app-id>: the ingress controller lives in its own.
        is_ingress = policy.get("appId") == ingress.INGRESS_APP_ID
        policy["namespace"] = ingress.INGRESS_NAMESPACE if is_ingress else facts.NAMESPACE
    spec["secrets"] = {"scopes": [secret_scope(SECRET_STORE, fn)]}
    return doc


def secret_scope(store: str, fn: Function) -> dict[str, Any]:
    """Dapr's secret scoping for one store: deny all but the function's declared secrets."""
    return {"storeName": store, "defaultAccess": "deny", "allowedSecrets": list(fn.secrets)}


def configuration_name(fn: Function) -> str:
    return fn.name


def resiliency(root: Path) -> list[dict[str, Any]]:
    out = []
    for name, doc in _by_kind(root, "Resiliency").items():
        doc["metadata"] = {"name": name, "namespace": facts.NAMESPACE}
        out.append(doc)
    return out


def render(root: Path) -> list[dict[str, Any]]:
    """The shared resources; each function's Configuration goes into its own file (bindings/manifests/base.py)."""
    return [*components(root), *resiliency(root)]
