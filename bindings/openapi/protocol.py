"""The routes every function serves besides its declared ones: /healthz, /metrics, /openapi.json, and the Dapr
app protocol its trigger speaks (bindings/app.py, topic_route.py, cron_route.py): /dapr/subscribe, the topic
delivery routes, the cron binding's route and its probe, and a cron function's ad hoc POST /run."""

from __future__ import annotations

from typing import Any

from bindings.envelopes import CloudEventIn
from bindings.openapi import replies, responses
from bindings.openapi.operations import JSON, Described, operation_id, result_model, security
from bindings.openapi.schemas import Key, Schemas
from bindings.triggers import CLOUDEVENTS_JSON, RUN_ROUTE, Cron, DeadLetterTopics, Function, Invoke, Topic, resolve

_REPLY_MODELS: list[Key] = [
    (replies.Problem, "serialization"),
    (replies.Health, "serialization"),
    (replies.TopicReply, "serialization"),
    (replies.BulkReply, "serialization"),
    (replies.Subscription, "serialization"),
    (CloudEventIn, "validation"),
    (replies.BulkDelivery, "validation"),
]


def protocol_models(fn: Function) -> list[Key]:
    wanted = list(_REPLY_MODELS)
    if isinstance(fn.trigger, Cron) and fn.input and fn.handler:
        wanted.append((resolve(fn.input), "validation"))
        if (result := result_model(fn.handler)) is not None:
            wanted.append((result, "serialization"))
    return wanted


def protocol_operations(fn: Function, schemas: Schemas, *, app_token: bool) -> list[Described]:
    ops = [_healthz(fn, schemas), _metrics(fn, app_token), _openapi(fn, app_token)]
    trigger = fn.trigger
    if isinstance(trigger, Invoke | Topic | DeadLetterTopics):
        ops.append(_subscribe(fn, schemas, app_token))
    if isinstance(trigger, Topic | DeadLetterTopics):
        for route, topic in trigger.delivery_routes().items():
            ops.append(_delivery(fn, route, topic, schemas, app_token, bulk=trigger.bulk is not None))
        if trigger.ignored_route:
            ops.append(_ignored(fn, trigger.ignored_route, schemas, app_token))
    if isinstance(trigger, Cron):
        ops += [_probe(fn, trigger, app_token), _tick(fn, trigger, app_token), _run(fn, schemas, app_token)]
    return ops


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _op(fn: Function, name: str, summary: str, responses_: dict[str, Any], *, app_token: bool, **extra: Any) -> dict:
    op = {"operationId": operation_id(fn, name), "tags": [fn.name], "summary": summary, **extra}
    if app_token and "401" not in responses_:
        responses_ = {**responses_, "401": responses.unauthorized(user=False, app_token=True)}
    op["responses"] = dict(sorted(responses_.items()))
    op["security"] = security(user=False, app_token=app_token)
    return op


def _healthz(fn: Function, schemas: Schemas) -> Described:
    health = schemas.ref(replies.Health, "serialization")
    op = _op(
        fn,
        "healthz",
        "Readiness, for Kubernetes and daprd's app health check; never needs the app token",
        {"200": _json(health, "Ready"), "503": _json(health, "Not ready: `reason` says why")},
        app_token=False,
    )
    return Described("get", "/healthz", op)


def _metrics(fn: Function, app_token: bool) -> Described:
    text = {"description": "Prometheus text exposition", "content": {"text/plain": {"schema": {"type": "string"}}}}
    return Described("get", "/metrics", _op(fn, "metrics", "Prometheus metrics", {"200": text}, app_token=app_token))


def _openapi(fn: Function, app_token: bool) -> Described:
    doc = _json({"type": "object"}, "This function's OpenAPI 3.1 document")
    summary = "This function's own routes as an OpenAPI 3.1 document"
    return Described("get", "/openapi.json", _op(fn, "openapi", summary, {"200": doc}, app_token=app_token))


def _subscribe(fn: Function, schemas: Schemas, app_token: bool) -> Described:
    entries = {"type": "array", "items": schemas.ref(replies.Subscription, "serialization")}
    op = _op(
        fn,
        "subscribe",
        "Dapr programmatic subscriptions: the topics it takes, their routes and dead-letter topics",
        {"200": _json(entries, "The subscriptions (none for an invoke function)")},
        app_token=app_token,
    )
    return Described("get", "/dapr/subscribe", op)


def _verdict(schemas: Schemas, *, bulk: bool) -> dict[str, Any]:
    single = schemas.ref(replies.TopicReply, "serialization")
    if not bulk:
        return _json(single, "The verdict: SUCCESS, RETRY or DROP (with the reason)")
    either = {"anyOf": [single, schemas.ref(replies.BulkReply, "serialization")]}
    return _json(either, "The verdict; for a bulk delivery, one per entry")


def _delivery(fn: Function, route: str, topic: str, schemas: Schemas, app_token: bool, *, bulk: bool) -> Described:
    content = {CLOUDEVENTS_JSON: {"schema": schemas.ref(CloudEventIn, "validation")}}
    if bulk:
        content[JSON] = {"schema": schemas.ref(replies.BulkDelivery, "validation")}
    limit = responses.USER_BODY_LIMIT if fn.trigger.user_facing else responses.DELIVERY_BODY_LIMIT
    op = _op(
        fn,
        f"deliver.{topic}",
        f"daprd delivers a `{topic}` event (structured CloudEvent; payloads: docs/asyncapi.json)",
        {"200": _verdict(schemas, bulk=bulk), "413": responses.problem(f"The body exceeds {limit} bytes")},
        app_token=app_token,
        requestBody={"required": True, "content": content},
        description="Never an error for a bad event: it is dropped to the dead-letter topic with its reason.",
    )
    return Described("post", route, op)


def _ignored(fn: Function, route: str, schemas: Schemas, app_token: bool) -> Described:
    content = {CLOUDEVENTS_JSON: {"schema": {}}}
    reply = _json(schemas.ref(replies.TopicReply, "serialization"), "Always SUCCESS")
    summary = "Events its subscription's rule does not select: acknowledged, nothing run"
    op = _op(fn, "ignored", summary, {"200": reply}, app_token=app_token, requestBody={"content": content})
    return Described("post", route, op)


def _probe(fn: Function, trigger: Cron, app_token: bool) -> Described:
    allow = {"Allow": {"description": "OPTIONS, POST", "schema": {"type": "string"}}}
    ok = {"description": "It listens for the binding", "headers": allow}
    summary = f"daprd's start-up probe of the `{trigger.binding}` binding"
    return Described("options", trigger.route, _op(fn, "probe", summary, {"200": ok}, app_token=app_token))


def _tick(fn: Function, trigger: Cron, app_token: bool) -> Described:
    parameters = [
        {
            "name": "readTimeUTC",
            "in": "header",
            "required": False,
            "description": "when daprd fired, Go's time.String() (`2026-10-05 07:25:42.93 +0000 UTC`)",
            "schema": {"type": "string"},
        }
    ]
    replies_ = {
        "200": {"description": "Done, or the tick was already claimed by another replica (empty)"},
        "500": responses.problem("The run failed: daprd counts the tick failed; the next tick runs again"),
    }
    summary = f"A tick of the `{trigger.binding}` cron binding: runs once per tick however many replicas"
    op = _op(fn, "tick", summary, replies_, app_token=app_token, parameters=parameters)
    return Described("post", trigger.route, op)


def _run(fn: Function, schemas: Schemas, app_token: bool) -> Described:
    assert fn.handler and fn.input
    model = resolve(fn.input)
    result = result_model(fn.handler)
    done: dict[str, Any] = {"description": "Done"}
    if result is not None:
        done = _json(schemas.ref(result, "serialization"), "What the run did")
    replies_ = {
        "200": done,
        **responses.body_errors(responses.DELIVERY_BODY_LIMIT, checks_media_type=False),
        "422": responses.problem("An unknown or invalid option: `errors` names it"),
        "503": responses.problem("The database is unavailable: retry later"),
    }
    body = {"required": False, "content": {JSON: {"schema": schemas.ref(model, "validation")}}}
    summary = "Run it now, ad hoc (no tick claim): the run's options, or no body for the defaults"
    name = fn.handler.rpartition(":")[2]
    return Described("post", RUN_ROUTE, _op(fn, name, summary, replies_, app_token=app_token, requestBody=body))
