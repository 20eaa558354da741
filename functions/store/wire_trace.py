"""Round trips to PostgreSQL as libpq itself traces them: what really crossed the wire, not what our code says.

`with WireTrace(db) as trace:` makes every connection `db` hands out while it is open write libpq's
protocol trace (PQtrace) to a file of its own; reading them back, each ReadyForQuery the server sent
ends one round trip, and the statements the client sent before it are that round trip's. A round trip
is told apart by the tables its statements name: the embedded state store (`state`), the embedded
broker's log (`pubsub_*`), or the database proper. Used by the round-trip tests and `make bench`.

libpq buffers its trace (stdio) until `untrace`, so counts are read once the traced work is done and
the connections are idle: the trace ends with the `with` block.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from psycopg import pq

if TYPE_CHECKING:
    from functions.store.db import Database

_PARSE = re.compile(r'^F\t\d+\tParse\t "(?P<name>[^"]*)" "(?P<sql>.*)" \d+')
_BIND = re.compile(r'^F\t\d+\tBind\t "[^"]*" "(?P<name>[^"]+)"')  # a named (prepared) statement
_QUERY = re.compile(r'^F\t\d+\tQuery\t "(?P<sql>.*)"')
_STATE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+state\b", re.I)
_PUBSUB = re.compile(r"\bpubsub_(?:messages|deliveries)\b", re.I)


@dataclass(frozen=True)
class Unit:
    """What the server ran as one: a transaction (BEGIN ... COMMIT, over one or more round trips), or one
    exchange outside a transaction. One state-store call is one unit; its BEGIN and COMMIT are its own."""

    trips: tuple[tuple[str, ...], ...]

    @property
    def kind(self) -> str:
        """`state` (the embedded state store), `publish` (the embedded broker's log) or `db`."""
        statements = [s for trip in self.trips for s in trip]
        if any(_STATE.search(s) for s in statements):
            return "state"
        if any(_PUBSUB.search(s) for s in statements):
            return "publish"
        return "db"


class WireTrace:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._traced: dict[int, tuple[Any, int, Path, dict[str, str]]] = {}  # id(conn) -> (conn, fd, file, prepared)
        self._lock = threading.Lock()
        self.units: list[Unit] = []

    def __enter__(self) -> WireTrace:
        self.db.tracer = self
        return self

    def __exit__(self, *exc: object | TracebackType | None) -> None:
        self.db.tracer = None
        self.stop()

    def attach(self, conn: Any) -> None:
        """Called by the Database for each connection it hands out while the trace is on."""
        with self._lock:
            if id(conn) in self._traced:
                return
            fd, name = tempfile.mkstemp(prefix="todo-wire-", suffix=".trace")
            conn.pgconn.trace(fd)
            conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            self._traced[id(conn)] = (conn, fd, Path(name), _prepared(conn))

    def stop(self) -> None:
        with self._lock:
            traced, self._traced = list(self._traced.values()), {}
        for conn, fd, path, prepared in traced:
            conn.pgconn.untrace()  # flushes libpq's buffered trace into the file
            try:
                self.units += parse(path.read_text(encoding="utf-8", errors="replace"), prepared)
            finally:
                os.close(fd)
                path.unlink(missing_ok=True)

    def round_trips(self) -> Counter[str]:
        """Round trips by the kind of work they were part of: {"db": n, "state": n, "publish": n}."""
        return Counter({kind: n for kind, n in self._by_kind(lambda u: len(u.trips)).items() if n})

    def calls(self) -> Counter[str]:
        """Units (transactions, or single statements outside one) by kind: one state-store call is one unit."""
        return self._by_kind(lambda u: 1)

    def _by_kind(self, weight: Callable[[Unit], int]) -> Counter[str]:
        found: Counter[str] = Counter()
        for unit in self.units:
            found[unit.kind] += weight(unit)
        return found


def _prepared(conn: Any) -> dict[str, str]:
    """The statements psycopg prepared on this connection before the trace began (name -> SQL): a later
    round trip names them only. psycopg keeps them in its private PrepareManager; none if that moves."""
    names = getattr(getattr(conn, "_prepared", None), "_names", {})
    return {name.decode(): key[0].decode(errors="replace") for key, name in names.items()}


def parse(trace: str, prepared: dict[str, str] | None = None) -> list[Unit]:
    """A libpq trace (SUPPRESS_TIMESTAMPS) as the units the server ran, each as its round trips.

    ReadyForQuery carries the transaction status after the exchange: `I` (idle) closes a unit, `T` or
    `E` (in a transaction, or a failed one) means the next round trip continues it. An exchange that only
    prepared a statement is left out: psycopg does that once per statement and connection.
    """
    names = dict(prepared or {})
    units: list[Unit] = []
    trips: list[tuple[str, ...]] = []
    sent: list[str] = []
    preparing = False  # the exchange so far only prepared statements (psycopg's own round trip, see below)
    for line in trace.splitlines():
        if line.startswith("F\t"):
            if m := _PARSE.match(line):
                if m.group("name"):
                    names[m.group("name")] = m.group("sql")  # prepared now; its Bind follows
                    preparing = not sent
                else:
                    sent.append(m.group("sql"))
            elif m := _BIND.match(line):
                sent.append(names.get(m.group("name"), m.group("name")))
            elif m := _QUERY.match(line):
                sent.append(m.group("sql"))
        elif line.startswith("B\t") and "\tReadyForQuery\t" in line:
            if preparing and not sent:
                # psycopg prepares a statement it has run `prepare_threshold` times on a connection in an
                # exchange of its own (Parse, Sync), once per connection: not a cost of the request.
                preparing = False
                continue
            trips.append(tuple(sent))
            sent = []
            if line.rstrip().endswith("I"):
                units.append(Unit(tuple(trips)))
                trips = []
    if trips:
        units.append(Unit(tuple(trips)))
    return units
