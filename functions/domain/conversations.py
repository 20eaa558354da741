"""Chat conversation state: the commands of the `conversations` function and what it answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from functions.domain.types import Text

Role = Literal["user", "assistant", "system", "tool"]


class StartConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConversationRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: UUID


class AppendMessage(BaseModel):
    """The content's upper bound is a setting (conversation_max_content_chars), checked by the handler."""

    model_config = ConfigDict(extra="forbid")
    id: UUID
    role: Role
    content: Text = Field(min_length=1)  # no NUL, no lone surrogate: the state store keeps jsonb


class Message(BaseModel):
    seq: int  # 1, 2, 3 … per conversation, in append order; trimming never renumbers
    role: Role
    content: str
    created_at: datetime


class ConversationCreated(BaseModel):
    conversation_id: UUID


class Conversation(BaseModel):
    conversation_id: UUID
    created_at: datetime
    updated_at: datetime
    trimmed: int = 0  # how many of the oldest messages were dropped to stay under the cap
    messages: list[Message] = Field(default_factory=list)
