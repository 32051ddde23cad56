"""The Kubernetes manifests: rendered by kustomize, valid against the API's schemas (offline,
strict: an unknown or misspelt field fails), and holding what production needs."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import ValidationError

ROOT = Path(__file__).resolve().parent.parent
KUBERNETES = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.33.0"
CUSTOM_KINDS = {"Cluster", "Pooler"}  # CloudNativePG's, not in the core schemas
SERVICES = ("gateway", "catalog", "participation", "transfer")


def render() -> list[dict[str, Any]]:
    """`kubectl kustomize deploy/kubernetes`, or the standalone `kustomize build`."""
    if kubectl := shutil.which("kubectl"):
        command = [kubectl, "kustomize", str(KUBERNETES)]
    elif kustomize := shutil.which("kustomize"):
        command = [kustomize, "build", str(KUBERNETES)]
    elif os.environ.get("CI"):
        raise AssertionError("neither kubectl nor kustomize is installed")
    else:
        pytest.skip("neither kubectl nor kustomize is installed here")
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    return [doc for doc in yaml.safe_load_all(output.stdout) if doc]


@pytest.fixture(scope="module")
def manifests() -> list[dict[str, Any]]:
    return render()


def of_kind(manifests: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in manifests if doc["kind"] == kind}


def test_every_core_object_is_valid_in_strict_mode(manifests: list[dict[str, Any]]) -> None:
    core = [doc for doc in manifests if doc["kind"] not in CUSTOM_KINDS]
    for doc in core:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    assert {doc["kind"] for doc in core} >= {
        "Namespace",
        "ConfigMap",
        "Deployment",
        "Service",
        "Ingress",
        "NetworkPolicy",
        "Job",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    }


def test_the_validation_refuses_a_misspelt_field(manifests: list[dict[str, Any]]) -> None:
    deployment = copy.deepcopy(of_kind(manifests, "Deployment")["gateway"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_a_deployment_per_service_and_the_worker_hardened(
    manifests: list[dict[str, Any]],
) -> None:
    deployments = of_kind(manifests, "Deployment")
    assert set(deployments) >= {*SERVICES, "worker"}
    for name in (*SERVICES, "worker"):
        pod = deployments[name]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["args"][:2] == ["serve", name]
        image, _, tag = container["image"].rpartition(":")
        assert image and tag not in ("", "latest"), container["image"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        secrets = {e["name"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})}
        assert {"MAGNET_SECRET_KEY", "DB_PASSWORD"} <= secrets
        if name != "worker":
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    config = of_kind(manifests, "ConfigMap")["magnet-config"]["data"]
    assert config["MAGNET_DB_PGBOUNCER"] == "true"
    assert config["MAGNET_REDIS_URL"].startswith("redis://")
    assert not any("PASSWORD" in key or "SECRET" in key for key in config)


def test_autoscalers_and_disruption_budgets_for_every_deployment_of_ours(
    manifests: list[dict[str, Any]],
) -> None:
    autoscaled = {
        h["spec"]["scaleTargetRef"]["name"]
        for h in of_kind(manifests, "HorizontalPodAutoscaler").values()
    }
    budgets = set(of_kind(manifests, "PodDisruptionBudget"))
    assert autoscaled == budgets == {*SERVICES, "worker"}


def test_only_the_gateway_is_exposed_and_the_services_only_to_the_gateway_and_worker(
    manifests: list[dict[str, Any]],
) -> None:
    backends = {
        path["backend"]["service"]["name"]
        for ingress in of_kind(manifests, "Ingress").values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"gateway"}
    policies = of_kind(manifests, "NetworkPolicy")
    assert policies["default-deny-ingress"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress"],
    }
    (allowed,) = policies["services"]["spec"]["ingress"]
    (callers,) = allowed["from"]
    assert callers["podSelector"]["matchExpressions"][0]["values"] == ["gateway", "worker"]


def test_postgres_is_a_cloudnativepg_cluster_behind_a_transaction_mode_pooler(
    manifests: list[dict[str, Any]],
) -> None:
    (cluster,) = of_kind(manifests, "Cluster").values()
    (pooler,) = of_kind(manifests, "Pooler").values()
    assert cluster["apiVersion"] == pooler["apiVersion"] == "postgresql.cnpg.io/v1"
    assert pooler["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert pooler["spec"]["pgbouncer"]["poolMode"] == "transaction"
    job = of_kind(manifests, "Job")["migrate"]["spec"]["template"]["spec"]["containers"][0]
    assert job["args"] == ["migrate"]
    assert of_kind(manifests, "Service")["valkey"]
