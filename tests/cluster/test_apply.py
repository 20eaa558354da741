"""k8s/base and both overlays, applied to a real kube-apiserver with server-side apply and strict validation."""

from __future__ import annotations

import copy

import pytest
import yaml

from bindings.devstack.kubeserver import KubeServer
from tests.cluster.harness import APPLY, INGRESS_CONTROLLER_NAMESPACE, OVERLAYS, Deployed, differences, key, rendered

pytestmark = pytest.mark.cluster


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_accepted_and_stored_as_applied(deployed: Deployed, overlay: str):
    applied = deployed.applied[overlay]
    assert applied.result.returncode == 0, applied.result.stderr
    missing = [key(d) for d in applied.docs if key(d) not in applied.stored]
    assert missing == []
    # Nothing pruned or rewritten: what would show a field the schema does not know, or a wrong type coerced.
    changed = {key(d): diff for d in applied.docs if (diff := differences(d, applied.stored[key(d)]))}
    assert changed == {}
    kinds = {d["kind"] for d in applied.docs}
    assert {"Deployment", "Role", "RoleBinding", "ServiceAccount", "Component", "Configuration"} <= kinds
    assert {"ScaledObject", "Kafka", "KafkaTopic"} <= kinds


def test_cloud_overlay_external_secrets_are_stored_by_the_operators_crd(deployed: Deployed):
    external = [d for d in deployed.applied["overlays/cloud"].docs if d["kind"] == "ExternalSecret"]
    assert external, "the cloud overlay has ExternalSecrets"
    for doc in external:
        stored = deployed.applied["overlays/cloud"].stored[key(doc)]
        assert stored["apiVersion"] == "external-secrets.io/v1"
        assert stored["spec"]["target"]["name"] == doc["metadata"]["name"]


def test_ingresses_need_the_ingress_controller_installed_first(deployed: Deployed):
    """A user who applies before installing the ingress controller is told so, for the Ingresses only."""
    ingresses = [d for d in rendered("overlays/minikube") if d["kind"] == "Ingress"]
    controller_namespace = INGRESS_CONTROLLER_NAMESPACE["metadata"]["name"]
    assert ingresses and {d["metadata"]["namespace"] for d in ingresses} == {controller_namespace}

    first = deployed.before_ingress_controller
    assert first.returncode != 0
    errors = [line for line in first.stderr.splitlines() if line.strip()]
    assert errors, first.stderr
    assert all(f'namespaces "{controller_namespace}" not found' in line for line in errors), first.stderr
    assert len(errors) == len(ingresses), first.stderr
    # Once the controller's install made its namespace, the same apply went through (the test above).


@pytest.mark.parametrize(
    ("kind", "name", "typo"),
    [
        ("ScaledObject", "send-reminder", "pollingIntervall"),  # a custom resource: its CRD's schema
        ("Deployment", "todo-api", "replica"),  # a core kind: the built-in schema
        ("Configuration", None, "tracingg"),  # Dapr's Configuration CRD
    ],
)
def test_an_unknown_field_is_refused(deployed: Deployed, kind: str, name: str | None, typo: str):
    server: KubeServer = deployed.server
    # From the overlay the server holds now, so that the accepted apply below changes nothing else.
    current = rendered(OVERLAYS[-1])
    doc = copy.deepcopy(next(d for d in current if d["kind"] == kind and name in (None, d["metadata"]["name"])))
    doc["spec"][typo] = 15
    # Server-side apply refuses a field the schema does not declare (whatever --validate says).
    refused = server.kubectl(*APPLY, "-f", "-", stdin=yaml.safe_dump(doc), check=False)
    assert refused.returncode != 0
    assert f".spec.{typo}: field not declared in schema" in refused.stderr, refused.stderr
    assert typo not in deployed.stored_as(doc)["spec"]
    # So does a plain `kubectl apply` (kubectl's default --validate=strict), checked without changing anything.
    plain = server.kubectl("apply", "--dry-run=server", "-f", "-", stdin=yaml.safe_dump(doc), check=False)
    assert plain.returncode != 0
    assert f'unknown field "spec.{typo}"' in plain.stderr, plain.stderr
