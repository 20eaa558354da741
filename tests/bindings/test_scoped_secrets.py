"""A function's scoped secrets hand out its declared secrets only, and counts every request."""

from __future__ import annotations

import pytest

from bindings.observability import metrics
from bindings.scoped_secrets import ScopedSecrets, UndeclaredSecret


class _Store:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def get(self, name: str) -> dict[str, str]:
        self.asked.append(name)
        return {"value": name}


def _reads(function: str, secret: str, result: str) -> float:
    labels = {"function": function, "secret": secret, "result": result}
    return metrics().registry.get_sample_value("todo_secret_reads_total", labels) or 0.0


# Not a function of the table: the suite's own check of undeclared reads (tests/conftest.py) looks at the table's.
READER = "scoped-secrets-probe"


def test_a_declared_secret_is_read_and_counted():
    store = _Store()
    before = _reads(READER, "jwt-secret", "read")
    assert ScopedSecrets(store, READER, ("jwt-secret",)).get("jwt-secret") == {"value": "jwt-secret"}
    assert store.asked == ["jwt-secret"] and _reads(READER, "jwt-secret", "read") == before + 1


def test_an_undeclared_secret_never_reaches_the_store():
    store = _Store()
    before = _reads(READER, "sendgrid-secret", "refused")
    with pytest.raises(UndeclaredSecret, match=r"sendgrid-secret.*declared: database-secret"):
        ScopedSecrets(store, READER, ("database-secret",)).get("sendgrid-secret")
    assert store.asked == [] and _reads(READER, "sendgrid-secret", "refused") == before + 1


def test_rescoping_keeps_one_port_underneath():
    store = _Store()
    inner = ScopedSecrets(store, READER, ("jwt-secret",))
    outer = ScopedSecrets(inner, READER, ("jwt-secret",))
    before = _reads(READER, "jwt-secret", "read")
    outer.get("jwt-secret")
    assert outer.inner is store and _reads(READER, "jwt-secret", "read") == before + 1


def test_the_wired_deps_of_each_function_are_scoped_to_its_declaration(runtime):
    from bindings.table import FUNCTIONS

    for name, deps in runtime.deps.items():
        assert isinstance(deps.secrets, ScopedSecrets)
        assert deps.secrets.allowed == frozenset(FUNCTIONS[name].secrets)
