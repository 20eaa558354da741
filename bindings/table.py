"""The one declaration table: function (= Dapr app-id) -> trigger -> handler -> input model.

Handlers and models are named by dotted path and imported only by the function that serves them,
so one function's process never pays for another's imports. `/dapr/subscribe`, the Procfile,
`dapr/` and `k8s/` are checked against this table by tests/bindings/test_declarations.py.
The model of an entry (Function, Cron, Topic, ...) lives in bindings/triggers.py.
"""

from __future__ import annotations

from bindings.triggers import Bulk, Cron, DeadLetterTopics, Function, Invoke, Route, Topic, _table
from functions.secret_catalogue import DATABASE, JWT, SENDGRID

_T = "functions.todo_api.tasks:"
_TM = "functions.domain.tasks:"
_C = "functions.conversations:"
_CM = "functions.domain.conversations:"
_DL = "functions.dead_letters:"

FUNCTIONS: dict[str, Function] = _table(
    Function(
        name="todo-api",
        secrets=(DATABASE, JWT),
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
        secrets=(DATABASE, JWT),
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
        trigger=Cron("outbox-relay-cron"),
        handler="functions.outbox_relay:relay_outbox",
        input="functions.outbox_relay:RelayRun",
        gauges="functions.outbox_relay:backlog_gauges",
    ),
    Function(
        name="reminder-check",
        secrets=(DATABASE,),
        summary="Claims due reminders and emits one `reminders` event each, once per tick",
        trigger=Cron("reminder-checker-cron"),
        handler="functions.reminder_check:check_reminders",
        input="functions.reminder_check:CheckRun",
    ),
    Function(
        name="send-reminder",
        secrets=(DATABASE, SENDGRID),
        summary="Mails a due reminder exactly once through SendGrid (.eml files on the embedded runtime)",
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
                auth="internal",
            ),
        ),
    ),
    Function(
        name="spawn-recurrence",
        secrets=(DATABASE,),
        summary="Creates the next occurrence when a recurring task is completed",
        trigger=Topic("task-events", match='event.type == "com.todo.task.completed.v1"'),
        handler="functions.spawn_recurrence:spawn_recurrence",
        input="functions.domain.events:TaskEventData",
    ),
    Function(
        name="recurrence-sweep",
        secrets=(DATABASE,),
        summary="Spawns the successor a lost event did not (series whose latest instance is done)",
        trigger=Cron("recurring-task-cron"),
        handler="functions.recurrence_sweep:sweep_recurrence",
        input="functions.recurrence_sweep:SweepRun",
    ),
    Function(
        name="daily-cleanup",
        secrets=(DATABASE,),
        summary="Purges expired rows per the retention table, in bounded batches",
        trigger=Cron("daily-cleanup-cron"),
        handler="functions.daily_cleanup:clean_up",
        input="functions.daily_cleanup:CleanupRun",
    ),
    Function(
        name="dead-letters",
        secrets=(DATABASE,),
        summary="Records dead-lettered messages for inspection and replay",
        trigger=DeadLetterTopics(),
        handler="functions.dead_letters:record_dead_letter",
        input="functions.dead_letters:DeadLetterIn",
        gauges="functions.dead_letters:open_gauge",
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
