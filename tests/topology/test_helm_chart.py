"""deploy/helm/dingk3 renders (devtools/topology/helm_render.py: helm itself cannot be installed
from the repository's own files) into manifests that pass the Kubernetes schemas offline
(kubernetes-validate --strict) and keep the conventions of RasaHQ's rasa / rasa-action-server
charts: probes on health endpoints, resources, rolling updates with no unavailable pod,
autoscaling, secrets only from a Kubernetes Secret, a migration Job before install and upgrade."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from devtools.topology.helm_render import Renderer, TemplateError, set_values
from rasa_project.settings import Settings
from tests.requirements import K8S_VALIDATE, need


def by_kind(docs: list[dict]) -> dict[tuple[str, str], dict]:
    return {(d["kind"], d["metadata"]["name"].removeprefix("prod-dingk3-")): d for d in docs}


VARIANTS = {
    "defaults": {},
    "no-autoscaling, model downloaded, web and ingress on": set_values([
        "rasa.autoscaling.enabled=false", "actions.autoscaling.enabled=false", "model.url=https://m.example/m.tgz",
        "web.enabled=true", "ingress.enabled=true", "image.pullSecrets=[{name: regcred}]",
        "rasa.nodeSelector={pool: bots}"]),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_rendered_manifests_pass_the_kubernetes_schemas(variant, tmp_path):
    need("k8s")
    docs = Renderer(values=VARIANTS[variant]).manifests()
    path = tmp_path / "manifests.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    run = subprocess.run([str(K8S_VALIDATE), "--strict", "-k", "1.29.0", str(path)], capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("passed") == len(docs)


def test_the_chart_follows_rasas_chart_conventions():
    docs = by_kind(Renderer().manifests())
    assert {k for k in docs} >= {("Deployment", "rasa"), ("Deployment", "actions"), ("Deployment", "worker"),
                                 ("Service", "rasa"), ("Service", "actions"), ("HorizontalPodAutoscaler", "rasa"),
                                 ("HorizontalPodAutoscaler", "actions"), ("ConfigMap", "config"),
                                 ("PodDisruptionBudget", "rasa"), ("Job", "migrate-1")}
    probes = {"rasa": ("/webhooks/dingtalk/", "/"), "actions": ("/health", "/health")}
    for name, (ready, live) in probes.items():
        dep = docs[("Deployment", name)]
        assert "replicas" not in dep["spec"]  # the HPA owns the replica count
        assert dep["spec"]["strategy"] == {"type": "RollingUpdate",
                                           "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
        assert dep["spec"]["selector"]["matchLabels"].items() <= dep["spec"]["template"]["metadata"]["labels"].items()
        (container,) = dep["spec"]["template"]["spec"]["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == ready
        assert container["livenessProbe"]["httpGet"]["path"] == live
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
        hpa = docs[("HorizontalPodAutoscaler", name)]
        assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["scaleTargetRef"]["name"].endswith(name)
        svc = docs[("Service", name)]
        assert svc["spec"]["selector"].items() <= dep["spec"]["template"]["metadata"]["labels"].items()
    job = docs[("Job", "migrate-1")]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["dingk3", "migrate"]
    workers = docs[("Deployment", "worker")]
    assert workers["spec"]["replicas"] >= 2


def test_no_secret_in_the_manifests_and_every_variable_is_a_setting():
    docs = Renderer().manifests()
    text = yaml.safe_dump_all(docs)
    assert "kind: Secret" not in text  # secrets are the operator's Secret, mounted, never rendered
    known = {f"DINGK3_{name.upper()}" for name in Settings.__fields__}
    config = by_kind(docs)[("ConfigMap", "config")]["data"]
    assert set(config) <= known, set(config) - known
    secret_fields = {f"DINGK3_{n.upper()}" for n, f in Settings.__fields__.items()
                     if "SecretStr" in str(f.outer_type_)}
    assert not set(config) & secret_fields
    for doc in docs:
        spec = doc.get("spec", {}).get("template", {}).get("spec", {})
        for c in spec.get("containers", []):
            names = {e["name"] for e in c.get("env", [])}
            assert names <= known, names - known
            assert not names & secret_fields
            mounts = {m["name"]: m for m in c.get("volumeMounts", [])}
            assert mounts["secrets"]["readOnly"] is True
            secrets_dir = next(e["value"] for e in c["env"] if e["name"] == "DINGK3_SECRETS_DIR")
            assert mounts["secrets"]["mountPath"] == secrets_dir
        for v in spec.get("volumes", []):
            if v["name"] == "secrets":
                assert v["secret"]["secretName"] == "dingk3-secrets"


def test_the_renderer_refuses_what_helm_would_silently_render_empty():
    with pytest.raises(TemplateError):
        Renderer(values={"rasa": {"port": None, "autoscaling": None}}).manifests()
