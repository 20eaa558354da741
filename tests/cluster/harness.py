"""What tests/cluster does to its API server, as a user would: install CRDs, apply the manifests, read back."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bindings.devstack import kube
from bindings.devstack.kubeserver import KubeServer

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("base", "overlays/minikube", "overlays/cloud")
# How a user applies them (docs/deployment.md), with the server as the judge: server-side apply (which
# refuses a field the schema does not declare) and strict field validation.
APPLY = ("apply", "--server-side", "--validate=strict", "--field-manager=todo-tests")
# What the ingress controller's install creates (minikube's ingress addon, or the ingress-nginx chart with
# --create-namespace): the Ingresses live there, beside the controller and its Dapr sidecar.
INGRESS_CONTROLLER_NAMESPACE = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {
        "name": "ingress-nginx",
        "labels": {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/instance": "ingress-nginx"},
    },
}


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    """`kubectl kustomize k8s/<overlay>`: the objects `kubectl apply -k` sends."""
    cmd = [str(kube.kubectl_binary()), "kustomize", str(ROOT / "k8s" / overlay)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    return tuple(d for d in yaml.safe_load_all(out) if d)


def key(doc: dict[str, Any]) -> tuple[str, str, str, str]:
    """(group, kind, namespace, name): what identifies an object whatever version it is read at."""
    group = doc["apiVersion"].rpartition("/")[0]
    return group, doc["kind"], doc["metadata"].get("namespace", ""), doc["metadata"]["name"]


def install_crds(server: KubeServer, files: list[Path], timeout: float = 90.0) -> None:
    for path in files:
        server.kubectl("apply", "--server-side", "-f", str(path))
    # Polled rather than `kubectl wait crd --all`, which fails on a CRD whose status is not written yet.
    deadline = time.monotonic() + timeout
    while pending := [c["metadata"]["name"] for c in server.get_json("crd")["items"] if not _established(c)]:
        assert time.monotonic() < deadline, f"CRDs not established after {timeout:.0f}s: {pending}"
        time.sleep(0.5)


def _established(crd: dict[str, Any]) -> bool:
    conditions = crd.get("status", {}).get("conditions") or []
    return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)


def unserved_kinds(server: KubeServer) -> list[str]:
    """Kinds the manifests use that this server does not serve (a missing CRD)."""
    wanted = {(d["apiVersion"], d["kind"]) for overlay in OVERLAYS for d in rendered(overlay)}
    served: dict[str, set[str]] = {}
    for api_version in {v for v, _ in wanted}:
        path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        done = server.kubectl("get", "--raw", path, check=False)
        served[api_version] = (
            set() if done.returncode else {r["kind"] for r in yaml.safe_load(done.stdout)["resources"]}
        )
    return sorted(f"{kind} ({v})" for v, kind in wanted if kind not in served[v])


@dataclass
class Applied:
    overlay: str
    result: subprocess.CompletedProcess[str]
    docs: tuple[dict[str, Any], ...]
    stored: dict[tuple[str, str, str, str], dict[str, Any]] = field(default_factory=dict)


@dataclass
class Deployed:
    server: KubeServer
    # The minikube overlay applied before the ingress controller was installed, as a hasty user would.
    before_ingress_controller: subprocess.CompletedProcess[str]
    applied: dict[str, Applied]

    def stored_as(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The object `doc` names, as the server holds it now."""
        group, kind, namespace, name = key(doc)
        return self.server.get_json(f"{kind}.{group}" if group else kind, name, "-n", namespace)


def deploy(server: KubeServer) -> Deployed:
    first = server.kubectl(*APPLY, "-k", str(ROOT / "k8s" / "overlays" / "minikube"), check=False)
    server.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(INGRESS_CONTROLLER_NAMESPACE))
    applied = {}
    for overlay in OVERLAYS:
        result = server.kubectl(*APPLY, "-k", str(ROOT / "k8s" / overlay), check=False, timeout=300)
        applied[overlay] = Applied(overlay, result, rendered(overlay))
        if result.returncode == 0:
            applied[overlay].stored = read_back(server, rendered(overlay))
    return Deployed(server, first, applied)


def read_back(server: KubeServer, docs: tuple[dict[str, Any], ...]) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """Every object of `docs` as the server stores it."""
    listing = server.kubectl("get", "-f", "-", "-o", "json", stdin=yaml.safe_dump_all(docs), timeout=180)
    items = yaml.safe_load(listing.stdout)
    return {key(item): item for item in items.get("items", [items])}


def differences(applied: Any, stored: Any, path: str = "") -> list[str]:
    """Where the stored object lacks or changed something that was applied (defaults it added are fine)."""
    if isinstance(applied, dict):
        if not isinstance(stored, dict):
            return [f"{path}: stored {stored!r}"]
        out = []
        for name, value in applied.items():
            if name not in stored:
                out.append(f"{path}.{name}: dropped")
            else:
                out += differences(value, stored[name], f"{path}.{name}")
        return out
    if isinstance(applied, list):
        if not isinstance(stored, list) or len(stored) != len(applied):
            return [f"{path}: applied {len(applied)} items, stored {stored!r}"]
        return [
            d for i, (a, s) in enumerate(zip(applied, stored, strict=True)) for d in differences(a, s, f"{path}[{i}]")
        ]
    return [] if applied == stored else [f"{path}: applied {applied!r}, stored {stored!r}"]


@dataclass(frozen=True)
class Pod:
    """What a function's pod runs as, read from its Deployment on the server."""

    function: str
    namespace: str
    service_account: str
    config: str  # the Dapr Configuration its sidecar loads (annotation dapr.io/config)
    secret_store: str  # the store the app asks its sidecar for secrets (SECRET_STORE)

    @property
    def user(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.service_account}"


def pods(deployed: Deployed) -> dict[str, Pod]:
    """Each function's pod, keyed by its Dapr app id."""
    found = {}
    for item in deployed.server.get_json("deployments", "-A")["items"]:
        template = item["spec"]["template"]
        notes = template["metadata"].get("annotations", {})
        if "dapr.io/app-id" not in notes:
            continue  # not a function (e.g. the minikube overlay's PostgreSQL)
        (container,) = [c for c in template["spec"]["containers"] if c["name"] == "function"]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        found[notes["dapr.io/app-id"]] = Pod(
            function=notes["dapr.io/app-id"],
            namespace=item["metadata"]["namespace"],
            service_account=template["spec"].get("serviceAccountName", "default"),
            config=notes["dapr.io/config"],
            secret_store=env["SECRET_STORE"],
        )
    return found


def secrets_named(deployed: Deployed) -> set[str]:
    """Every Secret name any applied object refers to (env, annotations, components, ExternalSecrets, Roles)."""
    names: set[str] = set()

    def walk(node: Any, parent: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(v, str) and (
                    (k == "name" and parent in ("secretKeyRef", "secretRef", "target"))
                    or k == "secretName"
                    or k.endswith("-token-secret")
                ):
                    names.add(v)
                elif k in ("resourceNames", "allowedSecrets") and isinstance(v, list):
                    names.update(v)
                else:
                    walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, parent)

    for applied in deployed.applied.values():
        walk(list(applied.stored.values()))
    return names
