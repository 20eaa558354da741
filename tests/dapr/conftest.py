"""The session's real runtime. Absent daprd or Kafka jars skip these tests, or fail them under REQUIRE_DAPR=1."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bindings.devstack import daprd, kafka, procs
from tests.dapr.harness import RealDapr


def _missing() -> list[str]:
    missing = []
    if daprd.locate() is None:
        missing.append(f"daprd (run `make provision`: builds v{daprd.VERSION} into the cache)")
    if not (kafka.jars_dir() / ".complete").exists():
        missing.append(f"Kafka {kafka.VERSION} jars (run `make provision`)")
    if shutil.which("java") is None:
        missing.append("java")
    return missing


def require(reason: str) -> None:
    """Skip with `reason`, or fail when REQUIRE_DAPR=1 says this tier must run."""
    if os.environ.get("REQUIRE_DAPR") == "1":
        pytest.fail(f"REQUIRE_DAPR=1 but {reason}")
    pytest.skip(reason)


def require_provisioned() -> None:
    missing = _missing()
    if missing:
        require("real runtime not provisioned: " + "; ".join(missing))


@pytest.fixture(scope="session")
def real_dapr() -> Iterator[RealDapr]:
    require_provisioned()
    from bindings.devstack.stack import Stack

    folder = Path(tempfile.mkdtemp(prefix="todo-dapr-"))
    folder.chmod(0o755)  # as root, the embedded PostgreSQL runs as its own user and must reach its data dir
    ports = {k: procs.free_port() for k in ("kafka_port", "controller_port", "zipkin_port")}
    stack = Stack(folder / "data", **ports)
    try:
        url = stack.infra()
        yield RealDapr(stack, url)
    finally:
        stack.down()
        if os.environ.get("KEEP_DAPR_LOGS"):
            print(f"\ndapr test logs kept in {stack.log_dir}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
