"""Models of what the adapter itself answers or takes, as the document describes them.

The adapter builds these replies by hand (bindings/outcomes.py, bindings/app.py, bindings/topic_route.py);
these models describe them for clients, and schemathesis's response_schema_conformance holds every real
reply of the running runtime to them (tests/contracts/test_schemathesis.py).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bindings.envelopes import CloudEventIn
from bindings.outcomes import Outcome


class FieldError(BaseModel):
    field: str = Field(description="the field at fault, dotted for nested ones (`reminders.0.before`)")
    message: str


class Problem(BaseModel):
    """An error (RFC 9457 problem details): `detail` says what went wrong, `errors` names the fields at fault."""

    model_config = ConfigDict(extra="allow")  # e.g. `latest_task_id` of a 409 on an earlier series instance

    type: str = Field("about:blank", description="always about:blank: `status` and `title` say it all")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    errors: list[FieldError] = Field(default_factory=list, description="present when fields are at fault")
    trace_id: str | None = Field(None, description="on a 500 only: the trace id its log line carries")


class Health(BaseModel):
    """Readiness: 503 with the reason holds Kubernetes' and daprd's traffic back."""

    status: Literal["ok", "not ready"]
    reason: str | None = Field(None, description="why it is not ready")


class TopicReply(BaseModel):
    """daprd's delivery verdict: SUCCESS acknowledges, RETRY redelivers, DROP dead-letters."""

    status: Outcome
    reason: str | None = Field(None, description="why it is retried or dropped; daprd reads only `status`")


class BulkEntry(BaseModel):
    entryId: str  # daprd's spelling
    event: CloudEventIn | dict[str, Any]
    contentType: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


class BulkDelivery(BaseModel):
    """daprd's bulk subscribe: up to `maxMessagesCount` events in one request."""

    entries: list[BulkEntry]


class EntryStatus(BaseModel):
    entryId: str
    status: Outcome


class BulkReply(BaseModel):
    statuses: list[EntryStatus]


class Subscription(BaseModel):
    """One entry of `GET /dapr/subscribe` (Dapr's programmatic subscriptions)."""

    model_config = ConfigDict(extra="allow")

    pubsubname: str
    topic: str
    routes: dict[str, Any]
    deadLetterTopic: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
