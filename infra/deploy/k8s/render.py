"""Render the Kubernetes manifests in this folder: `python infra/deploy/k8s/render.py`.

One Deployment, PodDisruptionBudget and HorizontalPodAutoscaler per task queue of
workflows/queues.py (plus QUEUES_PENDING, queues other branches are adding), the API's
Deployment, Service, PDB, HPA and Ingress, the config, and the migration Job. No CronJob:
Temporal schedules own periodic work. tests/deploy checks that the files are what this renders
and validates them against the Kubernetes schemas bundled in kubernetes-validate.

Assumptions, documented in README "Scaling":
- PostgreSQL, Redis and Temporal run outside these manifests (a managed PostgreSQL with a read
  replica, a managed Redis, Temporal Cloud or the Temporal helm chart).
- prometheus-adapter (or KEDA's Prometheus scaler) exposes the workers' gauge
  `shopops_task_queue_backlog{queue,kind}` as the External metric of the same name; see
  prometheus-adapter.yaml for the rule.
- The Secret `shopops-secrets` is created by ops (kubectl create secret / sealed-secrets), never
  committed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from workflows.queues import Queue  # noqa: E402

NAMESPACE = "shopops"
IMAGE = "registry.example.com/shopops:0.1.0"
QUEUES_PENDING = ("reports", "indexing")  # issue 19 adds these queues; the lead reconciles
# queue → (min, max replicas, backlog per replica the HPA aims at, drain seconds)
SIZING: dict[str, tuple[int, int, int, int]] = {
    "snapshots": (2, 12, 20, 110),
    "sync": (2, 10, 50, 30),
    "analytics": (1, 6, 10, 110),
    "maintenance": (1, 3, 10, 110),
    "webhooks": (2, 10, 200, 30),
}
DEFAULT_SIZING = (1, 4, 50, 30)
LABELS = {"app.kubernetes.io/part-of": "shopops"}


def queue_names() -> list[str]:
    return [q.name.lower() for q in Queue] + [q for q in QUEUES_PENDING if q.upper() not in Queue.__members__]


def meta(name: str, component: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": NAMESPACE,
        "labels": {**LABELS, "app.kubernetes.io/name": name, "app.kubernetes.io/component": component},
    }


def selector(name: str) -> dict[str, Any]:
    return {"matchLabels": {"app.kubernetes.io/name": name}}


def http_probe(path: str, port: str, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "timeoutSeconds": 4,
        "failureThreshold": failures,
    }


def container(name: str, args: list[str], env: list[dict[str, Any]], ports: list[dict[str, Any]],
              live: dict[str, Any], ready: dict[str, Any], resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "image": IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "args": args,
        "envFrom": [{"configMapRef": {"name": "shopops-config"}}, {"secretRef": {"name": "shopops-secrets"}}],
        "env": env,
        "ports": ports,
        "startupProbe": {**live, "failureThreshold": 30, "periodSeconds": 2},
        "livenessProbe": live,
        "readinessProbe": ready,
        "resources": resources,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "data", "mountPath": "/var/lib/shopops"}, {"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 (a pod-private emptyDir)
    }


def pod_spec(c: dict[str, Any], grace: int) -> dict[str, Any]:
    return {
        "terminationGracePeriodSeconds": grace,
        "securityContext": {"fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [c],
        "volumes": [{"name": "data", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}],
    }


def pdb(name: str, component: str) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(name, component),
        "spec": {"maxUnavailable": 1, "selector": selector(name)},
    }


def worker(queue: str) -> list[dict[str, Any]]:
    name = f"shopops-worker-{queue}"
    low, high, per_pod, drain = SIZING.get(queue, DEFAULT_SIZING)
    env = [
        {"name": "WORKER_QUEUES", "value": queue},
        {"name": "WORKER_SCHEDULES", "value": "true" if queue == "system" else "false"},
        {"name": "WORKER_SHUTDOWN_SECONDS", "value": str(drain)},
        {"name": "WORKER_HEALTH_PORT", "value": "8081"},
        {"name": "WORKER_METRICS_PORT", "value": "9100"},
        {"name": "API_HOST", "value": "0.0.0.0"},  # noqa: S104 (inside the pod network)
    ]
    c = container(
        "worker", ["shopops", "worker", "-q", queue], env,
        [{"name": "health", "containerPort": 8081}, {"name": "metrics", "containerPort": 9100}],
        http_probe("/live", "health", 10, 3), http_probe("/ready", "health", 10, 2),
        {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}},
    )
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, "worker"),
        "spec": {
            "replicas": low,
            "selector": selector(name),
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {
                    "labels": {**LABELS, "app.kubernetes.io/name": name, "app.kubernetes.io/component": "worker",
                               "shopops.io/queue": queue},
                    "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9100"},
                },
                "spec": pod_spec(c, drain + 15),
            },
        },
    }
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta(name, "worker"),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": low,
            "maxReplicas": high,
            "metrics": [{
                "type": "External",
                "external": {
                    "metric": {
                        "name": "shopops_task_queue_backlog",
                        "selector": {"matchLabels": {"queue": f"shopops-{queue}", "kind": "activity"}},
                    },
                    "target": {"type": "AverageValue", "averageValue": str(per_pod)},
                },
            }],
            "behavior": {
                "scaleUp": {"stabilizationWindowSeconds": 30,
                            "policies": [{"type": "Pods", "value": 4, "periodSeconds": 60}]},
                # scale down slowly: every removed pod drains its activities for up to `drain` s
                "scaleDown": {"stabilizationWindowSeconds": 300,
                              "policies": [{"type": "Pods", "value": 1, "periodSeconds": 120}]},
            },
        },
    }
    return [deployment, pdb(name, "worker"), hpa]


def api() -> list[dict[str, Any]]:
    name = "shopops-api"
    c = container(
        "api", ["shopops", "api", "--host", "0.0.0.0", "--port", "8000"], [],  # noqa: S104
        [{"name": "http", "containerPort": 8000}],
        http_probe("/api/health/live", "http", 10, 3), http_probe("/api/health/ready", "http", 5, 2),
        {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
    )
    # let the endpoints controller take the pod out of the Service before uvicorn stops accepting
    c["lifecycle"] = {"preStop": {"sleep": {"seconds": 5}}}
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta(name, "api"),
            "spec": {
                "replicas": 2,
                "selector": selector(name),
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                "template": {
                    "metadata": {"labels": {**LABELS, "app.kubernetes.io/name": name,
                                            "app.kubernetes.io/component": "api"}},
                    "spec": pod_spec(c, 30),
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta(name, "api"),
            "spec": {"selector": {"app.kubernetes.io/name": name},
                     "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        },
        pdb(name, "api"),
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": meta(name, "api"),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": 2,
                "maxReplicas": 8,
                "metrics": [{"type": "Resource", "resource": {
                    "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {**meta(name, "api"), "annotations": {
                "nginx.ingress.kubernetes.io/proxy-body-size": "2m"}},
            "spec": {
                "ingressClassName": "nginx",
                "tls": [{"hosts": ["shopops.example.com"], "secretName": "shopops-tls"}],
                "rules": [{"host": "shopops.example.com", "http": {"paths": [{
                    "path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": name, "port": {"name": "http"}}}}]}}],
            },
        },
    ]


def config() -> list[dict[str, Any]]:
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": LABELS}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta("shopops-config", "config"),
            "data": {
                "SHOPOPS_ENV": "production",
                "SHOPOPS_DATA_DIR": "/var/lib/shopops",
                "TEMPORAL_ADDRESS": "temporal-frontend.temporal.svc.cluster.local:7233",
                "TEMPORAL_NAMESPACE": "default",
                "PUBLIC_BASE_URL": "https://shopops.example.com",
                "SHOPTET_API_URL": "https://api.myshoptet.com",
                "SHOPTET_PARTNER_URL": "https://www.shoptet.cz",
                "LOG_LEVEL": "INFO",
                "OTEL_EXPORTER": "otlp",
            },
        },
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": meta("shopops-migrate", "migrate"),
            "spec": {
                "backoffLimit": 3,
                "ttlSecondsAfterFinished": 86400,
                "template": {
                    "metadata": {"labels": {**LABELS, "app.kubernetes.io/name": "shopops-migrate"}},
                    "spec": {
                        "restartPolicy": "Never",
                        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
                        "containers": [{
                            "name": "migrate",
                            "image": IMAGE,
                            "args": ["shopops", "migrate", "up"],
                            "envFrom": [{"configMapRef": {"name": "shopops-config"}},
                                        {"secretRef": {"name": "shopops-secrets"}}],
                        }],
                    },
                },
            },
        },
    ]


def dump(docs: list[dict[str, Any]]) -> str:
    header = "# Rendered by infra/deploy/k8s/render.py: edit that, then run it.\n"
    return header + "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs)


def render() -> dict[str, str]:
    files = {"00-config.yaml": dump(config()), "10-api.yaml": dump(api())}
    for queue in queue_names():
        files[f"20-worker-{queue}.yaml"] = dump(worker(queue))
    return files


if __name__ == "__main__":
    for old in HERE.glob("[0-9][0-9]-*.yaml"):
        old.unlink()
    for name, text in render().items():
        (HERE / name).write_text(text)
    print(f"wrote {len(render())} files to {HERE}")
