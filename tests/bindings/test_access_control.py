"""dapr/config.yaml: mTLS on, deny by default, and each caller admitted to exactly what it needs.

The schema is Dapr's (pkg/config AccessControlSpec, pkg/acl): appId, trustDomain and namespace on
every policy, operations of {name, httpVerb, action}. Matching follows Dapr's trie: "/x/**" covers
"/x" and everything under it, and a plain "/x" also answers for everything under "/x".
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bindings.table import FUNCTIONS
from bindings.triggers import Cron, Invoke, Topic

ROOT = Path(__file__).resolve().parents[2]
VERBS = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"}
INGRESS, OPERATOR = "nginx-ingress", "todo-operator"


def _acl():
    spec = yaml.safe_load((ROOT / "dapr" / "config.yaml").read_text())["spec"]
    assert spec["mtls"]["enabled"] is True
    return spec["accessControl"]


def _policies():
    return {p["appId"]: p for p in _acl()["policies"]}


def _covers(name: str, path: str) -> bool:
    name, path = name.lower(), path.lower()
    if name.endswith("/**"):
        base = name[:-3]
        return path == base or path.startswith(base + "/")
    return path == name or path.startswith(name + "/")


def admitted(caller: str, verb: str, path: str) -> bool:
    policy = _policies().get(caller)
    if policy is None:
        return _acl()["defaultAction"] == "allow"
    for op in policy["operations"]:
        if _covers(op["name"], path):
            return op["action"] == "allow" and (verb in op["httpVerb"] or "*" in op["httpVerb"])
    return policy["defaultAction"] == "allow"


def _concrete(path: str) -> str:
    return path.replace("<id>", "00000000-0000-4000-8000-000000000000")


def test_the_spec_is_one_dapr_accepts():
    acl = _acl()
    assert acl["defaultAction"] == "deny" and acl["trustDomain"]
    for policy in acl["policies"]:
        assert policy["appId"] and policy["trustDomain"] == acl["trustDomain"] and policy["namespace"]
        assert policy["defaultAction"] == "deny"
        names = [op["name"] for op in policy["operations"]]
        for op in policy["operations"]:
            assert set(op) == {"name", "httpVerb", "action"} and op["action"] in ("allow", "deny")
            assert op["name"].startswith("/") and set(op["httpVerb"]) <= VERBS
        # Dapr's trie lets a shorter entry shadow a longer one below it: "/x" beside "/x/**" breaks "/x/..."
        for a in names:
            for b in names:
                assert a == b or not _covers(a, b.removesuffix("/**")), (a, b)


def test_users_reach_every_user_route_through_the_ingress_and_nothing_else():
    for fn in FUNCTIONS.values():
        if isinstance(fn.trigger, Invoke):
            for route in fn.trigger.routes:
                if route.auth == "user":
                    assert admitted(INGRESS, route.method, _concrete(route.path)), (fn.name, route.path)
        for route in fn.adhoc:
            assert not admitted(INGRESS, route.method, _concrete(route.path)), (fn.name, route.path)
        if isinstance(fn.trigger, Cron):
            assert not admitted(INGRESS, "POST", "/run")
        if isinstance(fn.trigger, Topic):
            assert not admitted(INGRESS, "POST", fn.trigger.route)
    for verb, path in (("GET", "/metrics"), ("POST", "/dapr/subscribe"), ("DELETE", "/api/me")):
        assert not admitted(INGRESS, verb, path)


def test_operators_may_run_functions_ad_hoc_and_reach_no_user_route():
    for fn in FUNCTIONS.values():
        if isinstance(fn.trigger, Cron):
            assert admitted(OPERATOR, "POST", "/run")
        if isinstance(fn.trigger, Topic):
            assert admitted(OPERATOR, "POST", fn.trigger.route)
        for route in fn.adhoc:
            assert admitted(OPERATOR, route.method, _concrete(route.path)), (fn.name, route.path)
        if isinstance(fn.trigger, Invoke):
            for route in fn.trigger.routes:
                assert not admitted(OPERATOR, route.method, _concrete(route.path)), (fn.name, route.path)


def test_every_other_caller_is_denied():
    for caller in [*FUNCTIONS, "some-other-app"]:  # no function invokes another one
        assert not admitted(caller, "GET", "/api/tasks") and not admitted(caller, "POST", "/run")
