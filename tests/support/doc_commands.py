"""The docs' own shell commands, so that a test runs exactly what a reader would type.

A block is marked by an HTML comment on the line before its fence: `<!-- test: NAME -->`. The marked
blocks are in docs/operations.md (running with the Dapr CLI, and the guide's commands against dapr-up).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def block(name: str, doc: Path = OPERATIONS) -> str:
    """The body of the fenced block right after `<!-- test: name -->`."""
    found = re.search(rf"<!-- test: {re.escape(name)} -->\n```[a-z]*\n(.*?)\n```", doc.read_text(), re.DOTALL)
    if not found:
        raise LookupError(f"{doc.name} has no block marked <!-- test: {name} -->")
    return found.group(1)


def commands(text: str) -> list[str]:
    """Whole commands: a line continues while it ends in a backslash or a quote is still open.

    Comment-only and blank lines between commands are dropped.
    """
    found: list[str] = []
    pending = ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending = f"{pending}\n{line}" if pending else line
        if pending.endswith("\\"):
            continue
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # "No closing quotation": the command goes on on the next line
            continue
        found.append(pending.strip())
        pending = ""
    if pending:
        raise ValueError(f"unterminated command: {pending!r}")
    return found


def script(cmds: list[str], marker: str = "@@command") -> str:
    """One bash script running `cmds` in order, printing `<marker> i` before each (see `outputs`)."""
    lines = ["set -euo pipefail"]
    for i, cmd in enumerate(cmds):
        lines += [f"printf '\\n{marker} {i}\\n'", cmd]
    return "\n".join(lines) + "\n"


def outputs(stdout: str, count: int, marker: str = "@@command") -> list[str]:
    """What each command of `script` printed (empty for commands that did not run)."""
    found = ["" for _ in range(count)]
    for part in stdout.split(f"\n{marker} ")[1:]:
        index, _, text = part.partition("\n")
        found[int(index)] = text.strip()
    return found
