"""The Kubernetes Secrets the functions need: names only. Values are never rendered."""

from __future__ import annotations

from typing import Any

from bindings.manifests import facts
from bindings.wiring import DATABASE_SECRET
from functions.settings import Settings

APP_TOKEN = "dapr-app-token"  # key "token": daprd -> app calls carry it (APP_API_TOKEN)
API_TOKEN = "dapr-api-token"  # key "token": app -> daprd calls carry it (DAPR_API_TOKEN)


def app_secret_names() -> list[str]:
    """Secrets the functions read through the sidecar: the database URL and every `*_secret_name` setting."""
    named = [f.default for n, f in Settings.model_fields.items() if n.endswith("_secret_name") and f.default]
    return facts.unique([DATABASE_SECRET, *named])


def keys_of(name: str) -> list[str]:
    """The keys each secret must hold, where the code fixes them."""
    from bindings.auth import SIGNING_KEY

    known = {DATABASE_SECRET: ["url"], "jwt-secret": [SIGNING_KEY], APP_TOKEN: ["token"], API_TOKEN: ["token"]}
    return known.get(name, ["<key your function reads>"])


def all_secret_names() -> list[str]:
    return [*app_secret_names(), APP_TOKEN, API_TOKEN]


def templates() -> list[dict[str, Any]]:
    """Secret templates for operators: every value is a placeholder to replace before applying."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": facts.NAMESPACE},
            "type": "Opaque",
            "stringData": {key: "REPLACE-ME" for key in keys_of(name)},
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
