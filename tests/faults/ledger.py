"""What Kafka holds at the end of a run, read from the broker itself: the events on each topic, and each
consumer group's lag per partition (KafkaLedger.java, one JVM)."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bindings.devstack import kafka
from bindings.table import FUNCTIONS

EVENT_TOPICS = ("task-events", "reminders", "audit-logs")


def subscriptions() -> dict[str, set[str]]:
    """Consumer group (= the app id: no component sets consumerGroup) -> the topics it consumes."""
    groups: dict[str, set[str]] = {}
    for fn in FUNCTIONS.values():
        topics = {s["topic"] for s in fn.trigger.subscriptions()}
        if topics:
            groups[fn.name] = topics
    return groups


@dataclass
class Ledger:
    ids: dict[str, Counter[str]] = field(default_factory=dict)  # topic -> CloudEvent id -> copies on the topic
    events: dict[str, list[dict]] = field(default_factory=dict)  # topic -> the CloudEvents, in partition order
    ends: dict[tuple[str, int], int] = field(default_factory=dict)  # (topic, partition) -> end offset
    committed: dict[tuple[str, str, int], int] = field(default_factory=dict)  # (group, topic, partition) -> offset

    def lags(self) -> dict[tuple[str, str, int], int]:
        """(group, topic, partition) -> messages not yet consumed, for every partition a group consumes.

        A group that never committed on a partition lags by the whole partition: with initialOffset `oldest`
        it has all of it still to read."""
        lags = {}
        for group, topics in subscriptions().items():
            for (topic, partition), end in self.ends.items():
                if topic in topics:
                    lags[(group, topic, partition)] = end - self.committed.get((group, topic, partition), 0)
        return lags


def read(bootstrap: str, all_topics: list[str], read_topics: tuple[str, ...] = EVENT_TOPICS) -> Ledger:
    source = Path(__file__).with_name("KafkaLedger.java")
    groups = sorted(subscriptions())
    cmd = kafka.java_cmd(str(source), bootstrap, ",".join(read_topics), ",".join(all_topics), ",".join(groups))
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"KafkaLedger failed ({done.returncode}): {done.stderr[-2000:]}")
    ledger = Ledger(ids={t: Counter() for t in read_topics}, events={t: [] for t in read_topics})
    for line in done.stdout.splitlines():
        kind, *rest = line.split("\t", 4)
        if kind == "R":
            topic, _partition, _offset, value = rest
            try:
                event = json.loads(value)
            except ValueError:
                event = {"id": None, "unparsed": value[:200]}
            ledger.ids[topic][str(event.get("id"))] += 1
            ledger.events[topic].append(event)
        elif kind == "E":
            topic, partition, end = rest
            ledger.ends[(topic, int(partition))] = int(end)
        elif kind == "C":
            group, topic, partition, offset = rest
            ledger.committed[(group, topic, int(partition))] = int(offset)
    return ledger
