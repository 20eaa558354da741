"""docs/asyncapi.json against the AsyncAPI 3.0 specification's own JSON Schema, and against what the running
functions subscribe to (their `GET /dapr/subscribe` answers, as daprd reads them).

The schema is the one the AsyncAPI project publishes (npm `@asyncapi/specs`), fetched by `make provision`
(bindings/devstack/asyncapi_schema.py); without it that test skips, and under REQUIRE_DAPR=1 (CI) it fails.
"""

from __future__ import annotations

import json
import os
from typing import Any

import jsonschema
import pytest

from bindings.devstack import asyncapi_schema
from bindings.manifests.contracts import ASYNCAPI, EVENTS
from tests.contracts.conftest import ROOT

# Independent of the generator: the topics and the dead-letter suffix as docs/api.md and the design name them.
EXPECTED_CHANNELS = {"task-events", "reminders", "audit-logs", "task-events-dlq", "reminders-dlq", "audit-logs-dlq"}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return json.loads((ROOT / ASYNCAPI).read_text())


def test_the_specifications_schema_accepts_it(doc):
    found = asyncapi_schema.locate()
    if found is None:
        reason = f"the AsyncAPI schema is not provisioned (`make provision` fetches {asyncapi_schema.PACKAGE})"
        if os.environ.get("REQUIRE_DAPR") == "1":
            pytest.fail(f"REQUIRE_DAPR=1 but {reason}")
        pytest.skip(reason)
    schema = json.loads(found.read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:10]]


def test_every_topic_and_its_dead_letter_topic_is_a_channel(doc):
    assert set(doc["channels"]) == EXPECTED_CHANNELS
    for name, channel in doc["channels"].items():
        assert channel["address"] == name and channel["messages"], name


def test_what_each_function_subscribes_to_at_run_time_is_in_the_document(runtime, doc):
    operations = doc["operations"].values()
    receives = {(op["x-function"], op["channel"]["$ref"]) for op in operations if op["action"] == "receive"}
    # daprd sends what a subscriber drops to its dead-letter topic: a send, on the dead-letter channel, for it.
    dead_letters = {(op["x-function"], op["channel"]["$ref"]) for op in operations if op["action"] == "send"}
    asked = 0
    for name, app in runtime.apps.items():
        resp = app.test_client().get("/dapr/subscribe")
        if resp.status_code == 404:  # a cron function serves no subscriptions
            continue
        assert resp.status_code == 200, (name, resp.status_code)
        for entry in resp.get_json():
            asked += 1
            topic = entry["topic"]
            assert (name, f"#/channels/{topic}") in receives, f"{name} subscribes to {topic}: not in the document"
            if dlq := entry.get("deadLetterTopic"):
                assert dlq in doc["channels"], f"{name}'s dead-letter topic {dlq} is not a channel"
                assert (name, f"#/channels/{dlq}") in dead_letters, f"{name} dead-letters to {dlq}: undeclared"
    assert asked >= len(EXPECTED_CHANNELS)  # three topic consumers and the three dead-letter topics
    # ... and every receive the document declares is a subscription some function really makes.
    subscribed = {
        (name, f"#/channels/{entry['topic']}")
        for name, app in runtime.apps.items()
        if (resp := app.test_client().get("/dapr/subscribe")).status_code == 200
        for entry in resp.get_json()
    }
    assert receives == subscribed


def test_events_md_names_every_type_and_topic(doc):
    text = (ROOT / EVENTS).read_text()
    for message in doc["components"]["messages"].values():
        assert f"### `{message['name']}`" in text
    for name in doc["channels"]:
        assert f"| `{name}` |" in text
