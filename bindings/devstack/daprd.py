"""Locate daprd, or build a pinned release from the Go module proxy with only the components this project uses."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from bindings.devstack.cache import ProvisionError, cache_dir, run_logged
from bindings.devstack.golang import download, go_env, require_go

VERSION = "1.18.1"  # v1.18.2+ need durabletask-go versions the module proxy does not serve (403)
MODULE = "github.com/dapr/dapr"
# The registrations this project's components need; every other cmd/daprd/components file is removed before
# building, which cuts the build from the whole components-contrib tree to a handful of packages.
KEEP = frozenset(
    {
        "bindings_cron.go",
        "pubsub_kafka.go",
        "state_postgres.go",
        "secretstores_local_file.go",
        "secretstores_local_env.go",
        "secretstores_kubernetes.go",
        "nameresolution_mdns.go",
        "nameresolution_sqlite.go",
        "nameresolution_kubernetes.go",
    }
)
_COMPONENT_PREFIXES = (
    "bindings_",
    "configuration_",
    "conversation_",
    "crypto_",
    "lock_",
    "middleware_",
    "nameresolution_",
    "pubsub_",
    "secretstores_",
    "state_",
    "workflowbackend_",
)
BUILD_TIMEOUT_S = 3000.0
# daprd registers a host address for service invocation and stops ("could not determine host IP address")
# on a host whose only interface is the loopback. Every sidecar here listens on 127.0.0.1 anyway.
HOST_ENV = {"DAPR_HOST_IP": "127.0.0.1"}
HEALTH_PROBE_INTERVAL_S = 5.0  # daprd's default --app-health-probe-interval: how stale its view of an app may be


def locate() -> Path | None:
    """`$DAPRD`, then a `dapr init` install, then PATH, then this project's cached build."""
    candidates = [os.environ.get("DAPRD"), str(Path.home() / ".dapr" / "bin" / "daprd"), shutil.which("daprd")]
    candidates.append(str(cached_binary()))
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return Path(c)
    return None


def cached_binary() -> Path:
    return cache_dir() / f"daprd-{VERSION}"


def ensure() -> Path:
    """An executable daprd: an installed one, or the pinned release built once into the cache."""
    found = locate()
    if found:
        return found
    return build()


def build() -> Path:
    require_go("daprd (or run `dapr init`)")
    env = go_env()
    # `go install ...@v` is refused because dapr's go.mod has replace directives; build the module's own source.
    src = download(MODULE, VERSION)
    work = cache_dir() / "build" / f"dapr-{VERSION}"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(src, work)
    for p in work.rglob("*"):
        p.chmod(p.stat().st_mode | 0o200)
    _trim_components(work / "cmd" / "daprd" / "components")
    out = cached_binary()
    tmp = out.with_name(out.name + ".tmp")
    ldflags = f"-s -w -X {MODULE}/pkg/buildinfo.version={VERSION}"
    cmd = ["go", "build", "-tags", "allcomponents", "-trimpath", "-ldflags", ldflags, "-o", str(tmp), "./cmd/daprd"]
    run_logged(cmd, cwd=work, env=env, timeout=BUILD_TIMEOUT_S)
    tmp.replace(out)
    shutil.rmtree(work, ignore_errors=True)
    return out


def _trim_components(components: Path) -> None:
    for f in components.glob("*.go"):
        if f.name.startswith(_COMPONENT_PREFIXES) and f.name not in KEEP:
            f.unlink()
    missing = KEEP - {f.name for f in components.glob("*.go")}
    if missing:
        raise ProvisionError(f"dapr v{VERSION} has no {sorted(missing)} in cmd/daprd/components")
