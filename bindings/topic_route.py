"""Topic functions: /dapr/subscribe from the table, CloudEvent delivery, inbox dedupe, outcome reply."""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

from flask import Flask, Response, jsonify, request

from bindings.envelopes import EnvelopeError, load_json, parse_cloudevent
from bindings.instrument import measured
from bindings.observability import metrics
from bindings.outcomes import Outcome, classify, topic_reply
from bindings.triggers import DeadLetterTopics, Function, Topic, resolve
from functions.context import Context
from functions.deps import Deps
from functions.errors import Rejected
from functions.store import inbox

log = logging.getLogger("bindings.topic")


def install(app: Flask, fn: Function, deps: Deps) -> None:
    trigger = fn.trigger
    assert isinstance(trigger, Topic | DeadLetterTopics) and fn.handler and fn.input  # bindings.app.INSTALLERS
    handler = resolve(fn.handler)
    model = resolve(fn.input)
    bulk = trigger.bulk is not None

    @app.get("/dapr/subscribe")
    def subscribe() -> Response:
        return jsonify(trigger.subscriptions())

    def deliver(topic: str) -> Response:
        body = request.get_data()
        entries = _bulk_entries(body) if bulk else None
        events = metrics().topic_events
        if entries is not None:
            with measured(fn.name, "topic") as run:
                statuses = deliver_bulk(entries, fn, deps, handler, model, topic)
                run.outcome = "bulk"
            # Counted once the batch's fate is known: a failed commit turns every entry into RETRY.
            for status in statuses:
                events.labels(fn.name, topic, status["status"]).inc()
            return jsonify({"statuses": statuses})
        with measured(fn.name, "topic") as run:
            outcome, reason = deliver_one(body, fn, deps, handler, model, topic)
            run.outcome = outcome.value.lower()
        events.labels(fn.name, topic, outcome.value).inc()
        return topic_reply(outcome, reason)

    if trigger.ignored_route:

        @app.post(trigger.ignored_route, endpoint="ignored")
        def ignored() -> Response:
            # Events this function's CEL rule does not select: acknowledged, nothing to do.
            return topic_reply(Outcome.SUCCESS)

    for route, topic in trigger.delivery_routes().items():
        app.add_url_rule(route, f"deliver:{topic}", functools.partial(deliver, topic), methods=["POST"])


def deliver_one(
    body: bytes, fn: Function, deps: Deps, handler: object, model: type, topic: str
) -> tuple[Outcome, str | None]:
    """Parse, dedupe and run; every DROP is logged with its reason, which also goes back in the reply."""
    event_id = None
    try:
        event = parse_cloudevent(body)
        event_id = event.id
        whole = fn.trigger.whole_event
        data = model.model_validate({"topic": topic, "event": load_json(body)} if whole else event.payload())
        ctx = Context(function=fn.name, event_id=event.id, event_type=event.type)
        rejected: Rejected | None = None
        with deps.db.transaction() as tx:
            if not whole and not inbox.first_delivery(tx, fn.name, event.id):
                log.info("duplicate delivery acknowledged", extra={"event_id": event.id, "function": fn.name})
                return Outcome.SUCCESS, None
            try:
                handler(data, deps, ctx)  # type: ignore[operator]
            except Rejected as exc:
                rejected = exc  # the handler recorded why; commit that with the inbox entry, then drop
        if rejected is not None:
            raise rejected
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


def _bulk_entries(body: bytes) -> list[dict[str, Any]] | None:
    """The entries of daprd's bulk envelope, or None when the body is a single CloudEvent."""
    try:
        parsed = load_json(body)
    except EnvelopeError:
        return None  # then delivered as a single event, whose parse names the fault
    entries = parsed.get("entries") if isinstance(parsed, dict) and "specversion" not in parsed else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else None


def deliver_bulk(
    entries: list[dict[str, Any]], fn: Function, deps: Deps, handler: object, model: type, topic: str
) -> list[dict[str, str]]:
    """Every entry in its own savepoint of ONE transaction: one commit per batch, one status per entry."""
    statuses: list[dict[str, str]] = []
    try:
        with deps.db.transaction():
            for entry in entries:
                event = entry.get("event")
                raw = json.dumps(event).encode() if isinstance(event, dict) else str(event or "").encode()
                outcome, _ = deliver_one(raw, fn, deps, handler, model, topic)
                statuses.append({"entryId": str(entry.get("entryId", "")), "status": outcome.value})
    except Exception as exc:
        # The batch's commit failed, so nothing of it holds: every entry is retried.
        log.error("bulk delivery failed", extra={"function": fn.name, "error": repr(exc), "entries": len(entries)})
        return [{"entryId": str(e.get("entryId", "")), "status": Outcome.RETRY.value} for e in entries]
    return statuses
