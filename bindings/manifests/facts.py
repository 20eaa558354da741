"""What every manifest shares: the namespace, the ports and containers of a function's pod, its labels.

What a function subscribes to, and which paths users reach it under, are facts of the table
(bindings/table.py); the manifests read them there, through the trigger model's own answers rather
than one trigger's fields, so that new functions, multi-topic subscribers and ad hoc routes render
without changes here.
"""

from __future__ import annotations

from collections.abc import Iterable

from bindings.table import FUNCTIONS
from bindings.triggers import Function

NAMESPACE = "todo-app"
PART_OF = "todo-functions"
APP_PORT = 8080
APP_CONTAINER = "function"  # the function's container in its pod; Dapr's injector adds "daprd"
SIDECAR_CONTAINER = "daprd"
SIDECAR_INTERNAL_GRPC = 50002  # daprd <-> daprd service invocation
SIDECAR_METRICS = 9090


def functions() -> list[Function]:
    return list(FUNCTIONS.values())


def labels(fn: Function) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": fn.name,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/component": fn.kind,
    }


def selector(fn: Function) -> dict[str, str]:
    return {"app.kubernetes.io/name": fn.name}


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
