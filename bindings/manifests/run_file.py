"""`dapr.yaml`: the Dapr CLI's multi-app run file (`dapr run -f .`).

Every function of the table under gunicorn beside its daprd, on the fixed ports that `make dapr-up`
uses too (bindings/manifests/port_plan.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bindings.manifests.dapr_variants import dump
from bindings.manifests.port_plan import fixed_plan
from bindings.procfile import gunicorn_argv


def run_file() -> dict[str, Any]:
    apps = [
        {
            "appID": p.function,
            "appDirPath": ".",
            "appPort": p.app_port,
            "daprHTTPPort": p.http_port,
            "daprGRPCPort": p.grpc_port,
            "daprInternalGRPCPort": p.internal_grpc_port,
            "metricsPort": p.metrics_port,
            "command": gunicorn_argv(p.function, (".venv/bin/gunicorn",)),
        }
        for p in fixed_plan()
    ]
    return {
        "version": 1,
        "common": {
            "resourcesPaths": ["./dapr/components", "./dapr"],  # ./dapr for resiliency.yaml
            "configFilePath": "./dapr/standalone/config.yaml",
            "appProtocol": "http",
            "apiListenAddresses": "127.0.0.1",
            "enableAppHealthCheck": True,
            "appHealthCheckPath": "/healthz",
            "logLevel": "info",
            "env": {"TODO_DATA_DIR": ".data"},
        },
        "apps": apps,
    }


def render(_: Path) -> dict[str, str]:
    return {"dapr.yaml": dump(run_file(), "bindings/table.py, on the ports of bindings/manifests/port_plan.py")}
