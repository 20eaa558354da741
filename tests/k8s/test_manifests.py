"""k8s/ agrees with the declaration table, and the committed files are what the renderer writes."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from bindings import manifests
from bindings.manifests import dapr_cluster, kafka, secrets
from bindings.procfile import read as read_procfile
from bindings.table import FUNCTIONS, topics_of
from bindings.triggers import Cron, Function, Invoke, Topic
from tests.k8s.schemas import ROOT, load

BASE = ROOT / "k8s" / "base"


def test_committed_files_are_the_rendering():
    drift = manifests.differences()
    assert not drift, f"run `python -m bindings manifests` and commit: {drift}"


def _docs(fn: Function) -> dict[str, dict]:
    return {d["kind"]: d for d in load(BASE / "functions" / f"{fn.name}.yaml")}


def _base(name: str) -> list[dict]:
    return load(BASE / name)


def _pubsub() -> dict:
    return next(d for d in _base("dapr-resources.yaml") if d["metadata"]["name"] == "kafka-pubsub")


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_each_deployment_carries_the_dapr_annotations_of_its_function(name):
    fn = FUNCTIONS[name]
    pod = _docs(fn)["Deployment"]["spec"]["template"]
    notes = pod["metadata"]["annotations"]
    (container,) = pod["spec"]["containers"]
    config = _docs(fn)["Configuration"]
    assert notes["dapr.io/app-id"] == name
    assert notes["dapr.io/app-port"] == str(container["ports"][0]["containerPort"])
    assert notes["dapr.io/config"] == config["metadata"]["name"]
    assert notes["dapr.io/app-protocol"] == "http"
    assert notes["dapr.io/enable-app-health-check"] == "true"
    assert notes["dapr.io/app-health-check-path"] == container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert notes["dapr.io/app-token-secret"] == secrets.APP_TOKEN
    assert notes["dapr.io/api-token-secret"] == secrets.API_TOKEN
    assert notes["dapr.io/log-as-json"] == "true"
    assert container["command"] == shlex.split(read_procfile()[name])
    env = {e["name"]: e for e in container["env"]}
    # The app checks the same tokens that the injector hands to daprd.
    assert env["APP_API_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == secrets.APP_TOKEN
    assert env["DAPR_API_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == secrets.API_TOKEN


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_each_pod_is_hardened(name):
    pod = _docs(FUNCTIONS[name])["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    ctx = container["securityContext"]
    assert ctx["runAsNonRoot"] and ctx["readOnlyRootFilesystem"] and not ctx["allowPrivilegeEscalation"]
    assert ctx["capabilities"]["drop"] == ["ALL"] and ctx["seccompProfile"]["type"] == "RuntimeDefault"
    assert {"mountPath": "/tmp", "name": "tmp"} in container["volumeMounts"]
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["tcpSocket"]["port"] == "http"


@pytest.mark.parametrize("name", [n for n, f in FUNCTIONS.items() if topics_of(f)])
def test_topic_functions_scale_on_the_lag_of_the_consumer_group_dapr_uses(name):
    fn = FUNCTIONS[name]
    docs = _docs(fn)
    scaled = docs["ScaledObject"]
    pubsub = _pubsub()
    meta = dapr_cluster.meta(pubsub)
    assert "consumerGroup" not in meta, "Dapr must default the consumer group to the app id"
    assert "replicas" not in docs["Deployment"]["spec"], "KEDA owns the replica count"
    assert scaled["spec"]["minReplicaCount"] == 0
    topics = {t["metadata"]["name"]: t["spec"]["partitions"] for t in _base("topics.yaml")}
    assert {t["metadata"]["topic"] for t in scaled["spec"]["triggers"]} == set(topics_of(fn))
    assert scaled["spec"]["maxReplicaCount"] <= max(topics[t] for t in topics_of(fn))
    expected_reset = {"oldest": "earliest", "newest": "latest"}[meta.get("initialOffset") or "newest"]
    for trigger in scaled["spec"]["triggers"]:
        assert trigger["type"] == "kafka"
        assert trigger["metadata"]["consumerGroup"] == name
        assert trigger["metadata"]["bootstrapServers"] == meta["brokers"] == kafka.BOOTSTRAP
        assert trigger["metadata"]["offsetResetPolicy"] == expected_reset
        assert int(trigger["metadata"]["lagThreshold"]) > 0
    assert name in pubsub["scopes"]


@pytest.mark.parametrize("name", [n for n, f in FUNCTIONS.items() if isinstance(f.trigger, Cron)])
def test_cron_functions_never_scale_to_zero(name):
    fn = FUNCTIONS[name]
    docs = _docs(fn)
    assert docs["Deployment"]["spec"]["replicas"] == 2
    assert "ScaledObject" not in docs and "HorizontalPodAutoscaler" not in docs
    binding = next(d for d in _base("dapr-resources.yaml") if d["metadata"]["name"] == fn.trigger.binding)
    assert binding["spec"]["type"] == "bindings.cron" and binding["scopes"] == [name]


@pytest.mark.parametrize("name", [n for n, f in FUNCTIONS.items() if isinstance(f.trigger, Invoke)])
def test_invoke_functions_scale_on_cpu(name):
    hpa = _docs(FUNCTIONS[name])["HorizontalPodAutoscaler"]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_every_topic_and_dead_letter_topic_is_a_kafka_topic():
    declared = {t["metadata"]["name"] for t in _base("topics.yaml")}
    for fn in FUNCTIONS.values():
        for sub in fn.trigger.subscriptions():
            # dead-letters' own subscriptions have no dead-letter topic (bindings/triggers.py says why).
            assert {sub["topic"], sub.get("deadLetterTopic") or sub["topic"]} <= declared
    from functions.domain.events import TOPICS

    assert {*TOPICS, *(f"{t}-dlq" for t in TOPICS)} <= declared


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_each_pod_may_read_exactly_its_declared_secrets_as_its_own_service_account(name):
    """The declaration itself is checked against what each function really reads (tests/conftest.py records
    every read) and against a real API server's RBAC and a real daprd's scopes (tests/cluster)."""
    docs = _docs(FUNCTIONS[name])
    pod = docs["Deployment"]["spec"]["template"]
    account = pod["spec"]["serviceAccountName"]
    assert account == docs["ServiceAccount"]["metadata"]["name"] == name
    binding = docs["RoleBinding"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account, "namespace": "todo-app"}]
    assert binding["roleRef"]["name"] == docs["Role"]["metadata"]["name"]
    (rule,) = docs["Role"]["rules"]
    assert rule == {
        "apiGroups": [""],
        "resources": ["secrets"],
        "verbs": ["get"],
        "resourceNames": list(FUNCTIONS[name].secrets),
    }
    (scope,) = docs["Configuration"]["spec"]["secrets"]["scopes"]
    assert scope == {"storeName": "kubernetes", "defaultAccess": "deny", "allowedSecrets": rule["resourceNames"]}
    assert pod["metadata"]["annotations"]["dapr.io/config"] == docs["Configuration"]["metadata"]["name"]


def test_no_service_account_or_role_is_shared_between_functions():
    accounts = [d for p in (BASE / "functions").glob("*.yaml") for d in load(p) if d["kind"] == "ServiceAccount"]
    assert sorted(a["metadata"]["name"] for a in accounts) == sorted(FUNCTIONS)
    everywhere = [d for p in BASE.rglob("*.yaml") for d in load(p)]
    bindings = [d for d in everywhere if d["kind"] in ("RoleBinding", "ClusterRoleBinding")]
    assert len(bindings) == len(FUNCTIONS) and all(len(b["subjects"]) == 1 for b in bindings)
    assert not [d for d in everywhere if d["kind"] == "ClusterRole"]


def test_secret_templates_hold_placeholders_only():
    for doc in load(ROOT / "k8s/secrets/secrets.template.yaml"):
        assert set(doc["stringData"].values()) == {"REPLACE-ME"}
    assert "kind: Secret\n" not in "".join(p.read_text() for p in BASE.rglob("*.yaml"))


def test_the_ingress_goes_through_the_controllers_sidecar_to_the_function_that_serves_the_path():
    import re

    ingresses = {d["metadata"]["name"]: d for d in _base("ingress.yaml") if d["kind"] == "Ingress"}
    for name, doc in ingresses.items():
        assert doc["metadata"]["namespace"] == "ingress-nginx"
        target = doc["metadata"]["annotations"]["nginx.ingress.kubernetes.io/rewrite-target"]
        assert target == f"/v1.0/invoke/{name}.todo-app/method/$1"
        for path in doc["spec"]["rules"][0]["http"]["paths"]:
            assert path["backend"]["service"] == {"name": "nginx-ingress-dapr", "port": {"number": 80}}
    todo = [p["path"] for p in ingresses["todo-api"]["spec"]["rules"][0]["http"]["paths"]]
    routes = {"/api/tasks": "api/tasks", "/api/tasks/1/complete": "api/tasks/1/complete", "/api/audit": "api/audit"}
    for url, rewritten in routes.items():
        assert any((m := re.fullmatch(p, url)) and m.group(1) == rewritten for p in todo), url
    assert not any(re.fullmatch(p, "/api/tasksX") for p in todo)
    assert "conversations" in ingresses


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_the_access_policy_admits_the_ingress_controller_from_its_own_namespace(name):
    config = _docs(FUNCTIONS[name])["Configuration"]
    namespaces = {p["appId"]: p["namespace"] for p in config["spec"]["accessControl"]["policies"]}
    assert namespaces["nginx-ingress"] == "ingress-nginx"
    assert namespaces["todo-operator"] == "todo-app"


def test_no_component_of_the_cluster_uses_the_local_secrets_file():
    for doc in _base("dapr-resources.yaml"):
        assert not doc["spec"].get("type", "").startswith("secretstores.local")
        assert doc.get("auth", {}).get("secretStore", "kubernetes") == "kubernetes"


# Functions this branch has not seen yet must render too: a multi-topic subscriber and a cron one.
class _MultiTopic(Topic):
    def subscriptions(self) -> list[dict]:
        return [
            {"pubsubname": "kafka-pubsub", "topic": t, "routes": {"default": f"/events/{t}"}, "deadLetterTopic": ""}
            for t in ("task-events-dlq", "reminders-dlq")
        ]


def test_new_functions_render_without_changes_to_the_renderer(monkeypatch, tmp_path: Path):
    import shutil

    import yaml

    for folder in ("dapr", "docs"):  # the sources the renderers read besides the table
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.setitem(FUNCTIONS, "future-dlq", Function("future-dlq", _MultiTopic("task-events-dlq"), "m:h", "m:I"))
    monkeypatch.setitem(FUNCTIONS, "future-topic", Function("future-topic", Topic("task-events"), "m:h", "m:I"))
    files = manifests.render_all(tmp_path)
    dead = files["k8s/base/functions/future-dlq.yaml"]
    assert "topic: task-events-dlq" in dead and "topic: reminders-dlq" in dead
    assert "maxReplicaCount: 3" in dead  # dead-letter topics have 3 partitions
    assert "future-topic:" in files["Procfile"] and "future-dlq:" in files["Procfile"]
    scopes = files["dapr/components/kafka-pubsub.yaml"]
    assert "  - future-dlq\n" in scopes and "  - future-topic\n" in scopes
    assert scopes.startswith("# Kafka pub/sub"), "hand-written comments survive"
    resiliency = files["dapr/resiliency.yaml"]
    assert "      future-dlq: {timeout: appCall" in resiliency
    assert "future-topic" in yaml.safe_load(resiliency)["spec"]["targets"]["apps"]
