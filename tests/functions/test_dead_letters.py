"""dead-letters (every `<topic>-dlq`): its handlers on a real PostgreSQL.

A dead letter is recorded once per (dead-letter topic, event id), with its original topic, the reason
the broker gave and the event as it was; listed newest first; shown whole; replayed to its original
topic with the same id, and marked. Through the broker, the routes and the CLI:
tests/bindings/test_dead_letters.py.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from functions.context import Context
from functions.dead_letters import (
    DeadLetterIn,
    DeadLetterQuery,
    DeadLetterRef,
    get_dead_letter,
    list_dead_letters,
    record_dead_letter,
    replay_dead_letter,
)
from functions.errors import NotFound, Transient

NOW = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
CTX = Context(function="dead-letters")


def event(event_id: str, **extra) -> dict:
    return {"specversion": "1.0", "id": event_id, "source": "todo-api", "type": "com.todo.task.completed.v1", **extra}


class Publisher:
    """Records what is published; `failing` ids are reported back as not published."""

    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.sent: list[tuple[str, list[dict]]] = []

    def publish(self, topic, events):
        self.sent.append((topic, events))
        return [e["id"] for e in events] if self.failing else []


@pytest.fixture
def deps(runtime):
    return dataclasses.replace(runtime.deps["dead-letters"], clock=lambda: NOW)


def record(deps, topic: str, letter: dict):
    return record_dead_letter(DeadLetterIn(topic=topic, event=letter), deps, CTX)


def test_a_dead_letter_is_recorded_with_its_original_topic_and_reason_once(deps):
    poison = event("e-1", topic="task-events-dlq", deadletterreason="spawn-recurrence: subscriber answered DROP")
    first = record(deps, "task-events-dlq", poison)
    again = record(deps, "task-events-dlq", poison)
    assert first.new and not again.new and first.id == again.id
    shown = get_dead_letter(DeadLetterRef(id=first.id), deps, CTX)
    assert (shown.topic, shown.original_topic, shown.event_id, shown.event_type) == (
        "task-events-dlq",
        "task-events",
        "e-1",
        "com.todo.task.completed.v1",
    )
    assert shown.reason == "spawn-recurrence: subscriber answered DROP"
    assert shown.event == event("e-1", topic="task-events-dlq")  # as it came, without the reason attribute
    assert (shown.times, shown.replays, shown.replayed_at) == (1, 0, None)


def test_the_same_event_on_another_dead_letter_topic_is_another_record(deps):
    assert record(deps, "task-events-dlq", event("e-2")).id != record(deps, "audit-logs-dlq", event("e-2")).id


def test_the_list_is_newest_first_without_the_event_and_filters_by_topic(deps):
    record(deps, "task-events-dlq", event("e-3"))
    record(deps, "reminders-dlq", event("e-4"))
    page = list_dead_letters(DeadLetterQuery(), deps, CTX)
    assert [d.event_id for d in page.items] == ["e-4", "e-3"]
    assert all(d.event is None for d in page.items)
    only = list_dead_letters(DeadLetterQuery(topic="reminders-dlq"), deps, CTX)
    assert [d.event_id for d in only.items] == ["e-4"]


def test_a_replay_publishes_the_event_again_to_its_original_topic_with_its_id_and_marks_it(deps):
    letter = record(deps, "task-events-dlq", event("e-5", topic="task-events-dlq", pubsubname="kafka-pubsub"))
    publisher = Publisher()
    replayed = replay_dead_letter(DeadLetterRef(id=letter.id), dataclasses.replace(deps, publisher=publisher), CTX)
    assert publisher.sent == [("task-events", [event("e-5")])]  # not claiming to come from the dead-letter topic
    assert (replayed.replays, replayed.replayed_at) == (1, NOW)
    assert list_dead_letters(DeadLetterQuery(), deps, CTX).items == []
    assert [d.event_id for d in list_dead_letters(DeadLetterQuery(all=True), deps, CTX).items] == ["e-5"]


def test_a_replay_that_cannot_publish_is_transient_and_leaves_the_record_open(deps):
    letter = record(deps, "task-events-dlq", event("e-6"))
    with pytest.raises(Transient, match="could not publish event e-6 to task-events"):
        replay_dead_letter(DeadLetterRef(id=letter.id), dataclasses.replace(deps, publisher=Publisher(True)), CTX)
    shown = get_dead_letter(DeadLetterRef(id=letter.id), deps, CTX)
    assert (shown.replays, shown.replayed_at) == (0, None)


def test_an_unknown_dead_letter_is_not_found(deps):
    unknown = DeadLetterRef(id="00000000-0000-0000-0000-000000000000")
    for handler in (get_dead_letter, replay_dead_letter):
        with pytest.raises(NotFound) as missing:
            handler(unknown, deps, CTX)
        assert missing.value.field == "id"


@pytest.mark.parametrize(
    ("topic", "letter"),
    [("task-events", event("e-7")), ("-dlq", event("e-8")), ("task-events-dlq", {"type": "x"})],
)
def test_what_is_not_a_dead_letter_is_refused(topic, letter):
    with pytest.raises(ValidationError):
        DeadLetterIn(topic=topic, event=letter)
