"""Schema lookup for the manifests: core kinds from kubernetes-validate, custom resources from the CRDs.

The CRDs live beside the project, in `../shared/crds` (found by bindings/devstack/crds.py: CI has it
there, a developer's worktree may be deeper; `CRDS_DIR` overrides). A user's clone has none: tests skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bindings.devstack.crds import shared_dir

ROOT = Path(__file__).resolve().parents[2]
K8S_VERSIONS = ("1.30", "1.37")  # the oldest Kubernetes we support, and the newest schemas shipped


def crds_dir() -> Path | None:
    return shared_dir()


def _strict(schema: Any) -> Any:
    """Refuse unknown fields, as `kubectl apply --validate=strict` does: the API server would prune them."""
    if isinstance(schema, dict):
        schema = {k: _strict(v) for k, v in schema.items()}
        if (
            schema.get("type") == "object"
            and "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the served version's openAPIV3Schema, made strict."""
    folder = crds_dir()
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(folder.glob("*.yaml")) if folder else ():
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    found[(f"{group}/{version['name']}", kind)] = _strict(version["schema"]["openAPIV3Schema"])
    return found


KUSTOMIZE_MODULE = "sigs.k8s.io/kustomize/kustomize/v5@v5.5.0"  # the version kubectl 1.32+ embeds


def _cached_kustomize() -> Path | None:
    """Build kustomize once from the Go module proxy into a cache outside the checkout."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "todo-functions" / "bin"
    binary = cache / "kustomize"
    if not binary.exists() and shutil.which("go"):
        env = {**os.environ, "GOBIN": str(cache), "GOFLAGS": "-modcacherw"}
        subprocess.run(["go", "install", KUSTOMIZE_MODULE], env=env, capture_output=True, timeout=900, check=False)
    return binary if binary.exists() else None


def kustomize_command() -> list[str] | None:
    """`kustomize build`, kubectl's built-in copy of it, or one built with Go."""
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    built = _cached_kustomize()
    return [str(built), "build"] if built else None


def kustomize_build(folder: Path) -> list[dict[str, Any]]:
    command = kustomize_command()
    assert command is not None
    out = subprocess.run([*command, str(folder)], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, f"{' '.join(command)} {folder}: {out.stderr}"
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def load(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]
