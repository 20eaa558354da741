"""Ingress for the invoke functions that serve users (`todo-api`, `conversations`).

Users reach a function through the NGINX ingress controller's own Dapr sidecar (app id
`nginx-ingress`), which invokes the function's sidecar: Dapr's ingress pattern. So the call is
mTLS-authenticated, subject to the access-control policy of `dapr/config.yaml`, and arrives with
the Dapr app token, which every route but /healthz requires. Nothing reaches an app port directly.
"""

from __future__ import annotations

from typing import Any

from bindings.manifests import facts
from bindings.table import path_prefixes
from bindings.triggers import Function

HOST = "todo.local"
INGRESS_NAMESPACE = "ingress-nginx"
INGRESS_APP_ID = "nginx-ingress"  # the controller's Dapr app id; dapr/config.yaml admits it
SIDECAR_SERVICE = f"{INGRESS_APP_ID}-dapr"  # the Service Dapr creates for that sidecar: port 80 -> 3500


def public_functions() -> list[Function]:
    return [fn for fn in facts.functions() if path_prefixes(fn)]


def ingress(fn: Function) -> dict[str, Any]:
    """One Ingress per function: the rewrite target names the function's app id."""
    paths = [
        {
            # `/api/tasks` and everything below it, captured whole for the rewrite.
            "path": f"/({prefix.lstrip('/')}(?:/.*)?)$",
            "pathType": "ImplementationSpecific",
            "backend": {"service": {"name": SIDECAR_SERVICE, "port": {"number": 80}}},
        }
        for prefix in path_prefixes(fn)
    ]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": fn.name,
            "namespace": INGRESS_NAMESPACE,  # an Ingress reaches Services of its own namespace only
            "annotations": {
                "nginx.ingress.kubernetes.io/use-regex": "true",
                "nginx.ingress.kubernetes.io/rewrite-target": f"/v1.0/invoke/{fn.name}.{facts.NAMESPACE}/method/$1",
                "nginx.ingress.kubernetes.io/proxy-body-size": "64k",  # = the app's max_body_bytes
                "nginx.ingress.kubernetes.io/limit-rps": "50",
            },
        },
        "spec": {"ingressClassName": "nginx", "rules": [{"host": HOST, "http": {"paths": paths}}]},
    }


def render() -> list[dict[str, Any]]:
    return [ingress(fn) for fn in public_functions()]
