"""The OpenAPI documents against the specification (openapi-spec-validator) and against the running apps:
every route a function's Flask app serves (its url_map, at run time) is an operation of the document it
serves at `GET /openapi.json`, and each operation is a route it serves. What the answers carry is checked
by schemathesis (test_schemathesis.py) over real HTTP; the rate-limit headers once more here, by name.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

from openapi_spec_validator import validate
from werkzeug.test import Client

from bindings.manifests.contracts import OPENAPI
from tests.contracts.conftest import ROOT

# Methods every Flask route answers by itself (HEAD for GET; OPTIONS, except where a route declares it).
IMPLICIT = {"HEAD", "OPTIONS"}
INVOKE = "/v1.0/invoke/{app}/method"


def _flask_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _served_operations(app) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        declared_options = "OPTIONS" in rule.methods and rule.provide_automatic_options is False
        for method in rule.methods - IMPLICIT | ({"OPTIONS"} if declared_options else set()):
            found.add((method.lower(), _flask_to_openapi(rule.rule)))
    return found


def _documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path) for path, item in doc["paths"].items() for method in item if method != "parameters"}


def test_the_rendered_document_is_valid_openapi_3_1():
    doc = json.loads((ROOT / OPENAPI).read_text())
    assert doc["openapi"].startswith("3.1.")
    validate(doc)


def test_the_runtime_serves_the_whole_document_and_each_function_its_own(runtime):
    client = Client(runtime.wsgi())
    whole = client.get("/openapi.json")
    assert whole.status_code == 200 and whole.mimetype == "application/json"
    validate(whole.json)
    for name in runtime.apps:
        own = client.get(f"{INVOKE.format(app=name)}/openapi.json")
        assert own.status_code == 200, name
        validate(own.json)
        assert {t["name"] for t in own.json["tags"]} == {name}


def test_every_route_an_app_serves_is_in_its_document_and_no_other(runtime):
    assert len(runtime.apps) >= 10
    for name, app in runtime.apps.items():
        doc = app.test_client().get("/openapi.json").json
        served, documented = _served_operations(app), _documented(doc)
        assert served - documented == set(), f"{name} serves routes its document lacks"
        assert documented - served == set(), f"{name}'s document describes routes it does not serve"


def test_the_whole_document_covers_every_function_at_the_runtimes_paths(runtime):
    whole = Client(runtime.wsgi()).get("/openapi.json").json
    documented = _documented(whole)
    for name, app in runtime.apps.items():
        for method, path in _served_operations(app):
            user_path = (method, path) in documented and path.startswith("/api/")
            assert user_path or (method, INVOKE.format(app=name) + path) in documented, (name, method, path)


def test_the_rate_limit_headers_are_those_a_real_answer_carries(runtime, token):
    doc = json.loads((ROOT / OPENAPI).read_text())
    declared = {h for h in doc["components"]["headers"] if h.lower().startswith("ratelimit-")}
    resp = runtime.apps["todo-api"].test_client().get("/api/tasks", headers={"Authorization": token()})
    assert resp.status_code == 200
    sent = {h for h, _ in resp.headers if h.lower().startswith("ratelimit-")}
    assert {h.lower() for h in sent} == {h.lower() for h in declared}
    listed = doc["paths"]["/api/tasks"]["get"]["responses"]["200"]["headers"]
    assert set(listed) == declared


def test_user_and_operator_routes_ask_for_their_own_credentials():
    doc = json.loads((ROOT / OPENAPI).read_text())
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == schemes["bearerAuth"] | {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["appToken"]["in"] == "header" and schemes["appToken"]["name"] == "dapr-api-token"
    assert doc["paths"]["/api/tasks"]["post"]["security"] == [{"bearerAuth": [], "appToken": []}]
    replay = doc["paths"]["/v1.0/invoke/dead-letters/method/dead-letters/{id}/replay"]["post"]
    assert replay["security"] == [{"appToken": []}]
    assert "401" in replay["responses"]
    assert doc["paths"]["/v1.0/invoke/todo-api/method/healthz"]["get"]["security"] == []
    problem = doc["paths"]["/api/tasks/{id}"]["get"]["responses"]["404"]["content"]
    assert list(problem) == ["application/problem+json"]


def test_every_operation_says_what_it_does_and_answers_errors_as_problems():
    doc = json.loads((ROOT / OPENAPI).read_text())
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op.get("summary"), (method, path)
            for status, reply in op["responses"].items():
                # /healthz's 503 is its readiness answer ({"status": "not ready", "reason"}), not an error.
                if int(status) >= 400 and not path.endswith("/healthz"):
                    assert list(reply["content"]) == ["application/problem+json"], (method, path, status)


def test_a_pod_builds_its_document_from_what_the_image_ships():
    """A pod answers GET /openapi.json with the modules the image holds (.dockerignore leaves the rest out)."""
    from tests.k8s.test_image import NOT_IN_A_POD

    code = (
        "import json, sys\n"
        "from bindings.openapi.document import for_function\n"
        "from bindings.table import FUNCTIONS\n"
        "for fn in FUNCTIONS.values(): for_function(fn, app_token=True)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert [m for m in loaded if m.startswith(NOT_IN_A_POD)] == []
