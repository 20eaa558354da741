"""The inbound retry policy of the pub/sub component, read from dapr/resiliency.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

RESILIENCY = Path(__file__).resolve().parents[2] / "dapr" / "resiliency.yaml"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def seconds(text: str | int | float) -> float:
    """A Go duration such as '1s', '500ms' or '1m30s'."""
    if isinstance(text, int | float):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(n) * _SECONDS[u] for n, u in parts)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    delay: float
    multiplier: float = 1.0
    max_delay: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number `attempt` (1-based)."""
        return min(self.delay * self.multiplier ** (attempt - 1), self.max_delay)


def inbound_retry(component: str, path: Path = RESILIENCY) -> RetryPolicy:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec = doc["spec"]
    name = spec["targets"]["components"][component]["inbound"]["retry"]
    policy = spec["policies"]["retries"][name]
    max_retries = int(policy.get("maxRetries", -1))
    if max_retries < 0:
        raise ValueError(f"retry policy {name!r} is unbounded: a poison message would block its partition")
    if policy.get("policy", "constant") == "exponential":
        return RetryPolicy(
            max_retries,
            seconds(policy.get("initialInterval", "500ms")),
            float(policy.get("multiplier", 1.5)),
            seconds(policy.get("maxInterval", "60s")),
        )
    return RetryPolicy(max_retries, seconds(policy.get("duration", "5s")))
