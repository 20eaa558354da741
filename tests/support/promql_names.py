"""Which metrics k8s/observability's rules and dashboard query, and which a /metrics page exposes.

Read from the committed files (what operators load), not from the renderer, and parsed with a PromQL
parser (`promql-parser`), so every selector counts wherever it sits: inside functions, aggregations,
binary operators, subqueries, or as `{__name__="..."}`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import promql_parser
import yaml

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "k8s" / "observability"
RULES = FOLDER / "prometheus" / "alert-rules.yaml"
DASHBOARD = FOLDER / "todo-functions-dashboard.json"
# Grafana fills these before a query reaches Prometheus; any valid value does for parsing.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$function": ".*"}
_SAMPLE_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
# The Accept header of a Prometheus 3 scrape (scrape/scrape.go acceptHeader over DefaultScrapeProtocols): the
# format an exporter answers it with decides the names Prometheus stores (OpenMetrics would add `_total`).
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
    "application/openmetrics-text;version=0.0.1;q=0.5,"
    "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
    "text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
)
_LABEL_VALUES = re.compile(r"^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)$")


def rule_exprs(path: Path = RULES) -> list[str]:
    doc = yaml.safe_load(path.read_text())
    return [rule["expr"] for group in doc["groups"] for rule in group["rules"]]


def _panels(board: dict) -> list[dict]:
    found = []
    for panel in board["panels"]:
        found.append(panel)
        found += panel.get("panels", [])  # a collapsed row holds its panels
    return found


def dashboard_exprs(path: Path = DASHBOARD) -> list[str]:
    """Every panel target's PromQL, with Grafana's variables filled in."""
    board = json.loads(path.read_text())
    exprs = [t["expr"] for p in _panels(board) for t in p.get("targets", []) if t.get("expr")]
    filled = []
    for expr in exprs:
        for name, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(name, value)
        assert "$" not in expr, f"a Grafana variable this check does not know: {expr}"
        filled.append(expr)
    return filled


def dashboard_variable_metrics(path: Path = DASHBOARD) -> set[str]:
    """Metrics the dashboard's query variables read (`label_values(metric, label)`, Grafana's own syntax)."""
    board = json.loads(path.read_text())
    found = set()
    for var in board["templating"]["list"]:
        if var["type"] != "query":
            continue
        query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
        match = _LABEL_VALUES.match(query.strip())
        assert match, f"a variable query this check cannot read: {query}"
        found.add(match.group(1))
    return found


def metric_names(expr: str) -> set[str]:
    """The metric name of every vector selector in `expr`."""
    names: set[str] = set()

    def visit(node: object) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            else:
                matchers = node.matchers.matchers if node.matchers else []
                by_name = [m for m in matchers if m.name == "__name__"]
                assert by_name and all(m.op == promql_parser.MatchOp.Equal for m in by_name), (
                    f"a selector without one exact metric name cannot be checked: {expr}"
                )
                names.update(m.value for m in by_name)
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def used_metric_names() -> set[str]:
    """Every metric the committed rules and dashboard query."""
    names = dashboard_variable_metrics()
    for expr in rule_exprs() + dashboard_exprs():
        names |= metric_names(expr)
    return names


def exposed_names(text: str) -> set[str]:
    """The series names a text-format /metrics page carries, as Prometheus stores them: the name at the head of
    each sample line, literally. (prometheus_client's parser would not do: it renames daprd's counters, e.g.
    `dapr_http_server_request_count`, to `..._total`, a name Prometheus never stores.) A declared metric
    without any sample has no line here, and no series to query either."""
    names = set()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            match = _SAMPLE_NAME.match(line)
            assert match, f"a sample line this reader cannot name: {line}"
            names.add(match.group(0))
    return names
