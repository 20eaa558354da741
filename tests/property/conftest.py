"""The property tier: Hypothesis with a fixed seed (derandomize), a bounded number of examples, and no
example database, so every run of `make test` tries the same inputs and writes nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "todo",
    derandomize=True,
    max_examples=200,
    deadline=None,  # timings belong in benchmarks; work counts and one generous CPU guard are asserted
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("todo")
