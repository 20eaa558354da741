"""Sections of hand-written docs rendered from the table, between `<!-- rendered: NAME -->` and `<!-- end: NAME -->`.

The prose around them stays as its author wrote it; `python -m bindings manifests --check` fails when
a section no longer matches its rendering, like any other generated file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from bindings.manifests import alert_rules, secrets

SECTIONS: dict[str, dict[str, Callable[[], str]]] = {
    "docs/deployment.md": {"secrets": secrets.table, "cron-windows": alert_rules.windows_table},
}


def _replace(text: str, name: str, body: str, path: str) -> str:
    pattern = re.compile(rf"(<!-- rendered: {name} -->\n)(.*?)(<!-- end: {name} -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"{path} has no '<!-- rendered: {name} -->' ... '<!-- end: {name} -->' section")
    return pattern.sub(lambda m: m.group(1) + body + m.group(3), text, count=1)


def render(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for path, sections in SECTIONS.items():
        text = (root / path).read_text(encoding="utf-8")
        for name, make in sections.items():
            text = _replace(text, name, make(), path)
        out[path] = text
    return out
