"""k8s/observability with Prometheus's own parser: `promtool check rules`, the hand-written unit tests of
alert_rules.test.yaml (`promtool test rules`), and every dashboard query checked as a recording rule.

promtool is built by `make provision` (bindings/devstack/promtool.py); without it these tests skip, and
under REQUIRE_DAPR=1 (CI, after `make provision`) they fail.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from bindings.devstack import promtool
from tests.support.promql_names import FOLDER, RULES, dashboard_exprs

UNIT_TESTS = Path(__file__).with_name("alert_rules.test.yaml")


@pytest.fixture(scope="module")
def binary() -> Path:
    found = promtool.locate()
    if found is None:
        reason = f"promtool not provisioned (`make provision` builds v{promtool.VERSION} into the cache)"
        if os.environ.get("REQUIRE_DAPR") == "1":
            pytest.fail(f"REQUIRE_DAPR=1 but {reason}")
        pytest.skip(reason)
    return found


def _run(binary: Path, *args: str) -> str:
    proc = subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    return output


def test_the_rules_file_passes_promtool_check(binary):
    assert "SUCCESS" in _run(binary, "check", "rules", str(RULES))


def test_the_example_prometheus_configuration_passes_promtool_check(binary):
    output = _run(binary, "check", "config", str(RULES.with_name("prometheus.yaml")))
    assert "SUCCESS: 1 rule files found" in output


def test_each_alert_fires_and_stays_quiet_as_the_unit_tests_expect(binary):
    output = _run(binary, "test", "rules", str(UNIT_TESTS))
    print(output)
    assert "SUCCESS" in output


def test_every_alert_of_the_rules_file_has_a_unit_test():
    alerts = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]}
    tests = yaml.safe_load(UNIT_TESTS.read_text())["tests"]
    tested = {case["alertname"] for t in tests for case in t.get("alert_rule_test", [])}
    firing = {case["alertname"] for t in tests for case in t.get("alert_rule_test", []) if case.get("exp_alerts")}
    quiet = {case["alertname"] for t in tests for case in t.get("alert_rule_test", []) if not case.get("exp_alerts")}
    assert alerts == tested == firing == quiet


def test_the_prometheus_rule_carries_the_same_groups():
    plain = yaml.safe_load(RULES.read_text())
    (resource,) = list(yaml.safe_load_all((FOLDER / "prometheus-rule.yaml").read_text()))
    assert resource["apiVersion"] == "monitoring.coreos.com/v1" and resource["kind"] == "PrometheusRule"
    assert resource["spec"]["groups"] == plain["groups"]


def test_every_dashboard_query_parses_as_prometheus_reads_it(binary, tmp_path):
    exprs = dashboard_exprs()
    rules = [{"record": f"dashboard:query_{i}", "expr": e} for i, e in enumerate(exprs)]
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    assert f"SUCCESS: {len(exprs)} rules found" in _run(binary, "check", "rules", str(path))
