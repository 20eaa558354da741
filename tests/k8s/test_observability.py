"""k8s/observability as kustomize ships it: the dashboard ConfigMap for Grafana's sidecar, and the PrometheusRule."""

from __future__ import annotations

import json

import pytest

from tests.k8s.schemas import ROOT, kustomize_build, kustomize_command
from tests.support.promql_names import DASHBOARD


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
