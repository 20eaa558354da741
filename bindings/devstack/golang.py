"""The go command as provisioning runs it: one environment, module downloads, builds of our wrapper modules.

Every Go binary this project needs (daprd, the Dapr CLI, etcd, kube-apiserver, kubectl) is built from
the Go module proxy with the same flags, so the standard library and shared packages are compiled once
into the Go build cache and reused by the next build.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from bindings.devstack.cache import ProvisionError, cache_dir, run_logged

# Our wrapper modules, one folder each (go.mod + go.sum): a module of ours that requires the tool's
# module and names the tool, so `go build` resolves it from go.sum without `go mod tidy`.
WRAPPERS = Path(__file__).with_name("go")


def go_env() -> dict[str, str]:
    """The environment every Go step runs with."""
    env = dict(os.environ)
    env.setdefault("GOTOOLCHAIN", "auto")  # dapr v1.18 needs go >= 1.26.6; `auto` fetches it from the proxy if older
    env.setdefault("GONOSUMDB", "github.com/dapr")  # the sum database may be unreachable; go.sum pins the rest
    env["GOFLAGS"] = (env.get("GOFLAGS", "") + " -modcacherw").strip()  # so a cache can be deleted without chmod
    env["CGO_ENABLED"] = "0"  # static binaries, and one build-cache key for every build here
    return env


def require_go(what: str) -> None:
    if not shutil.which("go"):
        raise ProvisionError(f"building {what} needs `go` (1.26+) on PATH")


def download(module: str, version: str) -> Path:
    """A module's source in the module cache (read-only there: copy it before changing anything)."""
    cmd = ["go", "mod", "download", "-json", f"{module}@v{version}"]
    proc = subprocess.run(cmd, env=go_env(), capture_output=True, text=True, timeout=900, cwd=cache_dir())
    try:
        info = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise ProvisionError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}") from exc
    if info.get("Error") or not info.get("Dir"):
        raise ProvisionError(f"{' '.join(cmd)}: {info.get('Error') or 'no source directory'}")
    return Path(info["Dir"])


@cache
def required_version(wrapper: str, module: str) -> str:
    """The version (without `v`) at which wrapper module `wrapper` requires `module`: its go.mod is the one place."""
    text = (WRAPPERS / wrapper / "go.mod").read_text()
    found = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+v(\S+)", text, re.MULTILINE)
    if not found:
        raise ProvisionError(f"{WRAPPERS / wrapper / 'go.mod'} does not require {module}")
    return found.group(1)


def prefetch(wrapper: str, packages: Iterable[str]) -> subprocess.Popen[bytes]:
    """Start downloading the modules `packages` need, in the background; the caller stops it when done.

    Downloading is network and disk; compiling is CPU. Started while another binary compiles (daprd's
    build takes the longest), it takes the downloads off the critical path of a cold provisioning.
    `go list -deps` fetches exactly the modules the build will need; failures are left to the build
    itself to report. The module cache is safe for concurrent go commands.
    """
    cmd = ["go", "list", "-e", "-deps", "-f", "{{.ImportPath}}", *packages]
    out = subprocess.DEVNULL
    return subprocess.Popen(cmd, cwd=WRAPPERS / wrapper, env=go_env(), stdout=out, stderr=out, stdin=out)


def build_tools(wrapper: str, targets: dict[str, Path], *, ldflags: str, timeout: float) -> None:
    """Build each package of `targets` (import path -> binary path) from wrapper module `wrapper`.

    One `go build` for all of them, so their shared packages compile once; each binary is moved into
    place only when every one was built, so a half-finished build never looks provisioned.
    """
    require_go(", ".join(p.name for p in targets.values()))
    staging = cache_dir() / "build" / f"go-{wrapper}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    cmd = ["go", "build", "-trimpath", "-ldflags", ldflags, "-o", f"{staging}/", *targets]
    run_logged(cmd, cwd=WRAPPERS / wrapper, env=go_env(), timeout=timeout)
    for package, out in targets.items():
        (staging / _binary_name(package)).replace(out)
    shutil.rmtree(staging, ignore_errors=True)


def _binary_name(package: str) -> str:
    """What `go build -o DIR/` names a main package: its last element, or the one before a `/vN` suffix."""
    parts = package.split("/")
    return parts[-2] if re.fullmatch(r"v\d+", parts[-1]) else parts[-1]
