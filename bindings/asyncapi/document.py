"""docs/asyncapi.json: every topic and its dead-letter topic, each event `type` with its payload, who sends and
who receives it, and the Kafka key.

The facts come from where the code keeps them: the topics, types and payload models from
functions/domain/events.py (EVENT_CATALOGUE), the producers from each function's `publishes` and `forwards`,
the consumers and their dead-letter topics from the triggers in bindings/table.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from bindings.openapi.document import VERSION
from bindings.table import FUNCTIONS, dead_letter_topics
from bindings.triggers import CLOUDEVENTS_JSON, DeadLetterTopics, Function, Topic
from functions.domain.dead_letters import REASON_ATTRIBUTE, original_topic
from functions.domain.events import EVENT_CATALOGUE, EVENT_SUMMARIES, PARTITION_KEY, TOPIC_SUMMARIES, TOPICS

SCHEMAS = "#/components/schemas/"
KAFKA_BINDING = "0.5.0"

DESCRIPTION = """\
The events the Todo functions exchange through Dapr pub/sub (Kafka), generated from the declaration table
(`bindings/table.py`) and the event models (`functions/domain/events.py`). Every message is a structured
CloudEvent 1.0 (`application/cloudevents+json`): its `id` is the outbox row's id, stable across re-publication,
so consumers deduplicate by it; `source` is the function that produced it. Delivery is at least once. One
task's events share a Kafka key, hence a partition, so they arrive in the order they were published (the
outbox relay may publish a late one after a newer one). A message a consumer drops (or that exhausts its
retries) goes to the topic's `-dlq`, unchanged. The HTTP routes: docs/openapi.json. Prose: docs/events.md."""

ENVELOPE: dict[str, Any] = {
    "type": "object",
    "title": "CloudEvent",
    "description": "The CloudEvents 1.0 structured envelope every message has (functions/domain/events.py cloudevent)",
    "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "partitionkey", "data"],
    "properties": {
        "specversion": {"const": "1.0"},
        "id": {"type": "string", "format": "uuid", "description": "the outbox row's id: deduplicate by it"},
        "source": {"type": "string", "description": "the function that produced it, e.g. `todo-api`"},
        "type": {"type": "string", "description": "`com.todo.<what>.<happened>.v<major>`"},
        "time": {"type": "string", "format": "date-time", "description": "when the change was made"},
        "datacontenttype": {"const": "application/json"},
        "partitionkey": {"type": "string", "description": "the Kafka key: " + PARTITION_KEY},
        "subject": {"type": "string", "description": "the task's id (a reminder's id for `reminder.due`)"},
        "data": {"description": "the payload: one schema per `type`"},
    },
}
DEAD_LETTER_NOTE = (
    f"The embedded runtime adds the `{REASON_ATTRIBUTE}` attribute (why it was dropped); daprd adds none, and"
    " Dapr adds `topic`, `pubsubname` and trace attributes on delivery."
)


def build(kafka_bootstrap: str, partitions: Callable[[str], int]) -> dict[str, Any]:
    """`kafka_bootstrap` and `partitions`: the cluster's Kafka as bindings/manifests/kafka.py provisions it."""
    functions = list(FUNCTIONS.values())
    messages, schemas = _messages()
    channels: dict[str, Any] = {}
    for topic in TOPICS:
        channels[topic] = _channel(topic, TOPIC_SUMMARIES[topic], _types_of(topic), partitions(topic))
    for dlq in dead_letter_topics():
        original = original_topic(dlq)
        summary = f"`{original}` messages a consumer dropped or could not process, unchanged. {DEAD_LETTER_NOTE}"
        channels[dlq] = _channel(dlq, summary, _types_of(original), partitions(dlq))
    operations: dict[str, Any] = {}
    for fn in functions:
        operations.update(_sends(fn, channels))
        operations.update(_receives(fn, channels))
    used = {name for ch in channels.values() for name in _message_names(ch)}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Todo functions: events", "version": VERSION, "description": DESCRIPTION},
        "defaultContentType": CLOUDEVENTS_JSON,
        "servers": {
            "cluster": {
                "host": kafka_bootstrap,
                "protocol": "kafka",
                "description": "the cluster's Kafka (Strimzi), reached only through daprd's pub/sub component"
                " `kafka-pubsub` (dapr/cluster/); `make dapr-up` runs one on 127.0.0.1:9092",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": {name: messages[name] for name in sorted(used)},
            "schemas": dict(sorted(schemas.items())),
        },
    }


def message_name(event_type: str) -> str:
    """`com.todo.task.created.v1` -> `task.created.v1`: the component's name."""
    return event_type.removeprefix("com.todo.")


def _types_of(topic: str) -> list[str]:
    return [t for t, (where, _) in EVENT_CATALOGUE.items() if where == topic]


def _messages() -> tuple[dict[str, Any], dict[str, Any]]:
    models: list[type[BaseModel]] = list(dict.fromkeys(model for _, model in EVENT_CATALOGUE.values()))
    refs, top = models_json_schema([(m, "serialization") for m in models], ref_template=SCHEMAS + "{model}")
    schemas: dict[str, Any] = {"CloudEvent": ENVELOPE, **top.get("$defs", {})}
    messages: dict[str, Any] = {}
    for event_type, (_topic, model) in EVENT_CATALOGUE.items():
        messages[message_name(event_type)] = {
            "name": event_type,
            "title": event_type,
            "summary": EVENT_SUMMARIES[event_type],
            "contentType": CLOUDEVENTS_JSON,
            "payload": {
                "allOf": [
                    {"$ref": SCHEMAS + "CloudEvent"},
                    {"properties": {"type": {"const": event_type}, "data": dict(refs[(model, "serialization")])}},
                ]
            },
            "correlationId": {"description": "the CloudEvent id", "location": "$message.payload#/id"},
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "description": PARTITION_KEY},
                    "bindingVersion": KAFKA_BINDING,
                }
            },
        }
    return messages, schemas


def _channel(address: str, description: str, types: list[str], partitions: int) -> dict[str, Any]:
    return {
        "address": address,
        "description": description,
        "messages": {message_name(t): {"$ref": f"#/components/messages/{message_name(t)}"} for t in types},
        "bindings": {"kafka": {"topic": address, "partitions": partitions, "bindingVersion": KAFKA_BINDING}},
    }


def _message_names(channel: dict[str, Any]) -> list[str]:
    return list(channel["messages"])


def _refs(topic: str, names: list[str]) -> list[dict[str, str]]:
    return [{"$ref": f"#/channels/{topic}/messages/{name}"} for name in names]


def _sends(fn: Function, channels: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for topic in TOPICS:
        names = [message_name(t) for t in fn.publishes if EVENT_CATALOGUE[t][0] == topic]
        if names:
            out[f"{fn.name}.send.{topic}"] = _operation("send", fn, topic, names, f"{fn.name} publishes")
        elif fn.forwards:
            out[f"{fn.name}.send.{topic}"] = _operation(
                "send", fn, topic, _message_names(channels[topic]), f"{fn.name} publishes {fn.forwards}"
            )
    return out


def _receives(fn: Function, channels: dict[str, Any]) -> dict[str, Any]:
    trigger = fn.trigger
    out: dict[str, Any] = {}
    if isinstance(trigger, Topic):
        names = _message_names(channels[trigger.topic])
        summary = f"{fn.name} consumes; what it drops goes to `{trigger.dead_letter_topic}`"
        if trigger.match:
            # A CEL rule on `type`: only the types it names run the handler; the rest are acknowledged unread.
            names = [n for n in names if _selects(trigger, n)]
            summary += f"; it runs only for `{trigger.match}`, and acknowledges the rest unread"
        out[f"{fn.name}.receive.{trigger.topic}"] = _operation("receive", fn, trigger.topic, names, summary)
        dlq = trigger.dead_letter_topic
        dropped = f"daprd, for {fn.name}, sends what {fn.name} drops or cannot process to `{dlq}`, unchanged"
        out[f"{fn.name}.dead-letter.{dlq}"] = _operation("send", fn, dlq, _message_names(channels[dlq]), dropped)
    elif isinstance(trigger, DeadLetterTopics):
        for topic in trigger.topics:
            summary = f"{fn.name} records each dead letter for inspection and replay"
            out[f"{fn.name}.receive.{topic}"] = _operation(
                "receive", fn, topic, _message_names(channels[topic]), summary
            )
    return out


def _selects(trigger: Topic, name: str) -> bool:
    return any(f'"{t}"' in (trigger.match or "") for t in EVENT_CATALOGUE if message_name(t) == name)


def _operation(action: str, fn: Function, topic: str, names: list[str], summary: str) -> dict[str, Any]:
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{topic}"},
        "summary": summary,
        "tags": [{"name": fn.name}],
        "messages": _refs(topic, names),
        "x-function": fn.name,
    }
