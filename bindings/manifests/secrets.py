"""The Kubernetes Secrets and the RBAC that reads them, from each function's declared secrets. Never values.

A function's pod runs as a service account of its own (named like the function), whose Role may `get`
exactly the secrets the function declares in bindings/table.py; the Dapr Configuration it uses
scopes the secret store to the same list (bindings/manifests/dapr_cluster.py).
"""

from __future__ import annotations

from typing import Any

from bindings.manifests import facts
from bindings.triggers import Function
from functions.secret_catalogue import CATALOGUE, secret

# Read by kubelet (secretKeyRef env) and by Dapr's injector, never through the secret store: no Role needs them.
APP_TOKEN = "dapr-app-token"  # key "token": daprd -> app calls carry it (APP_API_TOKEN)
API_TOKEN = "dapr-api-token"  # key "token": app -> daprd calls carry it (DAPR_API_TOKEN)
TOKEN_KEY = "token"


def store_secret_names() -> list[str]:
    """Every secret some function reads through the secret store, in catalogue order."""
    declared = {name for fn in facts.functions() for name in fn.secrets}
    return [name for name in CATALOGUE if name in declared]


def all_secret_names() -> list[str]:
    return [*store_secret_names(), APP_TOKEN, API_TOKEN]


def keys_of(name: str) -> tuple[str, ...]:
    return (TOKEN_KEY,) if name in (APP_TOKEN, API_TOKEN) else secret(name).keys


def readers_of(name: str) -> list[str]:
    return [fn.name for fn in facts.functions() if name in fn.secrets]


def service_account(fn: Function) -> str:
    return fn.name


def role_name(fn: Function) -> str:
    return f"{fn.name}-secrets"


def rbac(fn: Function) -> list[dict[str, Any]]:
    """The function's service account, and a Role + RoleBinding that let it `get` its own secrets only."""
    meta = {"namespace": facts.NAMESPACE, "labels": facts.labels(fn)}
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": service_account(fn), **meta}}
    if not fn.secrets:
        return [account]
    rule = {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": list(fn.secrets)}
    return [
        account,
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": role_name(fn), **meta},
            "rules": [rule],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": role_name(fn), **meta},
            "subjects": [{"kind": "ServiceAccount", "name": service_account(fn), "namespace": facts.NAMESPACE}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role_name(fn)},
        },
    ]


def templates() -> list[dict[str, Any]]:
    """Secret templates for operators: every value is a placeholder to replace before applying."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": facts.NAMESPACE},
            "type": "Opaque",
            "stringData": dict.fromkeys(keys_of(name), "REPLACE-ME"),
        }
        for name in all_secret_names()
    ]


def external_secrets(store: str = "todo-secrets") -> list[dict[str, Any]]:
    """External Secrets Operator references (cloud overlay): values stay in the cloud's secret manager."""
    return [
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": name, "namespace": facts.NAMESPACE},
            "spec": {
                "refreshInterval": "1h",
                "secretStoreRef": {"kind": "ClusterSecretStore", "name": store},
                "target": {"name": name, "creationPolicy": "Owner"},
                "data": [
                    {"secretKey": key, "remoteRef": {"key": f"todo-app/{name}", "property": key}}
                    for key in keys_of(name)
                ],
            },
        }
        for name in all_secret_names()
    ]


def table() -> str:
    """The docs' table of secrets (docs/deployment.md): who reads each, its keys, and what it is for."""
    rows = ["| secret | keys | read by | what for |", "| --- | --- | --- | --- |"]
    for name in store_secret_names():
        s = secret(name)
        readers = ", ".join(f"`{r}`" for r in readers_of(name))
        rows.append(f"| `{name}` | {', '.join(f'`{k}`' for k in s.keys)} | {readers} | {s.purpose} |")
    for name, purpose in (
        (APP_TOKEN, "daprd -> app calls carry it (`APP_API_TOKEN`); the injector and kubelet read it"),
        (API_TOKEN, "app -> daprd calls carry it (`DAPR_API_TOKEN`); the injector and kubelet read it"),
    ):
        rows.append(f"| `{name}` | `{TOKEN_KEY}` | every pod (env, not the secret store) | {purpose} |")
    return "\n".join(rows) + "\n"
