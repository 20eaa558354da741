"""A function's scoped secrets: only the secrets its declaration names; every request counted by name.

Dapr's secret scopes and the function's Kubernetes Role enforce the same list in a cluster; this makes
the embedded runtime and the tests enforce it too, so an undeclared read fails where it is written,
not in a pod. The counter (`todo_secret_reads_total`) is what the test suite checks the declaration
against at its end (tests/conftest.py), and what tells an operator which secrets a function reads.
"""

from __future__ import annotations

from bindings.observability import metrics
from functions.protocols import Secrets


class UndeclaredSecret(RuntimeError):
    """A function asked for a secret its declaration does not name: a bug, never the caller's input."""


class ScopedSecrets:
    def __init__(self, inner: Secrets, function: str, allowed: tuple[str, ...]) -> None:
        # Re-scoping a scoped port (a test re-wiring a function's deps) must not count each read twice.
        self.inner: Secrets = inner.inner if isinstance(inner, ScopedSecrets) else inner
        self.function = function
        self.allowed = frozenset(allowed)

    def get(self, name: str) -> dict[str, str]:
        allowed = name in self.allowed
        metrics().secret_reads.labels(self.function, name, "read" if allowed else "refused").inc()
        if not allowed:
            raise UndeclaredSecret(
                f"{self.function} asked for secret {name!r}, which its declaration in bindings/table.py"
                f" does not name (declared: {', '.join(sorted(self.allowed)) or 'none'})"
            )
        return self.inner.get(name)
