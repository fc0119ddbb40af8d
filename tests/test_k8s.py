"""deploy/k8s: every manifest valid against the Kubernetes schemas (kubernetes-validate, offline,
strict), wired as the README says (a Deployment per app with replicas, probes, resources and the
token from a Secret; a Service; a migration Job; the gateway's autoscaler), and the migration
wait of the Deployments' initContainer run for real against a database before and after its
migration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from services.common import migrate

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES = "1.30.0"
APPS = {  # Kubernetes name → (app, port, env prefix)
    "gateway": ("gateway", 8000, "GATEWAY"),
    "indicators": ("indicators", 8001, "INDICATORS"),
    "support-cases": ("support_cases", 8002, "SUPPORT_CASES"),
    "training": ("training", 8003, "TRAINING"),
}


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


@pytest.fixture(scope="module")
def resources() -> dict[tuple[str, str], dict[str, Any]]:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    out = {}
    for name in listed["resources"]:
        for doc in _docs(K8S / name):
            out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e for e in container.get("env", [])}


def test_every_manifest_is_valid_offline_and_strict() -> None:
    files = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    assert {p.name for p in files} >= {"configmap.yaml", "migrate-jobs.yaml", "gateway-hpa.yaml"}
    checked = 0
    for path in files:
        for doc in _docs(path):
            kubernetes_validate.validate(doc, KUBERNETES, strict=True)
            checked += 1
    assert checked >= 15


def test_a_broken_manifest_is_refused() -> None:
    """The validator is not a no-op: a misspelt field and a wrong type fail."""
    [deploy, _service] = _docs(K8S / "training.yaml")
    deploy["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deploy, KUBERNETES, strict=True)
    [deploy, _service] = _docs(K8S / "training.yaml")
    deploy["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deploy, KUBERNETES, strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert set(listed["resources"]) == on_disk


@pytest.mark.parametrize("name", APPS)
def test_deployment_per_app(resources: dict, name: str) -> None:
    app, port, prefix = APPS[name]
    d = resources[("Deployment", name)]
    spec = d["spec"]
    assert spec["replicas"] >= 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = spec["template"]["spec"]
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    [c] = pod["containers"]
    assert c["command"] == ["python", "-m", "scripts.serve", app]
    assert c["ports"] == [{"name": "http", "containerPort": port}]
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for kind in ("requests", "limits"):
        assert set(c["resources"][kind]) == {"cpu", "memory"}
    env = _env(c)
    assert env["BANSO_TOKEN_SECRET"]["valueFrom"]["secretKeyRef"] == {
        "name": "banso-secrets",
        "key": "token-secret",
    }
    assert env[f"{prefix}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "banso-secrets"
    assert env[f"{prefix}_PORT"]["value"] == str(port)
    assert c["envFrom"] == [{"configMapRef": {"name": "banso-config"}}]
    assert pod["securityContext"]["runAsNonRoot"] is True
    [wait] = pod["initContainers"]
    assert wait["args"][1:] == [app, f"{prefix}_DATABASE_URL"]
    assert wait["env"] == [env[f"{prefix}_DATABASE_URL"]]


@pytest.mark.parametrize("name", APPS)
def test_service_and_migration_job_per_app(resources: dict, name: str) -> None:
    app, port, prefix = APPS[name]
    svc = resources[("Service", name)]
    assert svc["spec"]["selector"] == {"app.kubernetes.io/name": name}
    assert svc["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": "http"}]
    job = resources[("Job", f"{name}-migrate")]
    [c] = job["spec"]["template"]["spec"]["containers"]
    assert c["command"] == ["python", "-m", "scripts.migrate", app]
    deploy = resources[("Deployment", name)]["spec"]["template"]["spec"]["containers"][0]
    assert _env(c)[f"{prefix}_DATABASE_URL"] == _env(deploy)[f"{prefix}_DATABASE_URL"]
    assert job["spec"]["ttlSecondsAfterFinished"] > 0


def test_gateway_autoscaler_and_service_addresses(resources: dict) -> None:
    hpa = resources[("HorizontalPodAutoscaler", "gateway")]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "gateway",
    }
    assert 2 <= hpa["minReplicas"] < hpa["maxReplicas"]
    config = resources[("ConfigMap", "banso-config")]["data"]
    for name, (app, port, prefix) in APPS.items():
        if app != "gateway":
            assert config[f"GATEWAY_{prefix}_URL"] == f"http://{name}:{port}"
    assert config["BANSO_ENV"] == "production"
    assert config["GATEWAY_SESSION_COOKIE_SECURE"] == "true"


def test_init_container_waits_for_the_migration_then_lets_the_pod_start(
    resources: dict, tmp_path: Path
) -> None:
    """The initContainer's own code, run as the pod would run it: it keeps waiting while the
    database is behind, and returns at once once the Job's command has migrated it."""
    [wait] = resources[("Deployment", "training")]["spec"]["template"]["spec"]["initContainers"]
    url = f"sqlite+aiosqlite:///{tmp_path / 'training.db'}"
    env = dict(os.environ, TRAINING_DATABASE_URL=url)
    argv = [sys.executable, *wait["command"][1:], *wait["args"]]
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run(argv, cwd=ROOT, env=env, timeout=6, capture_output=True)
    job = resources[("Job", "training-migrate")]["spec"]["template"]["spec"]["containers"][0]
    done = subprocess.run(
        [sys.executable, *job["command"][1:]], cwd=ROOT, env=env, timeout=120, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert migrate.head_revisions("training")
    ready = subprocess.run(argv, cwd=ROOT, env=env, timeout=60, capture_output=True)
    assert ready.returncode == 0, ready.stderr
