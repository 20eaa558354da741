"""`dapr/standalone/` and `dapr/cluster/`: the committed `dapr/` sources as the Dapr CLI and a cluster need them.

The standalone config is dapr/config.yaml without mTLS: the Dapr CLI turns `mtls.enabled: true` into
`--enable-mtls` with a Sentry at localhost:50001, which neither `dapr init` nor this project runs
(daprd itself ignores `spec.mtls`). The cluster variants carry the Kubernetes manifests' own values
(bindings/manifests/dapr_cluster.py, which reads them back): Strimzi's bootstrap in the app namespace,
the secret store built into every daprd on Kubernetes, no sqlite name resolution, Zipkin as a service.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from bindings.manifests.dapr_cluster import SECRET_STORE, ZIPKIN, set_metadata
from bindings.manifests.kafka import BOOTSTRAP
from bindings.manifests.yamltext import header

LOCAL_SECRET_STORE = "local-secret-store"


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def dump(doc: dict[str, Any], source: str) -> str:
    """As PyYAML writes it, like the hand-written `dapr/` sources, under the generated-file header."""
    return header(source) + yaml.safe_dump(doc, sort_keys=False, width=120)


def component_files(root: Path) -> dict[str, dict[str, Any]]:
    """dapr/components/*.yaml by file name."""
    return {p.name: load(p) for p in sorted((root / "dapr" / "components").glob("*.yaml"))}


def standalone_config(root: Path) -> dict[str, Any]:
    doc = load(root / "dapr" / "config.yaml")
    doc["spec"].setdefault("mtls", {})["enabled"] = False
    return doc


def cluster_config(root: Path) -> dict[str, Any]:
    doc = load(root / "dapr" / "config.yaml")
    doc["spec"].pop("nameResolution", None)
    doc["spec"]["tracing"]["zipkin"]["endpointAddress"] = ZIPKIN
    return doc


def cluster_components(root: Path) -> dict[str, dict[str, Any]]:
    """Every local component as it runs in the cluster: Strimzi brokers, secrets from Kubernetes."""
    out: dict[str, dict[str, Any]] = {}
    for name, comp in component_files(root).items():
        comp = copy.deepcopy(comp)
        kind = comp["spec"]["type"]
        if kind.startswith("secretstores."):
            continue
        if kind == "pubsub.kafka":
            set_metadata(comp, "brokers", BOOTSTRAP)
        if comp.get("auth", {}).get("secretStore") == LOCAL_SECRET_STORE:
            comp["auth"]["secretStore"] = SECRET_STORE
        out[name] = comp
    return out


def render(root: Path) -> dict[str, str]:
    files = {
        "dapr/standalone/config.yaml": dump(standalone_config(root), "dapr/config.yaml"),
        "dapr/cluster/config.yaml": dump(cluster_config(root), "dapr/config.yaml"),
    }
    for name, comp in cluster_components(root).items():
        files[f"dapr/cluster/{name}"] = dump(comp, f"dapr/components/{name}")
    return files
