"""Small helpers for calling handlers the way the adapter does and for reading what they wrote."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from functions.context import Context
from functions.domain.tasks import CreateTask, TaskQuery, TaskRef, UpdateTask
from functions.domain.users import User
from functions.todo_api import tasks

DUE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ctx(user="alice", **claims):
    return Context(function="todo-api", user=User(id=user, **claims))


def api(runtime):
    return runtime.deps["todo-api"]


def create(runtime, user="alice", deps=None, claims=None, **fields):
    fields.setdefault("title", "Buy milk")
    return tasks.create_task(CreateTask(**fields), deps or api(runtime), ctx(user, **(claims or {})))


def get(runtime, task_id, user="alice"):
    return tasks.get_task(TaskRef(id=task_id), api(runtime), ctx(user))


def update(runtime, task_id, user="alice", **fields):
    return tasks.update_task(UpdateTask(id=task_id, **fields), api(runtime), ctx(user))


def complete(runtime, task_id, user="alice"):
    return tasks.complete_task(TaskRef(id=task_id), api(runtime), ctx(user))


def reopen(runtime, task_id, user="alice"):
    return tasks.reopen_task(TaskRef(id=task_id), api(runtime), ctx(user))


def delete(runtime, task_id, user="alice"):
    return tasks.delete_task(TaskRef(id=task_id), api(runtime), ctx(user))


def listing(runtime, user="alice", **query):
    return tasks.list_tasks(TaskQuery(**query), api(runtime), ctx(user))


def titles(page):
    return [t.title for t in page.items]


def at(hours):
    """DUE moved by some hours."""
    return DUE + timedelta(hours=hours)


def query(runtime, sql, params=None):
    with runtime.db.transaction() as tx:
        return tx.all(sql, params)


def count(runtime, table, where="true", params=None):
    return query(runtime, f"select count(*) as n from {table} where {where}", params)[0]["n"]


def outbox_rows(runtime):
    return query(runtime, "select id, topic, key, event, published_at from outbox order by created_at, id")


def topic_counts(runtime):
    rows = query(runtime, "select topic, count(*) as n from outbox group by topic")
    return {r["topic"]: r["n"] for r in rows}


def reminder_rows(runtime, task_id):
    return query(
        runtime,
        "select id, before, at, remind_at, state from reminders where task_id = %s order by created_at, remind_at",
        (task_id,),
    )


def with_settings(deps, **changes):
    """A copy of frozen Deps whose settings differ."""
    return dataclasses.replace(deps, settings=deps.settings.model_copy(update=changes))


def helpers_with_clock(runtime, function, instant):
    """The function's Deps with a fixed clock (its outbox stamps events with the same instant)."""
    from bindings.wiring import make_deps

    d = runtime.deps[function]
    return make_deps(function, d.db, d.publisher, d.state, d.secrets, d.invoker, d.settings, clock=lambda: instant)
