"""k8s/observability as kustomize ships it: the dashboard ConfigMap for Grafana's sidecar, and the PrometheusRule."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from bindings.table import FUNCTIONS
from tests.k8s.schemas import ROOT, kustomize_build, kustomize_command, load
from tests.support.promql_names import DASHBOARD, RULES


@pytest.fixture(scope="module")
def rendered() -> list[dict]:
    if kustomize_command() is None:
        pytest.skip("no kustomize, no kubectl (which embeds it) and no Go to build it")
    return kustomize_build(ROOT / "k8s" / "observability")


def test_the_sidecar_finds_the_dashboard_file_unchanged(rendered):
    (config_map,) = [d for d in rendered if d["kind"] == "ConfigMap"]
    # kube-prometheus-stack's Grafana sidecar loads ConfigMaps labelled grafana_dashboard: "1".
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["namespace"] == "todo-app"
    (content,) = config_map["data"].values()
    assert content == DASHBOARD.read_text()
    board = json.loads(content)
    assert board["uid"] and {v["name"] for v in board["templating"]["list"]} == {"datasource", "function"}


def test_the_rules_ship_as_a_prometheus_rule(rendered):
    assert sorted(d["kind"] for d in rendered) == ["ConfigMap", "PrometheusRule"]
    (rule,) = [d for d in rendered if d["kind"] == "PrometheusRule"]
    assert rule["metadata"]["namespace"] == "todo-app" and rule["spec"]["groups"]


def test_the_example_scrape_jobs_select_each_pod_s_function_and_sidecar_ports():
    """The keep rules of prometheus.yaml against the Deployments as rendered (the sidecar is injected by Dapr
    from the pod's annotations, as container `daprd`)."""
    jobs = yaml.safe_load(RULES.with_name("prometheus.yaml").read_text())["scrape_configs"]
    keep = {job["job_name"]: [r for r in job["relabel_configs"] if r.get("action") == "keep"] for job in jobs}
    for name in FUNCTIONS:
        (deployment,) = [d for d in load(ROOT / "k8s/base/functions" / f"{name}.yaml") if d["kind"] == "Deployment"]
        pod = deployment["spec"]["template"]
        part_of = pod["metadata"]["labels"]["app.kubernetes.io/part-of"]
        (container,) = pod["spec"]["containers"]
        targets = {
            "todo-functions": f"{container['name']};{container['ports'][0]['containerPort']}",
            "todo-functions-daprd": f"daprd;{pod['metadata']['annotations']['dapr.io/metrics-port']}",
        }
        for job, target in targets.items():
            part_of_rule, port_rule = keep[job]
            assert re.fullmatch(part_of_rule["regex"], part_of), (job, name)
            assert re.fullmatch(port_rule["regex"], target), (job, name, target)
