"""The work of the real runtime's commands: provision, dapr-up, dapr-down, dapr, kube-up, kube-down.

Each takes the arguments bindings/cli.py parsed and returns the exit status.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable

from bindings.devstack.cache import ProvisionError
from bindings.devstack.procs import StartError


def _runtime_stages() -> list[tuple[str, Callable[[], object]]]:
    from bindings.devstack import dapr_cli, daprd, kafka

    # daprd first: the longest build, and the one tests/dapr needs; the CLI reuses its standard library.
    return [("daprd", daprd.ensure), ("kafka", kafka.ensure_jars), ("dapr CLI", dapr_cli.ensure)]


def _cluster_stages() -> list[tuple[str, Callable[[], object]]]:
    from bindings.devstack import crds, kube

    # etcd first: 30 s, so a broken Go toolchain shows before the 5-minute kube-apiserver build.
    return [("etcd", kube.ensure_etcd), ("kube-apiserver + kubectl", kube.ensure_kube), ("CRDs", crds.ensure)]


def _observability_stages() -> list[tuple[str, Callable[[], object]]]:
    from bindings.devstack import promtool

    return [("promtool", promtool.ensure)]  # tests/k8s/test_alert_rules.py


def _contracts_stages() -> list[tuple[str, Callable[[], object]]]:
    from bindings.devstack import asyncapi_schema

    return [("AsyncAPI 3.0 schema", asyncapi_schema.ensure)]  # tests/contracts/test_asyncapi.py


TIERS: dict[str, Callable[[], list[tuple[str, Callable[[], object]]]]] = {
    "runtime": _runtime_stages,
    "cluster": _cluster_stages,
    "observability": _observability_stages,
    "contracts": _contracts_stages,
}


def _prefetch(tiers: list[str]) -> list[subprocess.Popen[bytes]]:
    """Downloads for the later Go builds start now, beside the first build (daprd's, when it is missing)."""
    from bindings.devstack import dapr_cli, kube

    return (dapr_cli.prefetch() if "runtime" in tiers else []) + (kube.prefetch() if "cluster" in tiers else [])


def provision(args: argparse.Namespace) -> int:
    began = time.monotonic()
    tiers = args.tier or list(TIERS)
    fetchers = _prefetch(tiers)
    try:
        for tier in tiers:
            for name, stage in TIERS[tier]():
                started = time.monotonic()
                result = stage()
                print(f"{name}: {_describe(result)} ({time.monotonic() - started:.0f}s)", flush=True)
    except ProvisionError as exc:
        print(f"provisioning failed: {exc}", file=sys.stderr)
        return 1
    finally:
        for fetcher in fetchers:  # done by now unless a build failed first
            fetcher.terminate()
            fetcher.wait(timeout=30)
    print(f"provisioned in {time.monotonic() - began:.0f}s")
    return 0


def _describe(result: object) -> str:
    if isinstance(result, (list, tuple)):
        return ", ".join(str(r) for r in result)
    return str(result)


def dapr_up(args: argparse.Namespace) -> int:
    from bindings.devstack.stack import Stack
    from bindings.manifests.port_plan import fixed_plan

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


def dapr(args: argparse.Namespace) -> int:
    """Replace this process with the Dapr CLI, so signals and the exit status are the CLI's own."""
    from bindings.devstack import dapr_cli

    binary = dapr_cli.binary()
    if not binary.is_file():
        print(f"no Dapr CLI at {binary}: run `make provision`", file=sys.stderr)
        return 1
    os.execve(binary, [str(binary), *args.args], dapr_cli.env())


def kube_up(args: argparse.Namespace) -> int:
    from bindings.devstack.kubeserver import KubeServer

    server = KubeServer(args.dir)
    try:
        server.start()
    except StartError as exc:
        server.stop()
        print(f"kube-up failed: {exc}", file=sys.stderr)
        return 1
    from bindings.devstack import kube

    print(f"kube-apiserver {server.url} ready in {server.started_in:.1f}s")
    print(f"export KUBECONFIG={server.kubeconfig}; alias kubectl={kube.kubectl_binary()}")
    print(f"`python -m bindings kube-down --dir {args.dir}` stops it")
    return 0


def kube_down(args: argparse.Namespace) -> int:
    from bindings.devstack.kubeserver import KubeServer

    stopped = KubeServer(args.dir).stop()
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return 0
