"""The work of the commands that run on one machine's data dir: run, stop, token, list, invoke, dead-letters.

Each takes the arguments bindings/cli.py parsed and returns the exit status. `invoke` and
`dead-letters` call a function's routes in-process, against the data dir's database, beside a
running `run`; a dead-letters replay is published through the durable broker, so that `run`
delivers it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import Any
from urllib.parse import urlencode

from bindings.table import FUNCTIONS

DEAD_LETTERS = "dead-letters"


def run(args: argparse.Namespace) -> int:
    from bindings.embedded import datadir_lock, postgres
    from bindings.embedded_runtime import PortInUse, serve

    # First of all: a second `run` on this data dir must not start, bind, migrate or stop anything.
    try:
        lock = datadir_lock.RunLock(args.data_dir).acquire()
    except datadir_lock.DataDirBusy as exc:
        print(f"not started: {exc}", file=sys.stderr)
        return 1

    def _terminate(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        serve(args.data_dir, args.host, args.port)
    except PortInUse as exc:
        print(f"not started: {exc}", file=sys.stderr)
        return 1
    finally:
        postgres.release(args.data_dir)  # stops it only when no invoke or dead-letters still uses it
        lock.release()
    return 0


def stop(args: argparse.Namespace) -> int:
    from bindings.embedded import datadir_lock, postgres

    holder = datadir_lock.run_holder(args.data_dir)
    if holder is not None and not args.force:
        pid = f" (pid {holder})" if holder else ""
        print(
            f"not stopped: `python -m bindings run`{pid} is using {args.data_dir}; stop it (Ctrl-C or SIGTERM),"
            " which stops PostgreSQL too, or pass --force",
            file=sys.stderr,
        )
        return 1
    if postgres.stop(args.data_dir, force=args.force):
        print("stopped")
        return 0
    if postgres.running(args.data_dir):
        print(
            "not stopped: another process (invoke, dead-letters, a test run) is using it; --force stops it anyway",
            file=sys.stderr,
        )
        return 1
    print("not running")
    return 0


def token(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from bindings import auth
    from bindings.embedded.secrets import FileSecrets, ensure_file
    from bindings.wiring import settings_from_env

    if args.timezone:
        from functions.domain.types import is_zone

        if not is_zone(args.timezone):
            print(f"unknown IANA time zone {args.timezone!r}", file=sys.stderr)
            return 2
    settings = settings_from_env(args.data_dir)
    key = auth.signing_key(FileSecrets(ensure_file(args.data_dir)))
    print(
        auth.issue(
            key,
            settings,
            args.user,
            email=args.email,
            timezone=args.timezone,
            ttl=timedelta(hours=args.hours),
        )
    )
    return 0


def list_functions(_: argparse.Namespace) -> int:
    from bindings.schedules import cron_components

    schedules = {name: c.schedule.text for name, c in cron_components().items()}
    for fn in FUNCTIONS.values():
        print(f"{fn.name:<18} {fn.trigger.describe(schedules)}")
        if fn.summary:
            print(f"{'':<18} {fn.summary}")
    return 0


def invoke(args: argparse.Namespace) -> int:
    from bindings.embedded_runtime import Runtime

    fn = FUNCTIONS[args.function]
    try:
        payload = json.loads(args.json) if args.json else None
    except json.JSONDecodeError as exc:
        print(f"JSON argument is malformed: {exc}", file=sys.stderr)
        return 2
    call = fn.trigger.adhoc(payload)
    runtime = Runtime.build(args.data_dir, functions=[fn.name], pool_size=2)
    try:
        deps = runtime.deps[fn.name]
        headers = {}
        if call.user:
            from bindings import auth

            headers["Authorization"] = "Bearer " + auth.issue(auth.signing_key(deps.secrets), deps.settings, call.user)
        sent = {} if call.body is None else {"data": json.dumps(call.body), "content_type": call.content_type}
        resp = runtime.apps[fn.name].test_client().open(call.path, method=call.method, headers=headers, **sent)
        body = resp.get_data(as_text=True)
        print(body if body else f"HTTP {resp.status_code}")
        return 0 if resp.status_code < 400 and '"RETRY"' not in body and '"DROP"' not in body else 1
    finally:
        runtime.close()


def dead_letters(args: argparse.Namespace) -> int:
    from bindings.embedded_runtime import Runtime

    runtime = Runtime.build(args.data_dir, functions=[DEAD_LETTERS], pool_size=2)
    try:
        client = runtime.apps[DEAD_LETTERS].test_client()
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
        _print_dead_letters(args.action, body)
        return 0
    finally:
        runtime.close()


def _print_dead_letters(action: str, body: dict[str, Any]) -> None:
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
