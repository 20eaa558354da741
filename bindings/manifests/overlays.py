"""`k8s/overlays`: `minikube` (one broker, one replica of everything) and `cloud` (HA, external secrets)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bindings.manifests import kafka, secrets, workloads
from bindings.manifests.minikube_postgres import postgres
from bindings.manifests.yamltext import dump, plain

VERSION = "0.1.0"


def _kustomization(resources: list[str], patches: list[dict[str, Any]], image: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["../../base", *resources],
        "images": [{"name": workloads.IMAGE, **image}],
        "patches": patches,
    }


def _json_patch(target: dict[str, Any], *ops: dict[str, Any]) -> dict[str, Any]:
    return {"target": target, "patch": plain(list(ops))}


def _replace(path: str, value: Any) -> dict[str, Any]:
    return {"op": "replace", "path": path, "value": value}


def _add(path: str, value: Any) -> dict[str, Any]:
    return {"op": "add", "path": path, "value": value}


_POOL = {"group": "kafka.strimzi.io", "kind": "KafkaNodePool", "name": "dual-role"}
_KAFKA = {"group": "kafka.strimzi.io", "kind": "Kafka", "name": kafka.CLUSTER}
_CRON = {"kind": "Deployment", "labelSelector": "app.kubernetes.io/component=cron"}
_HPA = {"kind": "HorizontalPodAutoscaler"}
_SCALED = {"group": "keda.sh", "kind": "ScaledObject"}


def minikube() -> dict[str, str]:
    patches = [
        _json_patch(
            _POOL,
            _replace("/spec/replicas", 1),
            _replace("/spec/storage/volumes/0/size", "5Gi"),
            _replace("/spec/resources", {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}),
        ),
        _json_patch(_KAFKA, _replace("/spec/kafka/config", kafka.broker_config(replicas=1))),
        # One replica is enough on one node; the tick claim would make a second one harmless anyway.
        _json_patch(_CRON, _replace("/spec/replicas", 1)),
        _json_patch(_HPA, _replace("/spec/minReplicas", 1), _replace("/spec/maxReplicas", 2)),
        _json_patch(_SCALED, _replace("/spec/maxReplicaCount", 2)),
    ]
    folder = "k8s/overlays/minikube"
    return {
        f"{folder}/postgres.yaml": dump(*postgres(), note="minikube only; a cloud uses a managed PostgreSQL"),
        f"{folder}/kustomization.yaml": dump(
            _kustomization(["postgres.yaml"], patches, {"newName": workloads.IMAGE, "newTag": "dev"})
        ),
    }


def cloud() -> dict[str, str]:
    patches = [
        _json_patch(
            _POOL,
            _replace("/spec/storage/volumes/0/size", "100Gi"),
            _replace("/spec/resources", {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"memory": "8Gi"}}),
        ),
        # Spread replicas across zones: with rack awareness a zone outage keeps two in-sync replicas.
        _json_patch(_KAFKA, _add("/spec/kafka/rack", {"topologyKey": "topology.kubernetes.io/zone"})),
        _json_patch(_HPA, _replace("/spec/minReplicas", 3), _replace("/spec/maxReplicas", 30)),
        # One warm consumer per topic function: no cold start (poll + pod + sidecar) before the first event.
        _json_patch(_SCALED, _replace("/spec/minReplicaCount", 1)),
        _json_patch(
            {"kind": "Ingress"},  # every function's Ingress: one host, one certificate
            _replace("/spec/rules/0/host", "todo.example.com"),
            _add("/spec/tls", [{"hosts": ["todo.example.com"], "secretName": "todo-api-tls"}]),
            _add("/metadata/annotations/cert-manager.io~1cluster-issuer", "letsencrypt"),
        ),
    ]
    folder = "k8s/overlays/cloud"
    note = "External Secrets Operator: values live in the cloud's secret manager under todo-app/<name>."
    return {
        f"{folder}/external-secrets.yaml": dump(*secrets.external_secrets(), note=note),
        f"{folder}/kustomization.yaml": dump(
            _kustomization(
                ["external-secrets.yaml"],
                patches,
                {"newName": f"registry.example.com/{workloads.IMAGE}", "newTag": VERSION},
            )
        ),
    }


def secret_templates() -> dict[str, str]:
    note = "Templates only: replace every REPLACE-ME and apply by hand; never commit values.\nNo kustomization uses it."
    return {"k8s/secrets/secrets.template.yaml": dump(*secrets.templates(), note=note)}


def render(_root: Path) -> dict[str, str]:
    return {**minikube(), **cloud(), **secret_templates()}
