"""Every manifest against the real schemas: core kinds with kubernetes-validate, custom resources
with the Dapr, KEDA and Strimzi CRDs, and every overlay rendered by kustomize."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest

from tests.k8s.schemas import K8S_VERSIONS, ROOT, crd_schemas, crds_dir, kustomize_build, kustomize_command, load

CUSTOM_GROUPS = ("dapr.io/", "keda.sh/", "kafka.strimzi.io/")
# No CRD of the External Secrets Operator is provided to validate against; its fields are checked below.
# Nor of the Prometheus Operator: the PrometheusRule's groups are the rules file that promtool checks
# (tests/k8s/test_alert_rules.py).
UNVALIDATED = {("external-secrets.io/v1", "ExternalSecret"), ("monitoring.coreos.com/v1", "PrometheusRule")}
OVERLAYS = ("base", "overlays/minikube", "overlays/cloud")
FILES = sorted((ROOT / "k8s").rglob("*.yaml"))
# Not Kubernetes objects: kustomization.yaml files (kustomize's input) and Prometheus's own files.
PROMETHEUS_FILES = ROOT / "k8s" / "observability" / "prometheus"
MANIFESTS = [p for p in FILES if p.name != "kustomization.yaml" and PROMETHEUS_FILES not in p.parents]


def _key(doc: dict) -> tuple[str, str]:
    return doc["apiVersion"], doc["kind"]


def _validate(doc: dict) -> None:
    if _key(doc) in UNVALIDATED:
        return
    if doc["apiVersion"].startswith(CUSTOM_GROUPS):
        schemas = crd_schemas()
        if not schemas:
            pytest.skip("no CRDs: ../shared/crds is absent (set CRDS_DIR to a folder of CRDs)")
        assert _key(doc) in schemas, f"{_key(doc)} is served by none of the CRDs in {crds_dir()}"
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
            for e in jsonschema.Draft7Validator(schemas[_key(doc)]).iter_errors(doc)
        ]
        assert not errors, f"{_key(doc)} {doc['metadata']['name']}:\n" + "\n".join(errors)
        return
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_manifests_match_their_schemas(path: Path):
    for doc in load(path):
        _validate(doc)


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request) -> list[dict]:
    if kustomize_command() is None:
        pytest.skip("no kustomize, no kubectl (which embeds it) and no Go to build it")
    return kustomize_build(ROOT / "k8s" / request.param)


def test_each_overlay_renders_and_matches_the_schemas(rendered):
    kinds = {d["kind"] for d in rendered}
    assert {"Namespace", "Deployment", "Kafka", "KafkaNodePool", "KafkaTopic", "Component"} <= kinds
    for doc in rendered:
        # Everything lives in todo-app, but the Ingresses: they sit beside the controller's sidecar Service.
        expected = "ingress-nginx" if doc["kind"] == "Ingress" else "todo-app"
        assert doc["kind"] == "Namespace" or doc["metadata"].get("namespace") == expected, doc["metadata"]
        _validate(doc)


def test_the_crd_check_refuses_an_unknown_field():
    schemas = crd_schemas()
    if not schemas:
        pytest.skip("no CRDs: ../shared/crds is absent")
    doc = next(d for d in load(ROOT / "k8s/base/topics.yaml"))
    doc["spec"]["partitons"] = 3  # a typo the API server would silently prune
    with pytest.raises(AssertionError, match="partitons"):
        _validate(doc)


def test_the_core_check_refuses_an_unknown_field():
    doc = load(ROOT / "k8s/base/namespace.yaml")[0]
    doc["metadata"]["lables"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(doc)


def test_external_secrets_reference_every_secret_and_hold_no_value():
    from bindings.manifests.secrets import all_secret_names

    docs = load(ROOT / "k8s/overlays/cloud/external-secrets.yaml")
    assert {d["spec"]["target"]["name"] for d in docs} == set(all_secret_names())
    for doc in docs:
        assert doc["spec"]["secretStoreRef"]["kind"] == "ClusterSecretStore"
        assert all(set(item) == {"secretKey", "remoteRef"} for item in doc["spec"]["data"])
