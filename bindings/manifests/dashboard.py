"""The Grafana dashboard of the functions and their sidecars, as JSON: layout, variables, panels' JSON.

Panels (bindings/manifests/dashboard_panels.py) query a `datasource` variable, so the dashboard works
with any Prometheus data source, whether imported by hand or loaded by Grafana's sidecar.
"""

from __future__ import annotations

import json
from typing import Any

from bindings.manifests.dashboard_panels import Panel, sections

UID = "todo-functions"
DS = {"type": "prometheus", "uid": "${datasource}"}


def _panel(p: Panel, pid: int, x: int, y: int) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    steps += [{"color": "red", "value": t} for t in p.thresholds]
    return {
        "id": pid,
        "type": p.kind,
        "title": p.title,
        "description": p.description,
        "datasource": DS,
        "gridPos": {"h": p.height, "w": p.width, "x": x, "y": y},
        "fieldConfig": {
            "defaults": {"unit": p.unit, "thresholds": {"mode": "absolute", "steps": steps}},
            "overrides": [],
        },
        "options": {},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DS, "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(p.targets)
        ],
    }


def _variables() -> list[dict[str, Any]]:
    function_query = "label_values(todo_function_calls_total, function)"
    return [
        {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus"},
        {
            "name": "function",
            "label": "function",
            "type": "query",
            "datasource": DS,
            "query": {"query": function_query, "refId": "functions"},
            "definition": function_query,
            "refresh": 2,
            "includeAll": True,
            "multi": True,
            "allValue": ".*",
            "current": {"text": "All", "value": "$__all"},
        },
    ]


def dashboard() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    y = 0
    for title, section in sections():
        panels.append(
            {
                "id": len(panels) + 1,
                "type": "row",
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        y += 1
        x = 0
        for p in section:
            if x + p.width > 24:
                x, y = 0, y + p.height
            panels.append(_panel(p, len(panels) + 1, x, y))
            x += p.width
        y += section[-1].height
    return {
        "uid": UID,
        "title": "Todo functions",
        "description": "Rendered by `python -m bindings manifests` from bindings/table.py: do not edit here.",
        "tags": ["todo-functions", "dapr"],
        "timezone": "utc",
        "editable": True,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": _variables()},
        "annotations": {"list": []},
        "panels": panels,
    }


def dashboard_json() -> str:
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"
