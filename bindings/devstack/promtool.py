"""promtool (Prometheus's rule checker and rule unit tester), built once from the Go module proxy into the cache.

`make test` runs `promtool test rules` on k8s/observability's alert rules (tests/k8s/test_alert_rules.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from bindings.devstack.cache import ProvisionError, cache_dir, run_logged
from bindings.devstack.golang import go_env

# Prometheus 3.16's Go module version: the v3 tags are not Go-module versions, so the module is tagged v0.3xx.
VERSION = "0.316.0"
PACKAGE = "github.com/prometheus/prometheus/cmd/promtool"
# promtool registers every service discovery (AWS, Azure, GCE, ...) for `check config`; rule tests need none.
# Prometheus's documented `remove_all_sd` tag leaves them out, which roughly halves a cold build.
TAGS = "remove_all_sd"
BUILD_TIMEOUT_S = 2400.0


def cached_binary() -> Path:
    return cache_dir() / f"promtool-{VERSION}"


def locate() -> Path | None:
    """`$PROMTOOL`, then this project's cached build, then PATH (Debian's `prometheus` package ships one)."""
    for candidate in (os.environ.get("PROMTOOL"), str(cached_binary()), shutil.which("promtool")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def ensure() -> Path:
    return locate() or build()


def build() -> Path:
    """`go install` into a private GOBIN, then into the cache under its version (no replace directives here)."""
    if not shutil.which("go"):
        raise ProvisionError("no promtool found and no `go` on PATH to build one")
    out = cached_binary()
    gobin = cache_dir() / "build" / f"promtool-{VERSION}"
    shutil.rmtree(gobin, ignore_errors=True)
    gobin.mkdir(parents=True)
    env = {**go_env(), "GOBIN": str(gobin)}
    cmd = ["go", "install", "-tags", TAGS, "-trimpath", "-ldflags", "-s -w", f"{PACKAGE}@v{VERSION}"]
    run_logged(cmd, cwd=gobin, env=env, timeout=BUILD_TIMEOUT_S)
    (gobin / "promtool").replace(out)
    shutil.rmtree(gobin, ignore_errors=True)
    return out
