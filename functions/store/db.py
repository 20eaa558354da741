"""Connection pool and transactions, with after-commit hooks and transient-error translation.

Round trips, not PostgreSQL, are what a request pays for (psycopg spends tens of microseconds of Python
on each, and the request waits for each), so a transaction sends as few as it can: its BEGIN travels
with its first statement, and the writes it `defer`s travel with the next statement that must be
answered, or with the COMMIT, in one pipeline. A change that reads once and then writes is two round
trips; a single statement outside a transaction (`Database.one`, `all`, `execute`) is one.
"""

from __future__ import annotations

import contextvars
import select
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, Protocol

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from functions.errors import Transient


class ConnectionTracer(Protocol):
    """What `Database.tracer` is given (functions/store/wire_trace.py's WireTrace): told of each connection handed
    out, so it can count round trips. A Protocol here, so the store does not import the tool that measures it."""

    def attach(self, conn: psycopg.Connection[Any]) -> None: ...


Row = dict[str, Any]
Params = Sequence[Any] | dict[str, Any] | None


_PIPELINED = frozenset({"BEGIN", "COMMIT"})  # parameterless statements known to be one each


class Deferred:
    """A statement queued by `Tx.defer`; its cursor (rowcount, rows) exists once the queue has been sent."""

    __slots__ = ("cursor", "params", "sql")

    def __init__(self, sql: str, params: Params) -> None:
        self.sql = sql
        self.params = params
        self.cursor: psycopg.Cursor[Row] | None = None


class Tx:
    """One open transaction; hooks added here run once it has committed."""

    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self._conn = conn
        self._queue: list[Deferred] = [Deferred("BEGIN", None)]
        self.begun = False  # whether BEGIN has reached the server (then a failure must roll back)
        self.after_commit: list[Callable[[], None]] = []

    @property
    def conn(self) -> psycopg.Connection[Row]:
        """The connection, for what Tx does not offer (cursors, COPY): the transaction has begun on it and every
        queued write has been sent."""
        self.flush()
        return self._conn

    def defer(self, sql: str, params: Params = None) -> Deferred:
        """Queue a write whose answer the caller does not need now: it goes with the next statement or the COMMIT.

        Its error, if any, is raised there, still inside this transaction, which it aborts as it would have.
        """
        item = Deferred(sql, params)
        self._queue.append(item)
        return item

    def flush(self) -> None:
        """Send what is queued now (one round trip), e.g. before a savepoint ends."""
        if self._queue:
            self._send(None)

    def execute(self, sql: str, params: Params = None) -> psycopg.Cursor[Row]:
        if not self._queue:
            return self._conn.execute(sql, params)
        last = Deferred(sql, params)
        self._send(last)
        assert last.cursor is not None
        return last.cursor

    def one(self, sql: str, params: Params = None) -> Row | None:
        return self.execute(sql, params).fetchone()

    def all(self, sql: str, params: Params = None) -> list[Row]:
        return self.execute(sql, params).fetchall()

    @contextmanager
    def savepoint(self) -> Iterator[Tx]:
        """A savepoint: what fails inside it is undone alone, and the transaction goes on."""
        with self.conn.transaction():  # `conn` sent what was queued before: the queue is empty here
            try:
                yield self
                self.flush()  # its deferred writes must fail inside it, where they can be undone alone
            except BaseException:
                self._queue = []  # what it deferred and never sent is undone with it
                raise

    def _send(self, last: Deferred | None) -> None:
        queue, self._queue = self._queue, []
        if last is not None:
            queue.append(last)
        self.begun = True  # from here the server may hold an open (or failed) transaction: a failure rolls back
        batch: list[Deferred] = []
        for item in queue:
            if item.params is None and item.sql not in _PIPELINED:
                # A statement without parameters may be several (a script): only the simple protocol runs those,
                # and it cannot be pipelined. What was queued before it goes first; it goes alone.
                self._run(batch)
                batch = []
                item.cursor = self._conn.execute(item.sql)
            else:
                batch.append(item)
        self._run(batch)

    def _run(self, batch: list[Deferred]) -> None:
        if len(batch) == 1:  # nothing to pipeline with
            batch[0].cursor = self._conn.execute(batch[0].sql, batch[0].params)
        elif batch:
            with self._conn.pipeline():
                for item in batch:
                    item.cursor = self._conn.execute(item.sql, item.params)

    def _commit(self) -> None:
        if not self.begun and len(self._queue) == 1:
            self._queue = []  # nothing was asked of the server: nothing to commit
            return
        self._queue.append(Deferred("COMMIT", None))
        self.flush()

    def _rollback(self) -> None:
        self._queue = []
        if self.begun and not self._conn.closed:
            with suppress(psycopg.Error):  # a broken connection: the pool discards it; the caller sees the first error
                self._conn.rollback()


def rows_sql(insert: str, rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """`INSERT INTO t (a, b) VALUES` and rows as one multi-row statement and its flat parameters: one statement
    to send (and to defer), not one per row."""
    width = len(rows[0])
    one = "(" + ", ".join(["%s"] * width) + ")"
    return insert + " " + ", ".join([one] * len(rows)), [value for row in rows for value in row]


_current: contextvars.ContextVar[Tx | None] = contextvars.ContextVar("current_tx", default=None)


class Database:
    """The pool plus `transaction()`, which nests: an inner call joins the outer transaction."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10, name: str = "todo") -> None:
        self.url = url
        self._idle_check = _IdleCheck()
        self.pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            kwargs={"row_factory": dict_row, "autocommit": True},
            configure=_configure,
            # After the server restarted, the connections it closed are replaced as they leave the pool rather
            # than failing a request each, as if the database were still down: see _IdleCheck.
            check=self._idle_check.check,
            reset=self._idle_check.returned,
            name=name,
            open=False,
            timeout=10,
        )
        # functions/store/wire_trace.py: while set, every connection handed out has libpq trace its protocol.
        self.tracer: ConnectionTracer | None = None

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
                with _translated(), outer.savepoint():
                    yield outer
            except BaseException:
                del outer.after_commit[queued:]  # the savepoint rolled back: so do its hooks
                raise
            return
        with _translated(), self._connection(timeout) as conn:
            tx = Tx(conn)
            token = _current.set(tx)
            try:
                yield tx
                tx._commit()
            except BaseException:
                tx._rollback()
                raise
            finally:
                _current.reset(token)
        for hook in tx.after_commit:
            hook()

    def one(self, sql: str, params: Params = None) -> Row | None:
        """One statement, a transaction of its own: one round trip."""
        with _translated(), self._connection(None) as conn:
            return conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: Params = None) -> list[Row]:
        with _translated(), self._connection(None) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Params = None) -> int:
        """A write that is a transaction of its own; returns the rows it touched."""
        with _translated(), self._connection(None) as conn:
            return conn.execute(sql, params).rowcount

    def ping(self) -> bool:
        try:
            self.one("SELECT 1")
            return True
        except Transient:
            return False

    @contextmanager
    def _connection(self, timeout: float | None) -> Iterator[psycopg.Connection[Row]]:
        with self.pool.connection(timeout=timeout) as conn:
            if self.tracer is not None:
                self.tracer.attach(conn)
            yield conn


class _IdleCheck:
    """Checks a connection (an empty query: one round trip) as it leaves the pool only when there is reason to
    doubt it, so that the hot path pays no extra round trip (docs/performance.md):

    - its socket is readable: an idle connection is sent nothing, except the FATAL notice and EOF of a server
      that shut it down (a restart, a failover, pg_terminate_backend), however briefly that server was away;
    - it has been idle IDLE_CHECK_S or more: a peer that vanished without a word (a dropped route) leaves
      nothing to read, and a connection unused that long costs its caller one round trip at most.
    """

    IDLE_CHECK_S = 5.0

    def __init__(self) -> None:
        self._returned: weakref.WeakKeyDictionary[psycopg.Connection[Row], float] = weakref.WeakKeyDictionary()

    def returned(self, conn: psycopg.Connection[Row]) -> None:
        self._returned[conn] = time.monotonic()

    def check(self, conn: psycopg.Connection[Row]) -> None:
        last = self._returned.get(conn)
        idle_long = last is None or time.monotonic() - last >= self.IDLE_CHECK_S
        if idle_long or _readable(conn):
            ConnectionPool.check_connection(conn)


def _readable(conn: psycopg.Connection[Row]) -> bool:
    """Has the server sent something to this idle connection? One poll of its socket, no round trip."""
    try:
        ready, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.OperationalError):  # already closed: the check will say so
        return True
    return bool(ready)


def _configure(conn: psycopg.Connection[Row]) -> None:
    """Times come back in UTC whatever the server's default zone, as replies built from what was written render
    them: a task reads the same whether it was just written or read back."""
    conn.execute("SET TIME ZONE 'UTC'")


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except (psycopg.OperationalError, PoolTimeout) as exc:  # includes serialization failures, deadlocks
        raise Transient(f"database unavailable: {type(exc).__name__}") from exc
