"""The dependencies a handler receives; built once per process by the adapter or the embedded runtime."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from functions.outbox import Outbox
from functions.protocols import Invoker, Meter, Publisher, Secrets, StateStore
from functions.settings import Settings
from functions.store.db import Database


@dataclass(frozen=True)
class Deps:
    function: str
    db: Database
    outbox: Outbox
    publisher: Publisher
    state: StateStore
    secrets: Secrets
    invoker: Invoker
    settings: Settings
    clock: Callable[[], datetime]
    log: logging.Logger
    meter: Meter
