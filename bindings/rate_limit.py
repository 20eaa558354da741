"""Per-user rate limit of user routes: a fixed window, counted by claiming numbered slots in the state store.

Algorithm: fixed window. Windows are aligned to the epoch (`window` seconds, 60 by default). Window W
of user U has `limit` slots, `ratelimit:<U>:<W start>:<n>` for n in 0..limit-1; a request is admitted
when it claims a slot with a first-write upsert (TTL two windows), which the store lets only one writer
win. Hence at most `limit` requests per window, exactly, across threads, workers and replicas.

Which slot to try: each app keeps, per (user, window), the slots it has not seen taken (`SlotHints`),
so threads of one process never race for the same slot and the common path is ONE state call (the
claim), where a read and a compare-and-swap took two. A claim that conflicts (another process took
that slot) jumps ahead, keeping what it jumped over for later requests, up to MAX_ATTEMPTS claims; a
window this app has seen full refuses without a call. A claim that fails for another reason (the
store down) spends its slot number: the limit can then admit fewer, never more.
Burst bound: `limit` in any one window, but up to 2 x `limit` in a span of `window` seconds that
straddles a boundary (the end of one window and the start of the next).
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
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


MAX_GAPS = 256  # skipped slots remembered per counter; one forgotten can only make the limit admit less


@dataclass
class _Counter:
    next: int = 0  # no thread of this app has been given this slot or any above it
    gaps: list[int] = field(default_factory=list)  # slots below `next` skipped by a jump, not yet tried


class SlotHints:
    """Which slot each request of this app tries, per counter key (user and window); bounded, LRU.

    Threads of one app are given distinct slots in order, so among themselves they never conflict. A slot
    that conflicts belongs to another process (worker, replica): the request jumps ahead, 1, 2, 4, ...
    slots, past that process's run of claims in a few calls, and the slots it jumped over are kept as
    gaps, tried first by later requests. Every slot below `next` has been claimed, seen taken, or is a gap;
    so when no gap is left and `next` reaches the limit, the window is full, and refusing is exact.
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._counters: OrderedDict[str, _Counter] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, counter: str) -> int:
        """A slot no other thread of this app holds: a gap if there is one, else the next."""
        with self._lock:
            return self._take(self._entry(counter))

    def taken(self, counter: str, slot: int, jump: int, limit: int) -> int:
        """`slot` was taken by another process: the slot to try instead, `jump` slots further when it is free."""
        with self._lock:
            entry = self._entry(counter)
            ahead = slot + jump
            if ahead <= entry.next or jump == 1:  # nothing to jump over (or another thread is there already)
                return self._take(entry)
            for skipped in range(max(slot + 1, entry.next), min(ahead, limit)):
                if len(entry.gaps) < MAX_GAPS:
                    entry.gaps.append(skipped)
            entry.gaps.sort(reverse=True)
            entry.next = ahead + 1
            return ahead if ahead < limit or not entry.gaps else entry.gaps.pop()

    def _take(self, entry: _Counter) -> int:
        if entry.gaps:
            return entry.gaps.pop()  # the lowest: kept sorted from high to low
        entry.next += 1
        return entry.next - 1

    def _entry(self, counter: str) -> _Counter:
        entry = self._counters.pop(counter, None) or _Counter()
        self._counters[counter] = entry
        while len(self._counters) > self.size:
            self._counters.popitem(last=False)
        return entry


def check(deps: Deps, user_id: str, hints: SlotHints) -> Decision:
    """Count this request against the user's current window; never raises."""
    s = deps.settings
    limit, window = s.rate_limit_requests, s.rate_limit_window_seconds
    now = deps.clock().timestamp()
    start = int(now // window) * window
    reset = max(1, math.ceil(start + window - now))
    counter = f"ratelimit:{quote(user_id, safe='')}:{start}"
    try:
        slot, jump = hints.take(counter), 1
        for _ in range(MAX_ATTEMPTS):
            if slot >= limit:
                deps.meter.count("rate_limit", decision="limited")
                return Decision(False, limit, window, 0, reset)
            try:
                _claim(deps, f"{counter}:{slot}", now, 2 * window)
            except Conflict:
                deps.meter.count("state_conflicts", kind="ratelimit")
                slot, jump = hints.taken(counter, slot, jump, limit), jump * 2
                continue
            deps.meter.count("rate_limit", decision="admitted")
            log.debug("rate limit admitted", extra={"key": counter, "slot": slot, "limit": limit})
            return Decision(True, limit, window, max(0, limit - slot - 1), reset)
    except Exception as exc:
        return _store_down(deps, limit, window, reset, exc)
    # Only a window contended by many processes at once gets here: refusing keeps the bound exact.
    deps.meter.count("rate_limit", decision="contended")
    return Decision(False, limit, window, 0, 1)


def _claim(deps: Deps, key: str, now: float, ttl: int) -> None:
    """Claim one slot: a first-write upsert, sent as a one-operation state transaction, which measured faster
    through daprd than a plain save (bench/rate_limit_strategies.py, docs/performance.md) and is the same
    one statement in the embedded store. Raises Conflict when the slot is taken."""
    request = {"key": key, "value": {"at": now}, "options": {"concurrency": "first-write"}}
    deps.state.transact([{"operation": "upsert", "request": {**request, "metadata": {"ttlInSeconds": str(ttl)}}}])


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
