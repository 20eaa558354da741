"""Prometheus alert rules, from the table: ONE list of groups, dumped as a plain rules file (what
`promtool test rules` checks, and what a Prometheus without the operator loads) and as the
`monitoring.coreos.com/v1` PrometheusRule that kube-prometheus users apply.

Every metric named here is exported by the functions (bindings/observability.py) or by daprd; the tests
check both against what real processes expose. What each alert means and what to do: docs/deployment.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bindings.manifests import yamltext
from bindings.manifests.facts import NAMESPACE, PART_OF
from bindings.schedules import cron_components
from bindings.table import FUNCTIONS

GROUP = "todo-functions"
RUNBOOK = "docs/deployment.md#alerts"
# The relay publishes rows older than 2 s every 5 s: an event still unpublished after this many minutes
# means the relay cannot reach Kafka through its sidecar, or does not run.
OUTBOX_MAX_AGE = timedelta(minutes=5)
# A cron function is missed once its last success is older than its longest gap between ticks plus this
# grace: room for the scrape and evaluation intervals and a run's own duration, and for a frequent job a few
# failed ticks in a row, so a passing fault does not page. Longer schedules get a tenth of their gap (2.4 h).
MIN_GRACE = timedelta(minutes=5)
# A job scheduled at least this often is on a path someone waits on (reminders, events): missing it pages.
PAGES_WITHIN = timedelta(minutes=5)
STORE_DOWN_SHARE = 0.1  # of the rate limiter's decisions over 5 minutes


@dataclass(frozen=True)
class CronWindow:
    function: str
    schedule: str
    gap: timedelta
    threshold: timedelta
    severity: str


def cron_windows() -> list[CronWindow]:
    """Each cron function of the table with the silence after which its tick counts as missed."""
    components = cron_components()
    windows = []
    for fn in FUNCTIONS.values():
        if fn.trigger.binding is None:
            continue
        schedule = components[fn.trigger.binding].schedule
        gap = schedule.longest_gap()
        threshold = gap + max(MIN_GRACE, gap / 10)
        severity = "critical" if gap <= PAGES_WITHIN else "warning"
        windows.append(CronWindow(fn.name, schedule.text, gap, threshold, severity))
    return windows


def duration(value: timedelta) -> str:
    """Prometheus's duration syntax: 1h6m, 5m5s, 26h24m."""
    seconds = int(value.total_seconds())
    parts = [(seconds // 3600, "h"), (seconds % 3600 // 60, "m"), (seconds % 60, "s")]
    return "".join(f"{n}{unit}" for n, unit in parts if n) or "0s"


def _alert(
    name: str, expr: str, severity: str, summary: str, description: str, for_: str = "0s", **labels: str
) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": name, "expr": expr}
    if for_ != "0s":
        rule["for"] = for_
    rule["labels"] = {"severity": severity, **labels}
    rule["annotations"] = {"summary": summary, "description": description, "runbook": RUNBOOK}
    return rule


def _cron_rules(w: CronWindow) -> list[dict[str, Any]]:
    selector = f'todo_cron_last_success_timestamp_seconds{{function="{w.function}"}}'
    seconds = int(w.threshold.total_seconds())
    return [
        _alert(
            "TodoCronTickMissed",
            f"time() - max by (function) ({selector}) > {seconds}",
            w.severity,
            "{{ $labels.function }} missed its schedule",
            f"No replica of {w.function} has completed a tick of `{w.schedule}` for"
            f" {{{{ $value | humanizeDuration }}}} (limit {duration(w.threshold)}).",
            function=w.function,  # one rule per function: promtool's lint wants their labels to differ
        ),
        _alert(
            "TodoCronNoSuccessReported",
            f"absent({selector})",
            w.severity,
            "{{ $labels.function }} reports no successful tick",
            f"No scraped replica of {w.function} has completed a tick of `{w.schedule}` since it started, for"
            f" {duration(w.threshold)}: its pods are down or not scraped, or every run fails.",
            duration(w.threshold),
            function=w.function,
        ),
    ]


def rules() -> list[dict[str, Any]]:
    store_down = 'decision=~"store_down_open|store_down_closed"'
    breaker = 'policy="circuitbreaker"'
    found = [
        _alert(
            "TodoDeadLettersGrowing",
            "sum by (topic) (increase(todo_dead_letters_total[15m])) > 0",
            "warning",
            "messages dead-lettered on {{ $labels.topic }}",
            "{{ $value | humanize }} message(s) reached {{ $labels.topic }} in 15 minutes: dropped as invalid,"
            " or out of retries.",
        ),
        _alert(
            "TodoOutboxBacklogOld",
            f"max(todo_outbox_backlog_age_seconds) > {int(OUTBOX_MAX_AGE.total_seconds())}",
            "critical",
            "events stuck in the outbox",
            "The oldest unpublished event is {{ $value | humanizeDuration }} old"
            f" (limit {duration(OUTBOX_MAX_AGE)}): events are not reaching Kafka.",
            "1m",
        ),
    ]
    for window in cron_windows():
        found += _cron_rules(window)
    found += [
        _alert(
            "TodoStateStoreDown",
            f"sum by (function) (rate(todo_rate_limit_total{{{store_down}}}[5m]))\n"
            "/ sum by (function) (rate(todo_rate_limit_total[5m]))\n"
            f"> {STORE_DOWN_SHARE}\n",
            "critical",
            "{{ $labels.function }} finds the state store down",
            "{{ $value | humanizePercentage }} of the rate limiter's decisions found the state store down:"
            " requests pass unchecked (fail-open) or get 503 (fail-closed).",
            "2m",
        ),
        _alert(
            "TodoCircuitBreakerOpen",
            # daprd keeps a breaker per endpoint but one cb_state series per target, recorded at each call: a call
            # to another endpoint of the same app flips it back to closed. Calls refused by an open breaker are
            # the steadier witness.
            f'max by (app_id, target) (dapr_resiliency_cb_state{{{breaker}, status="open"}}) == 1\n'
            f'or sum by (app_id, target) (increase(dapr_resiliency_count{{{breaker}, status="open"}}[5m])) > 0\n',
            "critical",
            "{{ $labels.app_id }}: circuit breaker open to {{ $labels.target }}",
            "daprd refuses calls to {{ $labels.target }} for 30 s at a time after more than 5 consecutive failed"
            " calls (any answer outside 200-399, 4xx included).",
            "1m",
        ),
    ]
    return found


def windows_table() -> str:
    """docs/deployment.md's table of the missed-tick windows (a rendered section)."""
    lines = ["| function | schedule | longest gap | alert after | severity |", "| --- | --- | --- | --- | --- |"]
    for w in cron_windows():
        gap, after = duration(w.gap), duration(w.threshold)
        lines.append(f"| `{w.function}` | `{w.schedule}` | {gap} | {after} | {w.severity} |")
    return "\n".join(lines) + "\n"


def groups() -> list[dict[str, Any]]:
    return [{"name": GROUP, "rules": rules()}]


def rules_file() -> str:
    return yamltext.dump(
        {"groups": groups()},
        note="A Prometheus rule file (rule_files:); the same groups as ../prometheus-rule.yaml. Tested with promtool.",
    )


def prometheus_rule() -> str:
    rule = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": GROUP,
            "namespace": NAMESPACE,
            # kube-prometheus-stack selects rules labelled with its Helm release: change it to yours.
            "labels": {"app.kubernetes.io/part-of": PART_OF, "release": "kube-prometheus-stack"},
        },
        "spec": {"groups": groups()},
    }
    return yamltext.dump(rule, note="For the Prometheus Operator; the same groups as prometheus/alert-rules.yaml.")
