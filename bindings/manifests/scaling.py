"""Each function scales on its own signal: Kafka lag (KEDA), CPU (HPA), or not at all (cron)."""

from __future__ import annotations

from typing import Any

from bindings.manifests import facts, kafka
from bindings.table import pubsubs_of, topics_of
from bindings.triggers import Function

LAG_THRESHOLD = 50  # target lag per replica: well under a second of one pod's work (docs/deployment.md)
INVOKE_MIN, INVOKE_MAX = 2, 10
CPU_TARGET = 70  # percent of the request: leaves headroom for the sidecar and bursts while pods start


def scaled_object(fn: Function, pubsub: dict[str, Any], offset_reset: str) -> dict[str, Any]:
    """KEDA kafka triggers, one per topic, on the consumer group Dapr uses: the app id."""
    brokers = next(m["value"] for m in pubsub["spec"]["metadata"] if m["name"] == "brokers")
    topics = topics_of(fn)
    triggers = [
        {
            "type": "kafka",
            "name": f"lag-{topic}",
            "metadata": {
                "bootstrapServers": brokers,
                "consumerGroup": fn.name,
                "topic": topic,
                "lagThreshold": str(LAG_THRESHOLD),
                "activationLagThreshold": "0",
                "offsetResetPolicy": offset_reset,
                # More consumers than partitions would sit idle: cap at the partition count.
                "allowIdleConsumers": "false",
                "scaleToZeroOnInvalidOffset": "false",
            },
        }
        for topic in topics
    ]
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": fn.name, "namespace": facts.NAMESPACE, "labels": facts.labels(fn)},
        "spec": {
            "scaleTargetRef": {"name": fn.name},
            "minReplicaCount": 0,
            "maxReplicaCount": max_replicas(fn),
            "pollingInterval": 15,
            # At zero there is no sidecar and no consumer: wait for a quiet spell before dropping the last pod.
            "cooldownPeriod": 300,
            "advanced": {
                "horizontalPodAutoscalerConfig": {"behavior": {"scaleDown": {"stabilizationWindowSeconds": 120}}}
            },
            "triggers": triggers,
        },
    }


def max_replicas(fn: Function) -> int:
    """A consumer group never uses more consumers than the largest of its topics has partitions."""
    return max(kafka.partitions(t) for t in topics_of(fn))


def cpu_autoscaler(fn: Function) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": fn.name, "namespace": facts.NAMESPACE, "labels": facts.labels(fn)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": fn.name},
            "minReplicas": INVOKE_MIN,
            "maxReplicas": INVOKE_MAX,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": CPU_TARGET}},
                }
            ],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
        },
    }


def render(fn: Function, pubsubs: dict[str, dict[str, Any]], offset_reset: dict[str, str]) -> list[dict[str, Any]]:
    if topics_of(fn):
        (name,) = pubsubs_of(fn)  # one consumer group per app id and pub/sub component
        return [scaled_object(fn, pubsubs[name], offset_reset[name])]
    if fn.trigger.user_facing:
        return [cpu_autoscaler(fn)]
    return []  # cron: fixed replicas on the Deployment
