"""etcd, kube-apiserver and kubectl for tests/cluster, built once from the Go module proxy into the cache.

The versions are the ones our wrapper modules require (`go/kube/go.mod`, `go/etcd/go.mod`): that file
is the one place for them. No kubelet, controller-manager or scheduler: objects are stored, defaulted,
validated and authorized by a real API server, but no Pod runs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from bindings.devstack import golang
from bindings.devstack.cache import cache_dir
from bindings.devstack.golang import build_tools, required_version

KUBERNETES = "k8s.io/kubernetes"
ETCD = "go.etcd.io/etcd/server/v3"
BUILD_TIMEOUT_S = 2400.0  # kube-apiserver alone compiles for 5-7 minutes on two cores when nothing else runs


def kubernetes_version() -> str:
    return required_version("kube", KUBERNETES)


def etcd_version() -> str:
    return required_version("etcd", ETCD)


def etcd_binary() -> Path:
    return cache_dir() / f"etcd-{etcd_version()}"


def apiserver_binary() -> Path:
    return cache_dir() / f"kube-apiserver-{kubernetes_version()}"


def kubectl_binary() -> Path:
    """Ours, not a system kubectl: the same version as the API server (Debian's is 1.32, with skew warnings)."""
    return cache_dir() / f"kubectl-{kubernetes_version()}"


def missing() -> list[str]:
    return [p.name for p in (etcd_binary(), apiserver_binary(), kubectl_binary()) if not p.is_file()]


def _kube_targets() -> dict[str, Path]:
    return {f"{KUBERNETES}/cmd/kube-apiserver": apiserver_binary(), f"{KUBERNETES}/cmd/kubectl": kubectl_binary()}


def prefetch() -> list[subprocess.Popen[bytes]]:
    """Start downloading what the missing binaries need (see golang.prefetch)."""
    started = []
    if not etcd_binary().is_file():
        started.append(golang.prefetch("etcd", [ETCD]))
    if not all(p.is_file() for p in _kube_targets().values()):
        started.append(golang.prefetch("kube", list(_kube_targets())))
    return started


def ensure_etcd() -> Path:
    out = etcd_binary()
    if not out.is_file():
        build_tools("etcd", {ETCD: out}, ldflags="-s -w", timeout=BUILD_TIMEOUT_S)
    return out


def ensure_kube() -> tuple[Path, Path]:
    """kube-apiserver and kubectl, in one `go build`: they share most of client-go and apimachinery."""
    targets = _kube_targets()
    if not all(p.is_file() for p in targets.values()):
        build_tools("kube", targets, ldflags=_version_ldflags(kubernetes_version()), timeout=BUILD_TIMEOUT_S)
    return apiserver_binary(), kubectl_binary()


def _version_ldflags(version: str) -> str:
    """Stamp the release into both binaries: unstamped they say v0.0.0, and kubectl warns of version skew."""
    major, minor, _ = version.split(".")
    stamps = {
        "k8s.io/component-base/version": {"gitMajor": major, "gitMinor": minor, "gitTreeState": "clean"},
        "k8s.io/client-go/pkg/version": {"gitMajor": major, "gitMinor": minor},
    }
    flags = ["-s", "-w"]
    for package, values in stamps.items():
        flags.append(f"-X {package}.gitVersion=v{version}")
        flags += [f"-X {package}.{name}={value}" for name, value in values.items()]
    return " ".join(flags)
