"""The task cache: read-through, invalidated by every change, never stale, never another user's."""

from __future__ import annotations

import dataclasses
import socket
import threading

import pytest

from bindings.observability import metrics
from bindings.sidecar import Sidecar, SidecarState
from functions import task_cache
from functions.domain.tasks import TaskRef, UpdateTask
from functions.errors import NotFound
from functions.store import tasks as task_rows
from functions.todo_api import tasks
from tests.support.handlers import api, complete, create, ctx, delete, get, reopen, update


def _cached(runtime, user, task_id):
    item = api(runtime).state.get(task_cache.key(user, task_id))
    return item.value if item else None


def _counter(result):
    return metrics().counters["task_cache"].labels(function="todo-api", result=result)._value.get()


def _db(runtime, user, task_id):
    with runtime.db.transaction() as tx:
        return task_rows.get(tx, user, task_id)


def test_get_fills_the_cache_and_then_serves_from_it(runtime):
    task = create(runtime)
    hits = _counter("hit")
    assert _cached(runtime, "alice", task.id) is None
    assert get(runtime, task.id) == task
    assert _cached(runtime, "alice", task.id)["task"]["title"] == "Buy milk"
    assert get(runtime, task.id) == task and _counter("hit") == hits + 1
    with runtime.db.transaction() as tx:  # behind the cache's back: the entry is what answers now
        tx.execute("UPDATE tasks SET title = 'changed directly' WHERE id = %s", (task.id,))
    assert get(runtime, task.id).title == "Buy milk"


def test_every_change_invalidates_after_commit(runtime):
    task = create(runtime, due_at="2026-12-01T09:00:00Z")
    for change, check in (
        (lambda: update(runtime, task.id, title="New title"), lambda t: t.title == "New title"),
        (lambda: update(runtime, task.id, reminders=[{"before": "PT5M"}]), lambda t: len(t.reminders) == 1),
        (lambda: complete(runtime, task.id), lambda t: t.status == "done"),
        (lambda: reopen(runtime, task.id), lambda t: t.status == "open"),
    ):
        get(runtime, task.id)  # filled
        change()
        assert _cached(runtime, "alice", task.id) == {"tombstone": True}
        assert check(get(runtime, task.id))  # refilled from PostgreSQL
    get(runtime, task.id)
    delete(runtime, task.id)
    assert _cached(runtime, "alice", task.id) == {"tombstone": True}
    assert _db(runtime, "alice", task.id) is None
    with pytest.raises(NotFound):
        get(runtime, task.id)


def test_a_write_between_the_readers_db_read_and_its_fill_wins(runtime):
    """The dangerous interleaving, forced: the reader read the old row, the write commits, then the fill."""
    deps, task = api(runtime), create(runtime)
    for tombstoned in (False, True):  # the key absent, then holding a tombstone
        old = _db(runtime, "alice", task.id)
        written = f"written during the read ({tombstoned})"

        def load_then_write(written=written):
            seen = _db(runtime, "alice", task.id)
            update(runtime, task.id, title=written)
            return seen

        assert task_cache.read_through(deps, "alice", task.id, load_then_write).title == old.title
        assert _cached(runtime, "alice", task.id) == {"tombstone": True}  # the stale fill lost
        assert get(runtime, task.id).title == written
        update(runtime, task.id, title="reset")


def test_racing_reads_and_writes_never_leave_a_stale_entry(runtime):
    """Bounded: 3 readers against 25 writes; after each write the writer must read its own write."""
    task = create(runtime, title="v0")
    stop, errors = threading.Event(), []

    def reader():
        while not stop.is_set():
            try:
                get(runtime, task.id)
            except Exception as exc:
                errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in readers:
        t.start()
    stale = []
    try:
        for n in range(1, 26):
            update(runtime, task.id, title=f"v{n}")
            seen = get(runtime, task.id).title
            if seen != f"v{n}":
                stale.append((n, seen))
    finally:
        stop.set()
        for t in readers:
            t.join(timeout=30)
    assert not errors and not stale
    final = _cached(runtime, "alice", task.id)
    assert final in ({"tombstone": True}, None) or final["task"]["title"] == "v25"
    assert get(runtime, task.id).title == "v25"


def test_another_users_task_is_never_served(runtime):
    task = create(runtime, user="alice")
    get(runtime, task.id)
    with pytest.raises(NotFound):  # bob asks for alice's id: a different key, then PostgreSQL says no
        get(runtime, task.id, user="bob")
    # An entry under bob's key that holds alice's task (say, a bug elsewhere) is not served either.
    alice_entry = _cached(runtime, "alice", task.id)
    api(runtime).state.save(task_cache.key("bob", task.id), alice_entry)
    foreign = _counter("foreign")
    with pytest.raises(NotFound):
        get(runtime, task.id, user="bob")
    assert _counter("foreign") == foreign + 1


def test_keys_survive_user_ids_with_separators(runtime):
    task = create(runtime, user="a||b:c")
    assert get(runtime, task.id, user="a||b:c") == task
    assert task_cache.key("a||b:c", task.id) == f"task:a%7C%7Cb%3Ac:{task.id}"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_store_that_is_down_falls_back_to_postgresql_and_says_so(runtime):
    task = create(runtime)
    down = SidecarState(Sidecar(f"http://127.0.0.1:{_closed_port()}", timeout=1.0), "postgres-statestore")
    deps = dataclasses.replace(api(runtime), state=down)
    before = _counter("fallback")
    assert tasks.get_task(TaskRef(id=task.id), deps, ctx()) == task
    assert _counter("fallback") == before + 1
    failed = _counter("invalidate_failed")
    updated = tasks.update_task(UpdateTask(id=task.id, title="still saved"), deps, ctx())
    assert updated.title == "still saved" and _counter("invalidate_failed") == failed + 1
    text = runtime.apps["todo-api"].test_client().get("/metrics").get_data(as_text=True)
    assert 'todo_task_cache_total{function="todo-api",result="fallback"}' in text
