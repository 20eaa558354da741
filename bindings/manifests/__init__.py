"""`python -m bindings manifests`: the one renderer of every generated file.

k8s/, the Procfile, dapr.yaml, dapr/standalone/ and dapr/cluster/, the table-derived entries of the
hand-written dapr/ files, the rendered sections of docs/, and the contracts (docs/openapi.json,
docs/asyncapi.json, docs/events.md). Each renderer maps the repository root to
{relative path: text}. Renderers run in order and each one's files are written before the next runs,
because later ones read what earlier ones write (k8s/base reads dapr/cluster/).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from bindings.manifests import base, contracts, dapr_variants, docs, local, observability, overlays, run_file

Renderer = Callable[[Path], dict[str, str]]


RENDERERS: list[Renderer] = [
    local.render,  # Procfile, pub/sub scopes, resiliency targets
    run_file.render,  # dapr.yaml, the Dapr CLI's multi-app run file
    dapr_variants.render,  # dapr/standalone/, dapr/cluster/: before k8s/base, which reads them
    base.render,  # k8s/base
    overlays.render,  # k8s/overlays, k8s/secrets
    docs.render,  # the rendered sections of docs/ (the secrets table)
    observability.render,  # k8s/observability: alert rules, PrometheusRule, Grafana dashboard
    contracts.render,  # docs/openapi.json, docs/asyncapi.json, docs/events.md
]
GENERATED_DIRS = ("k8s/base", "k8s/overlays", "k8s/secrets", "k8s/observability", "dapr/cluster", "dapr/standalone")
ROOT = Path(__file__).resolve().parents[2]


def render_all(root: Path = ROOT) -> dict[str, str]:
    files: dict[str, str] = {}
    for renderer in RENDERERS:
        files.update(renderer(root))
    return files


def stale(root: Path, files: dict[str, str]) -> list[str]:
    """Files under the generated folders that the table no longer produces (a removed function)."""
    found = {str(p.relative_to(root)) for d in GENERATED_DIRS for p in (root / d).rglob("*.yaml")}
    return sorted(found - set(files))


def differences(root: Path = ROOT) -> list[str]:
    """Paths whose committed text differs from the rendering, and stale generated files."""
    files = render_all(root)
    changed = [p for p, text in files.items() if not (root / p).is_file() or (root / p).read_text() != text]
    return sorted(changed) + [f"{p} (stale)" for p in stale(root, files)]


def write(root: Path = ROOT) -> list[str]:
    """Render and write; returns the paths that changed."""
    changed: list[str] = []
    produced: dict[str, str] = {}
    for renderer in RENDERERS:
        for rel, text in renderer(root).items():
            produced[rel] = text
            path = root / rel
            if not path.is_file() or path.read_text() != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                changed.append(rel)
    for rel in stale(root, produced):
        (root / rel).unlink()
        changed.append(f"{rel} (removed)")
    return changed


def command(args: argparse.Namespace) -> int:
    """`python -m bindings manifests`: write what differs; with --check, only list it and exit 1."""
    if args.check:
        drift = differences()
        for path in drift:
            print(f"differs from the rendering: {path}")
        return 1 if drift else 0
    for path in write():
        print(f"wrote {path}")
    return 0
