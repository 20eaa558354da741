"""Transactions that send few round trips (functions/store/db.py) keep what a transaction promises."""

from __future__ import annotations

import psycopg
import pytest

from functions.store.wire_trace import WireTrace


@pytest.fixture
def scratch(db):
    db.execute("CREATE TABLE scratch (id int PRIMARY KEY, note text)")
    return db


def notes(db):
    return [r["note"] for r in db.all("SELECT note FROM scratch ORDER BY id")]


def test_deferred_writes_commit_with_the_transaction_in_two_round_trips(scratch):
    with WireTrace(scratch) as trace, scratch.transaction() as tx:
        tx.defer("INSERT INTO scratch VALUES (%s, %s)", (1, "deferred"))
        assert tx.one("SELECT count(*) AS n FROM scratch WHERE id > %s", (0,))["n"] == 1  # sent first, in order
        tx.defer("INSERT INTO scratch VALUES (%s, %s)", (2, "with the commit"))
    assert notes(scratch) == ["deferred", "with the commit"]
    assert trace.round_trips()["db"] == 2  # BEGIN + insert + select; insert + COMMIT


def test_a_deferred_write_that_fails_aborts_the_whole_transaction(scratch):
    with pytest.raises(psycopg.errors.UniqueViolation), scratch.transaction() as tx:
        tx.execute("INSERT INTO scratch VALUES (1, 'first')")
        tx.defer("INSERT INTO scratch VALUES (1, 'same key')")  # fails only when sent, with the COMMIT
    assert notes(scratch) == []


def test_what_a_failed_savepoint_deferred_is_undone_with_it(scratch):
    with scratch.transaction() as tx:
        tx.execute("INSERT INTO scratch VALUES (1, 'kept')")
        with pytest.raises(RuntimeError), scratch.transaction() as inner:
            inner.defer("INSERT INTO scratch VALUES (2, 'undone')")
            raise RuntimeError("the inner change fails; the outer one carries on")
        with pytest.raises(psycopg.errors.UniqueViolation), scratch.transaction() as inner:
            inner.defer("INSERT INTO scratch VALUES (1, 'conflicts inside the savepoint')")
        tx.defer("INSERT INTO scratch VALUES (3, 'after')")
    assert notes(scratch) == ["kept", "after"]


def test_after_commit_hooks_run_only_after_a_commit(scratch):
    ran = []
    with pytest.raises(RuntimeError), scratch.transaction() as tx:
        tx.defer("INSERT INTO scratch VALUES (1, 'never')")
        tx.after_commit.append(lambda: ran.append("rolled back"))
        raise RuntimeError("no commit")
    with scratch.transaction() as tx:
        tx.after_commit.append(lambda: ran.append(notes(scratch)))
        tx.defer("INSERT INTO scratch VALUES (1, 'committed')")
    assert ran == [["committed"]]


def test_a_script_without_parameters_still_runs_in_a_transaction(scratch):
    with scratch.transaction() as tx:
        tx.execute("INSERT INTO scratch VALUES (1, 'one'); INSERT INTO scratch VALUES (2, 'two')")
        tx.defer("INSERT INTO scratch VALUES (%s, %s)", (3, "three"))
    assert notes(scratch) == ["one", "two", "three"]
    with pytest.raises(psycopg.errors.UniqueViolation), scratch.transaction() as tx:
        tx.execute("INSERT INTO scratch VALUES (4, 'four'); INSERT INTO scratch VALUES (1, 'again')")
    assert notes(scratch) == ["one", "two", "three"]
