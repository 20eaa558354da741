"""The task and conversation models, and the JSON reader before them, under Hypothesis: no input raises
anything but a validation error, and what they accept can be stored and shown."""

from __future__ import annotations

import json
from datetime import datetime
from uuid import uuid4

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from bindings.envelopes import EnvelopeError, load_json, route_input
from functions.domain.conversations import AppendMessage, ConversationRef, StartConversation
from functions.domain.reminders import ReminderSpec
from functions.domain.tasks import CreateTask, TaskQuery, TaskRef, UpdateTask
from functions.domain.types import EARLIEST, LATEST, is_zone, text_problem
from functions.domain.users import UpdateProfile
from tests.property.strategies import bodies_for, hostile_text, json_values, objects_for

BODY_MODELS = [CreateTask, UpdateTask, AppendMessage, UpdateProfile, ReminderSpec]
PATH_MODELS = [TaskRef, ConversationRef, StartConversation]


def _accepted_values_are_storable(value: object) -> None:
    """Whatever a model accepted: text PostgreSQL can hold, instants every zone can show."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _accepted_values_are_storable(getattr(value, name))
    elif isinstance(value, str):
        assert text_problem(value) is None
    elif isinstance(value, datetime):
        assert value.tzinfo is not None and EARLIEST <= value <= LATEST
    elif isinstance(value, list | tuple):
        for item in value:
            _accepted_values_are_storable(item)


@pytest.mark.parametrize("model", BODY_MODELS, ids=lambda m: m.__name__)
@settings(max_examples=500)
@given(data=st.data())
def test_a_body_model_raises_nothing_but_a_validation_error(model, data):
    fields = list(model.model_fields)
    required = tuple(name for name, info in model.model_fields.items() if info.is_required() and name != "id")
    body = data.draw(st.one_of(bodies_for(fields, required), bodies_for(fields), objects_for(fields), json_values))
    path = {"id": str(uuid4())} if "id" in fields else {}
    if isinstance(body, dict):
        body.pop("id", None)  # the adapter refuses an id in both the URL and the body
    try:
        parsed = route_input(model, path, {}, body, "body")
    except (ValidationError, EnvelopeError):
        event("refused")
        return
    event("accepted")
    _accepted_values_are_storable(parsed)
    if getattr(parsed, "timezone", None) is not None:
        assert is_zone(parsed.timezone)


# werkzeug's MultiDict gives each parameter at least one value.
@given(
    query=st.dictionaries(
        st.sampled_from([*TaskQuery.model_fields, "x"]), st.lists(hostile_text, min_size=1, max_size=3)
    )
)
def test_the_task_query_raises_nothing_but_a_validation_error(query):
    try:
        parsed = route_input(TaskQuery, {}, query, None, "query")
    except (ValidationError, EnvelopeError):
        return
    _accepted_values_are_storable(parsed)


@pytest.mark.parametrize("model", PATH_MODELS, ids=lambda m: m.__name__)
@given(path=st.dictionaries(st.just("id"), hostile_text | st.uuids().map(str)))
def test_path_models_raise_nothing_but_a_validation_error(model, path):
    if model is StartConversation:
        path = {}
    try:
        route_input(model, path, {}, None, "none")
    except ValidationError:
        return


@given(raw=st.one_of(st.binary(max_size=200), json_values.map(json.dumps), st.text(max_size=200)))
def test_the_json_reader_returns_a_value_or_a_400_never_anything_else(raw):
    try:
        load_json(raw)
    except EnvelopeError as exc:
        assert str(exc)
