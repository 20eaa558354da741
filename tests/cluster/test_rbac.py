"""Each function's service account, asked of the real RBAC: exactly the secrets it declares, nothing more.

The expectation is the declaration (`FUNCTIONS[name].secrets`); the answers are the API server's,
to `kubectl auth can-i` (as a reviewer asks it) and to a SelfSubjectRulesReview made with the
account's own TokenRequest token.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bindings.devstack.kubeserver import KubeServer
from bindings.table import FUNCTIONS
from tests.cluster.harness import Deployed, Pod, pods
from tests.cluster.known_secrets import every_secret

pytestmark = pytest.mark.cluster
BASELINE_ACCOUNT = "rbac-baseline"  # bound to nothing: what every authenticated account may do anyway


def can_i(server: KubeServer, pod: Pod, verb: str, resource: str, namespace: str | None = None) -> bool:
    args = ("auth", "can-i", verb, resource, "-n", namespace or pod.namespace, f"--as={pod.user}")
    done = server.kubectl(*args, check=False)
    assert done.stdout.strip() in ("yes", "no"), done.stderr
    return done.stdout.strip() == "yes"


def test_every_function_runs_as_a_service_account_of_its_own(deployed: Deployed):
    found = pods(deployed)
    assert sorted(found) == sorted(FUNCTIONS)
    accounts = [p.service_account for p in found.values()]
    assert len(set(accounts)) == len(accounts), {p.function: p.service_account for p in found.values()}
    for pod in found.values():
        deployed.server.kubectl("get", "serviceaccount", pod.service_account, "-n", pod.namespace)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_can_i_get_a_secret_exactly_when_declared(deployed: Deployed, function: str):
    pod = pods(deployed)[function]
    declared = set(FUNCTIONS[function].secrets)
    answers = {name: can_i(deployed.server, pod, "get", f"secrets/{name}") for name in every_secret(deployed)}
    allowed = {n for n, yes in answers.items() if yes}
    assert allowed == declared, f"{pod.user} may get {sorted(allowed)}; {function} declares {sorted(declared)}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_other_verb_on_secrets_and_no_other_namespace(deployed: Deployed, function: str):
    pod, declared = pods(deployed)[function], FUNCTIONS[function].secrets
    asked = [("list", "secrets"), ("watch", "secrets"), ("create", "secrets")]
    asked += [(verb, f"secrets/{name}") for name in declared for verb in ("update", "patch", "delete")]
    allowed = [f"{verb} {what}" for verb, what in asked if can_i(deployed.server, pod, verb, what)]
    allowed += [
        f"get secrets/{n} in default" for n in declared if can_i(deployed.server, pod, "get", f"secrets/{n}", "default")
    ]
    assert allowed == []


def _rules(server: KubeServer, kubeconfig: Path, namespace: str) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    """(resource rules, non-resource rules) the caller holds in `namespace`, one tuple per verb and name."""
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": namespace},
    }
    # --validate=false: kubectl's own check would list CRDs, which an account without bindings may not.
    done = server.kubectl(
        "create", "--validate=false", "-f", "-", "-o", "yaml", stdin=yaml.safe_dump(review), kubeconfig=kubeconfig
    )
    status = yaml.safe_load(done.stdout)["status"]
    resource = {
        (verb, group, res, name)
        for rule in status.get("resourceRules", [])
        for verb in rule["verbs"]
        for group in rule.get("apiGroups", [""])
        for res in rule.get("resources", [])
        for name in rule.get("resourceNames", ["*"])
    }
    plain = {
        (verb, url)
        for rule in status.get("nonResourceRules", [])
        for verb in rule["verbs"]
        for url in rule["nonResourceURLs"]
    }
    return resource, plain


def _as_account(server: KubeServer, account: str, namespace: str, folder: Path) -> Path:
    token = server.kubectl("create", "token", account, "-n", namespace, "--duration=10m").stdout.strip()
    return server.write_kubeconfig(folder / f"{account}.kubeconfig", token, account)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_its_rules_are_the_declared_gets_and_nothing_more(deployed: Deployed, function: str, tmp_path: Path):
    server, pod = deployed.server, pods(deployed)[function]
    server.kubectl("create", "serviceaccount", BASELINE_ACCOUNT, "-n", pod.namespace, check=False)
    base_resource, base_plain = _rules(
        server, _as_account(server, BASELINE_ACCOUNT, pod.namespace, tmp_path), pod.namespace
    )
    resource, plain = _rules(server, _as_account(server, pod.service_account, pod.namespace, tmp_path), pod.namespace)
    expected = {("get", "", "secrets", name) for name in FUNCTIONS[function].secrets}
    assert resource - base_resource == expected, f"{function} holds {sorted(resource - base_resource)}"
    assert base_resource <= resource and plain == base_plain
