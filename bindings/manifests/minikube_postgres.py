"""A single PostgreSQL for the minikube overlay, hardened like the functions."""

from __future__ import annotations

from typing import Any

from bindings.manifests import facts

IMAGE = "postgres:17.6-alpine"
LABELS = {"app.kubernetes.io/name": "postgres", "app.kubernetes.io/part-of": "todo-data"}
SECRET = "postgres-secret"  # key "password"; database-secret's url embeds the same password


def postgres() -> list[dict[str, Any]]:
    meta = {"name": "postgres", "namespace": facts.NAMESPACE, "labels": LABELS}
    container = {
        "name": "postgres",
        "image": IMAGE,
        "env": [
            {"name": "POSTGRES_USER", "value": "todo"},
            {"name": "POSTGRES_DB", "value": "todo"},
            {"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": SECRET, "key": "password"}}},
            {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
        ],
        "ports": [{"name": "postgres", "containerPort": 5432}],
        "readinessProbe": {"exec": {"command": ["pg_isready", "-U", "todo", "-d", "todo"]}, "periodSeconds": 5},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "data", "mountPath": "/var/lib/postgresql/data"},
            {"name": "run", "mountPath": "/var/run/postgresql"},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta,
        "spec": {
            "serviceName": "postgres",
            "replicas": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "postgres"}},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 70,  # the alpine image's postgres user
                        "runAsGroup": 70,
                        "fsGroup": 70,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [{"name": "run", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}],
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}},
                }
            ],
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {"selector": {"app.kubernetes.io/name": "postgres"}, "ports": [{"name": "postgres", "port": 5432}]},
    }
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "postgres-from-functions", "namespace": facts.NAMESPACE},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "postgres"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": facts.PART_OF}}}],
                    "ports": [{"protocol": "TCP", "port": 5432}],
                }
            ],
        },
    }
    return [statefulset, service, policy]
