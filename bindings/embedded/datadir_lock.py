"""Who uses a data dir: flocks in it, held while a process uses it and dropped by the kernel when it exits.

- `run.lock`, exclusive: the one `python -m bindings run` of the data dir (its pid written inside).
- `pg.users.lock`, shared: every process using the embedded PostgreSQL (run, invoke, dead-letters,
  a test session). The server is stopped only by whoever can then take it exclusively.
- `pg.control.lock`, exclusive while the server is joined, started or stopped, so that a start and
  a stop never interleave and nobody joins between a stopper's check and its stop.
A crashed process holds nothing, so no lock is ever stale and no pid file needs cleaning.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RUN = "run.lock"
PG_USERS = "pg.users.lock"
PG_CONTROL = "pg.control.lock"

_held: dict[Path, int] = {}  # this process's shared lock on each data dir's pg.users.lock


class DataDirBusy(RuntimeError):
    """Another `run` holds the data dir; the message says which and what to do."""


def _open(path: Path) -> int:
    # O_CLOEXEC: the postgres server that a start spawns must not inherit, and so hold, our locks.
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def _try(fd: int, mode: int) -> bool:
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class RunLock:
    """The exclusive lock of a `run`, held until `release` or the process's end."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / RUN
        self.fd: int | None = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = _open(self.path)
        # A few tries: `stop` probing the lock holds it for an instant.
        for attempt in range(3):
            if _try(fd, fcntl.LOCK_EX):
                break
            if attempt == 2:
                os.close(fd)
                pid = _pid_in(self.path)
                raise DataDirBusy(
                    f"data dir {self.path.parent} is in use by `python -m bindings run`"
                    f"{f' (pid {pid})' if pid else ''}: stop that one first, or use another --data-dir"
                )
            time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing drops the flock
            self.fd = None


def run_holder(data_dir: Path) -> int | None:
    """The pid of the `run` holding the data dir (0 when it has not written it yet); None when none does."""
    path = data_dir / RUN
    if not path.exists():
        return None
    fd = _open(path)
    try:
        if _try(fd, fcntl.LOCK_SH):
            return None
        return _pid_in(path) or 0
    finally:
        os.close(fd)


def _pid_in(path: Path) -> int | None:
    text = path.read_text().strip()
    return int(text) if text.isdigit() else None


@contextmanager
def pg_control(data_dir: Path) -> Iterator[None]:
    fd = _open(data_dir / PG_CONTROL)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocking: a start or a stop takes seconds at most
        yield
    finally:
        os.close(fd)


def join_pg(data_dir: Path) -> None:
    """Count this process as a user of the data dir's server (under pg_control)."""
    key = data_dir.resolve()
    if key not in _held:
        fd = _open(key / PG_USERS)
        fcntl.flock(fd, fcntl.LOCK_SH)
        _held[key] = fd


def leave_pg(data_dir: Path) -> bool:
    """This process stops counting as a user; False when it never was one."""
    fd = _held.pop(data_dir.resolve(), None)
    if fd is None:
        return False
    os.close(fd)
    return True


def pg_unused(data_dir: Path) -> bool:
    """Whether no process counts as a user (under pg_control, after leave_pg, so new users wait)."""
    fd = _open(data_dir / PG_USERS)
    try:
        return _try(fd, fcntl.LOCK_EX)
    finally:
        os.close(fd)
