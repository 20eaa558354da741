"""The `conversations` function: chat context in the state store (create, append, read), per user.

A conversation is one state entry, `conversation:<user>:<id>`, whose TTL (7 days by default) is
renewed by every write. Appends are read-modify-write under the entry's etag: when two writers
race, the loser re-reads and appends again (functions/compare_and_swap.py), so no message is lost.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid4

from functions.compare_and_swap import StillConflicting, retry_on_conflict
from functions.context import Context
from functions.deps import Deps
from functions.domain.conversations import (
    AppendMessage,
    Conversation,
    ConversationCreated,
    ConversationRef,
    Message,
    StartConversation,
)
from functions.errors import Conflict, Invalid, NotFound
from functions.protocols import StateItem

APPEND_ATTEMPTS = 12


def key(user_id: str, conversation_id: UUID) -> str:
    # The user is part of the key: another user's id simply finds nothing (404), never 403.
    return f"conversation:{quote(user_id, safe='')}:{conversation_id}"


def start_conversation(_: StartConversation, deps: Deps, ctx: Context) -> ConversationCreated:
    user = ctx.require_user()
    now = deps.clock()
    conversation = Conversation(conversation_id=uuid4(), created_at=now, updated_at=now)
    entry = {"user_id": user.id, "next_seq": 1, **conversation.model_dump(mode="json")}
    deps.state.save(
        key(user.id, conversation.conversation_id),
        entry,
        first_write=True,
        ttl=deps.settings.conversation_ttl_seconds,
    )
    return ConversationCreated(conversation_id=conversation.conversation_id)


def append_message(cmd: AppendMessage, deps: Deps, ctx: Context) -> Message:
    user = ctx.require_user()
    cap = deps.settings.conversation_max_content_chars
    if len(cmd.content) > cap:
        raise Invalid(f"content has {len(cmd.content)} characters; at most {cap} are allowed", field="content")
    k = key(user.id, cmd.id)

    def append_once() -> Message:
        entry, etag = _owned(deps.state.get(k), user.id, cmd.id)
        message = Message(seq=entry["next_seq"], role=cmd.role, content=cmd.content, created_at=deps.clock())
        _append(entry, message, deps.settings.conversation_max_messages)
        deps.state.save(k, entry, etag=etag, ttl=deps.settings.conversation_ttl_seconds)
        return message

    try:
        return retry_on_conflict(
            append_once, deps.meter, "conversation", attempts=APPEND_ATTEMPTS, first_pause=0.002, max_pause=0.1
        )
    except StillConflicting:
        raise Conflict(
            f"conversation {cmd.id} is being written by too many writers at once; retry", field="id"
        ) from None


def get_conversation(ref: ConversationRef, deps: Deps, ctx: Context) -> Conversation:
    user = ctx.require_user()
    entry, _ = _owned(deps.state.get(key(user.id, ref.id)), user.id, ref.id)
    return Conversation.model_validate(entry)


def _owned(item: StateItem | None, user_id: str, conversation_id: UUID) -> tuple[dict[str, Any], str]:
    """The entry and its etag, if it exists and is this user's."""
    if item is None or not isinstance(item.value, dict) or item.value.get("user_id") != user_id:
        raise NotFound(f"conversation {conversation_id} not found (or expired)", field="id")
    return item.value, item.etag


def _append(entry: dict[str, Any], message: Message, cap: int) -> None:
    messages = [*entry.get("messages", []), message.model_dump(mode="json")]
    dropped = max(0, len(messages) - cap)
    entry["messages"] = messages[dropped:]
    entry["trimmed"] = entry.get("trimmed", 0) + dropped
    entry["next_seq"] = message.seq + 1
    entry["updated_at"] = message.created_at.isoformat()
