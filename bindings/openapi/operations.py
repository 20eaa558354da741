"""A declared route of the table -> an OpenAPI operation: parameters and body from its input model, the answer
from its handler's return annotation, its errors from bindings/openapi/responses.py, its security from `auth`."""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from bindings.openapi import responses
from bindings.openapi.schemas import Key, Schemas, parameter_schema
from bindings.triggers import Function, Route, resolve

JSON = "application/json"
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def openapi_path(flask_path: str) -> str:
    """`/api/tasks/<id>` -> `/api/tasks/{id}`."""
    return _PARAM.sub(r"{\1}", flask_path)


def path_names(flask_path: str) -> list[str]:
    return _PARAM.findall(flask_path)


def result_model(handler: str) -> type[BaseModel] | None:
    """What the handler returns, by its annotation: a model, or None for an empty answer (204)."""
    hint = typing.get_type_hints(resolve(handler)).get("return", type(None))
    if hint is type(None):
        return None
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return hint
    raise TypeError(f"{handler}: annotate the return as a pydantic model or None, not {hint!r}")


def security(*, user: bool, app_token: bool) -> list[dict[str, list[str]]]:
    """User routes take the bearer token; every route but /healthz takes the app token where one is configured."""
    required: dict[str, list[str]] = {}
    if user:
        required["bearerAuth"] = []
    if app_token:
        required["appToken"] = []
    return [required] if required else []


def operation_id(fn: Function, name: str) -> str:
    return f"{fn.name}.{name}"


def handler_name(route: Route) -> str:
    return route.handler.rpartition(":")[2]


@dataclass(frozen=True)
class Described:
    """One operation and where it lives: the path as the function serves it."""

    method: str
    path: str
    operation: dict[str, Any]
    user: bool = False  # a user route: users reach it at this path (an ingress; the embedded runtime)


def route_models(route: Route) -> list[Key]:
    wanted: list[Key] = [(resolve(route.input), "validation")]
    if (result := result_model(route.handler)) is not None:
        wanted.append((result, "serialization"))
    return wanted


def route_operation(fn: Function, route: Route, schemas: Schemas, *, app_token: bool) -> Described:
    model: type[BaseModel] = resolve(route.input)
    properties, required = schemas.fields(model)
    in_path = path_names(route.path)
    parameters = [_parameter(name, "path", properties[name], required=True) for name in in_path]
    op: dict[str, Any] = {
        "operationId": operation_id(fn, handler_name(route)),
        "tags": [fn.name],
        "summary": route.summary or _missing_summary(fn, route),
    }
    if route.source == "query":
        parameters += [
            _parameter(name, "query", prop, required=name in required)
            for name, prop in properties.items()
            if name not in in_path
        ]
    if parameters:
        op["parameters"] = parameters
    if route.source == "body":
        body = schemas.body_without(model, set(in_path))
        op["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    user = route.auth == "user"
    errors = responses.route_errors(
        route, user_facing=fn.trigger.user_facing, has_fields=bool(properties), app_token=app_token
    )
    op["responses"] = dict(sorted({**_success(route, schemas, user=user), **errors}.items()))
    op["security"] = security(user=user, app_token=app_token)
    return Described(route.method.lower(), openapi_path(route.path), op, user)


def _missing_summary(fn: Function, route: Route) -> str:
    raise ValueError(f"{fn.name}: {route.method} {route.path} has no summary in bindings/table.py")


def _success(route: Route, schemas: Schemas, *, user: bool) -> dict[str, Any]:
    result = result_model(route.handler)
    reply: dict[str, Any]
    if result is None:
        status = 204 if route.status in (200, 204) else route.status
        reply = {"description": "Done; no content"}
    else:
        status = route.status
        reply = {"description": result.__doc__.strip().partition("\n")[0] if result.__doc__ else result.__name__}
        reply["content"] = {JSON: {"schema": schemas.ref(result, "serialization")}}
    if user:
        reply["headers"] = responses.header_refs(list(responses.RATE_LIMIT_HEADERS))
    return {str(status): reply}


def _parameter(name: str, where: str, prop: dict[str, Any], *, required: bool) -> dict[str, Any]:
    schema = parameter_schema(prop)
    parameter: dict[str, Any] = {"name": name, "in": where, "required": required, "schema": schema}
    if prop.get("description"):
        parameter["description"] = prop["description"]
    if schema.get("type") == "array":
        parameter.update(style="form", explode=True)  # ?tag=a&tag=b
    return parameter


def links(fn: Function, created: Route, described_ops: list[tuple[Route, Described]]) -> dict[str, Any]:
    """From a route that creates (201) a resource to every route of the function under that resource's path,
    its path parameter taken from the created resource's id: schemathesis's stateful phase follows them."""
    result = result_model(created.handler)
    if created.status != 201 or result is None:
        return {}
    id_field = _id_field(result)
    if id_field is None:
        return {}
    out: dict[str, Any] = {}
    for route, described_op in described_ops:
        names = path_names(route.path)
        if len(names) == 1 and route.path.startswith(created.path + "/<"):
            op_id = described_op.operation["operationId"]
            out[op_id.partition(".")[2]] = {
                "operationId": op_id,
                "parameters": {names[0]: f"$response.body#/{id_field}"},
            }
    return out


def _id_field(model: type[BaseModel]) -> str | None:
    """The field naming what was created: `id`, else the one `*_id` field."""
    names = list(model.model_fields)
    if "id" in names:
        return "id"
    ids = [n for n in names if n.endswith("_id")]
    return ids[0] if len(ids) == 1 else None
