"""With an app token configured, user routes answer to a verified JWT alone (an ingress sends no
Dapr token), while every internal route still demands the token."""

from __future__ import annotations

from bindings.app import create_app

APP_TOKEN = "s3cret-app-token"


def _api(runtime):
    return create_app("todo-api", runtime.deps["todo-api"], app_token=APP_TOKEN).test_client()


def test_a_user_route_needs_the_jwt_not_the_app_token(runtime, token):
    client = _api(runtime)
    created = client.post("/api/tasks", json={"title": "via ingress"}, headers={"Authorization": token()})
    assert created.status_code == 201
    listed = client.get("/api/tasks", headers={"Authorization": token()})
    assert [t["title"] for t in listed.get_json()["items"]] == ["via ingress"]


def test_a_user_route_without_a_jwt_is_still_refused(runtime):
    reply = _api(runtime).get("/api/tasks")
    assert reply.status_code == 401
    assert "Bearer" in reply.headers["WWW-Authenticate"]


def test_internal_routes_still_need_the_app_token(runtime, token):
    client = _api(runtime)
    assert client.get("/dapr/subscribe").status_code == 401
    assert client.get("/metrics", headers={"Authorization": token()}).status_code == 401
    assert client.get("/dapr/subscribe", headers={"dapr-api-token": APP_TOKEN}).status_code == 200


def test_a_cron_route_needs_the_app_token(runtime):
    client = create_app("outbox-relay", runtime.deps["outbox-relay"], app_token=APP_TOKEN).test_client()
    assert client.post("/outbox-relay-cron").status_code == 401
    assert client.post("/run", json={}).status_code == 401
