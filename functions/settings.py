"""Settings every function reads; built once by the adapter from the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class Settings(BaseModel):
    model_config = {"frozen": True}

    data_dir: Path = Path(".data")
    database_url: str | None = None
    pubsub_name: str = "kafka-pubsub"
    state_store: str = "postgres-statestore"
    secret_store: str = "local-secret-store"
    jwt_secret_name: str = "jwt-secret"
    jwt_audience: str = "todo-api"
    jwt_issuer: str = "todo-functions"
    outbox_relay_batch: int = Field(500, ge=1, le=10_000)
    outbox_grace_seconds: float = Field(2.0, ge=0, description="relay leaves rows this young to the fast path")
    max_body_bytes: int = 64 * 1024
