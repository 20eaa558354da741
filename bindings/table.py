"""The one declaration table: function (= Dapr app-id) -> trigger -> handler -> input model.

Handlers and models are named by their whole dotted path and imported only by the function that
serves them, so one function's process never pays for another's imports. What an entry can say is
the trigger model (bindings/triggers.py); below the table are the facts that only the whole table
knows: the dead-letter topics, the topics subscribed, the path prefixes users reach.
`/dapr/subscribe`, the Procfile, `dapr/` and `k8s/` are checked against this table by
tests/bindings/test_declarations.py.
"""

from __future__ import annotations

from bindings.triggers import Bulk, Cron, DeadLetterTopics, Function, Invoke, Route, Serving, Topic
from functions.domain.dead_letters import dead_letter_topic
from functions.domain.events import AUDIT_TYPE, REMINDER_DUE_TYPE, TASK_TYPES, TOPICS, task_type
from functions.secret_catalogue import DATABASE, JWT, SENDGRID, secret


def declare(*functions: Function) -> dict[str, Function]:
    """The functions by name; a name declared twice or an unknown secret fails here, at import, not in a pod."""
    table: dict[str, Function] = {}
    for fn in functions:
        if fn.name in table:
            raise ValueError(f"function {fn.name!r} is declared twice")
        for name in fn.secrets:
            secret(name)
        table[fn.name] = fn
    return table


def dead_letter_topics() -> tuple[str, ...]:
    """Every `<topic>-dlq`: of the topics our events go to and of every topic a function of the table takes.

    Read when asked (dead-letters' trigger calls it), so a topic function declared anywhere in the table
    is covered.
    """
    taken = {topic for fn in FUNCTIONS.values() if (topic := fn.trigger.dead_letter_topic)}
    return tuple(sorted(taken | {dead_letter_topic(t) for t in TOPICS}))


FUNCTIONS: dict[str, Function] = declare(
    Function(
        name="todo-api",
        secrets=(DATABASE, JWT),
        serving=Serving(workers=1, threads=4),  # measured: bench/serving.py, docs/performance.md
        summary="Task CRUD, search/filter/sort, complete/reopen, profile, audit query",
        publishes=(*TASK_TYPES, AUDIT_TYPE),
        trigger=Invoke(
            routes=(
                Route(
                    "POST",
                    "/api/tasks",
                    "functions.todo_api.tasks:create_task",
                    "functions.domain.tasks:CreateTask",
                    summary="Create a task (with its reminders and recurrence)",
                    status=201,
                ),
                Route(
                    "GET",
                    "/api/tasks",
                    "functions.todo_api.tasks:list_tasks",
                    "functions.domain.tasks:TaskQuery",
                    summary="List the caller's tasks: filter, search, sort, page",
                    source="query",
                ),
                Route(
                    "GET",
                    "/api/tasks/<id>",
                    "functions.todo_api.tasks:get_task",
                    "functions.domain.tasks:TaskRef",
                    summary="Read one task",
                    source="none",
                ),
                Route(
                    "PATCH",
                    "/api/tasks/<id>",
                    "functions.todo_api.tasks:update_task",
                    "functions.domain.tasks:UpdateTask",
                    summary="Change some fields of a task; `null` clears an optional one",
                    errors=(409,),  # the series fields of an instance that is not its series' latest
                ),
                Route(
                    "DELETE",
                    "/api/tasks/<id>",
                    "functions.todo_api.tasks:delete_task",
                    "functions.domain.tasks:TaskRef",
                    summary="Delete a task (soft); its pending reminders are cancelled",
                    status=204,
                    source="none",
                ),
                Route(
                    "POST",
                    "/api/tasks/<id>/complete",
                    "functions.todo_api.tasks:complete_task",
                    "functions.domain.tasks:TaskRef",
                    summary="Mark a task done (idempotent); a recurring one spawns its next instance",
                    source="none",
                ),
                Route(
                    "POST",
                    "/api/tasks/<id>/reopen",
                    "functions.todo_api.tasks:reopen_task",
                    "functions.domain.tasks:TaskRef",
                    summary="Mark a done task open again (idempotent)",
                    source="none",
                ),
                Route(
                    "GET",
                    "/api/tasks/<id>/occurrences",
                    "functions.todo_api.occurrences:list_occurrences",
                    "functions.todo_api.occurrences:OccurrenceQuery",
                    summary="The next occurrences of a recurring task's series",
                    source="query",
                    errors=(409,),  # a stored rule that can no longer be evaluated
                ),
                Route(
                    "GET",
                    "/api/audit",
                    "functions.todo_api.audit:list_audit",
                    "functions.todo_api.audit:AuditQuery",
                    summary="The caller's audit records, newest first",
                    source="query",
                ),
                Route(
                    "GET",
                    "/api/me",
                    "functions.todo_api.me:get_me",
                    "functions.todo_api.me:NoInput",
                    summary="The caller's profile",
                    source="none",
                ),
                Route(
                    "PUT",
                    "/api/me",
                    "functions.todo_api.me:put_me",
                    "functions.domain.users:UpdateProfile",
                    summary="Set the caller's profile (email, time zone)",
                ),
            )
        ),
    ),
    Function(
        name="conversations",
        secrets=(DATABASE, JWT),
        summary="Chat conversation state (create, append message, read) in the state store, 7-day TTL",
        trigger=Invoke(
            routes=(
                Route(
                    "POST",
                    "/api/conversations",
                    "functions.conversations:start_conversation",
                    "functions.domain.conversations:StartConversation",
                    summary="Start a conversation",
                    status=201,
                    source="none",
                ),
                Route(
                    "POST",
                    "/api/conversations/<id>/messages",
                    "functions.conversations:append_message",
                    "functions.domain.conversations:AppendMessage",
                    summary="Append a message to a conversation",
                    status=201,
                    errors=(409,),  # too many writers at once
                ),
                Route(
                    "GET",
                    "/api/conversations/<id>",
                    "functions.conversations:get_conversation",
                    "functions.domain.conversations:ConversationRef",
                    summary="Read a conversation, its messages oldest first",
                    source="none",
                ),
            )
        ),
    ),
    Function(
        name="audit-writer",
        secrets=(DATABASE,),
        summary="Persists the append-only audit trail, once per event id",
        # Bulk: one request and one commit per batch; audit records are small and many.
        trigger=Topic("audit-logs", bulk=Bulk()),
        handler="functions.audit_writer:write_audit",
        input="functions.domain.events:AuditRecordData",
    ),
    Function(
        name="outbox-relay",
        secrets=(DATABASE,),
        summary="Publishes outbox rows that the fast path did not publish",
        forwards="the outbox rows the fast path did not publish, as their producer wrote them",
        trigger=Cron("outbox-relay-cron"),
        handler="functions.outbox_relay:relay_outbox",
        input="functions.outbox_relay:RelayRun",
        gauges="functions.outbox_relay:backlog_gauges",
    ),
    Function(
        name="reminder-check",
        secrets=(DATABASE,),
        summary="Claims due reminders and emits one `reminders` event each, once per tick",
        publishes=(REMINDER_DUE_TYPE,),
        trigger=Cron("reminder-checker-cron"),
        handler="functions.reminder_check:check_reminders",
        input="functions.reminder_check:CheckRun",
    ),
    Function(
        name="send-reminder",
        secrets=(DATABASE, SENDGRID),
        summary="Mails a due reminder exactly once through SendGrid (.eml files on the embedded runtime)",
        publishes=(AUDIT_TYPE,),
        # Not ready without a SendGrid key (unless MAIL_SINK chooses files): daprd then holds deliveries back.
        readiness="functions.mailer:readiness",
        trigger=Topic("reminders"),
        handler="functions.send_reminder:send_reminder",
        input="functions.domain.events:ReminderDueData",
        adhoc=(
            Route(
                "POST",
                "/api/notify",
                "functions.send_reminder:notify",
                "functions.send_reminder:Notify",
                summary="Send one reminder now (operators; the `reminders` event does it normally)",
                auth="internal",
                errors=(404,),  # no such reminder
            ),
        ),
    ),
    Function(
        name="spawn-recurrence",
        secrets=(DATABASE,),
        summary="Creates the next occurrence when a recurring task is completed",
        publishes=(task_type("created"), AUDIT_TYPE),
        trigger=Topic("task-events", match='event.type == "com.todo.task.completed.v1"'),
        handler="functions.spawn_recurrence:spawn_recurrence",
        input="functions.domain.events:TaskEventData",
    ),
    Function(
        name="recurrence-sweep",
        secrets=(DATABASE,),
        summary="Spawns the successor a lost event did not (series whose latest instance is done)",
        publishes=(task_type("created"), AUDIT_TYPE),
        trigger=Cron("recurring-task-cron"),
        handler="functions.recurrence_sweep:sweep_recurrence",
        input="functions.recurrence_sweep:SweepRun",
    ),
    Function(
        name="daily-cleanup",
        secrets=(DATABASE,),
        summary="Purges expired rows per the retention table, in bounded batches",
        publishes=(AUDIT_TYPE,),
        trigger=Cron("daily-cleanup-cron"),
        handler="functions.daily_cleanup:clean_up",
        input="functions.daily_cleanup:CleanupRun",
    ),
    Function(
        name="dead-letters",
        secrets=(DATABASE,),
        summary="Records dead-lettered messages for inspection and replay",
        forwards="a dead letter when an operator replays it, to its original topic",
        trigger=DeadLetterTopics(listed_by=dead_letter_topics),
        handler="functions.dead_letters:record_dead_letter",
        input="functions.dead_letters:DeadLetterIn",
        gauges="functions.dead_letters:open_gauge",
        adhoc=(
            Route(
                "GET",
                "/dead-letters",
                "functions.dead_letters:list_dead_letters",
                "functions.dead_letters:DeadLetterQuery",
                summary="List recorded dead letters, newest first",
                source="query",
                auth="internal",
            ),
            Route(
                "GET",
                "/dead-letters/<id>",
                "functions.dead_letters:get_dead_letter",
                "functions.dead_letters:DeadLetterRef",
                summary="Read one dead letter with its event",
                source="none",
                auth="internal",
            ),
            Route(
                "POST",
                "/dead-letters/<id>/replay",
                "functions.dead_letters:replay_dead_letter",
                "functions.dead_letters:DeadLetterRef",
                summary="Publish a dead letter's event again to its original topic",
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


def topics_of(fn: Function) -> tuple[str, ...]:
    """The topics this function subscribes to (one per /dapr/subscribe entry)."""
    return tuple(s["topic"] for s in fn.trigger.subscriptions())


def pubsubs_of(fn: Function) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s["pubsubname"] for s in fn.trigger.subscriptions()))


def all_topics() -> tuple[str, ...]:
    """Every subscribed topic and every dead-letter topic a subscription names, in table order."""
    names: list[str] = []
    for fn in FUNCTIONS.values():
        subscriptions = fn.trigger.subscriptions()
        names += [s["topic"] for s in subscriptions] + [
            s["deadLetterTopic"] for s in subscriptions if s.get("deadLetterTopic")
        ]
    return tuple(dict.fromkeys(names))


def path_prefixes(fn: Function) -> tuple[str, ...]:
    """The paths users reach this function under: the first two segments of its user routes (`/api/tasks`).

    An ingress routes them to it in a cluster, and the embedded runtime does the same on one machine.
    """
    prefixes = ["/" + "/".join([s for s in r.path.split("/") if s][:2]) for r in fn.trigger.routes if r.auth == "user"]
    return tuple(dict.fromkeys(prefixes))
