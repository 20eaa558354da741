"""The Dapr CLI (`dapr run -f .`), built from the Go module proxy, and the runtime folder it looks in.

The CLI finds daprd at `<root>/.dapr/bin/daprd`, where root is `$DAPR_RUNTIME_PATH` (else `$HOME`).
`dapr init` would download daprd and start Docker containers; neither is possible or wanted here, so
provisioning lays out a root of its own around our daprd instead (no `dapr init` needed).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bindings.devstack import daprd, golang
from bindings.devstack.cache import cache_dir
from bindings.devstack.golang import build_tools, required_version

MODULE = "github.com/dapr/cli"
BUILD_TIMEOUT_S = 1800.0
_EMPTY_CONFIG = "apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: daprConfig\nspec: {}\n"


def version() -> str:
    return required_version("dapr-cli", MODULE)


def binary() -> Path:
    return cache_dir() / f"dapr-{version()}"


def prefetch() -> list[subprocess.Popen[bytes]]:
    """Start downloading what the CLI's build needs, if it is to be built (see golang.prefetch)."""
    return [] if binary().is_file() else [golang.prefetch("dapr-cli", [MODULE])]


def ensure() -> Path:
    """The CLI, built once, and its runtime folder laid out around our daprd."""
    out = binary()
    if not out.is_file():
        # The CLI reports these in `dapr version`; apiVersion is the Dapr HTTP API version it speaks.
        ldflags = f"-s -w -X main.version={version()} -X main.apiVersion=1.0"
        build_tools("dapr-cli", {MODULE: out}, ldflags=ldflags, timeout=BUILD_TIMEOUT_S)
    runtime_root()
    return out


def runtime_root() -> Path:
    """`<cache>/dapr-runtime`, holding `.dapr/bin/daprd` (our daprd) and what the CLI insists on finding.

    The CLI refuses to start without `<root>/.dapr/components/` and `<root>/.dapr/config.yaml`, even when
    the run file names its own (ours does: dapr/components, dapr/standalone/config.yaml).
    """
    root = cache_dir() / "dapr-runtime"
    dot = root / ".dapr"
    (dot / "bin").mkdir(parents=True, exist_ok=True)
    (dot / "components").mkdir(exist_ok=True)
    config = dot / "config.yaml"
    if not config.exists():
        config.write_text(_EMPTY_CONFIG)
    link = dot / "bin" / "daprd"
    target = daprd.ensure()
    # A link named daprd: `dapr list`/`dapr stop` find sidecars by the process name "daprd".
    if not link.is_symlink() or Path(os.readlink(link)) != target:
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    return root


def env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the CLI runs in: our runtime root, so it starts our daprd (which inherits the rest)."""
    return {**daprd.HOST_ENV, **(base if base is not None else os.environ), "DAPR_RUNTIME_PATH": str(runtime_root())}
