"""docs/events.md: docs/asyncapi.json for people (topics, types, payload fields, who sends and who receives)."""

from __future__ import annotations

from typing import Any

HEADER = """\
# Events

<!-- Rendered from docs/asyncapi.json by `python -m bindings manifests` (bindings/asyncapi/markdown.py): do not
edit by hand; `python -m bindings manifests --check` fails when it no longer matches. -->

The functions talk through three topics on Dapr pub/sub (Kafka) and a dead-letter topic for each. The
machine-readable contract is [asyncapi.json](asyncapi.json) (AsyncAPI 3.0); the HTTP routes are in
[openapi.json](openapi.json) and [api.md](api.md).

"""


def render(doc: dict[str, Any]) -> str:
    about = doc["info"]["description"].partition(" The HTTP routes:")[0]  # the header links the rest
    out = [HEADER, about, "\n\n## The envelope\n\n"]
    envelope = doc["components"]["schemas"]["CloudEvent"]
    out.append("| attribute | required | what it holds |\n|---|---|---|\n")
    for name, prop in envelope["properties"].items():
        required = "yes" if name in envelope["required"] else "no"
        out.append(f"| `{name}` | {required} | {_what(prop)} |\n")
    out.append("\n## Topics\n\n| topic | what | sent by | received by | partitions |\n|---|---|---|---|---|\n")
    for name, channel in doc["channels"].items():
        senders, receivers = _parties(doc, name)
        count = channel["bindings"]["kafka"]["partitions"]
        out.append(f"| `{name}` | {_cell(channel['description'])} | {senders} | {receivers} | {count} |\n")
    out.append("\n## Event types\n")
    for name, message in doc["components"]["messages"].items():
        out.append(_message(doc, name, message))
    return "".join(out).rstrip() + "\n"


def _parties(doc: dict[str, Any], channel: str) -> tuple[str, str]:
    found: dict[str, list[str]] = {"send": [], "receive": []}
    for key, op in doc["operations"].items():
        if op["channel"]["$ref"] == f"#/channels/{channel}":
            party = f"`{op['x-function']}`"
            found[op["action"]].append(f"daprd, for {party}" if ".dead-letter." in key else party)
    return ", ".join(dict.fromkeys(found["send"])) or "-", ", ".join(dict.fromkeys(found["receive"])) or "-"


def _message(doc: dict[str, Any], name: str, message: dict[str, Any]) -> str:
    ref = f"/messages/{name}"
    topics = [ch for ch, channel in doc["channels"].items() if name in channel["messages"] and "-dlq" not in ch]
    senders = sorted({op["x-function"] for op in doc["operations"].values() if _carries(op, ref, topics, "send")})
    receivers = sorted({op["x-function"] for op in doc["operations"].values() if _carries(op, ref, topics, "receive")})
    data = message["payload"]["allOf"][1]["properties"]["data"]["$ref"].rsplit("/", 1)[1]
    lines = [
        f"\n### `{message['name']}`\n\n{message['summary']}.\n\n",
        f"- topic: {', '.join(f'`{t}`' for t in topics)}\n",
        f"- sent by: {', '.join(f'`{s}`' for s in senders) or '-'}\n",
        f"- received by: {', '.join(f'`{r}`' for r in receivers) or '-'}\n",
        f"- Kafka key (`partitionkey`): {message['bindings']['kafka']['key']['description']}\n",
        f"- `data` ({data}):\n\n| field | type | required | notes |\n|---|---|---|---|\n",
    ]
    schema = doc["components"]["schemas"][data]
    for field, prop in schema.get("properties", {}).items():
        required = "yes" if field in schema.get("required", []) else "no"
        lines.append(f"| `{field}` | {_type(prop)} | {required} | {_cell(prop.get('description', ''))} |\n")
    return "".join(lines)


def _carries(op: dict[str, Any], ref: str, topics: list[str], action: str) -> bool:
    return op["action"] == action and any(
        m["$ref"].endswith(ref) and m["$ref"].startswith(f"#/channels/{t}/") for m in op["messages"] for t in topics
    )


def _type(prop: dict[str, Any]) -> str:
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"])
    if "const" in prop:
        return f"`{prop['const']}`"
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    kind = prop.get("type", "any")
    if kind == "array":
        return f"array of {_type(prop.get('items', {}))}"
    fmt = prop.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def _what(prop: dict[str, Any]) -> str:
    if "const" in prop:
        return f"`{prop['const']}`"
    return _cell(prop.get("description", ""))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
