"""`python -m bindings run | token | list | invoke | stop | manifests`: the embedded runtime's command line."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from bindings import dead_letters_cli
from bindings.table import FUNCTIONS


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("TODO_DATA_DIR", ".data")),
        help="where PostgreSQL, the secrets file and mail live (default .data)",
    )
    p = argparse.ArgumentParser(prog="python -m bindings", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", parents=[common], help="run every function in one process")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    tok = sub.add_parser("token", parents=[common], help="print a bearer token for USER")
    tok.add_argument("user")
    tok.add_argument("--email")
    tok.add_argument("--timezone")
    tok.add_argument("--hours", type=float, default=24.0, help="validity (default 24)")
    sub.add_parser("list", parents=[common], help="print every function and its trigger")
    inv = sub.add_parser("invoke", parents=[common], help="run one function's handler once, ad hoc")
    inv.add_argument("function", choices=sorted(FUNCTIONS))
    inv.add_argument(
        "json",
        nargs="?",
        default=None,
        help='cron: the run\'s options; topic: a CloudEvent or its data; todo-api: {"method","path","body","user"}',
    )
    stop = sub.add_parser("stop", parents=[common], help="stop the data dir's embedded PostgreSQL")
    stop.add_argument("--force", action="store_true", help="stop it even while a run or another process uses it")
    man = sub.add_parser("manifests", help="render k8s/, the Procfile and dapr/ entries from the table")
    man.add_argument("--check", action="store_true", help="change nothing; exit 1 when a file differs")
    dead_letters_cli.add_parser(sub, common)
    from bindings.devstack.commands import add_parsers

    add_parsers(sub, common)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from bindings.observability import configure_logging

    configure_logging(os.environ.get("LOG_LEVEL", "INFO" if args.command == "run" else "WARNING"))
    from bindings.devstack.commands import COMMANDS

    commands = {"run": _run, "token": _token, "list": _list, "invoke": _invoke, "stop": _stop, "manifests": _manifests}
    return {**commands, "dead-letters": dead_letters_cli.run, **COMMANDS}[args.command](args)


def _run(args: argparse.Namespace) -> int:
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


def _token(args: argparse.Namespace) -> int:
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


def _list(_: argparse.Namespace) -> int:
    from bindings.schedules import cron_components

    schedules = {name: c.schedule.text for name, c in cron_components().items()}
    for fn in FUNCTIONS.values():
        print(f"{fn.name:<18} {fn.trigger.describe(schedules)}")
        if fn.summary:
            print(f"{'':<18} {fn.summary}")
    return 0


def _invoke(args: argparse.Namespace) -> int:
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


def _manifests(args: argparse.Namespace) -> int:
    from bindings import manifests

    if args.check:
        drift = manifests.differences()
        for path in drift:
            print(f"differs from the rendering: {path}")
        return 1 if drift else 0
    for path in manifests.write():
        print(f"wrote {path}")
    return 0


def _stop(args: argparse.Namespace) -> int:
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
