"""infra/k8s: every manifest validated offline against Kubernetes' schemas with kubernetes-validate,
the ServiceMonitor (a CRD it has no schema for) checked by shape, and the manifests checked against
each other, the Dockerfile, the CLI and the settings."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
import yaml

from finops.config import Settings
from tests.infra.conftest import ROOT, cli_accepts, dockerfile_instructions

K8S = ROOT / "infra" / "k8s"
KUBERNETES_VERSION = "1.37.0"
CRDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}
NOT_RESOURCES = {"kustomization.yaml"}


def manifests() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(K8S.glob("*.yaml")):
        if path.name in NOT_RESOURCES:
            continue
        (document,) = [d for d in yaml.safe_load_all(path.read_text()) if d]
        out[path.name] = document
    return out


def by_kind(kind: str) -> dict[str, Any]:
    (found,) = [m for m in manifests().values() if m["kind"] == kind]
    return found


def pod_spec(manifest: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = manifest["spec"]["template"]["spec"]
    return spec


class TestSchemas:
    @pytest.mark.parametrize("name", sorted(manifests()))
    def test_validates_against_kubernetes_schemas(self, name: str) -> None:
        manifest = manifests()[name]
        if (manifest["apiVersion"], manifest["kind"]) in CRDS:
            with pytest.raises(kubernetes_validate.SchemaNotFoundError):
                kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
            return
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)

    def test_a_broken_manifest_is_refused(self) -> None:
        deployment = by_kind("Deployment")
        pod_spec(deployment)["containers"][0]["ports"][0]["containerPort"] = "eight thousand"
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)

    def test_every_kind_the_issue_asks_for(self) -> None:
        kinds = {m["kind"] for m in manifests().values()}
        assert {
            "Deployment",
            "Service",
            "ConfigMap",
            "Secret",
            "Job",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "ServiceMonitor",
        } <= kinds

    def test_kustomization_lists_the_resources_but_not_the_example_secret(self) -> None:
        listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
        expected = {name for name in manifests() if name not in ("secret.example.yaml", "migration-job.yaml")}
        assert set(listed) == expected


class TestDeployment:
    def test_probes_use_readyz_and_healthz_on_the_http_port(self) -> None:
        (container,) = pod_spec(by_kind("Deployment"))["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert container["readinessProbe"]["httpGet"]["port"] in ports

    def test_resources_and_security_context(self) -> None:
        spec = pod_spec(by_kind("Deployment"))
        (container,) = spec["containers"]
        assert {"cpu", "memory"} <= container["resources"]["requests"].keys()
        assert {"cpu", "memory"} <= container["resources"]["limits"].keys()
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] >= 1000
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False
        assert security["readOnlyRootFilesystem"] is True
        assert security["capabilities"]["drop"] == ["ALL"]

    def test_command_matches_the_dockerfile_and_the_cli(self) -> None:
        (container,) = pod_spec(by_kind("Deployment"))["containers"]
        instructions = dockerfile_instructions(ROOT / "Dockerfile")
        (cmd,) = [args for word, args in instructions if word == "CMD"]
        assert container["command"] == yaml.safe_load(cmd)
        ok, output = cli_accepts(container["command"])
        assert ok, output
        expose = next(args for word, args in instructions if word == "EXPOSE")
        assert str(container["ports"][0]["containerPort"]) == expose
        user = next(args for word, args in reversed(instructions) if word == "USER").split(":")[0]
        assert pod_spec(by_kind("Deployment"))["securityContext"]["runAsUser"] == int(user)

    def test_secrets_come_from_the_secret_and_settings_from_the_configmap(self) -> None:
        (container,) = pod_spec(by_kind("Deployment"))["containers"]
        secret = by_kind("Secret")
        configmap = by_kind("ConfigMap")
        refs = [
            e["valueFrom"]["secretKeyRef"]
            for e in container["env"]
            if "secretKeyRef" in e.get("valueFrom", {})
        ]
        assert {r["key"] for r in refs} == {"FINOPS_DATABASE_URL", "FINOPS_JWT_SECRET"}
        assert {r["name"] for r in refs} == {secret["metadata"]["name"]}
        assert set(secret["stringData"]) == {r["key"] for r in refs}
        assert container["envFrom"] == [{"configMapRef": {"name": configmap["metadata"]["name"]}}]
        names = [*configmap["data"], *(e["name"] for e in container["env"]), *secret["stringData"]]
        for name in names:
            assert name.startswith("FINOPS_")
            assert name.removeprefix("FINOPS_").lower() in Settings.model_fields, name
        assert not any("SECRET" in key or "PASSWORD" in key for key in configmap["data"])

    def test_configmap_values_are_valid_settings(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for key, value in by_kind("ConfigMap")["data"].items():
            monkeypatch.setenv(key, value)
        settings = Settings(jwt_secret="x" * 40)
        assert settings.env == "production"
        assert settings.run_background_jobs is True


class TestSelectors:
    def test_service_pdb_and_hpa_point_at_the_deployment(self) -> None:
        deployment = by_kind("Deployment")
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        service = by_kind("Service")
        assert service["spec"]["selector"].items() <= pod_labels.items()
        assert by_kind("PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        target = by_kind("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
        hpa = by_kind("HorizontalPodAutoscaler")["spec"]
        assert hpa["minReplicas"] >= 2  # leader election needs a second replica to fail over to
        assert by_kind("PodDisruptionBudget")["spec"]["minAvailable"] < hpa["minReplicas"]


class TestMigrationJob:
    def test_runs_finops_db_upgrade_with_the_same_image_and_secret(self) -> None:
        job = by_kind("Job")
        (container,) = pod_spec(job)["containers"]
        assert container["command"] == ["finops", "db", "upgrade"]
        ok, output = cli_accepts(container["command"])
        assert ok, output
        (api,) = pod_spec(by_kind("Deployment"))["containers"]
        assert container["image"] == api["image"]
        assert pod_spec(job)["restartPolicy"] in ("OnFailure", "Never")
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert "--no-migrate" in api["command"]  # replicas never race to migrate


class TestServiceMonitor:
    """A CRD: kubernetes-validate has no schema for it, so check the fields the operator reads."""

    def test_shape(self) -> None:
        monitor = by_kind("ServiceMonitor")
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        assert set(monitor) == {"apiVersion", "kind", "metadata", "spec"}
        assert isinstance(monitor["metadata"]["name"], str)
        assert set(monitor["spec"]) <= {"selector", "endpoints", "namespaceSelector", "jobLabel"}
        for endpoint in monitor["spec"]["endpoints"]:
            assert set(endpoint) <= {"port", "path", "interval", "scrapeTimeout", "scheme", "authorization"}
            assert endpoint["interval"].endswith("s")
            assert int(endpoint["scrapeTimeout"][:-1]) <= int(endpoint["interval"][:-1])

    def test_scrapes_the_service_metrics_port(self) -> None:
        monitor = by_kind("ServiceMonitor")
        service = by_kind("Service")
        assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
        port_names = {p["name"] for p in service["spec"]["ports"]}
        (endpoint,) = monitor["spec"]["endpoints"]
        assert endpoint["port"] in port_names
        assert endpoint["path"] == "/metrics"
