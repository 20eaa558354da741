"""Per-user rate limit of user routes: a fixed window, counted by claiming numbered slots in the state store.

Algorithm: fixed window. Windows are aligned to the epoch (`window` seconds, 60 by default). Window W
of user U has `limit` slots, `ratelimit:<U>:<W start>:<n>` for n in 0..limit-1; a request is admitted
when it claims a slot with a first-write save (TTL two windows), which the store lets only one writer
win. Hence at most `limit` requests per window, exactly, across threads, workers and replicas.

Which slot to try: each app keeps, per (user, window), the next slot it believes free (`SlotHints`),
so threads of one process never race for the same slot and the common path is ONE state call (the
claim), where a read and a compare-and-swap took two. A claim that conflicts (another process took
that slot) moves on to the next, up to MAX_ATTEMPTS; a hint at or past `limit` refuses without a call.
A claim that fails for another reason (the store down) spends its slot number: the limit can then
admit fewer, never more.
Burst bound: `limit` in any one window, but up to 2 x `limit` in a span of `window` seconds that
straddles a boundary (the end of one window and the start of the next).
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import quote

from flask import Response

from bindings.outcomes import problem
from functions.deps import Deps
from functions.errors import Conflict

log = logging.getLogger("bindings.rate_limit")
MAX_ATTEMPTS = 40  # slots tried before giving up on a (very) contended window; then refuse, keeping the bound


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


class SlotHints:
    """The next slot to try per counter key (user and window), for the threads of one app; bounded, LRU."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._next: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, counter: str, at_least: int = 0) -> int:
        """A slot number no other thread of this app is given for `counter`, `at_least` or above."""
        with self._lock:
            n = max(self._next.pop(counter, 0), at_least)
            self._next[counter] = n + 1
            while len(self._next) > self.size:
                self._next.popitem(last=False)
            return n


def check(deps: Deps, user_id: str, hints: SlotHints) -> Decision:
    """Count this request against the user's current window; never raises."""
    s = deps.settings
    limit, window = s.rate_limit_requests, s.rate_limit_window_seconds
    now = deps.clock().timestamp()
    start = int(now // window) * window
    reset = max(1, math.ceil(start + window - now))
    counter = f"ratelimit:{quote(user_id, safe='')}:{start}"
    try:
        slot = hints.take(counter)
        for _ in range(MAX_ATTEMPTS):
            if slot >= limit:
                deps.meter.count("rate_limit", decision="limited")
                return Decision(False, limit, window, 0, reset)
            try:
                deps.state.save(f"{counter}:{slot}", {"at": now}, first_write=True, ttl=2 * window)
            except Conflict:
                deps.meter.count("state_conflicts", kind="ratelimit")
                slot = hints.take(counter, slot + 1)  # another process holds it: the next one
                continue
            deps.meter.count("rate_limit", decision="admitted")
            log.debug("rate limit admitted", extra={"key": counter, "slot": slot, "limit": limit})
            return Decision(True, limit, window, limit - slot - 1, reset)
    except Exception as exc:
        return _store_down(deps, limit, window, reset, exc)
    # Only a window contended by many processes at once gets here: refusing keeps the bound exact.
    deps.meter.count("rate_limit", decision="contended")
    return Decision(False, limit, window, 0, 1)


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
