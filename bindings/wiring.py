"""The one wiring place: settings from the environment, and the Deps a function's handlers receive.

Two recipes share `make_deps`: `sidecar_deps` (gunicorn beside its own daprd: each sidecar call through the
client bindings/sidecar_choice.py chooses, bindings/sidecar.py or bindings/dapr_client.py) and `embedded_deps`
(every function of a data dir in one process: the adapters of bindings/embedded/, imported only there, so a
pod's wiring never loads them).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bindings.observability import FunctionMeter
from bindings.scoped_secrets import ScopedSecrets
from bindings.table import get
from functions.clock import utc_now
from functions.deps import Deps
from functions.outbox import Outbox
from functions.protocols import Invoker, Publisher, Secrets, StateStore
from functions.secret_catalogue import DATABASE, DATABASE_URL
from functions.settings import Retention, Settings
from functions.store.db import Database
from functions.store.schema import migrate

if TYPE_CHECKING:
    from bindings.embedded.broker import Broker


def settings_from_env(
    data_dir: str | Path | None = None, defaults: dict[str, object] | None = None, **overrides: object
) -> Settings:
    """Settings from the environment; `defaults` apply where the environment is silent, `overrides` always."""
    env = os.environ
    values: dict[str, object] = {
        **(defaults or {}),
        "data_dir": Path(data_dir or env.get("TODO_DATA_DIR", ".data")),
        "database_url": env.get("DATABASE_URL") or None,
    }
    for name, var in (
        ("pubsub_name", "PUBSUB_NAME"),
        ("state_store", "STATE_STORE"),
        ("secret_store", "SECRET_STORE"),
        ("jwt_audience", "JWT_AUDIENCE"),
        ("jwt_issuer", "JWT_ISSUER"),
        ("sendgrid_host", "SENDGRID_HOST"),
        ("task_cache_ttl_seconds", "TASK_CACHE_TTL_SECONDS"),
        ("rate_limit_requests", "RATE_LIMIT_REQUESTS"),
        ("rate_limit_window_seconds", "RATE_LIMIT_WINDOW_SECONDS"),
        ("rate_limit_fail_open", "RATE_LIMIT_FAIL_OPEN"),
        ("conversation_ttl_seconds", "CONVERSATION_TTL_SECONDS"),
        ("conversation_max_messages", "CONVERSATION_MAX_MESSAGES"),
        ("conversation_max_content_chars", "CONVERSATION_MAX_CONTENT_CHARS"),
        ("mail_sink", "MAIL_SINK"),
        ("reminder_retry_seconds", "REMINDER_RETRY_SECONDS"),
        ("reminder_retry_max_seconds", "REMINDER_RETRY_MAX_SECONDS"),
    ):
        if env.get(var):
            values[name] = env[var]
    retention = {name: env[var] for name in Retention.model_fields if (var := f"RETENTION_{name.upper()}_DAYS") in env}
    if retention:
        values["retention"] = Retention(**retention)
    values.update(overrides)
    return Settings(**values)


def make_deps(
    function: str,
    db: Database,
    publisher: Publisher,
    state: StateStore,
    secrets: Secrets,
    invoker: Invoker,
    settings: Settings,
    clock: Callable[[], datetime] = utc_now,
) -> Deps:
    log = logging.getLogger(f"functions.{function}")
    return Deps(
        function=function,
        db=db,
        outbox=Outbox(db, publisher, function, clock, log, settings.outbox_fast_path_pause_seconds),
        publisher=publisher,
        state=state,
        secrets=ScopedSecrets(secrets, function, get(function).secrets),
        invoker=invoker,
        settings=settings,
        clock=clock,
        log=log,
        meter=FunctionMeter(function),
    )


def sidecar_deps(function: str) -> Deps:
    """Dependencies of a function running beside its own daprd (gunicorn, one process per function)."""
    from bindings.dapr_client import SdkConnection, SdkInvoker, SdkPublisher, SdkSecrets, SdkState
    from bindings.secret_cache import CachedSecrets
    from bindings.sidecar import Sidecar, SidecarInvoker, SidecarPublisher, SidecarSecrets, SidecarState
    from bindings.sidecar_choice import ChosenPublisher, ChosenState, sidecar_calls

    settings = settings_from_env()
    env = os.environ
    host = env.get("DAPR_HOST", "127.0.0.1")
    http_port = int(env.get("DAPR_HTTP_PORT", "3500"))
    token = env.get("DAPR_API_TOKEN") or None
    sidecar = Sidecar(f"http://{host}:{http_port}", token)
    # App and sidecar start together (a pod, `dapr run -f`): wait, bounded, for daprd's components first.
    sidecar.wait_ready(float(env.get("DAPR_WAIT_SECONDS", "60")))
    # Connects on its first call, in this process: create_app runs in gunicorn's worker, after the fork.
    sdk = SdkConnection(host, int(env.get("DAPR_GRPC_PORT", "50001")), http_port, token)
    calls = sidecar_calls(env.get("SIDECAR_CLIENT"))
    pubsub, store, secret_store = settings.pubsub_name, settings.state_store, settings.secret_store
    publish_timeout = settings.publish_timeout_seconds  # a broker that is down must not hold a request, either client
    clients = {
        "http": {
            "publisher": SidecarPublisher(sidecar, pubsub, timeout=publish_timeout),
            "state": SidecarState(sidecar, store),
            "secrets": SidecarSecrets(sidecar, secret_store),
            "invoker": SidecarInvoker(sidecar),
        },
        "sdk": {
            "publisher": SdkPublisher(sdk, pubsub, timeout=publish_timeout),
            "state": SdkState(sdk, store),
            "secrets": SdkSecrets(sdk, secret_store),
            "invoker": SdkInvoker(sdk),
        },
    }

    def chosen(call: str, port: str) -> Any:
        return clients[calls[call]][port]

    state_calls = [c for c in calls if c.startswith("state ")]
    secrets = ScopedSecrets(CachedSecrets(chosen("secrets get", "secrets")), function, get(function).secrets)
    url = settings.database_url or secrets.get(DATABASE).get(DATABASE_URL)
    if not url:
        raise RuntimeError(f"no DATABASE_URL and no {DATABASE_URL!r} in secret {DATABASE!r}")
    db = open_database(url, name=function)
    return make_deps(
        function,
        db,
        ChosenPublisher(chosen("publish", "publisher"), chosen("bulk publish", "publisher")),
        ChosenState({c: chosen(c, "state") for c in state_calls}, with_options=clients["http"]["state"]),
        secrets,
        chosen("invoke", "invoker"),
        settings,
    )


@dataclass
class EmbeddedWiring:
    """What the embedded runtime shares among its functions, and each function's Deps."""

    settings: Settings
    db: Database
    broker: Broker
    deps: dict[str, Deps]


def embedded_deps(data_dir: Path, functions: list[str], pool_size: int, apps: Mapping[str, Any]) -> EmbeddedWiring:
    """Dependencies of the data dir's functions in one process: its PostgreSQL, the durable in-process
    pub/sub, the state table, the secrets file, and invocation through `apps` (filled by the caller)."""
    from bindings.embedded import postgres
    from bindings.embedded.broker import Broker, subscriptions
    from bindings.embedded.invoker import LocalInvoker
    from bindings.embedded.secrets import FileSecrets, ensure_file
    from bindings.embedded.state import TableState, component_metadata, key_prefix

    # Mail: SendGrid when the secrets file holds a key, else .eml files (MAIL_SINK may choose otherwise).
    settings = settings_from_env(data_dir, defaults={"mail_sink": "auto"}, secret_store="local-secret-store")
    db = open_database(postgres.database_url(data_dir), name="embedded", max_size=pool_size)
    secrets = FileSecrets(ensure_file(data_dir))
    broker = Broker(db, subscriptions(settings.pubsub_name))
    invoker = LocalInvoker(apps)
    prefixing = component_metadata(settings.state_store).get("keyprefix")
    deps = {}
    for name in functions:
        state = TableState(db, key_prefix(prefixing, name, settings.state_store))
        deps[name] = make_deps(name, db, broker, state, secrets, invoker, settings)
    return EmbeddedWiring(settings, db, broker, deps)


def open_database(url: str, *, name: str, max_size: int | None = None) -> Database:
    """The pool, once the schema is current (every process migrates at start, serialised in PostgreSQL)."""
    db = Database(url, name=name) if max_size is None else Database(url, name=name, max_size=max_size)
    db.open()
    migrate(db)
    return db
