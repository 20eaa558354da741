"""`python -m bindings dead-letters list | show ID | replay ID`: the operator's side of dead-letters.

It calls the function's internal routes in-process, as `invoke` does, against the data dir's
database; a replay is published through the durable broker, so the running `run` delivers it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from urllib.parse import urlencode

FUNCTION = "dead-letters"


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(FUNCTION, parents=[common], help="list, show and replay dead-lettered messages")
    actions = p.add_subparsers(dest="action", required=True)
    ls = actions.add_parser("list", parents=[common], help="newest first; not yet replayed unless --all")
    ls.add_argument("--all", action="store_true", help="include those already replayed")
    ls.add_argument("--topic", help="only this dead-letter topic, e.g. task-events-dlq")
    ls.add_argument("--limit", type=int, default=50)
    for action, text in (("show", "print one with its original CloudEvent"), ("replay", "publish it again")):
        one = actions.add_parser(action, parents=[common], help=text)
        one.add_argument("id", help="the dead letter's id, as `list` prints it")


def run(args: argparse.Namespace) -> int:
    from bindings.embedded_runtime import Runtime

    runtime = Runtime.build(args.data_dir, functions=[FUNCTION], pool_size=2)
    try:
        client = runtime.apps[FUNCTION].test_client()
        if args.action == "list":
            query = {"limit": args.limit, "all": str(args.all).lower(), **({"topic": args.topic} if args.topic else {})}
            resp = client.get(f"/dead-letters?{urlencode(query)}")
        elif args.action == "show":
            resp = client.get(f"/dead-letters/{args.id}")
        else:
            resp = client.post(f"/dead-letters/{args.id}/replay")
        body = resp.get_json(silent=True)
        if resp.status_code >= 400:
            print(f"{args.action} failed: {(body or {}).get('detail', resp.status_code)}", file=sys.stderr)
            return 1
        _print(args.action, body)
        return 0
    finally:
        runtime.close()


def _print(action: str, body: dict[str, Any]) -> None:
    if action == "show":
        print(json.dumps(body, indent=2))
    elif action == "replay":
        print(f"replayed {body['id']}: event {body['event_id']} sent back to {body['original_topic']}")
    elif not body["items"]:
        print("no dead letters")
    else:
        for d in body["items"]:
            state = f"replayed x{d['replays']}" if d["replayed_at"] else "dead"
            print(
                f"{d['id']}  {d['received_at'][:19]}  {d['topic']:<18} {state:<12} {d['event_type'] or '-'}"
                f"  event={d['event_id']}  reason={d['reason'] or 'unknown'}"
            )
