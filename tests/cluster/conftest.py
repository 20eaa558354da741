"""A real etcd + kube-apiserver for this tier, with the CRDs installed and the manifests applied.

Not provisioned (no binaries, or no CRD for a kind the manifests use): the tier skips with the reason,
and REQUIRE_CLUSTER=1 (set by CI) turns that skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bindings.devstack import crds, kube
from bindings.devstack.kubeserver import KubeServer
from tests.cluster.harness import Deployed, deploy, install_crds, unserved_kinds


def require(reason: str) -> None:
    """Skip with `reason`, or fail when REQUIRE_CLUSTER=1 says this tier must run."""
    if os.environ.get("REQUIRE_CLUSTER") == "1":
        pytest.fail(f"REQUIRE_CLUSTER=1 but {reason}")
    pytest.skip(reason)


def _missing() -> list[str]:
    missing = [f"{name} (run `make provision`)" for name in kube.missing()]
    if shutil.which("openssl") is None:
        missing.append("openssl (makes the service-account signing key)")
    return missing


@pytest.fixture(scope="session")
def kube_server() -> Iterator[KubeServer]:
    missing = _missing()
    if missing:
        require("cluster tier not provisioned: " + "; ".join(missing))
    folder = Path(tempfile.mkdtemp(prefix="todo-kube-"))
    server = KubeServer(folder)
    try:
        server.start()
        print(f"\nkube-apiserver ready in {server.started_in:.1f}s at {server.url}")
        yield server
    finally:
        server.stop()
        if os.environ.get("KEEP_CLUSTER_LOGS"):
            print(f"\ncluster test logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def crd_server(kube_server: KubeServer) -> KubeServer:
    """The server with every CRD the manifests need, established."""
    install_crds(kube_server, crds.files())
    unserved = unserved_kinds(kube_server)
    if unserved:
        where = crds.shared_dir() or "no ../shared/crds beside the checkout"
        require(f"no CRD for {', '.join(unserved)} (looked in {where} and in the provisioned ones)")
    return kube_server


@pytest.fixture(scope="session")
def deployed(crd_server: KubeServer) -> Deployed:
    """The base and both overlays applied for real, in turn; the server is left with the last one."""
    return deploy(crd_server)
