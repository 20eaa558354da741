"""k8s/observability/: the alert rules (plain and as a PrometheusRule), the Grafana dashboard, a kustomization
that ships both for kube-prometheus users, and prometheus/ (the rules file and an example configuration for a
Prometheus without the operator: not Kubernetes objects).

The dashboard JSON is written once; kustomize's configMapGenerator wraps that same file in a ConfigMap
labelled `grafana_dashboard: "1"`, the label Grafana's dashboard sidecar (kube-prometheus-stack's default)
watches, so the JSON that Grafana imports by hand and the one the sidecar loads cannot differ.
"""

from __future__ import annotations

from pathlib import Path

from bindings.manifests import alert_rules, dashboard, prometheus_config, yamltext
from bindings.manifests.facts import NAMESPACE

FOLDER = "k8s/observability"
PLAIN = "prometheus"  # Prometheus's own files
PROMETHEUS_RULE = "prometheus-rule.yaml"
DASHBOARD = "todo-functions-dashboard.json"


def kustomization() -> str:
    return yamltext.dump(
        {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "namespace": NAMESPACE,
            "resources": [PROMETHEUS_RULE],
            "configMapGenerator": [{"name": "todo-functions-dashboard", "files": [DASHBOARD]}],
            # A fixed name (no hash suffix): the sidecar keys dashboards by ConfigMap, and nothing mounts it.
            "generatorOptions": {"disableNameSuffixHash": True, "labels": {"grafana_dashboard": "1"}},
        },
        note="Needs the Prometheus Operator's CRDs: `kubectl apply -k k8s/observability` (docs/deployment.md).",
    )


def render(_: Path) -> dict[str, str]:
    return {
        f"{FOLDER}/{PLAIN}/{prometheus_config.RULES}": alert_rules.rules_file(),
        f"{FOLDER}/{PLAIN}/prometheus.yaml": prometheus_config.config(),
        f"{FOLDER}/{PROMETHEUS_RULE}": alert_rules.prometheus_rule(),
        f"{FOLDER}/{DASHBOARD}": dashboard.dashboard_json(),
        f"{FOLDER}/kustomization.yaml": kustomization(),
    }
