"""The one declaration table: function (= Dapr app-id) -> trigger -> handler -> input model.

Handlers and models are named by dotted path and imported only by the function that serves them,
so one function's process never pays for another's imports. `/dapr/subscribe`, the Procfile,
`dapr/` and `k8s/` are checked against this table by tests/bindings/test_declarations.py.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Literal

PUBSUB = "kafka-pubsub"


@dataclass(frozen=True)
class Route:
    """An HTTP route of an invoke function; `input` is built from path params plus body or query."""

    method: str
    path: str
    handler: str
    input: str
    status: int = 200
    source: Literal["body", "query", "none"] = "body"
    auth: Literal["user", "internal"] = "user"


@dataclass(frozen=True)
class Cron:
    binding: str  # the bindings.cron component; daprd POSTs each tick to /<binding>

    @property
    def route(self) -> str:
        return f"/{self.binding}"


@dataclass(frozen=True)
class Bulk:
    """Dapr bulk subscribe: daprd hands over up to `max_messages` events in one request."""

    max_messages: int = 100
    max_await_ms: int = 40


@dataclass(frozen=True)
class Topic:
    topic: str
    match: str | None = None  # a CEL rule; other events are acknowledged without running the handler
    pubsub: str = PUBSUB
    bulk: Bulk | None = None

    @property
    def route(self) -> str:
        return f"/events/{self.topic}"

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.topic}-dlq"


@dataclass(frozen=True)
class DeadLetterTopics:
    """Every `<topic>-dlq`: of the topics our events go to and of every Topic subscription in the table.

    Read when asked, so a topic function declared anywhere in the table is covered. Its own
    subscriptions have no dead-letter topic: a `-dlq-dlq` would only move a message one step
    further from the operator, and the handler accepts any CloudEvent, so what remains to fail
    is transient (the database) and is retried by the inbound policy.
    """

    pubsub: str = PUBSUB

    @property
    def topics(self) -> tuple[str, ...]:
        from functions.domain.events import TOPICS

        subscribed = {fn.trigger.topic for fn in FUNCTIONS.values() if isinstance(fn.trigger, Topic)}
        return tuple(sorted(f"{t}-dlq" for t in subscribed | set(TOPICS)))

    @staticmethod
    def route_of(topic: str) -> str:
        return f"/events/{topic}"


@dataclass(frozen=True)
class Invoke:
    routes: tuple[Route, ...]


@dataclass(frozen=True)
class Function:
    name: str
    trigger: Cron | Topic | DeadLetterTopics | Invoke
    handler: str | None = None  # cron and topic functions
    input: str | None = None
    summary: str = ""
    adhoc: tuple[Route, ...] = field(default=())  # extra internal routes, e.g. api/notify

    @property
    def kind(self) -> str:
        return type(self.trigger).__name__.lower()

    def subscriptions(self) -> list[dict[str, Any]]:
        """This function's entries of GET /dapr/subscribe."""
        t = self.trigger
        if isinstance(t, DeadLetterTopics):
            return [
                {"pubsubname": t.pubsub, "topic": topic, "routes": {"default": t.route_of(topic)}, "metadata": {}}
                for topic in t.topics
            ]
        if not isinstance(t, Topic):
            return []
        routes: dict[str, Any] = {"default": t.route}
        if t.match:
            routes = {"rules": [{"match": t.match, "path": t.route}], "default": f"{t.route}/ignored"}
        entry: dict[str, Any] = {
            "pubsubname": t.pubsub,
            "topic": t.topic,
            "routes": routes,
            "deadLetterTopic": t.dead_letter_topic,
            "metadata": {},
        }
        if t.bulk:
            entry["bulkSubscribe"] = {
                "enabled": True,
                "maxMessagesCount": t.bulk.max_messages,
                "maxAwaitDurationMs": t.bulk.max_await_ms,
            }
        return [entry]


def resolve(path: str) -> Any:
    """Import `package.module:attribute` on first use."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _table(*functions: Function) -> dict[str, Function]:
    table: dict[str, Function] = {}
    for fn in functions:
        if fn.name in table:
            raise ValueError(f"function {fn.name!r} is declared twice")
        table[fn.name] = fn
    return table


_T = "functions.todo_api.tasks:"
_TM = "functions.domain.tasks:"
_C = "functions.conversations:"
_CM = "functions.domain.conversations:"
_DL = "functions.dead_letters:"

FUNCTIONS: dict[str, Function] = _table(
    Function(
        name="todo-api",
        summary="Task CRUD, search/filter/sort, complete/reopen, profile, audit query",
        trigger=Invoke(
            routes=(
                Route("POST", "/api/tasks", _T + "create_task", _TM + "CreateTask", status=201),
                Route("GET", "/api/tasks", _T + "list_tasks", _TM + "TaskQuery", source="query"),
                Route("GET", "/api/tasks/<id>", _T + "get_task", _TM + "TaskRef", source="none"),
                Route("PATCH", "/api/tasks/<id>", _T + "update_task", _TM + "UpdateTask"),
                Route(
                    "DELETE",
                    "/api/tasks/<id>",
                    _T + "delete_task",
                    _TM + "TaskRef",
                    status=204,
                    source="none",
                ),
                Route("POST", "/api/tasks/<id>/complete", _T + "complete_task", _TM + "TaskRef", source="none"),
                Route("POST", "/api/tasks/<id>/reopen", _T + "reopen_task", _TM + "TaskRef", source="none"),
                Route(
                    "GET",
                    "/api/tasks/<id>/occurrences",
                    "functions.todo_api.occurrences:list_occurrences",
                    "functions.todo_api.occurrences:OccurrenceQuery",
                    source="query",
                ),
                Route(
                    "GET",
                    "/api/audit",
                    "functions.todo_api.audit:list_audit",
                    "functions.todo_api.audit:AuditQuery",
                    source="query",
                ),
                Route(
                    "GET",
                    "/api/me",
                    "functions.todo_api.me:get_me",
                    "functions.todo_api.me:NoInput",
                    source="none",
                ),
                Route("PUT", "/api/me", "functions.todo_api.me:put_me", "functions.domain.users:UpdateProfile"),
            )
        ),
    ),
    Function(
        name="conversations",
        summary="Chat conversation state (create, append message, read) in the state store, 7-day TTL",
        trigger=Invoke(
            routes=(
                Route(
                    "POST",
                    "/api/conversations",
                    _C + "start_conversation",
                    _CM + "StartConversation",
                    status=201,
                    source="none",
                ),
                Route("POST", "/api/conversations/<id>/messages", _C + "append_message", _CM + "AppendMessage", 201),
                Route(
                    "GET",
                    "/api/conversations/<id>",
                    _C + "get_conversation",
                    _CM + "ConversationRef",
                    source="none",
                ),
            )
        ),
    ),
    Function(
        name="audit-writer",
        summary="Persists the append-only audit trail, once per event id",
        # Bulk: one request and one commit per batch; audit records are small and many.
        trigger=Topic("audit-logs", bulk=Bulk()),
        handler="functions.audit_writer:write_audit",
        input="functions.domain.events:AuditRecordData",
    ),
    Function(
        name="outbox-relay",
        summary="Publishes outbox rows that the fast path did not publish",
        trigger=Cron("outbox-relay-cron"),
        handler="functions.outbox_relay:relay_outbox",
        input="functions.outbox_relay:RelayRun",
    ),
    Function(
        name="reminder-check",
        summary="Claims due reminders and emits one `reminders` event each, once per tick",
        trigger=Cron("reminder-checker-cron"),
        handler="functions.reminder_check:check_reminders",
        input="functions.reminder_check:CheckRun",
    ),
    Function(
        name="send-reminder",
        summary="Mails a due reminder exactly once (SendGrid, or .eml files without a key)",
        trigger=Topic("reminders"),
        handler="functions.send_reminder:send_reminder",
        input="functions.domain.events:ReminderDueData",
        adhoc=(
            Route(
                "POST",
                "/api/notify",
                "functions.send_reminder:notify",
                "functions.send_reminder:Notify",
                auth="internal",
            ),
        ),
    ),
    Function(
        name="spawn-recurrence",
        summary="Creates the next occurrence when a recurring task is completed",
        trigger=Topic("task-events", match='event.type == "com.todo.task.completed.v1"'),
        handler="functions.spawn_recurrence:spawn_recurrence",
        input="functions.domain.events:TaskEventData",
    ),
    Function(
        name="recurrence-sweep",
        summary="Spawns the successor a lost event did not (series whose latest instance is done)",
        trigger=Cron("recurring-task-cron"),
        handler="functions.recurrence_sweep:sweep_recurrence",
        input="functions.recurrence_sweep:SweepRun",
    ),
    Function(
        name="daily-cleanup",
        summary="Purges expired rows per the retention table, in bounded batches",
        trigger=Cron("daily-cleanup-cron"),
        handler="functions.daily_cleanup:clean_up",
        input="functions.daily_cleanup:CleanupRun",
    ),
    Function(
        name="dead-letters",
        summary="Records dead-lettered messages for inspection and replay",
        trigger=DeadLetterTopics(),
        handler="functions.dead_letters:record_dead_letter",
        input="functions.dead_letters:DeadLetterIn",
        adhoc=(
            Route(
                "GET",
                "/dead-letters",
                _DL + "list_dead_letters",
                _DL + "DeadLetterQuery",
                source="query",
                auth="internal",
            ),
            Route(
                "GET",
                "/dead-letters/<id>",
                _DL + "get_dead_letter",
                _DL + "DeadLetterRef",
                source="none",
                auth="internal",
            ),
            Route(
                "POST",
                "/dead-letters/<id>/replay",
                _DL + "replay_dead_letter",
                _DL + "DeadLetterRef",
                source="none",
                auth="internal",
            ),
        ),
    ),
)


def get(name: str) -> Function:
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise KeyError(f"unknown function {name!r}; known: {', '.join(FUNCTIONS)}") from None
