"""Namespace, RBAC and NetworkPolicies: deny by default, then exactly the paths the functions use."""

from __future__ import annotations

from typing import Any

from bindings.manifests import facts, kafka
from bindings.manifests.ingress import INGRESS_NAMESPACE
from bindings.triggers import Function

DAPR_SYSTEM = "dapr-system"
# Control-plane pod ports daprd dials: sentry (certificates), operator (components), placement, scheduler.
DAPR_CONTROL_PLANE_PORTS = (50001, 6500, 50005, 50006)


def namespace() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": facts.NAMESPACE,
            "labels": {
                # Dapr injects sidecars into annotated pods of any namespace; the label marks this one's
                # intent for operators and policy engines.
                "dapr.io/enabled": "true",
                # The functions and their sidecars meet `restricted`; Strimzi's pods do only with its
                # restricted security provider (see docs/deployment.md), so enforce `baseline` and warn.
                "pod-security.kubernetes.io/enforce": "baseline",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            },
        },
    }


def _policy(name: str, selector: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": facts.NAMESPACE},
        "spec": {"podSelector": selector, **spec},
    }


def _ports(*numbers: int, protocol: str = "TCP") -> list[dict[str, Any]]:
    return [{"protocol": protocol, "port": n} for n in numbers]


def _ns(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


FUNCTIONS = {"matchLabels": {"app.kubernetes.io/part-of": facts.PART_OF}}


def policies(public: list[Function]) -> list[dict[str, Any]]:
    everything_tcp = [{"ipBlock": {"cidr": "0.0.0.0/0"}}]
    docs = [
        # Ingress is denied to every pod of the namespace; Strimzi adds its own policies for Kafka.
        _policy("default-deny-ingress", {}, policyTypes=["Ingress"]),
        _policy(
            "functions-egress",
            FUNCTIONS,
            policyTypes=["Egress"],
            egress=[
                {"to": [_ns("kube-system")], "ports": _ports(53, protocol="UDP") + _ports(53)},
                {"to": [_ns(DAPR_SYSTEM)], "ports": _ports(*DAPR_CONTROL_PLANE_PORTS)},
                {
                    "to": [{"podSelector": {"matchLabels": {"strimzi.io/cluster": kafka.CLUSTER}}}],
                    "ports": _ports(9092),
                },
                {"to": [{"podSelector": FUNCTIONS}], "ports": _ports(facts.SIDECAR_INTERNAL_GRPC)},
                # PostgreSQL may be managed outside the cluster; tighten the CIDR where its address is known.
                {"to": everything_tcp, "ports": _ports(5432)},
                # The Kubernetes API (the sidecar's secret store; policies see the endpoint's port after
                # the Service's DNAT: 443, 6443, or 8443 on minikube) and HTTPS APIs such as SendGrid.
                {"to": everything_tcp, "ports": _ports(443, 6443, 8443)},
            ],
        ),
        _policy(
            "functions-ingress",
            FUNCTIONS,
            policyTypes=["Ingress"],
            ingress=[
                {"from": [{"podSelector": FUNCTIONS}], "ports": _ports(facts.SIDECAR_INTERNAL_GRPC)},
                {"from": [_ns("monitoring")], "ports": _ports(facts.SIDECAR_METRICS, facts.APP_PORT)},
            ],
        ),
    ]
    for fn in public:
        docs.append(
            _policy(
                f"{fn.name}-from-ingress",
                {"matchLabels": facts.selector(fn)},
                policyTypes=["Ingress"],
                # The controller's sidecar invokes this function's sidecar (daprd to daprd), never the app port.
                ingress=[{"from": [_ns(INGRESS_NAMESPACE)], "ports": _ports(facts.SIDECAR_INTERNAL_GRPC)}],
            )
        )
    return docs
