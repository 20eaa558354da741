"""What the functions really emit, held to docs/asyncapi.json.

Every producer of the table is driven through its real handler on the embedded runtime (a task's whole life,
a recurring series completed and swept, a reminder claimed and sent, a cleanup run); then every CloudEvent
they wrote to the outbox must be one the document lets its `source` send on that topic, its payload must
validate against the message's schema, and its Kafka key must be the one the document names. And the
other way round: every send the document declares is one some function was seen to make.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from referencing import Registry, Resource

from bindings.manifests.contracts import ASYNCAPI
from bindings.table import FUNCTIONS
from functions.context import Context
from functions.daily_cleanup import CleanupRun, clean_up
from functions.domain.dead_letters import SUFFIX
from tests.contracts.conftest import ROOT
from tests.support import reminders
from tests.support.handlers import complete, create, delete, query, reopen, update
from tests.support.recurring import drain, lose_spawn_events, soon, sweep

URI = "urn:asyncapi"


def _document() -> dict[str, Any]:
    return json.loads((ROOT / ASYNCAPI).read_text())


def _validator(doc: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Validator:
    registry = Registry().with_resource(URI, Resource.opaque(doc))
    resolved = json.loads(json.dumps(schema).replace('"#/components/', f'"{URI}#/components/'))
    return jsonschema.Draft7Validator(resolved, registry=registry, format_checker=jsonschema.FormatChecker())


def _exercise(runtime) -> None:
    """One run of every producer."""
    task = create(runtime, title="Water the plants")
    update(runtime, task.id, title="Water the plants twice")
    complete(runtime, task.id)
    reopen(runtime, task.id)
    delete(runtime, task.id)
    # spawn-recurrence: a recurring task completed and its event delivered.
    series = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="daily")
    complete(runtime, series.id)
    drain(runtime)
    # recurrence-sweep: a completion whose event was lost.
    lost = create(runtime, due_at=soon(), timezone="Europe/Berlin", recurrence="weekly")
    complete(runtime, lost.id)
    assert lose_spawn_events(runtime) == 1
    assert sweep(runtime)["healed"] == 1
    # reminder-check claims a due reminder; send-reminder mails it (.eml files here) and audits that.
    reminders.due_task(runtime)
    assert reminders.check(runtime).claimed == 1
    drain(runtime)
    clean_up(CleanupRun(), runtime.deps["daily-cleanup"], Context(function="daily-cleanup"))


def test_every_emitted_event_is_one_the_document_declares(runtime):
    doc = _document()
    _exercise(runtime)
    rows = query(runtime, "select topic, key, event from outbox order by created_at, id")
    assert rows, "nothing was emitted"
    seen: set[tuple[str, str, str]] = set()
    for row in rows:
        event, topic = row["event"], row["topic"]
        source, event_type = event["source"], event["type"]
        seen.add((source, topic, event_type))
        operation = doc["operations"].get(f"{source}.send.{topic}")
        assert operation is not None, f"{source} sent {event_type} on {topic}: the document has no such send"
        assert operation["action"] == "send" and operation["channel"] == {"$ref": f"#/channels/{topic}"}
        names = {ref["$ref"].rsplit("/", 1)[1] for ref in operation["messages"]}
        name = next((n for n, m in doc["components"]["messages"].items() if m["name"] == event_type), None)
        assert name in names, f"{source} sent {event_type} on {topic}, not among {sorted(names)}"
        message = doc["components"]["messages"][name]
        errors = [e.message for e in _validator(doc, message["payload"]).iter_errors(event)]
        assert not errors, f"{event_type} from {source}: {errors}"
        # The key: the task's id; an audit record of a run that concerns no task is keyed by its function.
        task_id = event["data"].get("task_id")
        assert row["key"] == event["partitionkey"] == (task_id or source), (event_type, row["key"], event)

    declared = set(_declared_sends(doc))
    print(f"\n{len(rows)} events; (source, topic, type) seen: {len(seen)}, declared: {len(declared)}")
    assert declared - seen == set(), f"declared sends no function was seen to make: {sorted(declared - seen)}"


def _declared_sends(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(function, topic, type) of every send the document declares a function makes of its own events: not
    daprd's dead-lettering, nor the sends of functions that forward others' events verbatim (the relay, replay)."""
    out = []
    for op in doc["operations"].values():
        function, topic = op["x-function"], op["channel"]["$ref"].rsplit("/", 1)[1]
        if op["action"] != "send" or FUNCTIONS[function].forwards or topic.endswith(SUFFIX):
            continue
        for ref in op["messages"]:
            out.append((function, topic, doc["components"]["messages"][ref["$ref"].rsplit("/", 1)[1]]["name"]))
    return out
