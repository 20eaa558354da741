"""Secrets through the real path: each function's daprd, its Kubernetes secret store, the real API server.

Three runs per function, so that each layer is shown to refuse on its own:
- `pod`: as in the cluster, the pod's service account (a TokenRequest token) and the function's own
  Dapr Configuration. It reads every secret it declares and is refused any other.
- `rbac`: the same account with the Configuration's secret scopes removed: the Role alone refuses
  (the API server's "forbidden", passed on by daprd as ERR_SECRET_GET).
- `scopes`: an account RBAC lets read everything, with the function's Configuration: Dapr's
  `secrets.scopes` alone refuses (ERR_PERMISSION_DENIED, before the API server is asked).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bindings.table import FUNCTIONS
from tests.cluster.harness import Deployed, pods
from tests.cluster.known_secrets import create_all
from tests.cluster.sidecar import SecretsSidecar

pytestmark = pytest.mark.cluster
LAYERS = ("pod", "rbac", "scopes")


@pytest.fixture(scope="module")
def stored(deployed: Deployed) -> dict[str, dict[str, str]]:
    (namespace,) = {p.namespace for p in pods(deployed).values()}
    return create_all(deployed, namespace)


def _configuration(deployed: Deployed, name: str, namespace: str, layer: str) -> dict[str, Any]:
    held = deployed.server.get_json("configurations.dapr.io", name, "-n", namespace)
    config = {"apiVersion": held["apiVersion"], "kind": held["kind"], "metadata": {"name": name}, "spec": held["spec"]}
    if layer == "rbac":
        config["spec"].pop("secrets", None)
    return config


def _refused(layer: str, status: int, body: Any, user: str) -> bool:
    if layer == "rbac":
        message = (body or {}).get("message", "")
        return status == 500 and "is forbidden" in message and user in message
    return status == 403 and (body or {}).get("errorCode") == "ERR_PERMISSION_DENIED"


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_reads_its_declared_secrets_and_no_other(
    deployed: Deployed, stored: dict[str, dict[str, str]], tmp_path: Path, function: str, layer: str
):
    server, pod = deployed.server, pods(deployed)[function]
    if layer == "scopes":
        kubeconfig, user = server.kubeconfig, "admin"
    else:
        token = server.kubectl("create", "token", pod.service_account, "-n", pod.namespace, "--duration=10m").stdout
        kubeconfig, user = (
            server.write_kubeconfig(tmp_path / "kubeconfig", token.strip(), pod.service_account),
            pod.user,
        )
    config = _configuration(deployed, pod.config, pod.namespace, layer)
    with SecretsSidecar(tmp_path, function, pod.namespace, kubeconfig, config) as sidecar:
        answers = {name: sidecar.get(pod.secret_store, name) for name in stored}

    declared = set(FUNCTIONS[function].secrets)
    wrong = {
        name: answer
        for name, answer in answers.items()
        if not (answer == (200, stored[name]) if name in declared else _refused(layer, *answer, user))
    }
    assert wrong == {}, f"{function} ({layer}) declares {sorted(declared)}"
