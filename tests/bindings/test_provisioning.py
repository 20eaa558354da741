"""Provisioning's pure parts: binary names, the CRD sources' precedence, the docs' command blocks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bindings.devstack import crds
from bindings.devstack.golang import _binary_name, required_version
from tests.support import doc_commands


def test_go_build_names_binaries_after_the_package_not_its_major_version():
    assert _binary_name("go.etcd.io/etcd/server/v3") == "server"
    assert _binary_name("github.com/dapr/cli") == "cli"
    assert _binary_name("k8s.io/kubernetes/cmd/kube-apiserver") == "kube-apiserver"


def test_the_kube_wrapper_replaces_every_staging_module_at_the_kubernetes_release():
    minor_patch = required_version("kube", "k8s.io/kubernetes").split(".", 1)[1]
    gomod = (Path(crds.ROOT) / "bindings/devstack/go/kube/go.mod").read_text()
    replaced = [line.split() for line in gomod.split("replace (")[1].split(")")[0].splitlines() if "=>" in line]
    assert replaced and all(r[-1] == f"v0.{minor_patch}" for r in replaced)


def _crd(folder: Path, file: str, name: str) -> Path:
    doc = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": name}}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / file).write_text(yaml.safe_dump(doc))
    return folder / file


def test_shared_crds_win_and_provisioned_ones_fill_the_gaps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CRDS_DIR", str(tmp_path / "shared"))
    monkeypatch.setenv("TODO_CACHE", str(tmp_path / "cache"))
    shared = _crd(tmp_path / "shared", "dapr-components.yaml", "components.dapr.io")
    dapr, eso = crds.SOURCES[0].target, crds.SOURCES[-1].target
    _crd(dapr, "components.yaml", "components.dapr.io")
    (dapr / ".complete").write_text("")
    provisioned = _crd(eso, "external-secrets.io_externalsecrets.yaml", "externalsecrets.external-secrets.io")
    (eso / ".complete").write_text("")
    assert crds.files() == [shared, provisioned]


def test_doc_commands_span_continuations_and_open_quotes():
    text = "# a comment\necho one \\\n  two\ncurl -d '{\"a\":\n  1}' x   # it's a comment\n\necho 'three'"
    cmds = doc_commands.commands(text)
    assert cmds == ["echo one \\\n  two", "curl -d '{\"a\":\n  1}' x   # it's a comment", "echo 'three'"]
    assert doc_commands.outputs("noise\n@@command 0\nA\n@@command 2\nC\n", 3) == ["A", "", "C"]
