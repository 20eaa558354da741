"""Pairs on free ports, for tests and benchmarks that must not clash with a running `make dapr-up`.

The fixed plan of dapr.yaml and `make dapr-up`, and `Pair` itself, are bindings/manifests/port_plan.py's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bindings.manifests.port_plan import Pair
from bindings.table import FUNCTIONS


def dynamic_plan(replicas: Mapping[str, int], free_port: Callable[[], int]) -> list[Pair]:
    """Any functions with any replica count on free ports (tests, which must not clash with a running dapr-up)."""
    pairs: list[Pair] = []
    taken: set[int] = set()

    def port() -> int:
        for _ in range(50):
            p = free_port()
            if p not in taken:
                taken.add(p)
                return p
        raise RuntimeError("no free port found")

    for function, count in replicas.items():
        if function not in FUNCTIONS:
            raise KeyError(f"unknown function {function!r}; known: {', '.join(FUNCTIONS)}")
        for r in range(count):
            pairs.append(Pair(function, r, port(), port(), port(), port(), port()))
    return pairs
