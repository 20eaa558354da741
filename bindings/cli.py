"""`python -m bindings COMMAND`: the one command line; `python -m bindings --help` lists every command.

COMMANDS is the whole dispatch: each command's help, its arguments, and the function that does its
work (`module:function`, called with the parsed arguments, returning the exit status). That function
lives with its topic (bindings/commands.py for a data dir's embedded runtime, bindings/manifests for
rendering, bindings/devstack/commands.py for the real runtime) and is imported only when its command
runs, so `run` never loads the tooling.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bindings.triggers import resolve


@dataclass(frozen=True)
class Command:
    help: str
    does: str  # `module:function(args) -> exit status`
    arguments: Callable[[argparse.ArgumentParser], None] = lambda _: None
    data_dir: bool = False  # takes --data-dir
    log_level: str = "WARNING"  # unless LOG_LEVEL says otherwise
    parser: dict[str, Any] = field(default_factory=dict)  # options of its argparse parser


def _run(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)


def _token(p: argparse.ArgumentParser) -> None:
    p.add_argument("user")
    p.add_argument("--email")
    p.add_argument("--timezone")
    p.add_argument("--hours", type=float, default=24.0, help="validity (default 24)")


def _invoke(p: argparse.ArgumentParser) -> None:
    from bindings.table import FUNCTIONS

    p.add_argument("function", choices=sorted(FUNCTIONS))
    p.add_argument(
        "json",
        nargs="?",
        default=None,
        help='cron: the run\'s options; topic: a CloudEvent or its data; todo-api: {"method","path","body","user"}',
    )


def _stop(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="stop it even while a run or another process uses it")


def _manifests(p: argparse.ArgumentParser) -> None:
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 when a file differs")


def _dead_letters(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="action", required=True)
    data_dir = _data_dir()
    ls = actions.add_parser("list", parents=[data_dir], help="newest first; not yet replayed unless --all")
    ls.add_argument("--all", action="store_true", help="include those already replayed")
    ls.add_argument("--topic", help="only this dead-letter topic, e.g. task-events-dlq")
    ls.add_argument("--limit", type=int, default=50)
    for action, text in (("show", "print one with its original CloudEvent"), ("replay", "publish it again")):
        one = actions.add_parser(action, parents=[data_dir], help=text)
        one.add_argument("id", help="the dead letter's id, as `list` prints it")


def _provision(p: argparse.ArgumentParser) -> None:
    from bindings.devstack.commands import TIERS

    p.add_argument(
        "--tier",
        choices=sorted(TIERS),
        action="append",
        help="only this tier (repeatable): runtime = daprd, Kafka, Dapr CLI; cluster = etcd, kube-apiserver, CRDs;"
        " observability = promtool; contracts = the AsyncAPI 3.0 JSON Schema",
    )


def _dapr_up(p: argparse.ArgumentParser) -> None:
    p.add_argument("--infra-only", action="store_true", help="only Kafka, PostgreSQL and secrets (for `dapr run -f .`)")
    p.add_argument("--function", action="append", help="start only these functions (repeatable)")


def _dapr(p: argparse.ArgumentParser) -> None:
    p.add_argument("args", nargs=argparse.REMAINDER)


def _kube(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", type=Path, default=Path(".data/kube"), help="run dir (default .data/kube)")


COMMANDS: dict[str, Command] = {
    "run": Command("run every function in one process", "bindings.commands:run", _run, True, "INFO"),
    "stop": Command("stop the data dir's embedded PostgreSQL", "bindings.commands:stop", _stop, True),
    "token": Command("print a bearer token for USER", "bindings.commands:token", _token, True),
    "list": Command("print every function and its trigger", "bindings.commands:list_functions", data_dir=True),
    "invoke": Command("run one function's handler once, ad hoc", "bindings.commands:invoke", _invoke, True),
    "dead-letters": Command(
        "list | show ID | replay ID: the dead-lettered messages", "bindings.commands:dead_letters", _dead_letters, True
    ),
    "manifests": Command(
        "render every generated file (k8s/, Procfile, dapr.yaml, dapr/, docs sections) from the table",
        "bindings.manifests:command",
        _manifests,
    ),
    "provision": Command(
        "build or fetch into the cache what the runtime and cluster tiers need",
        "bindings.devstack.commands:provision",
        _provision,
    ),
    "dapr-up": Command(
        "start Kafka, PostgreSQL and every function with its daprd",
        "bindings.devstack.commands:dapr_up",
        _dapr_up,
        True,
    ),
    "dapr-down": Command(
        "stop everything dapr-up started in the data dir", "bindings.devstack.commands:dapr_down", data_dir=True
    ),
    # Every argument, dashes included (`dapr --version`, `dapr run -f .`), belongs to the Dapr CLI, not to us.
    "dapr": Command(
        "the provisioned Dapr CLI with our daprd (e.g. `dapr run -f .`)",
        "bindings.devstack.commands:dapr",
        _dapr,
        parser={"prefix_chars": "+", "add_help": False},
    ),
    "kube-up": Command("start etcd + kube-apiserver on loopback", "bindings.devstack.commands:kube_up", _kube),
    "kube-down": Command("stop what kube-up started", "bindings.devstack.commands:kube_down", _kube),
}


def _data_dir() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("TODO_DATA_DIR", ".data")),
        help="where PostgreSQL, the secrets file and mail live (default .data)",
    )
    return common


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bindings",
        description="The Todo functions on one machine, their rendered files, and the real runtime.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    data_dir = _data_dir()
    for name, command in COMMANDS.items():
        parents = [data_dir] if command.data_dir else []
        command.arguments(sub.add_parser(name, parents=parents, help=command.help, **command.parser))
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = COMMANDS[args.command]
    from bindings.observability import configure_logging

    configure_logging(os.environ.get("LOG_LEVEL", command.log_level))
    return resolve(command.does)(args)
