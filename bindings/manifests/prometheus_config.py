"""An example Prometheus configuration for a Prometheus without the operator, inside the cluster: the rules
file and the two scrape jobs the rules and the dashboard need (checked by `promtool check config`).

daprd's metrics port answers anyone the NetworkPolicy admits (the `monitoring` namespace); the function's
own /metrics, like every route but /healthz, wants the app token in `dapr-api-token`: Prometheus reads it
from a file, e.g. the `dapr-app-token` Secret copied into its namespace and mounted there.
"""

from __future__ import annotations

from typing import Any

from bindings.manifests import facts, yamltext
from bindings.manifests.secrets import APP_TOKEN, TOKEN_KEY

RULES = "alert-rules.yaml"
TOKEN_FILE = f"/etc/prometheus/secrets/{APP_TOKEN}/{TOKEN_KEY}"


def _job(name: str, container: str, port: int, **extra: Any) -> dict[str, Any]:
    return {
        "job_name": name,
        "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [facts.NAMESPACE]}}],
        **extra,
        "relabel_configs": [
            {
                "source_labels": ["__meta_kubernetes_pod_label_app_kubernetes_io_part_of"],
                "regex": facts.PART_OF,
                "action": "keep",
            },
            {
                "source_labels": [
                    "__meta_kubernetes_pod_container_name",
                    "__meta_kubernetes_pod_container_port_number",
                ],
                "regex": f"{container};{port}",
                "action": "keep",
            },
            {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        ],
    }


def config() -> str:
    doc = {
        "global": {"scrape_interval": "30s", "evaluation_interval": "30s"},
        "rule_files": [RULES],
        "scrape_configs": [
            _job("todo-functions-daprd", facts.SIDECAR_CONTAINER, facts.SIDECAR_METRICS),
            _job(
                "todo-functions",
                facts.APP_CONTAINER,
                facts.APP_PORT,
                http_headers={"dapr-api-token": {"files": [TOKEN_FILE]}},
            ),
        ],
    }
    return yamltext.dump(
        doc, note="An example prometheus.yml for the functions; kube-prometheus users: ../kustomization.yaml."
    )
