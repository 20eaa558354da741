"""Transport envelopes -> typed input: CloudEvents, cron ticks, and HTTP route parameters.

JSON from the wire is read with `load_json`, at a bounded cost: Python's json module takes what
RFC 8259 does not (NaN, Infinity), turns `1e999` into inf, converts integer literals of any length
(quadratic in the digits, and a ValueError past 4300), and recurses once per nesting level (a
RecursionError, or a structure that breaks a later step). Each is an EnvelopeError that names it.
"""

from __future__ import annotations

import json
import math
import re
import typing
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class EnvelopeError(ValueError):
    """The transport envelope itself is unusable; the message can never succeed (DROP)."""


MAX_DEPTH = 64  # our own events nest about 5 deep; dead letters wrap them once more
MAX_INT_DIGITS = 20  # a 64-bit integer has at most 20


def load_json(raw: bytes | str, *, what: str = "the body") -> Any:
    """Parse JSON text; EnvelopeError for anything malformed, too deep, too long or not finite."""
    try:
        value = json.loads(raw, parse_int=_integer, parse_float=_finite, parse_constant=_constant)
    except RecursionError as exc:
        raise EnvelopeError(f"{what} nests deeper than {MAX_DEPTH} levels") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EnvelopeError(f"malformed JSON in {what}: {exc}") from exc
    _check_depth(value, what)
    return value


def _integer(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise EnvelopeError(f"an integer in the body has {digits} digits; at most {MAX_INT_DIGITS} are accepted")
    return int(text)


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise EnvelopeError(f"the number {text[:40]!r} is out of range")
    return value


def _constant(name: str) -> float:
    raise EnvelopeError(f"{name} is not JSON (RFC 8259 has no NaN or Infinity)")


def _check_depth(value: Any, what: str) -> None:
    """Iteratively, so that the check itself cannot run out of stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > MAX_DEPTH:
            raise EnvelopeError(f"{what} nests deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)


class CloudEventIn(BaseModel):
    """A structured CloudEvent 1.0 as daprd delivers it (Dapr adds topic, pubsubname, trace fields)."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, max_length=512)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    specversion: Literal["1.0"]
    datacontenttype: str | None = None
    data: Any = None
    subject: str | None = None
    time: str | None = None
    topic: str | None = None
    pubsubname: str | None = None
    traceparent: str | None = None

    def payload(self) -> Any:
        data = self.data
        # A producer that sent JSON as a string (datacontenttype application/json) still means an object.
        if isinstance(data, str | bytes) and (self.datacontenttype or "application/json").endswith("json"):
            return load_json(data, what="data")
        return data


def parse_cloudevent(body: bytes) -> CloudEventIn:
    raw = load_json(body)
    if not isinstance(raw, dict):
        raise EnvelopeError("a CloudEvent must be a JSON object")
    try:
        return CloudEventIn.model_validate(raw)
    except ValidationError as exc:
        raise EnvelopeError(f"not a CloudEvent 1.0: {describe(exc)}") from exc


_GO_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\.\d+)? \+0000 UTC")


def parse_read_time(header: str | None) -> datetime | None:
    """daprd's `readTimeUTC` header is Go's time.String(): '2026-10-05 07:25:42.93172757 +0000 UTC'."""
    if not header:
        return None
    m = _GO_TIME.match(header)
    if m:
        micros = (m.group(2) or ".0")[1:7].ljust(6, "0")
        return datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(microsecond=int(micros), tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(header)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def describe(exc: ValidationError) -> str:
    """One line naming each failing field, e.g. 'title: String should have at least 1 character'."""
    return "; ".join(f"{field_name(e['loc'])}: {e['msg']}" for e in exc.errors())


def field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "body"


def route_input(
    model: type[BaseModel], path: dict[str, Any], query: dict[str, list[str]], body: Any, source: str
) -> BaseModel:
    """Merge path parameters with the query or the JSON body and validate into the route's model."""
    if source == "body":
        if not isinstance(body, dict):
            raise EnvelopeError("the body must be a JSON object")
        clash = sorted(path.keys() & body.keys())
        if clash:
            raise EnvelopeError(f"{clash[0]} is taken from the URL and must not be in the body")
        data: dict[str, Any] = {**body, **path}
    elif source == "query":
        data = {**_flatten(model, query), **path}
    else:
        data = dict(path)
    return model.model_validate(data)


def _flatten(model: type[BaseModel], query: dict[str, list[str]]) -> dict[str, Any]:
    """Repeatable query parameters stay lists for list fields; others take a single value."""
    out: dict[str, Any] = {}
    for name, values in query.items():
        info = model.model_fields.get(name)
        annotation = info.annotation if info else None
        if typing.get_origin(annotation) is list:
            out[name] = values
        elif len(values) > 1:
            raise EnvelopeError(f"{name} is given {len(values)} times; it takes one value")
        else:
            out[name] = values[0]
    return out
