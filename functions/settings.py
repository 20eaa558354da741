"""Settings every function reads; built once by the adapter from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class Retention(BaseModel):
    """daily-cleanup's retention table, in days; each is overridable with RETENTION_<NAME>_DAYS."""

    model_config = {"frozen": True}

    deleted_tasks: int = Field(30, ge=1, description="soft-deleted tasks, with their reminders")
    published_outbox: int = Field(7, ge=1, description="outbox rows already published")
    inbox: int = Field(14, ge=1, description="consumer dedupe rows; longer than any redelivery")
    cron_ticks: int = Field(14, ge=1, description="claimed cron ticks")
    sent_reminders: int = Field(90, ge=1, description="reminders delivered")
    cancelled_reminders: int = Field(90, ge=1, description="reminders cancelled or replaced")
    audit: int = Field(365, ge=1, description="audit records")
    pubsub_messages: int = Field(7, ge=1, description="embedded pub/sub messages delivered to every subscriber")


class Settings(BaseModel):
    model_config = {"frozen": True}

    data_dir: Path = Path(".data")
    database_url: str | None = None
    pubsub_name: str = "kafka-pubsub"
    state_store: str = "postgres-statestore"
    secret_store: str = "local-secret-store"
    jwt_audience: str = "todo-api"
    jwt_issuer: str = "todo-functions"
    outbox_relay_batch: int = Field(500, ge=1, le=10_000)
    outbox_grace_seconds: float = Field(2.0, ge=0, description="relay leaves rows this young to the fast path")
    # A publish waits at most this long for the sidecar (daprd retries a broker that is down for far longer),
    # and after a failed one the fast path leaves events to the relay for a while: see functions/outbox.py.
    publish_timeout_seconds: float = Field(3.0, gt=0, le=8, description="under daprd's 10 s appCall timeout")
    outbox_fast_path_pause_seconds: float = Field(5.0, ge=0, description="about one outbox-relay tick")
    # Gauges read from PostgreSQL at scrape time wait at most this long for a connection, well inside
    # Prometheus's default 10 s scrape timeout, so a database outage costs those gauges, not the whole scrape.
    scrape_db_timeout_seconds: float = Field(2.0, gt=0, le=8)
    max_body_bytes: int = 64 * 1024
    # A bulk delivery from daprd carries up to Bulk.max_messages events: far more than any user body.
    max_delivery_bytes: int = Field(8 * 1024 * 1024, ge=64 * 1024)
    # Reminders (reminder-check, send-reminder).
    reminder_batch: int = Field(500, ge=1, le=10_000, description="reminders claimed per transaction")
    reminder_max_batches: int = Field(20, ge=1, le=1000, description="bounds one run; the next tick takes the rest")
    # A claim whose event led to neither a mail nor a deferral within the lease is taken again (its event was
    # lost); a mail the provider refused for the moment is tried again after a back-off that doubles from
    # reminder_retry_seconds up to reminder_retry_max_seconds, at most reminder_max_attempts times in all.
    reminder_claim_lease_seconds: float = Field(600.0, ge=60, description="well above a delivery's retries")
    reminder_retry_seconds: float = Field(60.0, ge=0, description="the first back-off; a check runs every minute")
    reminder_retry_max_seconds: float = Field(3600.0, ge=0)
    reminder_max_attempts: int = Field(20, ge=1, le=1000, description="about 15 hours with the defaults")
    # Where reminder mail goes. "sendgrid": the secret store must hold a key; without one a send is RETRYed and
    # send-reminder reports not ready (never a silent file). "files": <data dir>/mail/*.eml. "auto", the embedded
    # runtime's default: SendGrid when a key is configured, else files.
    mail_sink: Literal["sendgrid", "files", "auto"] = "sendgrid"
    sendgrid_host: str = "https://api.sendgrid.com"
    mail_timeout_seconds: float = Field(5.0, gt=0, le=60, description="under the pub/sub call timeout (10 s)")
    mail_from_default: str = "reminders@todo.localhost"
    # The task cache (functions/task_cache.py) and the per-user rate limit (bindings/rate_limit.py).
    task_cache_ttl_seconds: int = Field(3600, ge=1)
    rate_limit_requests: int = Field(60, ge=1, description="requests per user per window")
    rate_limit_window_seconds: int = Field(60, ge=1)
    rate_limit_fail_open: bool = Field(True, description="admit unchecked when the state store is down")
    # Conversation state (functions/conversations.py).
    conversation_ttl_seconds: int = Field(7 * 24 * 3600, ge=60, description="refreshed on every write")
    conversation_max_messages: int = Field(100, ge=1, description="oldest messages are trimmed beyond this")
    conversation_max_content_chars: int = Field(8_000, ge=1)
    recurrence_sweep_grace_seconds: float = Field(
        60.0, ge=0, description="a tick of the sweep leaves tasks completed this recently to their event"
    )
    retention: Retention = Field(default_factory=Retention)
    cleanup_batch: int = Field(1000, ge=1, le=50_000, description="rows deleted per statement")
    cleanup_max_batches: int = Field(100, ge=1, le=100_000, description="statements per kind per run")
