"""The run's report, as text: what was offered and acknowledged, the verdict, each fault's recovery."""

from __future__ import annotations

from typing import Any


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def render(record: dict[str, Any]) -> str:
    c, fig, ph = record["counts"], record["figures"], record["phases"]
    kinds: dict[str, int] = {}
    for f in record["faults"]:
        kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
    lines = [
        f"chaos run {record['run']} ({record['profile']} profile, seed {record['seed']}): "
        f"{record['duration_s']:.0f} s of workload at {record['rate']:g} requests/s from {record['users']} users",
        f"phases: start {ph.get('start_s')} s, workload {ph.get('workload_s')} s, settle {ph.get('settle_s')} s, "
        f"total {ph.get('total_s')} s",
        f"requests: {c['requests']} sent, {c['acknowledged']} acknowledged, {c['refused']} refused (4xx), "
        f"{c['unknown']} without an answer (5xx, timeout); send lateness at most "
        f"{record['workload']['max_send_lateness_s']} s",
        "  "
        + ", ".join(f"{op} {row['acknowledged']}/{row['sent']}" for op, row in record["workload"]["by_op"].items()),
        f"events: {sum(c['events'].values())} ({', '.join(f'{t} {n}' for t, n in sorted(c['events'].items()))}); "
        f"on Kafka more than once: {c['events_on_kafka_more_than_once']} (absorbed by the consumers' inboxes)",
        f"mails: {c['mails_accepted']} accepted of {c['reminders']} reminders; sink answers {c['sink_answers']}",
        f"dead letters: {c['dead_letters']}",
        f"faults injected: {len(record['faults'])} ({', '.join(f'{k} {n}' for k, n in kinds.items())})",
        f"LOST: {len(record['lost'])}, DUPLICATED: {len(record['duplicated'])}, "
        f"other violations: {len(record['violations'])}, unsettled: {record['unsettled'] or 'nothing'}",
    ]
    for name in ("lost", "duplicated", "violations", "fault_errors"):
        lines += [f"  {name}: {item}" for item in record[name][:25]]
    lines += [
        f"reminder lag after due time: max {_s(fig['reminder_lag_max_s'])}, median {_s(fig['reminder_lag_p50_s'])}; "
        f"event delivery lag: max {_s(fig['event_lag_max_s'])}, p99 {_s(fig['event_lag_p99_s'])}; "
        f"API latency p50 {_s(fig['api_latency_p50_s'])}, p99 {_s(fig['api_latency_p99_s'])}",
        "recovery (from the fault's lift: first success on its path; backlog drained):",
    ]
    for row in fig["recovery"]:
        if row["lifted"] is None and row["at"] is None:
            continue
        lines.append(
            f"  {row['at'] or 0:6.1f} s  {row['fault']:<34} path {row['path'] or '—':<28} "
            f"first success {_s(row['first_success_s']):>8}   drained {_s(row['drained_s']):>8}"
        )
    return "\n".join(lines)
