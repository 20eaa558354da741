"""What the Grafana dashboard shows, section by section: each panel's PromQL, legend and unit.

`$function` also selects daprd's `app_id` (a function's app id is its name). daprd's latencies are in
milliseconds, ours in seconds. daprd labels a single delivery's `process_status` in lower case (success,
retry, drop) and a bulk entry's in upper case (SUCCESS, DROP): the pub/sub panel shows both as they come.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bindings.manifests.alert_rules import OUTBOX_MAX_AGE

RATE = "$__rate_interval"
FN = 'function=~"$function"'
APP = 'app_id=~"$function"'
FAILED = 'outcome=~"error|retry|drop|5.."'


@dataclass(frozen=True)
class Panel:
    title: str
    targets: tuple[tuple[str, str], ...]  # (PromQL, legend)
    unit: str = "short"
    description: str = ""
    kind: str = "timeseries"
    width: int = 12
    height: int = 8
    thresholds: tuple[float, ...] = field(default=())


def one(title: str, expr: str, legend: str, unit: str = "short", description: str = "") -> Panel:
    return Panel(title, ((expr, legend),), unit, description)


def stat(title: str, expr: str, unit: str, description: str, threshold: float | None = None) -> Panel:
    return Panel(title, ((expr, title),), unit, description, "stat", 6, 4, () if threshold is None else (threshold,))


def summed(func: str, by: str, selector: str) -> str:
    """`sum by (<by>) (<func>(<selector>[$__rate_interval]))`, the shape of most panels."""
    grouping = f" by ({by}) " if by else ""
    return f"sum{grouping}({func}({selector}[{RATE}]))"


def quantile(q: float, by: str, bucket: str) -> str:
    return f"histogram_quantile({q}, {summed('rate', f'{by}, le', bucket)})"


def _functions() -> list[Panel]:
    calls = f"todo_function_calls_total{{{FN}"
    latency = tuple(
        (quantile(q, "function", f"todo_function_duration_seconds_bucket{{{FN}}}"), f"{{{{function}}}} p{q * 100:g}")
        for q in (0.5, 0.99)
    )
    by_outcome = "{{function}} {{outcome}}"
    return [
        one("Calls per second", summed("rate", "function", calls + "}"), "{{function}}", "ops"),
        one(
            "Failures per second",
            summed("rate", "function, outcome", f"{calls}, {FAILED}}}"),
            by_outcome,
            "ops",
            "error (cron), retry and drop (topics), 5xx (routes).",
        ),
        Panel("Latency", latency, "s"),
        one(
            "Client errors (4xx) per second",
            summed("rate", "function, outcome", f'{calls}, outcome=~"4.."}}'),
            by_outcome,
            "ops",
            "401 bad token, 404, 422, 429 rate limit.",
        ),
    ]


def _events() -> list[Panel]:
    backlog = (
        ("max(todo_outbox_backlog_age_seconds)", "oldest (s)"),
        ("max(todo_outbox_backlog_events)", "unpublished events"),
    )
    return [
        one(
            "Topic events by outcome",
            summed("rate", "function, outcome", f"todo_topic_events_total{{{FN}}}"),
            "{{function}} {{outcome}}",
            "ops",
            "SUCCESS acknowledged, RETRY redelivered by daprd, DROP sent to the dead-letter topic.",
        ),
        Panel("Outbox backlog", backlog, "short", "Read from PostgreSQL at each scrape by every outbox-relay replica."),
        one("Dead letters recorded", summed("increase", "topic", "todo_dead_letters_total"), "{{topic}}"),
        one(
            "Reminder mail by result",
            summed("increase", "result", "todo_mail_total"),
            "{{result}}",
            "short",
            "sent, file, rejected, transient (retried), unconfigured (no SendGrid key).",
        ),
    ]


def _cron_and_state() -> list[Panel]:
    hits = 'todo_task_cache_total{result="hit"}'
    lookups = 'todo_task_cache_total{result=~"hit|miss|fallback|foreign"}'
    return [
        one(
            "Cron ticks by outcome",
            summed("increase", "function, outcome", f'todo_function_calls_total{{{FN}, trigger="cron"}}'),
            "{{function}} {{outcome}}",
            "short",
            "Every replica's sidecar fires each tick: success = this replica claimed and ran it, skipped = another"
            " replica had claimed it.",
        ),
        one(
            "Since the last successful tick",
            f"time() - max by (function) (todo_cron_last_success_timestamp_seconds{{{FN}}})",
            "{{function}}",
            "s",
        ),
        one(
            "Task cache hit ratio",
            f"{summed('rate', '', hits)} / {summed('rate', '', lookups)}",
            "hit ratio",
            "percentunit",
            "Reads served by the state store; fallback = store down, read from PostgreSQL.",
        ),
        one(
            "Rate limiter: refusals and store down",
            summed("rate", "function, decision", f'todo_rate_limit_total{{{FN}, decision!="admitted"}}'),
            "{{function}} {{decision}}",
            "ops",
            "limited/contended answered 429; store_down_open admitted unchecked; store_down_closed answered 503.",
        ),
    ]


def _sidecars() -> list[Panel]:
    ingress = tuple(
        (
            summed("rate", "app_id, topic, process_status", f"{metric}{{{APP}}}"),
            "{{app_id}} {{topic}} {{process_status}}" + note,
        )
        for metric, note in (
            ("dapr_component_pubsub_ingress_count", ""),
            ("dapr_component_pubsub_ingress_bulk_event_count", " (bulk)"),
        )
    )
    breakers = f'max by (app_id, target, status) (dapr_resiliency_cb_state{{{APP}, policy="circuitbreaker"}}) == 1'
    return [
        one(
            "daprd API requests by status",
            summed("rate", "app_id, status", f"dapr_http_server_request_count{{{APP}}}"),
            "{{app_id}} {{status}}",
            "ops",
        ),
        one(
            "daprd API latency p99",
            quantile(0.99, "app_id", f"dapr_http_server_latency_bucket{{{APP}}}"),
            "{{app_id}}",
            "ms",
        ),
        Panel("Pub/sub deliveries by process_status", ingress, "ops"),
        one(
            "Publishes by success",
            summed("rate", "app_id, topic, success", f"dapr_component_pubsub_egress_count{{{APP}}}"),
            "{{app_id}} {{topic}} {{success}}",
            "ops",
        ),
        one(
            "Cron bindings fired",
            summed("increase", "app_id, component, success", f"dapr_component_input_binding_count{{{APP}}}"),
            "{{app_id}} {{component}} {{success}}",
        ),
        one(
            "State store calls",
            summed("rate", "app_id, operation, success", f"dapr_component_state_count{{{APP}}}"),
            "{{app_id}} {{operation}} {{success}}",
            "ops",
        ),
        one(
            "Circuit breaker state",
            breakers,
            "{{app_id}} to {{target}}: {{status}}",
            "short",
            "The state each breaker was in at its latest call: daprd records it per call.",
        ),
        one(
            "Resiliency activations",
            summed("increase", "app_id, policy, target, status", f"dapr_resiliency_activations_total{{{APP}}}"),
            "{{app_id}} {{policy}} {{target}} {{status}}",
            "short",
            "Retries, timeouts and circuit breaker state changes.",
        ),
    ]


def sections() -> list[tuple[str, list[Panel]]]:
    overview = [
        stat(
            "Oldest unpublished event",
            "max(todo_outbox_backlog_age_seconds)",
            "s",
            "Age of the oldest outbox row not yet published; the alert fires past the threshold.",
            OUTBOX_MAX_AGE.total_seconds(),
        ),
        stat(
            "Dead letters waiting",
            "max(todo_dead_letters_open)",
            "short",
            "Recorded and not replayed: `python -m bindings dead-letters list`.",
            1,
        ),
        stat(
            "Open circuit breakers",
            'sum(dapr_resiliency_cb_state{policy="circuitbreaker", status="open"})',
            "short",
            "daprd's breakers now open, over every sidecar.",
            1,
        ),
        stat(
            "Failures per second",
            f"sum(rate(todo_function_calls_total{{{FAILED}}}[{RATE}]))",
            "ops",
            "Handler runs that ended in error, RETRY, DROP or a 5xx.",
        ),
    ]
    cron_state = _cron_and_state()
    return [
        ("Overview", overview),
        ("Functions", _functions()),
        ("Events and outbox", _events()),
        ("Cron", cron_state[:2]),
        ("State store", cron_state[2:]),
        ("Dapr sidecars", _sidecars()),
    ]
