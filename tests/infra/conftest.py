from __future__ import annotations

import shlex
from pathlib import Path

from typer.testing import CliRunner

from finops.cli import app as cli_app
from tests.fixtures.postgres import pg_url

__all__ = ["pg_url"]

ROOT = Path(__file__).resolve().parents[2]


def cli_accepts(argv: list[str]) -> tuple[bool, str]:
    """Whether `finops <argv>` names a real command with real options (parsed, not run)."""
    assert argv[0] == "finops", argv
    result = CliRunner().invoke(cli_app, [*argv[1:], "--help"])
    return result.exit_code == 0, result.output


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical: list[str] = []
    buffer = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not buffer and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        logical.append(buffer + line)
        buffer = ""
    out = []
    for line in logical:
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def exec_form(arguments: str) -> list[str]:
    import json

    if arguments.startswith("["):
        parsed: list[str] = json.loads(arguments)
        return parsed
    return shlex.split(arguments)
