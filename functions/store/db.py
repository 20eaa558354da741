"""Connection pool and transactions, with after-commit hooks and transient-error translation."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from functions.errors import Transient

Row = dict[str, Any]


class Tx:
    """One open transaction; hooks added here run once it has committed."""

    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self.conn = conn
        self.after_commit: list[Callable[[], None]] = []

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> psycopg.Cursor[Row]:
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Row | None:
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[Row]:
        return self.conn.execute(sql, params).fetchall()


_current: contextvars.ContextVar[Tx | None] = contextvars.ContextVar("current_tx", default=None)


class Database:
    """The pool plus `transaction()`, which nests: an inner call joins the outer transaction."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10, name: str = "todo") -> None:
        self.url = url
        self.pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            kwargs={"row_factory": dict_row, "autocommit": True},
            # A connection is checked (an empty query) as it leaves the pool: after the server restarted, the
            # ones it closed are replaced there rather than failing a request each, as if it were still down.
            check=ConnectionPool.check_connection,
            name=name,
            open=False,
            timeout=10,
        )

    def open(self, wait: bool = True) -> Database:
        self.pool.open(wait=wait, timeout=30)
        return self

    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def transaction(self, *, join: bool = True, timeout: float | None = None) -> Iterator[Tx]:
        """`join=False` always takes a connection of its own (the embedded state store: Dapr's is separate);
        `timeout` bounds the wait for a connection (the pool's 10 s otherwise), e.g. for a metrics scrape."""
        outer = _current.get() if join else None
        if outer is not None:
            # Joining keeps an inbox row and the handler's writes in one commit.
            queued = len(outer.after_commit)
            try:
                with _translated(), outer.conn.transaction():
                    yield outer
            except BaseException:
                del outer.after_commit[queued:]  # the savepoint rolled back: so do its hooks
                raise
            return
        with _translated(), self.pool.connection(timeout=timeout) as conn:
            tx = Tx(conn)
            token = _current.set(tx)
            try:
                with conn.transaction():
                    yield tx
            finally:
                _current.reset(token)
        for hook in tx.after_commit:
            hook()

    def ping(self) -> bool:
        try:
            with self.transaction() as tx:
                tx.execute("SELECT 1")
            return True
        except Transient:
            return False


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except (psycopg.OperationalError, PoolTimeout) as exc:  # includes serialization failures, deadlocks
        raise Transient(f"database unavailable: {type(exc).__name__}") from exc
