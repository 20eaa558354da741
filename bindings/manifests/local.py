"""The parts of the Procfile and `dapr/` that follow from the table.

`dapr/` files are written by hand (comments, metadata); only entries the table implies are added to
them, as text appended under the right key, so every other line stays as its author wrote it.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bindings.manifests import facts
from bindings.procfile import command_for
from bindings.table import pubsubs_of


def procfile() -> dict[str, str]:
    lines = [f"{fn.name}: {command_for(fn.name)}" for fn in facts.functions()]
    return {"Procfile": "\n".join(lines) + "\n"}


def _insert_after_block(text: str, header: str, new_lines: list[str]) -> str:
    """Insert lines after the last line indented deeper than `header` (a line of its own)."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, ln in enumerate(lines) if ln.rstrip() == header)
    indent = len(header) - len(header.lstrip())
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return "".join(lines[:end] + [ln + "\n" for ln in new_lines] + lines[end:])


def pubsub_scopes(root: Path) -> dict[str, str]:
    """Every subscriber is in its pub/sub component's scopes, or daprd never loads the component for it."""
    out: dict[str, str] = {}
    for path in sorted((root / "dapr" / "components").glob("*.yaml")):
        text = out.get(str(path.relative_to(root))) or path.read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
        if not doc or doc.get("kind") != "Component" or "scopes" not in doc:
            continue
        name = doc["metadata"]["name"]
        missing = [fn.name for fn in facts.functions() if name in pubsubs_of(fn)]
        missing = [n for n in missing if n not in doc["scopes"]]
        if missing:
            out[str(path.relative_to(root))] = _insert_after_block(text, "scopes:", [f"  - {n}" for n in missing])
    return out


def resiliency_targets(root: Path) -> dict[str, str]:
    """Every function is an app target of the resiliency policy, copying the last target's policy."""
    path = root / "dapr" / "resiliency.yaml"
    text = path.read_text(encoding="utf-8")
    apps = yaml.safe_load(text)["spec"]["targets"]["apps"]
    missing = [fn.name for fn in facts.functions() if fn.name not in apps]
    if not missing:
        return {}
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "apps:")
    header = lines[start]
    indent = " " * (len(header) - len(header.lstrip()) + 2)
    targets = []
    for line in lines[start + 1 :]:
        if line.strip() and not line.startswith(indent):
            break  # the end of the apps block
        if re.match(rf"^{indent}[\w-]+:", line):
            targets.append(line)
    template = targets[-1].split(":", 1)[1] if targets else " {timeout: appCall, retry: appRetry}"
    return {"dapr/resiliency.yaml": _insert_after_block(text, header, [f"{indent}{n}:{template}" for n in missing])}


def render(root: Path) -> dict[str, str]:
    return {**procfile(), **pubsub_scopes(root), **resiliency_targets(root)}
