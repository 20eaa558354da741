"""Per-user rate limit of user routes: a fixed-window counter, counted atomically in the state store.

Algorithm: fixed window. Windows are aligned to the epoch (`window` seconds, 60 by default); the
count of user U in window W lives at `ratelimit:<U>:<W start>` with a TTL of two windows. A request
reads the count and writes count + 1 conditionally: first-write when the key is absent, the read
etag otherwise. A conflict means another request counted in between, so it reads again
(functions/compare_and_swap.py: bounded, with jitter). Hence no two requests are admitted on the
same count: at most `limit` per window.
Burst bound: `limit` in any one window, but up to 2 x `limit` in a span of `window` seconds that
straddles a boundary (the end of one window and the start of the next).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from urllib.parse import quote

from flask import Response

from bindings.outcomes import problem
from functions.compare_and_swap import StillConflicting, retry_on_conflict
from functions.deps import Deps

log = logging.getLogger("bindings.rate_limit")
MAX_ATTEMPTS = 40  # compare-and-swap rounds before giving up on a (very) contended counter


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    window: int
    remaining: int
    reset: int  # seconds until the window ends
    checked: bool = True  # False: the store was down and the request was let through unchecked

    def headers(self) -> dict[str, str]:
        if not self.checked:
            return {}  # nothing true to say about the remaining budget
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
            "RateLimit-Policy": f"{self.limit};w={self.window}",
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset)
        return headers


def check(deps: Deps, user_id: str) -> Decision:
    """Count this request against the user's current window; never raises."""
    s = deps.settings
    limit, window = s.rate_limit_requests, s.rate_limit_window_seconds
    now = deps.clock().timestamp()
    start = int(now // window) * window
    reset = max(1, math.ceil(start + window - now))
    key = f"ratelimit:{quote(user_id, safe='')}:{start}"

    def count_once() -> Decision:
        item = deps.state.get(key)
        count = int(item.value.get("count", 0)) if item and isinstance(item.value, dict) else 0
        if count >= limit:
            deps.meter.count("rate_limit", decision="limited")
            return Decision(False, limit, window, 0, reset)
        if item is None:
            deps.state.save(key, {"count": 1}, first_write=True, ttl=2 * window)
        else:
            deps.state.save(key, {"count": count + 1}, etag=item.etag, ttl=2 * window)
        deps.meter.count("rate_limit", decision="admitted")
        log.debug("rate limit admitted", extra={"key": key, "count": count + 1, "limit": limit})
        return Decision(True, limit, window, limit - count - 1, reset)

    try:
        return retry_on_conflict(
            count_once, deps.meter, "ratelimit", attempts=MAX_ATTEMPTS, first_pause=0.001, max_pause=0.05
        )
    except StillConflicting:
        # Only a client that sends dozens of requests at the very same instant gets here: refusing it
        # keeps the bound exact (admitting would need a count we could not write).
        deps.meter.count("rate_limit", decision="contended")
        return Decision(False, limit, window, 0, 1)
    except Exception as exc:
        return _store_down(deps, limit, window, reset, exc)


def _store_down(deps: Deps, limit: int, window: int, reset: int, exc: Exception) -> Decision:
    fail_open = deps.settings.rate_limit_fail_open
    deps.meter.count("rate_limit", decision="store_down_open" if fail_open else "store_down_closed")
    log.warning(
        "rate limit store unavailable",
        extra={"function": deps.function, "fail_open": fail_open, "error": type(exc).__name__},
    )
    return Decision(fail_open, limit, window, 0, reset, checked=False)


def refusal(decision: Decision) -> Response:
    if not decision.checked:
        resp = problem(503, "Temporarily unavailable", "the rate limiter cannot reach its store; retry shortly")
        resp.headers["Retry-After"] = "5"
        return resp
    return problem(
        429,
        "Too many requests",
        f"at most {decision.limit} requests per {decision.window} s per user; retry in {decision.reset} s",
    )


def annotate(decision: Decision | None, response: Response) -> Response:
    if decision is not None:
        response.headers.update(decision.headers())
    return response
