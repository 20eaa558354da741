"""etcd + kube-apiserver on loopback: tests/cluster's API server, and by hand `python -m bindings kube-up`.

What the API server needs that a cluster installer would otherwise set up: RBAC authorization, an admin
token (group system:masters) in a static token file, a service-account key pair (so the TokenRequest
API issues tokens this server verifies: `kubectl create token SA`), and a kubeconfig. It makes its own
serving certificate. No kubelet or controllers: objects are stored and checked, no Pod ever runs.
Every port is free-picked on 127.0.0.1 and every process pidfiled, so `kube-down` also cleans up a crash.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import urllib3
import yaml

from bindings.devstack import kube, procs
from bindings.devstack.cache import run_logged, write_private

START_TIMEOUT_S = 90.0  # 2.5-4 s when the machine is idle; much longer beside two busy compilers


class KubeServer:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir.resolve()
        self.pid_dir = self.run_dir / "pids"
        self.log_dir = self.run_dir / "logs"
        self.kubeconfig = self.run_dir / "kubeconfig"
        self._state = self.run_dir / "server.json"
        self.started_in: float | None = None

    # --- what a client needs -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self._read_state()["url"]

    @property
    def admin_token(self) -> str:
        return self._read_state()["token"]

    @property
    def ca_file(self) -> Path:
        # The self-signed serving certificate the API server writes, followed by the CA that signed it.
        return self.run_dir / "certs" / "apiserver.crt"

    def kubectl(
        self,
        *args: str,
        stdin: str | None = None,
        check: bool = True,
        timeout: float = 120.0,
        kubeconfig: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Our kubectl (the server's version) with this server's admin kubeconfig, or another one."""
        cmd = [str(kube.kubectl_binary()), f"--kubeconfig={kubeconfig or self.kubeconfig}", *args]
        done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
        return done

    def get_json(self, *args: str) -> Any:
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def write_kubeconfig(self, path: Path, token: str, user: str) -> Path:
        """A kubeconfig that trusts this server's certificate and authenticates with `token` (mode 0600)."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "local",
                    "cluster": {
                        "server": self.url,
                        "certificate-authority-data": base64.b64encode(self.ca_file.read_bytes()).decode(),
                    },
                }
            ],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": user, "context": {"cluster": "local", "user": user}}],
            "current-context": user,
        }
        write_private(path, yaml.safe_dump(config, sort_keys=False))
        return path

    # --- lifecycle ---------------------------------------------------------------------------------------
    def start(self, timeout: float = START_TIMEOUT_S) -> KubeServer:
        missing = kube.missing()
        if missing:
            raise procs.StartError(f"not provisioned: {', '.join(missing)} (run `make provision`)")
        began = time.monotonic()
        for folder in (self.run_dir, self.run_dir / "certs"):
            folder.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "etcd").mkdir(mode=0o700, exist_ok=True)  # etcd refuses a data dir others can read
        self._service_account_keys()
        token = secrets.token_hex(16)
        # The token file's columns: token, user name, uid, groups. system:masters passes every RBAC check.
        write_private(self.run_dir / "tokens.csv", f"{token},admin,admin-uid,system:masters\n")
        etcd_port, peer_port, api_port = procs.free_ports(3)
        self._write_state({"url": f"https://127.0.0.1:{api_port}", "token": token, "etcd_port": etcd_port})
        self._start_etcd(etcd_port, peer_port, timeout)
        self._start_apiserver(etcd_port, api_port, token, timeout)
        self.write_kubeconfig(self.kubeconfig, token, "admin")
        self.started_in = time.monotonic() - began
        return self

    def stop(self) -> list[str]:
        # A short grace: the store is throwaway, and the API server drains its watches for a long while.
        return procs.stop_all(self.pid_dir, timeout=3.0)

    def _service_account_keys(self) -> None:
        key, pub = self.run_dir / "sa.key", self.run_dir / "sa.pub"
        if key.exists() and pub.exists():
            return
        if not shutil.which("openssl"):
            raise procs.StartError("`openssl` is needed to make the service-account signing key")
        run_logged(["openssl", "genrsa", "-out", str(key), "2048"], timeout=60)
        run_logged(["openssl", "rsa", "-in", str(key), "-pubout", "-out", str(pub)], timeout=60)

    def _start_etcd(self, port: int, peer_port: int, timeout: float) -> None:
        client, peer = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{peer_port}"
        cmd = [
            str(kube.etcd_binary()),
            "--name=local",
            f"--data-dir={self.run_dir / 'etcd'}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=local={peer}",
            "--unsafe-no-fsync",  # a throwaway store: fsync per write would only slow every apply down
            "--log-level=warn",
        ]
        log = self.log_dir / "etcd.log"
        pid = procs.spawn(cmd, name="etcd", pid_dir=self.pid_dir, log=log, env=dict(os.environ), cwd=self.run_dir)
        procs.wait_for(
            f"etcd on :{port}", lambda: procs.http_status(f"{client}/health") == 200, timeout=timeout, pid=pid, log=log
        )

    def _start_apiserver(self, etcd_port: int, port: int, token: str, timeout: float) -> None:
        cmd = [
            str(kube.apiserver_binary()),
            f"--etcd-servers=http://127.0.0.1:{etcd_port}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={port}",
            f"--cert-dir={self.run_dir / 'certs'}",
            # Without this the server tries to publish its address as the `kubernetes` Service's endpoint,
            # which loopback addresses are refused for.
            "--endpoint-reconciler-type=none",
            "--service-cluster-ip-range=10.0.0.0/24",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={self.run_dir / 'sa.pub'}",
            f"--service-account-signing-key-file={self.run_dir / 'sa.key'}",
            f"--token-auth-file={self.run_dir / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--profiling=false",
        ]
        log = self.log_dir / "apiserver.log"
        pid = procs.spawn(
            cmd, name="kube-apiserver", pid_dir=self.pid_dir, log=log, env=dict(os.environ), cwd=self.run_dir
        )
        url = f"https://127.0.0.1:{port}/readyz"
        procs.wait_for(f"kube-apiserver on :{port}", lambda: self._ready(url, token), timeout=timeout, pid=pid, log=log)

    def _ready(self, url: str, token: str) -> bool:
        if not self.ca_file.exists():
            return False
        try:
            http = urllib3.PoolManager(ca_certs=str(self.ca_file), cert_reqs="CERT_REQUIRED")
            resp = http.request("GET", url, headers={"Authorization": f"Bearer {token}"}, timeout=2.0, retries=False)
        except urllib3.exceptions.HTTPError:
            return False
        return resp.status == 200

    def _write_state(self, state: dict[str, Any]) -> None:
        write_private(self._state, json.dumps(state))

    def _read_state(self) -> dict[str, Any]:
        return json.loads(self._state.read_text())
