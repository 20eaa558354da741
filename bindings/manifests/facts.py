"""What the manifests need to know about each function, derived from the declaration table only.

Written against the table's public surface (`kind`, `subscription()`, `trigger`, routes) rather than
one trigger's fields, so that new functions, multi-topic subscribers and ad hoc routes render
without changes here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bindings.table import FUNCTIONS
from bindings.triggers import Cron, Function, Invoke

NAMESPACE = "todo-app"
PART_OF = "todo-functions"
APP_PORT = 8080
APP_CONTAINER = "function"  # the function's container in its pod; Dapr's injector adds "daprd"
SIDECAR_CONTAINER = "daprd"
SIDECAR_INTERNAL_GRPC = 50002  # daprd <-> daprd service invocation
SIDECAR_METRICS = 9090


def functions() -> list[Function]:
    return list(FUNCTIONS.values())


def subscriptions_of(fn: Function) -> list[dict[str, Any]]:
    """The entries this function answers on GET /dapr/subscribe (one per topic)."""
    return fn.subscriptions()


def topics_of(fn: Function) -> tuple[str, ...]:
    return tuple(s["topic"] for s in subscriptions_of(fn))


def dead_letter_topics_of(fn: Function) -> tuple[str, ...]:
    return tuple(s["deadLetterTopic"] for s in subscriptions_of(fn) if s.get("deadLetterTopic"))


def pubsubs_of(fn: Function) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s["pubsubname"] for s in subscriptions_of(fn)))


def is_topic(fn: Function) -> bool:
    return bool(subscriptions_of(fn))


def is_cron(fn: Function) -> bool:
    return isinstance(fn.trigger, Cron)


def is_invoke(fn: Function) -> bool:
    return isinstance(fn.trigger, Invoke)


def user_path_prefixes(fn: Function) -> tuple[str, ...]:
    """Ingress prefixes of an invoke function: the first two segments of its user routes (`/api/tasks`)."""
    if not isinstance(fn.trigger, Invoke):
        return ()
    prefixes = []
    for route in fn.trigger.routes:
        if route.auth != "user":
            continue
        segments = [s for s in route.path.split("/") if s][:2]
        prefixes.append("/" + "/".join(segments))
    return tuple(dict.fromkeys(prefixes))


def all_topics() -> tuple[str, ...]:
    """Every subscribed topic and every dead-letter topic, in table order."""
    names: list[str] = []
    for fn in functions():
        names += [*topics_of(fn), *dead_letter_topics_of(fn)]
    return tuple(dict.fromkeys(names))


def labels(fn: Function) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": fn.name,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/component": fn.kind,
    }


def selector(fn: Function) -> dict[str, str]:
    return {"app.kubernetes.io/name": fn.name}


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
