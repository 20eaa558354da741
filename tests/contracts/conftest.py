"""The embedded runtime as a user starts it (`python -m bindings run`), on a free port and a database of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import TEMPLATE, _with_db

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60


@dataclass(frozen=True)
class Served:
    base: str  # http://127.0.0.1:<port>
    data_dir: Path
    log: Path

    def token(self, user: str = "alice", **claims: str) -> str:
        """What `python -m bindings token USER` prints for this data dir."""
        from bindings import auth
        from bindings.embedded.secrets import FileSecrets, ensure_file
        from bindings.wiring import settings_from_env

        key = auth.signing_key(FileSecrets(ensure_file(self.data_dir)))
        return auth.issue(key, settings_from_env(self.data_dir), user, **claims)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def served(pg_admin_url: str, template_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Every function on one port, over a database of its own, with a rate limit no fuzzer reaches."""
    import psycopg

    name = f"contracts_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    url = _with_db(pg_admin_url, name)
    folder = tmp_path_factory.mktemp("served")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "RATE_LIMIT_REQUESTS": "1000000", "MAIL_SINK": "files"}
    log = folder / "run.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bindings", "run", "--port", str(port), "--data-dir", str(folder / "data")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _healthy(base):
            assert proc.poll() is None, f"the runtime exited during start-up: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"the runtime was not healthy within {START_SECONDS} s"
            time.sleep(0.2)
        yield Served(base, folder / "data", log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
