"""One Deployment (app container + injected daprd) and one PodDisruptionBudget per function."""

from __future__ import annotations

from typing import Any

from bindings.manifests import facts, secrets
from bindings.procfile import gunicorn_argv
from bindings.triggers import Function

IMAGE = "todo-functions"  # the overlays pin name and tag with kustomize `images:`
CRON_REPLICAS = 2  # a cron binding cannot wake a pod, so never zero; the tick claim makes two safe
HEALTH = "/healthz"


def dapr_annotations(fn: Function, config: str) -> dict[str, str]:
    return {
        "dapr.io/enabled": "true",
        "dapr.io/app-id": fn.name,
        "dapr.io/app-port": str(facts.APP_PORT),
        "dapr.io/app-protocol": "http",
        "dapr.io/config": config,
        "dapr.io/enable-app-health-check": "true",
        "dapr.io/app-health-check-path": HEALTH,
        "dapr.io/app-health-probe-interval": "5",
        "dapr.io/app-health-threshold": "3",
        "dapr.io/app-token-secret": secrets.APP_TOKEN,
        "dapr.io/api-token-secret": secrets.API_TOKEN,
        "dapr.io/log-as-json": "true",
        "dapr.io/log-level": "info",
        "dapr.io/enable-metrics": "true",
        "dapr.io/metrics-port": str(facts.SIDECAR_METRICS),
        # daprd waits this long for in-flight deliveries on SIGTERM; below terminationGracePeriodSeconds.
        "dapr.io/graceful-shutdown-seconds": "20",
        "dapr.io/sidecar-cpu-request": "50m",
        "dapr.io/sidecar-memory-request": "64Mi",
        "dapr.io/sidecar-cpu-limit": "500m",
        "dapr.io/sidecar-memory-limit": "256Mi",
        "dapr.io/sidecar-seccomp-profile-type": "RuntimeDefault",
    }


def _token_env(var: str, secret: str) -> dict[str, Any]:
    return {"name": var, "valueFrom": {"secretKeyRef": {"name": secret, "key": "token"}}}


def container(fn: Function) -> dict[str, Any]:
    probe = {"httpGet": {"path": HEALTH, "port": "http"}, "periodSeconds": 10, "timeoutSeconds": 3}
    return {
        "name": facts.APP_CONTAINER,
        "image": IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "command": gunicorn_argv(fn.name),
        "ports": [{"name": "http", "containerPort": facts.APP_PORT, "protocol": "TCP"}],
        "env": [
            {"name": "APP_HOST", "value": "0.0.0.0"},  # kubelet probes reach the pod IP; daprd uses loopback
            {"name": "APP_PORT", "value": str(facts.APP_PORT)},
            {"name": "SECRET_STORE", "value": "kubernetes"},
            {"name": "TODO_DATA_DIR", "value": "/tmp/todo"},
            {"name": "HOME", "value": "/tmp"},  # gunicorn >= 23 puts its control socket under $HOME
            {"name": "LOG_LEVEL", "value": "INFO"},
            _token_env("APP_API_TOKEN", secrets.APP_TOKEN),
            _token_env("DAPR_API_TOKEN", secrets.API_TOKEN),
        ],
        "readinessProbe": {**probe, "failureThreshold": 3},
        # Liveness asks only "is the process serving?": /healthz also fails while PostgreSQL is down,
        # and restarting every pod during a database outage would only add a thundering herd.
        "livenessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 10, "failureThreshold": 6},
        "startupProbe": {**probe, "periodSeconds": 2, "failureThreshold": 60},
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "1", "memory": "384Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def deployment(fn: Function, config: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": facts.selector(fn)},
        "revisionHistoryLimit": 3,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        "template": {
            "metadata": {"labels": facts.labels(fn), "annotations": dapr_annotations(fn, config)},
            "spec": {
                "serviceAccountName": secrets.service_account(fn),
                "terminationGracePeriodSeconds": 30,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 10001,
                    "runAsGroup": 10001,
                    "fsGroup": 10001,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "topologySpreadConstraints": [
                    {
                        "maxSkew": 1,
                        "topologyKey": "kubernetes.io/hostname",
                        "whenUnsatisfiable": "ScheduleAnyway",
                        "labelSelector": {"matchLabels": facts.selector(fn)},
                    }
                ],
                "containers": [container(fn)],
                "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
            },
        },
    }
    if fn.trigger.binding is not None:
        spec["replicas"] = CRON_REPLICAS
    # Topic and invoke functions leave `replicas` to their KEDA ScaledObject or HPA, so that
    # re-applying the manifests does not fight the autoscaler.
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": fn.name, "namespace": facts.NAMESPACE, "labels": facts.labels(fn)},
        "spec": spec,
    }


def disruption_budget(fn: Function) -> dict[str, Any]:
    # maxUnavailable (not minAvailable) so that a drain never blocks on a function at 0 or 1 replica.
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": fn.name, "namespace": facts.NAMESPACE, "labels": facts.labels(fn)},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": facts.selector(fn)}},
    }
