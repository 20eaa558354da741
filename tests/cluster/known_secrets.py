"""The Secrets a test cluster holds: every name the deployment mentions, every declared one, and a stranger."""

from __future__ import annotations

import secrets

import yaml

from bindings.table import FUNCTIONS
from functions.secret_catalogue import CATALOGUE
from tests.cluster.harness import Deployed, secrets_named

# In no manifest and no declaration: a function that could read it could read anything in its namespace.
UNRELATED = "unrelated-secret"


def every_secret(deployed: Deployed) -> list[str]:
    declared = {name for fn in FUNCTIONS.values() for name in fn.secrets}
    return sorted(secrets_named(deployed) | declared | {UNRELATED})


def create_all(deployed: Deployed, namespace: str) -> dict[str, dict[str, str]]:
    """Create (or overwrite) every secret with fresh random values; returns what each holds."""
    values = {name: {key: secrets.token_hex(8) for key in _keys(name)} for name in every_secret(deployed)}
    docs = [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": n, "namespace": namespace}, "stringData": v}
        for n, v in values.items()
    ]
    deployed.server.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", stdin=yaml.safe_dump_all(docs))
    return values


def _keys(name: str) -> tuple[str, ...]:
    """A catalogued secret's keys, as the functions read them; one key for the others (tokens, strangers)."""
    return CATALOGUE[name].keys if name in CATALOGUE else ("value",)
