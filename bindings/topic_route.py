"""Topic functions: /dapr/subscribe from the table, CloudEvent delivery, inbox dedupe, outcome reply."""

from __future__ import annotations

import functools
import json
import logging

from flask import Flask, Response, jsonify, request

from bindings.envelopes import EnvelopeError, parse_cloudevent
from bindings.instrument import measured
from bindings.outcomes import Outcome, classify, topic_reply
from bindings.triggers import DeadLetterTopics, Function, Topic, resolve
from functions.context import Context
from functions.deps import Deps
from functions.store import inbox

log = logging.getLogger("bindings.topic")


def install(app: Flask, fn: Function, deps: Deps) -> None:
    trigger = fn.trigger
    assert isinstance(trigger, Topic | DeadLetterTopics) and fn.handler and fn.input
    handler = resolve(fn.handler)
    model = resolve(fn.input)

    @app.get("/dapr/subscribe")
    def subscribe() -> Response:
        return jsonify(fn.subscriptions())

    def deliver(topic: str) -> Response:
        with measured(fn.name, "topic") as run:
            outcome, reason = deliver_one(request.get_data(), fn, deps, handler, model, topic)
            run.outcome = outcome.value.lower()
        return topic_reply(outcome, reason)

    if isinstance(trigger, Topic):
        routes = {trigger.route: trigger.topic}

        @app.post(f"{trigger.route}/ignored", endpoint="ignored")
        def ignored() -> Response:
            # Events this function's CEL rule does not select: acknowledged, nothing to do.
            return topic_reply(Outcome.SUCCESS)

    else:
        routes = {trigger.route_of(topic): topic for topic in trigger.topics}
    for route, topic in routes.items():
        app.add_url_rule(route, f"deliver:{topic}", functools.partial(deliver, topic), methods=["POST"])


def deliver_one(
    body: bytes, fn: Function, deps: Deps, handler: object, model: type, topic: str
) -> tuple[Outcome, str | None]:
    """Parse, dedupe and run; every DROP is logged with its reason, which also goes back in the reply."""
    event_id = None
    try:
        event = parse_cloudevent(body)
        event_id = event.id
        whole = isinstance(fn.trigger, DeadLetterTopics)
        # dead-letters takes the whole CloudEvent, and dedupes itself: the same id may rightly come
        # back after a replay, which an inbox row would hide.
        data = model.model_validate({"topic": topic, "event": json.loads(body)} if whole else event.payload())
        ctx = Context(function=fn.name, event_id=event.id, event_type=event.type)
        with deps.db.transaction() as tx:
            if not whole and not inbox.first_delivery(tx, fn.name, event.id):
                log.info("duplicate delivery acknowledged", extra={"event_id": event.id, "function": fn.name})
                return Outcome.SUCCESS, None
            handler(data, deps, ctx)  # type: ignore[operator]
        return Outcome.SUCCESS, None
    except Exception as exc:
        outcome, reason = classify(exc)
        level = logging.WARNING if outcome is Outcome.DROP else logging.ERROR
        log.log(
            level,
            "event %s",
            outcome.value,
            exc_info=not isinstance(exc, EnvelopeError | ValueError),
            extra={"event_id": event_id, "function": fn.name, "outcome": outcome.value, "reason": reason},
        )
        return outcome, reason
