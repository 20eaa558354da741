"""The machine-readable contracts: docs/openapi.json (every route of every function), docs/asyncapi.json (the
events) and docs/events.md (the events for people), from the table and the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OPENAPI = "docs/openapi.json"
ASYNCAPI = "docs/asyncapi.json"
EVENTS = "docs/events.md"


def _json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render(root: Path) -> dict[str, str]:
    from bindings.asyncapi import document as asyncapi
    from bindings.asyncapi import markdown
    from bindings.manifests import kafka
    from bindings.openapi import document as openapi
    from bindings.table import FUNCTIONS

    # The pods' view: every function is given an app token (k8s/), so its routes ask for it.
    events = asyncapi.build(kafka.BOOTSTRAP, kafka.partitions)
    return {
        OPENAPI: _json(openapi.whole(list(FUNCTIONS.values()), app_token=True)),
        ASYNCAPI: _json(events),
        EVENTS: markdown.render(events),
    }
