"""The project's own files on their own fixed ports: a copy of the checkout run in a private network namespace.

`make dapr-up` and `dapr.yaml` listen on fixed ports (docs/operations.md, "Running on real Dapr"). A test that runs them
as a reader would must neither clash with someone else's stack on a shared machine nor touch the
checkout's `.data`: so it runs a copy (tests/support/checkout_copy.py) in a namespace of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from tests.dapr.conftest import require, require_provisioned
from tests.support import netns
from tests.support.checkout_copy import copy_checkout

PYTHON = ".venv/bin/python"  # as the docs write it: relative to the checkout


@dataclass
class Isolated:
    root: Path
    ns: netns.NetNamespace

    def run(
        self, cmd: list[str], *, timeout: float, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.ns.run(cmd, cwd=self.root, timeout=timeout, env={**os.environ, **(env or {})})

    def tokens(self) -> dict[str, str]:
        return json.loads((self.root / ".data" / "run" / "tokens.json").read_text())

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Query the copy's PostgreSQL (its unix socket is reachable from any namespace)."""
        url = json.loads((self.root / ".data" / "secrets.json").read_text())["database-secret"]["url"]
        with psycopg.connect(url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()


@contextmanager
def isolated_checkout(prefix: str) -> Iterator[Isolated]:
    require_provisioned()
    reason = netns.unavailable()
    if reason:
        require(f"cannot run the project's fixed ports in isolation: {reason}")
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)  # as root, the embedded PostgreSQL runs as its own user and must reach its data dir
    try:
        with netns.NetNamespace() as ns:
            isolated = Isolated(copy_checkout(folder / "todo"), ns)
            try:
                yield isolated
            finally:
                isolated.run([PYTHON, "-m", "bindings", "dapr-down"], timeout=120)
    finally:
        if os.environ.get("KEEP_DAPR_LOGS"):
            print(f"\nlogs kept in {folder}/todo/.data/run/logs and {folder}/todo/.dapr/logs")
        else:
            shutil.rmtree(folder, ignore_errors=True)
