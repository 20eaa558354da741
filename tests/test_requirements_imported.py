"""Every package requirements.txt installs is imported by the code or the tests: none is installed for nothing.

The imports are read from the source files' syntax trees (every `import`/`from`, at any depth, so a lazy import
inside a function counts), the packages from requirements.txt, and distribution names become module names
through the installed distributions' own metadata (importlib.metadata), never through a list kept here.
"""

from __future__ import annotations

import ast
import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".venv", ".data", ".git", "node_modules", "__pycache__"}
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def required_distributions(path: Path = ROOT / "requirements.txt") -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-") and (m := REQUIREMENT_NAME.match(line)):
            names.add(_normalise(m.group(1)))
    return names


def source_files() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if not SKIP.intersection(p.relative_to(ROOT).parts)]


def imported_top_level(files: list[Path]) -> set[str]:
    found = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def modules_of_distributions() -> dict[str, set[str]]:
    """distribution (normalised) -> the top-level modules it installs."""
    out: dict[str, set[str]] = {}
    for module, dists in metadata.packages_distributions().items():
        for dist in dists:
            out.setdefault(_normalise(dist), set()).add(module)
    return out


def test_every_required_package_is_imported_by_the_code_or_the_tests():
    required = required_distributions()
    modules = modules_of_distributions()
    not_installed = sorted(d for d in required if d not in modules)
    assert not not_installed, f"in requirements.txt but not installed here: {not_installed}"
    imported = imported_top_level(source_files())
    unused = {d: sorted(modules[d]) for d in sorted(required) if not modules[d] & imported}
    assert not unused, f"installed by requirements.txt, imported by no source file: {unused}"


def test_the_audit_reads_lazy_imports_and_requirement_lines(tmp_path: Path):
    # The audit itself, on inputs whose answers are known: a lazy import inside a function, a relative import
    # (not a package), and requirement lines with extras, markers, comments and pip options.
    source = tmp_path / "m.py"
    source.write_text("import a.b\nfrom . import c\ndef f():\n    from dapr.clients import DaprClient\n")
    assert imported_top_level([source]) == {"a", "dapr"}
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("# a comment\npydantic[email]>=2\n-r other.txt\nPyJWT>=2.8  # tokens\npsycopg_pool\n\n")
    assert required_distributions(reqs) == {"pydantic", "pyjwt", "psycopg-pool"}
