"""Service and Ingress for the invoke functions that serve users (`todo-api`, ...).

The ingress controller calls the app port directly: user routes are authenticated by the JWT, and
the app accepts them without the Dapr app token, which still guards every internal route.
"""

from __future__ import annotations

from typing import Any

from bindings.manifests import facts
from bindings.triggers import Function

HOST = "todo.local"
INGRESS = "todo-api"


def public_functions() -> list[Function]:
    return [fn for fn in facts.functions() if facts.user_path_prefixes(fn)]


def service(fn: Function) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": fn.name, "namespace": facts.NAMESPACE, "labels": facts.labels(fn)},
        "spec": {
            "selector": facts.selector(fn),
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def ingress(public: list[Function]) -> dict[str, Any]:
    paths = [
        {
            "path": prefix,
            "pathType": "Prefix",
            "backend": {"service": {"name": fn.name, "port": {"name": "http"}}},
        }
        for fn in public
        for prefix in facts.user_path_prefixes(fn)
    ]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": INGRESS,
            "namespace": facts.NAMESPACE,
            "annotations": {
                "nginx.ingress.kubernetes.io/proxy-body-size": "64k",  # = the app's max_body_bytes
                "nginx.ingress.kubernetes.io/limit-rps": "50",
            },
        },
        "spec": {"ingressClassName": "nginx", "rules": [{"host": HOST, "http": {"paths": paths}}]},
    }


def render() -> list[dict[str, Any]]:
    public = public_functions()
    if not public:
        return []
    return [*(service(fn) for fn in public), ingress(public)]
