"""schemathesis against the running embedded runtime, driven by the OpenAPI document it serves.

Its CLI, as you would run it yourself (tests/contracts/schemathesis.toml has the checks and the exclusions, each
with its reason): every operation through the coverage, fuzzing and stateful phases (following the document's
links: create -> get, patch, complete, reopen, delete, occurrences), over real HTTP. A fixed seed and a bounded
example count; SCHEMATHESIS_SEED and SCHEMATHESIS_MAX_EXAMPLES choose others (docs/development.md, "The contracts
and API fuzzing").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import schemathesis

from tests.contracts.conftest import ROOT, Served

pytestmark = pytest.mark.e2e
CONFIG = ROOT / "tests" / "contracts" / "schemathesis.toml"
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261130"))
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
RUN_SECONDS = 900  # a bound, not a timing: the default run takes well under a tenth of it


def test_schemathesis_finds_nothing(served: Served, tmp_path):
    report = tmp_path / "schemathesis.json"
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "--no-color"),
        *("run", f"{served.base}/openapi.json", "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES)),
        *("--report", "json", "--report-json-path", str(report)),
    ]
    env = {**os.environ, "TODO_TOKEN": served.token("alice", email="alice@example.com")}
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, errors="replace", timeout=RUN_SECONDS
    )
    output = done.stdout + done.stderr
    log = tmp_path / "schemathesis.log"  # whole: a failing case's body may be far longer than a message shows
    log.write_text(output, errors="backslashreplace")
    found = json.loads(report.read_text())["failures"] if report.is_file() else "no report"
    assert done.returncode == 0, f"schemathesis (seed {SEED}) found {found}; all of it: {log}\n{output[-6000:]}"
    result = json.loads(report.read_text())
    operations, cases = result["operations"], result["test_cases"]
    print(
        f"\nschemathesis {schemathesis.__version__}, seed {SEED}, max examples {MAX_EXAMPLES}:"
        f" {operations['tested']} operations, {cases['generated']} test cases, {result['running_time']:.0f} s"
    )
    assert operations["tested"] == operations["total"] > 0 and operations["errored"] == 0, operations
    assert cases["with_failures"] == 0 and cases["errored"] == 0, cases
    assert all(p["status"] == "success" for name, p in result["phases"].items() if name != "examples"), result["phases"]
