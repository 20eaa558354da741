"""conversations (invoke): its handlers on the embedded state store.

Start, append and read in order; the cap on messages and on content; a writer that loses a race to
another reads again and appends, and one that keeps losing is told to retry; another user's or a
missing conversation is not found. Over HTTP (routes, tokens, the ingress routing, TTL, real races):
tests/bindings/test_conversations.py.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from bindings.observability import metrics
from functions.context import Context
from functions.conversations import append_message, get_conversation, start_conversation
from functions.domain.conversations import AppendMessage, ConversationRef, StartConversation
from functions.domain.users import User
from functions.errors import Conflict, Invalid, NotFound
from tests.support.handlers import with_settings

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def ctx(user: str = "alice") -> Context:
    return Context(function="conversations", user=User(id=user))


@pytest.fixture
def deps(runtime):
    """conversations' Deps with a clock that moves a minute on every reading."""
    minutes = itertools.count()
    return dataclasses.replace(runtime.deps["conversations"], clock=lambda: T0 + timedelta(minutes=next(minutes)))


def start(deps, user: str = "alice"):
    return start_conversation(StartConversation(), deps, ctx(user)).conversation_id


def say(deps, cid, content: str, role: str = "user", user: str = "alice"):
    return append_message(AppendMessage(id=cid, role=role, content=content), deps, ctx(user))


def read(deps, cid, user: str = "alice"):
    return get_conversation(ConversationRef(id=cid), deps, ctx(user))


class LosesRaces:
    """A state store whose first `losses` writes under an etag find another writer was first."""

    def __init__(self, inner, losses: int) -> None:
        self.inner = inner
        self.losses = losses

    def get(self, key):
        return self.inner.get(key)

    def save(self, key, value, *, etag=None, first_write=False, ttl=None):
        if etag is not None and self.losses > 0:
            self.losses -= 1
            raise Conflict("state changed since it was read (etag mismatch)", field="etag")
        self.inner.save(key, value, etag=etag, first_write=first_write, ttl=ttl)

    def delete(self, key, *, etag=None):
        self.inner.delete(key, etag=etag)

    def transact(self, operations):
        self.inner.transact(operations)


def _conflicts() -> float:
    labels = {"function": "conversations", "kind": "conversation"}
    return metrics().registry.get_sample_value("todo_state_conflicts_total", labels) or 0.0


def test_a_conversation_starts_empty_and_keeps_its_messages_in_order(deps):
    cid = start(deps)
    assert read(deps, cid).messages == []
    for role, content in (("system", "be brief"), ("user", "hello"), ("assistant", "hi")):
        say(deps, cid, content, role)
    conversation = read(deps, cid)
    assert [(m.seq, m.role, m.content) for m in conversation.messages] == [
        (1, "system", "be brief"),
        (2, "user", "hello"),
        (3, "assistant", "hi"),
    ]
    assert conversation.created_at == T0
    assert conversation.updated_at == conversation.messages[-1].created_at > T0


def test_beyond_the_cap_the_oldest_messages_go_and_their_numbers_are_not_reused(deps):
    small = with_settings(deps, conversation_max_messages=2)
    cid = start(small)
    for n in range(1, 5):
        assert say(small, cid, f"m{n}").seq == n
    conversation = read(small, cid)
    assert [(m.seq, m.content) for m in conversation.messages] == [(3, "m3"), (4, "m4")]
    assert conversation.trimmed == 2


def test_content_over_the_cap_is_invalid_naming_content_and_nothing_is_appended(deps):
    short = with_settings(deps, conversation_max_content_chars=5)
    cid = start(short)
    with pytest.raises(Invalid) as refused:
        say(short, cid, "123456")
    assert refused.value.field == "content" and "at most 5" in refused.value.detail
    assert say(short, cid, "12345").seq == 1
    assert [m.content for m in read(short, cid).messages] == ["12345"]


def test_a_writer_that_loses_a_race_reads_again_and_appends_once(deps):
    cid = start(deps)
    racing = dataclasses.replace(deps, state=LosesRaces(deps.state, losses=2))
    before = _conflicts()
    assert say(racing, cid, "hello").seq == 1
    assert [m.content for m in read(deps, cid).messages] == ["hello"]
    assert _conflicts() == before + 2


def test_a_writer_that_keeps_losing_is_told_to_retry_and_nothing_is_appended(deps):
    cid = start(deps)
    racing = dataclasses.replace(deps, state=LosesRaces(deps.state, losses=1000))
    with pytest.raises(Conflict) as refused:
        say(racing, cid, "hello")
    assert refused.value.status == 409 and refused.value.field == "id"
    assert "too many writers" in refused.value.detail
    assert read(deps, cid).messages == []


def test_another_users_or_a_missing_conversation_is_not_found(deps):
    cid = start(deps)
    for call in (lambda: read(deps, cid, user="bob"), lambda: say(deps, cid, "hi", user="bob")):
        with pytest.raises(NotFound) as missing:
            call()
        assert missing.value.field == "id"
    with pytest.raises(NotFound):
        read(deps, uuid4())
    assert read(deps, cid).messages == []
