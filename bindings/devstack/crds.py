"""CustomResourceDefinitions for a test API server: `../shared/crds` first, the rest from the registries.

`../shared/crds` (beside the checkout: CI has it, a user's clone may not) holds Dapr's, KEDA's and
Strimzi's. The External Secrets Operator's (the cloud overlay's ExternalSecrets) is in no such folder, and
without `../shared` Dapr's and KEDA's are missing too: provisioning copies them out of the modules' source,
which the Go module proxy serves (Dapr's at the daprd version we build). Strimzi publishes its CRDs in
no registry this machine reaches, so its kinds need `../shared/crds`. Nothing is copied into the checkout.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from bindings.devstack import daprd
from bindings.devstack.cache import cache_dir
from bindings.devstack.golang import download, require_go

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Source:
    """Some CRD files inside a Go module's source tree."""

    name: str
    module: str
    version: str
    folder: str
    files: tuple[str, ...]

    @property
    def target(self) -> Path:
        return cache_dir() / "crds" / f"{self.name}-{self.version}"


SOURCES = (
    Source(
        "dapr",
        "github.com/dapr/dapr",
        daprd.VERSION,
        "charts/dapr/crds",
        ("components.yaml", "configuration.yaml", "resiliency.yaml", "subscription.yaml"),
    ),
    Source(
        "keda",
        "github.com/kedacore/keda/v2",
        "2.20.2",  # as docs/deployment.md installs
        "config/crd/bases",
        ("keda.sh_scaledobjects.yaml", "keda.sh_triggerauthentications.yaml"),
    ),
    # v0.16 is the first release serving external-secrets.io/v1, the version the cloud overlay uses.
    Source(
        "external-secrets",
        "github.com/external-secrets/external-secrets",
        "0.16.2",
        "config/crds/bases",
        ("external-secrets.io_externalsecrets.yaml",),
    ),
)


def shared_dir() -> Path | None:
    """`$CRDS_DIR`, else the nearest `shared/crds` above the checkout (a worktree may sit deeper than a clone)."""
    explicit = os.environ.get("CRDS_DIR")
    if explicit:
        return Path(explicit)
    for folder in ROOT.parents:
        if (folder / "shared" / "crds").is_dir():
            return folder / "shared" / "crds"
    return None


def ensure() -> list[Path]:
    """Copy each source's files into the cache once (a folder per module version)."""
    done = []
    for source in SOURCES:
        if not (source.target / ".complete").exists():
            require_go(f"the {source.name} CRDs")
            tree = download(source.module, source.version)
            tmp = source.target.with_name(source.target.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            for name in source.files:
                shutil.copyfile(tree / source.folder / name, tmp / name)
            (tmp / ".complete").write_text(f"{source.module}@v{source.version}\n")
            shutil.rmtree(source.target, ignore_errors=True)
            tmp.replace(source.target)
        done.append(source.target)
    return done


def files() -> list[Path]:
    """The CRD files to install: every one of `../shared/crds`, then each cached one defining a CRD it lacks."""
    chosen: list[Path] = []
    names: set[str] = set()
    shared = shared_dir()
    candidates = sorted(shared.glob("*.yaml")) if shared else []
    candidates += [p for s in SOURCES if (s.target / ".complete").exists() for p in sorted(s.target.glob("*.yaml"))]
    for path in candidates:
        defined = {d["metadata"]["name"] for d in yaml.safe_load_all(path.read_text()) if _is_crd(d)}
        if defined - names:
            chosen.append(path)
            names |= defined
    return chosen


def _is_crd(doc: object) -> bool:
    return isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"
