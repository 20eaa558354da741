"""A function's daprd as far as secrets go: the Kubernetes secret store against the test API server.

In a cluster the store is built into daprd under the name `kubernetes` and talks to the API server as
the pod's service account. Here it is a component of that name whose `kubeconfigPath` metadata points
at a kubeconfig carrying the identity under test (components-contrib v1.18 secretstores/kubernetes reads
`kubeconfigPath`, and the namespace from the NAMESPACE variable, which the sidecar injector sets).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import urllib3
import yaml

from bindings.devstack import daprd, procs

STORE_COMPONENT = "kubernetes"  # the name of the store daprd has built in on Kubernetes
START_TIMEOUT_S = 60.0


class SecretsSidecar:
    def __init__(self, workdir: Path, app_id: str, namespace: str, kubeconfig: Path, config: dict[str, Any]) -> None:
        self.workdir = workdir
        self.app_id = app_id
        self.namespace = namespace
        self.kubeconfig = kubeconfig
        self.config = config
        self.http_port = 0
        self.log = workdir / "daprd.log"

    def __enter__(self) -> SecretsSidecar:
        resources = self.workdir / "resources"
        resources.mkdir(parents=True, exist_ok=True)
        component = {
            "apiVersion": "dapr.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": STORE_COMPONENT},
            "spec": {
                "type": "secretstores.kubernetes",
                "version": "v1",
                "metadata": [{"name": "kubeconfigPath", "value": str(self.kubeconfig)}],
            },
        }
        (resources / "kubernetes.yaml").write_text(yaml.safe_dump(component))
        config = self.workdir / "config.yaml"
        config.write_text(yaml.safe_dump(self.config))
        self.http_port, grpc, internal, metrics = procs.free_ports(4)
        binary = daprd.locate()
        assert binary is not None, "daprd is not provisioned"
        cmd = [
            str(binary),
            f"--app-id={self.app_id}",
            "--mode=standalone",
            f"--dapr-http-port={self.http_port}",
            f"--dapr-grpc-port={grpc}",
            f"--dapr-internal-grpc-port={internal}",
            f"--metrics-port={metrics}",
            "--dapr-listen-addresses=127.0.0.1",
            "--dapr-internal-grpc-listen-address=127.0.0.1",
            "--metrics-listen-address=127.0.0.1",
            f"--resources-path={resources}",
            f"--config={config}",
            "--log-level=info",
        ]
        env = {**os.environ, "NAMESPACE": self.namespace}
        pid = procs.spawn(cmd, name="daprd", pid_dir=self.workdir / "pids", log=self.log, env=env, cwd=self.workdir)
        procs.wait_for(
            f"daprd of {self.app_id} (secret store loaded)",
            lambda: procs.http_status(f"http://127.0.0.1:{self.http_port}/v1.0/healthz/outbound") == 204,
            timeout=START_TIMEOUT_S,
            pid=pid,
            log=self.log,
        )
        return self

    def __exit__(self, *_: object) -> None:
        procs.stop_all(self.workdir / "pids")

    def get(self, store: str, name: str) -> tuple[int, Any]:
        """GET /v1.0/secrets/<store>/<name>: the status and the decoded answer."""
        url = f"http://127.0.0.1:{self.http_port}/v1.0/secrets/{store}/{name}"
        resp = urllib3.request("GET", url, timeout=15.0, retries=False)
        return resp.status, json.loads(resp.data) if resp.data else None
