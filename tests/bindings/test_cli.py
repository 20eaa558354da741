"""The command line in one place: every command of the dispatch table is in `--help` with its help and does work."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bindings import cli
from bindings.triggers import resolve

ROOT = Path(__file__).resolve().parents[2]


def _help() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bindings", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return " ".join(done.stdout.split())  # argparse wraps lines at the terminal's width


def test_every_command_of_the_dispatch_table_is_in_the_help_with_its_text():
    text = _help()
    for name, command in cli.COMMANDS.items():
        assert f" {name} {' '.join(command.help.split())}" in text, name


def test_the_parser_offers_exactly_the_commands_of_the_dispatch_table():
    (choices,) = [a.choices for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(choices) == list(cli.COMMANDS)


def test_every_command_names_a_function_that_does_its_work():
    for name, command in cli.COMMANDS.items():
        assert callable(resolve(command.does)), name


def test_the_dapr_command_passes_every_argument_on():
    args = cli.parser().parse_args(["dapr", "run", "-f", ".", "--help"])
    assert args.args == ["run", "-f", ".", "--help"]
