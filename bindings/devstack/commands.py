"""`python -m bindings provision | dapr-up | dapr-down | render`: the real runtime on this machine."""

from __future__ import annotations

import argparse
import sys
import time

from bindings.devstack.cache import ProvisionError
from bindings.devstack.procs import StartError


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser("provision", help="build or locate daprd and fetch the Kafka jars into the cache")
    up = sub.add_parser("dapr-up", parents=[common], help="start Kafka, PostgreSQL and every function with its daprd")
    up.add_argument(
        "--infra-only", action="store_true", help="only Kafka, PostgreSQL and secrets (for `dapr run -f .`)"
    )
    up.add_argument("--function", action="append", help="start only these functions (repeatable)")
    sub.add_parser("dapr-down", parents=[common], help="stop everything dapr-up started in the data dir")
    sub.add_parser("render", help="re-render dapr.yaml, dapr/standalone/ and dapr/cluster/ from their sources")


def provision(_: argparse.Namespace) -> int:
    from bindings.devstack import daprd, kafka, promtool

    try:
        started = time.monotonic()
        print(f"daprd: {daprd.ensure()} ({time.monotonic() - started:.0f}s)")
        started = time.monotonic()
        print(f"kafka: {kafka.ensure_jars()} ({time.monotonic() - started:.0f}s)")
        started = time.monotonic()
        print(f"promtool: {promtool.ensure()} ({time.monotonic() - started:.0f}s)")
    except ProvisionError as exc:
        print(f"provisioning failed: {exc}", file=sys.stderr)
        return 1
    return 0


def dapr_up(args: argparse.Namespace) -> int:
    from bindings.devstack.plan import fixed_plan
    from bindings.devstack.stack import Stack

    stack = Stack(args.data_dir)
    pairs = [] if args.infra_only else fixed_plan(args.function)
    try:
        stack.infra()
        not_ready = stack.start(pairs)
    except (ProvisionError, StartError, KeyError) as exc:
        print(f"dapr-up failed: {exc}\n(logs in {stack.log_dir}; `make dapr-down` stops what started)", file=sys.stderr)
        return 1
    ports = stack.write_ports(pairs)
    print(f"kafka      {stack.bootstrap}")
    print(f"{'function':<18} {'app':>6} {'http':>6} {'grpc':>6} {'metrics':>7}")
    for p in pairs:
        print(f"{p.name:<18} {p.app_port:>6} {p.http_port:>6} {p.grpc_port:>6} {p.metrics_port:>7}")
    for name, reason in not_ready.items():
        print(f"{name}: running but NOT READY: {reason}")
    print(f"logs in {stack.log_dir}; ports in {ports}; tokens in {stack.run_dir / 'tokens.json'}")
    return 0


def dapr_down(args: argparse.Namespace) -> int:
    from bindings.devstack.stack import Stack

    stopped = Stack(args.data_dir).down()
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return 0


def render(_: argparse.Namespace) -> int:
    from bindings.devstack.render import ROOT, write_all

    changed = write_all()
    for path in changed:
        print(f"wrote {path.relative_to(ROOT)}")
    if not changed:
        print("up to date")
    return 0


COMMANDS = {"provision": provision, "dapr-up": dapr_up, "dapr-down": dapr_down, "render": render}
