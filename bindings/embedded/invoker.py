"""Service invocation between the functions of one process, through their Flask apps."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Mapping
from typing import Any

from flask import Flask

from functions.errors import Transient


class LocalInvoker:
    """The Invoker of the embedded runtime: `apps` is filled as the runtime builds them."""

    def __init__(self, apps: Mapping[str, Flask]) -> None:
        self.apps = apps

    def invoke(self, app_id: str, method: str, body: Any = None, *, verb: str = "POST") -> Any:
        client = self.apps[app_id].test_client()
        resp = contextvars.Context().run(client.open, "/" + method.lstrip("/"), method=verb, json=body)
        if resp.status_code >= 300:
            raise Transient(f"invoke {app_id}/{method}: HTTP {resp.status_code}")
        return json.loads(resp.get_data()) if resp.get_data() else None
