"""The deployment files are valid: every Kubernetes manifest against the schemas bundled in
kubernetes-validate (offline, at a pinned Kubernetes version, strict: unknown fields fail), the
manifests are what render.py renders, and compose.yaml is a valid Compose file that holds the
structure the deployment relies on.

compose.yaml is not validated by `docker compose config` here (the Docker CLI on the machines
this runs on has no compose plugin). Instead it is interpolated as compose does (`${VAR:-x}`,
`${VAR:?msg}`, `$$`) with the values of compose.env.example, then parsed by `compose-spec`
(bindings of the Rust compose_spec crate: every field typed and checked against the Compose
Specification, unknown keys refused unless `x-`, image references parsed); the structural
invariants below are read with PyYAML.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from workflows.queues import Queue

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "infra" / "deploy"
K8S = DEPLOY / "k8s"
K8S_VERSION = "1.31.0"
PENDING_QUEUES = {"reports", "indexing"}  # issue 19's queues; the lead reconciles at merge
QUEUES = {q.name.lower() for q in Queue}


def _render() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location("k8s_render", K8S / "render.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.render()


def _manifests() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("[0-9][0-9]-*.yaml")):
        docs.extend((path.name, d) for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


_VARIABLE = re.compile(r"\$(?:(\$)|\{(\w+)(?:(:?[-?])([^}]*))?\}|(\w+))")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable interpolation: `$$` is a `$`; `${VAR:-default}` (unset or empty),
    `${VAR-default}` (unset); `${VAR:?message}` / `${VAR?message}` refuse, as compose does."""

    def one(match: re.Match[str]) -> str:
        escaped, name, op, arg, bare = match.groups()
        if escaped:
            return "$"
        value = env.get(name or bare)
        if op in (":-", ":?") and not value:
            value = None
        if value is not None:
            return value
        if op in (":?", "?"):
            raise ValueError(f"required variable {name} is missing a value: {arg}")
        return arg if op in (":-", "-") else ""

    return _VARIABLE.sub(one, text)


def _example_env() -> dict[str, str]:
    lines = (DEPLOY / "compose.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def _parse_compose(text: str, env: dict[str, str]) -> Any:
    """Interpolated, YAML anchors and merge keys resolved by PyYAML (as compose resolves them;
    the Rust parser has no merge keys), then checked by compose-spec; ValueError if invalid."""
    from compose_spec import PyCompose

    return PyCompose.from_json(json.dumps(yaml.safe_load(interpolate(text, env))))


def test_compose_is_valid_per_the_compose_specification() -> None:
    parsed = _parse_compose((DEPLOY / "compose.yaml").read_text(), _example_env())
    names = set(parsed.service_names())
    assert {"postgresql", "redis", "temporal", "api", "proxy", "migrate"} <= names
    assert {f"worker-{q}" for q in QUEUES} <= names


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        (("    healthcheck:", "    healthchek:"), "healthchek"),  # a misspelled key
        (("restart: unless-stopped", "restart: sometimes"), "sometimes"),  # not one of the four policies
        (("image: redis:", "image: redis:7 4:"), "image"),  # not an image reference
    ],
)
def test_a_compose_violation_is_caught(change: tuple[str, str], refused: str) -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    assert change[0] in text
    with pytest.raises(ValueError, match=refused):
        _parse_compose(text.replace(change[0], change[1], 1), _example_env())


def test_compose_refuses_to_start_without_the_database_password() -> None:
    env = {k: v for k, v in _example_env().items() if k != "POSTGRES_PASSWORD"}
    with pytest.raises(ValueError, match="POSTGRES_PASSWORD"):
        interpolate((DEPLOY / "compose.yaml").read_text(), env)
    assert interpolate("a$$b ${X:-d} ${X-e} $X", {"X": ""}) == "a$b d  "


def test_manifests_are_what_render_py_renders() -> None:
    rendered = _render()
    on_disk = {p.name: p.read_text() for p in K8S.glob("[0-9][0-9]-*.yaml")}
    assert on_disk == rendered, "run `python infra/deploy/k8s/render.py` after editing it"


@pytest.mark.parametrize("name,doc", _manifests(), ids=lambda v: v if isinstance(v, str) else "")
def test_manifest_is_valid_kubernetes(name: str, doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_a_schema_violation_is_caught() -> None:
    """The validator really checks: a Deployment with a misspelt field fails."""
    _, deployment = next(d for d in _manifests() if d[1]["kind"] == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["replica"] = broken["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_every_queue_has_a_deployment_pdb_and_backlog_hpa() -> None:
    docs = [d for _, d in _manifests()]
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert not any(d["kind"] == "CronJob" for d in docs), "periodic work is Temporal schedules"
    for queue in QUEUES | PENDING_QUEUES:
        name = f"shopops-worker-{queue}"
        assert {("Deployment", name), ("PodDisruptionBudget", name), ("HorizontalPodAutoscaler", name)} <= kinds
        deployment = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == name)
        pod = deployment["spec"]["template"]["spec"]
        (c,) = pod["containers"]
        assert c["args"] == ["shopops", "worker", "-q", queue]
        assert c["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert c["livenessProbe"]["httpGet"]["path"] == "/live"
        env = {e["name"]: e["value"] for e in c["env"]}
        # the pod's grace period covers the worker's own drain
        assert pod["terminationGracePeriodSeconds"] > float(env["WORKER_SHUTDOWN_SECONDS"])
        hpa = next(d for d in docs if d["kind"] == "HorizontalPodAutoscaler" and d["metadata"]["name"] == name)
        (metric,) = hpa["spec"]["metrics"]
        assert metric["external"]["metric"]["name"] == "shopops_task_queue_backlog"
        assert metric["external"]["metric"]["selector"]["matchLabels"]["queue"] == f"shopops-{queue}"


def test_the_backlog_gauge_the_hpas_read_exists() -> None:
    from infra.telemetry.metrics import QUEUE_BACKLOG

    assert QUEUE_BACKLOG._name == "shopops_task_queue_backlog"
    assert QUEUE_BACKLOG._labelnames == ("queue", "kind")


def test_compose_has_every_piece(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("postgresql", "redis", "temporal", "temporal-ui", "temporal-admin-tools", "migrate", "api", "proxy"):
        assert name in services, name
    assert services["temporal"]["image"].startswith("temporalio/auto-setup:")
    assert services["temporal"]["environment"]["DB"] == "postgres12"
    assert services["temporal-ui"]["image"].startswith("temporalio/ui:")
    assert services["api"]["deploy"]["replicas"] == 2
    assert "/api/health/ready" in (DEPLOY / "Caddyfile").read_text()
    assert "tls internal" in (DEPLOY / "Caddyfile").read_text()


def test_compose_images_are_pinned_to_exact_versions(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: {image} is not pinned"
        tag = image.split(":", 1)[1]
        assert re.match(r"^(\$\{SHOPOPS_VERSION:-)?\d+\.\d+(\.\d+)?", tag), f"{name}: {image}"


def test_postgres_archives_wal(compose: dict[str, Any]) -> None:
    pg = compose["services"]["postgresql"]
    args = " ".join(pg["command"])
    assert "archive_mode=on" in args and "wal_level=replica" in args
    assert "archive_wal.sh" in args
    assert any(v.startswith("wal-archive:") for v in pg["volumes"])
    assert (ROOT / "infra" / "pitr" / "archive_wal.sh").exists()


def test_compose_has_a_worker_per_queue(compose: dict[str, Any]) -> None:
    services = compose["services"]
    workers = {n.removeprefix("worker-"): s for n, s in services.items() if n.startswith("worker-")}
    assert set(workers) >= QUEUES, f"queues without a worker service: {QUEUES - set(workers)}"
    assert set(workers) <= QUEUES | PENDING_QUEUES
    for queue, service in workers.items():
        assert service["command"] == ["shopops", "worker", "-q", queue]
        env = service["environment"]
        assert env["WORKER_HEALTH_PORT"] == "8081" and "/ready" in " ".join(service["healthcheck"]["test"])
        grace = int(service["stop_grace_period"].removesuffix("s"))
        assert grace > float(env["WORKER_SHUTDOWN_SECONDS"]), f"{queue}: the drain outlasts the grace period"
        assert service["stop_signal"] == "SIGTERM"
    assert sum(s["environment"]["WORKER_SCHEDULES"] == "true" for s in workers.values()) == 1


def test_every_service_has_a_healthcheck_or_is_one_shot(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        # one-shot or interactive; temporal-ui is an ops page whose image has no probe tool we know of
        if name in ("migrate", "temporal-admin-tools", "temporal-ui"):
            continue
        assert "healthcheck" in service, name


def test_compose_configuration_is_by_environment(compose: dict[str, Any]) -> None:
    example = {
        line.split("=", 1)[0]
        for line in (DEPLOY / "shopops.env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert {"DATABASE_URL", "REDIS_URL", "TEMPORAL_ADDRESS", "ENCRYPTION_KEYS", "SESSION_SECRET"} <= example
    for name, service in compose["services"].items():
        if service["image"].startswith("shopops:"):
            assert service["env_file"] == ["shopops.env"], name
    for referenced in ("Caddyfile", "postgres-init.sh", "postgres-entrypoint.sh"):
        assert (DEPLOY / referenced).exists()


def test_dockerfile_is_multi_stage_non_root_and_pinned() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?", text, re.M)
    assert [s[1] for s in stages] == ["ui", "build", "runtime"]
    assert "ARG PYTHON_IMAGE=python:3.11." in text
    assert re.search(r"^FROM node:\d+\.\d+\.\d+-", text, re.M)
    assert re.search(r"^USER 10001", text, re.M)
    assert "HEALTHCHECK" in text and "STOPSIGNAL SIGTERM" in text
    assert "npm ci" in text and "npm run build" in text
