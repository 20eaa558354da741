"""Strimzi Kafka (KRaft, one dual-role KafkaNodePool) and a KafkaTopic for every topic and dead-letter topic.

Partitions cap a consumer group's parallelism (KEDA never runs more consumers than partitions), and
can be raised later but never lowered, while the Kafka key (the task id) keeps per-task order only
within one partition count. So topics start with enough partitions for the largest plan in
docs/deployment.md (12: one consumer pod handles >= 100 events/s, see the capacity section), and
dead-letter topics, which carry failures only, with 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bindings.manifests import facts
from bindings.table import all_topics
from functions.domain.dead_letters import dead_letter_topic, is_dead_letter_topic
from functions.domain.events import TOPICS

CLUSTER = "todo-kafka"
BOOTSTRAP = f"{CLUSTER}-kafka-bootstrap.{facts.NAMESPACE}.svc:9092"
DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicPlan:
    partitions: int
    retention_days: int
    why: str


MAIN = TopicPlan(12, 7, "a week to repair a broken consumer and replay; 12 consumers at most")
DEAD_LETTER = TopicPlan(3, 28, "failures only; four weeks to inspect and replay")


def plan_of(topic: str) -> TopicPlan:
    return DEAD_LETTER if is_dead_letter_topic(topic) else MAIN


def topic_names() -> tuple[str, ...]:
    """The published contract's topics, every subscribed topic, and a dead-letter topic for each."""
    names = [*TOPICS, *all_topics()]
    names += [dead_letter_topic(t) for t in names if not is_dead_letter_topic(t)]
    return tuple(dict.fromkeys(names))


def partitions(topic: str) -> int:
    return plan_of(topic).partitions


def kafka_topic(topic: str) -> dict[str, Any]:
    plan = plan_of(topic)
    return {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaTopic",
        "metadata": {
            "name": topic,
            "namespace": facts.NAMESPACE,
            "labels": {"strimzi.io/cluster": CLUSTER},
            "annotations": {"todo-functions/why": plan.why},
        },
        # replicas are left to the brokers' default.replication.factor, which each overlay sets.
        "spec": {
            "partitions": plan.partitions,
            "config": {
                "retention.ms": str(plan.retention_days * DAY_MS),
                "cleanup.policy": "delete",
                "max.message.bytes": "1048576",  # = the Dapr component's maxMessageBytes
            },
        },
    }


def kafka_cluster() -> list[dict[str, Any]]:
    """Base: three dual-role (KRaft controller + broker) nodes, replication 3, min.insync 2."""
    peers = [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": facts.PART_OF}}},
        # KEDA's operator reads consumer-group lag from the brokers.
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}}},
    ]
    kafka = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "Kafka",
        "metadata": {
            "name": CLUSTER,
            "namespace": facts.NAMESPACE,
            # Required before Strimzi made KRaft with node pools the only mode; ignored after.
            "annotations": {"strimzi.io/kraft": "enabled", "strimzi.io/node-pools": "enabled"},
        },
        "spec": {
            "kafka": {
                "listeners": [
                    {"name": "plain", "port": 9092, "type": "internal", "tls": False, "networkPolicyPeers": peers}
                ],
                "config": broker_config(replicas=3),
            },
            "entityOperator": {"topicOperator": {}},
        },
    }
    pool = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaNodePool",
        "metadata": {"name": "dual-role", "namespace": facts.NAMESPACE, "labels": {"strimzi.io/cluster": CLUSTER}},
        "spec": {
            "replicas": 3,
            "roles": ["controller", "broker"],
            "storage": {
                "type": "jbod",
                "volumes": [
                    {
                        "id": 0,
                        "type": "persistent-claim",
                        "size": "20Gi",
                        "deleteClaim": False,
                        "kraftMetadata": "shared",  # the KRaft metadata log shares the data volume
                    }
                ],
            },
            "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "2Gi"}},
        },
    }
    return [kafka, pool]


def broker_config(replicas: int) -> dict[str, Any]:
    """Durability follows the broker count: with 3, a write survives one broker loss (acks=all, min ISR 2)."""
    min_isr = 2 if replicas >= 3 else 1
    return {
        "default.replication.factor": replicas,
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": replicas,
        "transaction.state.log.replication.factor": replicas,
        "transaction.state.log.min.isr": min_isr,
        "auto.create.topics.enable": False,  # every topic is a KafkaTopic with a chosen partition count
        "num.partitions": MAIN.partitions,
    }


def render() -> list[dict[str, Any]]:
    return [*kafka_cluster(), *(kafka_topic(t) for t in topic_names())]
