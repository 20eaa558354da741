"""An open-loop workload: requests on a fixed schedule, sent whatever the latency, each one recorded.

Every request is planned before the run (`plan`): when it is due, whose it is and what it does. The sender
fires each at its time from a pool of threads, so a slow or failing system does not slow the offered load
(a closed loop would wait and hide the outage); what the pool could not send on time shows as `late`.
Targets of patches, completions and deletes are picked at send time among what was already acknowledged.

What the checker later relies on is only this record: the answers the clients got (201, 200, 204),
the ids those answers named, and the reminders those answers planned.
"""

from __future__ import annotations

import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import urllib3

from tests.faults.system import System

# Operation -> share of the requests. Reminder tasks and recurring tasks are never touched again, so what
# each must lead to (one mail; one successor per completion) does not depend on races with later requests.
MIX = {
    "create": 0.22,
    "create_reminder": 0.16,
    "create_recurring": 0.12,
    "patch": 0.14,
    "complete": 0.10,
    "delete": 0.08,
    "converse": 0.18,
}
BOUNCE_DOMAIN = "bounce.example.com"  # the sink refuses these recipients for good (400)
MESSAGES_PER_CONVERSATION = 60  # below the 100 a conversation keeps, so every acknowledged message stays
SEND_THREADS = 96
TIMEOUT_S = 30.0  # a read; well above daprd's 10 s appCall timeout (no daprd retries for the API: resiliency.yaml)


@dataclass
class Request:
    seq: int
    at: float  # planned offset from the start, seconds
    user: str
    op: str
    method: str = ""
    path: str = ""
    target: str | None = None  # the task or conversation the request is about
    body: dict[str, Any] | None = None
    sent: float | None = None  # offset when it was sent
    done: float | None = None  # offset when its answer (or error) arrived
    status: int | None = None
    error: str | None = None
    answer: dict[str, Any] | None = None

    @property
    def acknowledged(self) -> bool:
        return self.status in (200, 201, 204)

    @property
    def refused(self) -> bool:
        """A 4xx: the request was answered and did nothing (404 for a deleted task, 409, 422, 429)."""
        return self.status is not None and 400 <= self.status < 500

    @property
    def unknown(self) -> bool:
        """No acknowledgement and no refusal (5xx, timeout, connection error): it may or may not have happened."""
        return not self.acknowledged and not self.refused


@dataclass
class User:
    name: str
    email: str
    token: str = ""
    conversation: str | None = None
    messages: int = 0


@dataclass
class Plan:
    run: str  # marks every title and message of this run
    started_at: float  # time.time() of offset 0
    duration_s: float
    reminder_deadline_s: float  # every reminder falls due before this offset
    users: list[User]
    requests: list[Request]


def plan(run: str, duration_s: float, rate: float, users: int, seed: int) -> Plan:
    """`rate` requests per second in all, spread evenly over `users`, each op drawn from MIX (seeded)."""
    rng = random.Random(seed)
    people = [
        User(f"chaos-{run}-u{i}", f"u{i}@{BOUNCE_DOMAIN if i == users - 1 else 'example.com'}") for i in range(users)
    ]
    requests = []
    count = int(duration_s * rate)
    ops, weights = zip(*MIX.items(), strict=True)
    for seq in range(count):
        requests.append(Request(seq, seq / rate, people[seq % users].name, rng.choices(ops, weights)[0]))
    return Plan(run, 0.0, duration_s, duration_s, people, requests)


def reminder_deadline(started_at: float, duration_s: float) -> float:
    """The offset every reminder falls due before: just before the last minute of the run starts, so that
    reminder-check's tick at that minute (CRON_TZ=UTC * * * * *) claims them all and the run settles soon
    after its end instead of waiting for a tick that comes up to a minute later."""
    last_tick = (started_at + duration_s - 2) // 60 * 60
    offset = last_tick - 1 - started_at
    return offset if offset >= 15 else duration_s - 5


@dataclass
class Workload:
    system: System
    plan: Plan
    seed: int = 1
    lock: threading.RLock = field(default_factory=threading.RLock)
    live_plain: dict[str, list[str]] = field(default_factory=dict)  # user -> acknowledged plain tasks, not deleted
    open_recurring: dict[str, list[str]] = field(default_factory=dict)  # user -> acknowledged, not completed

    def run(self, start: float) -> None:
        """Send every request at its time after `start` (time.monotonic() of offset 0, whose wall-clock time is
        plan.started_at); return once each has its answer (bounded by TIMEOUT_S)."""
        rng = random.Random(self.seed + 1)
        http = urllib3.PoolManager(
            maxsize=SEND_THREADS, retries=False, timeout=urllib3.Timeout(connect=5.0, read=TIMEOUT_S)
        )
        users = {u.name: u for u in self.plan.users}
        for u in users.values():
            u.token = self.system.bearer(u.name, u.email)
        with ThreadPoolExecutor(SEND_THREADS, thread_name_prefix="chaos-send") as pool:
            for req in self.plan.requests:
                delay = req.at - (time.monotonic() - start)
                if delay > 0:
                    time.sleep(delay)
                # Shape the request now: its target is something acknowledged before this moment.
                self._shape(req, users[req.user], rng, time.time())
                pool.submit(self._send, http, req, users[req.user], start)

    def _shape(self, req: Request, user: User, rng: random.Random, now: float) -> None:
        with self.lock:  # the senders' _learn changes the same lists and users
            self._shape_locked(req, user, rng, now)

    def _shape_locked(self, req: Request, user: User, rng: random.Random, now: float) -> None:
        tag = f"chaos {self.plan.run} {req.seq}"
        if req.op == "patch" and self.live_plain.get(user.name):
            req.target = rng.choice(self.live_plain[user.name])
        elif req.op == "delete" and self.live_plain.get(user.name):
            req.target = self.live_plain[user.name].pop(rng.randrange(len(self.live_plain[user.name])))
        elif req.op == "complete" and self.open_recurring.get(user.name):
            req.target = self.open_recurring[user.name].pop(0)
        elif req.op in ("patch", "delete", "complete"):
            req.op = "create"  # nothing to act on yet: offer the load anyway
        due = datetime.fromtimestamp(now, UTC) + timedelta(hours=1)
        if req.op == "create":
            req.method, req.path, req.body = "POST", "api/tasks", {"title": f"{tag} plain", "tags": ["chaos"]}
        elif req.op == "create_reminder":
            left = self.plan.reminder_deadline_s - (now - self.plan.started_at)
            if left < 2:
                req.op = "create"  # too late for a reminder to fall due inside the run
                return self._shape_locked(req, user, rng, now)
            remind = datetime.fromtimestamp(now + rng.uniform(1.0, min(45.0, left)), UTC)
            req.body = {
                "title": f"{tag} reminder",
                "due_at": due.isoformat(),
                "reminders": [{"at": remind.isoformat()}],
            }
            req.method, req.path = "POST", "api/tasks"
        elif req.op == "create_recurring":
            req.method, req.path = "POST", "api/tasks"
            req.body = {
                "title": f"{tag} daily",
                "due_at": due.replace(microsecond=0).isoformat(),
                "recurrence": "daily",
            }
        elif req.op == "patch":
            req.method, req.path, req.body = "PATCH", f"api/tasks/{req.target}", {"title": f"{tag} patched"}
        elif req.op == "complete":
            req.method, req.path = "POST", f"api/tasks/{req.target}/complete"
        elif req.op == "delete":
            req.method, req.path = "DELETE", f"api/tasks/{req.target}"
        elif req.op == "converse":
            if user.conversation is None or user.messages >= MESSAGES_PER_CONVERSATION:
                user.conversation, user.messages = None, 0
                req.method, req.path, req.body = "POST", "api/conversations", None
            else:
                user.messages += 1
                req.target = user.conversation
                req.method, req.path = "POST", f"api/conversations/{user.conversation}/messages"
                req.body = {"role": "user", "content": tag}
        return None

    def _send(self, http: urllib3.PoolManager, req: Request, user: User, start: float) -> None:
        function = "conversations" if req.op == "converse" else "todo-api"
        headers = {"dapr-api-token": self.system.api_token, "Authorization": user.token}
        data = None
        if req.body is not None:
            data = json.dumps(req.body).encode()
            headers["Content-Type"] = "application/json"
        req.sent = time.monotonic() - start
        try:
            resp = http.request(req.method, self.system.invoke_url(function, req.path), body=data, headers=headers)
            req.status = resp.status
            if resp.data and resp.headers.get("Content-Type", "").endswith("json"):
                try:
                    req.answer = json.loads(resp.data)
                except ValueError:
                    req.answer = None
        except urllib3.exceptions.HTTPError as exc:
            req.error = type(exc).__name__
        req.done = time.monotonic() - start
        self._learn(req, user)

    def _learn(self, req: Request, user: User) -> None:
        """Remember what the answer acknowledged, as targets for later requests."""
        if not req.acknowledged or (req.answer is None and req.status != 204):
            return
        with self.lock:
            if req.op == "create":
                self.live_plain.setdefault(user.name, []).append(req.answer["id"])
            elif req.op == "create_recurring":
                self.open_recurring.setdefault(user.name, []).append(req.answer["id"])
            elif req.op == "converse" and req.target is None:
                user.conversation = req.answer["conversation_id"]


def summary(requests: list[Request]) -> dict[str, Any]:
    by_op: dict[str, dict[str, int]] = {}
    for r in requests:
        row = by_op.setdefault(r.op, {"sent": 0, "acknowledged": 0, "refused": 0, "unknown": 0})
        row["sent"] += 1
        row["acknowledged" if r.acknowledged else "refused" if r.refused else "unknown"] += 1
    late = [r.sent - r.at for r in requests if r.sent is not None]
    return {"by_op": by_op, "max_send_lateness_s": round(max(late, default=0.0), 3)}


def dump(requests: list[Request]) -> list[dict[str, Any]]:
    return [asdict(r) for r in requests]
