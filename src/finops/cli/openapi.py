"""`finops openapi`: print the OpenAPI document as YAML (committed as docs/api/rest/finops.yaml)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
import yaml

from finops.config import Settings
from finops.kit.openapi import build_openapi


def openapi_document() -> dict[str, Any]:
    # Build from fixed settings: the document must not depend on this machine's environment.
    from finops.app import create_app

    settings = Settings(env="test", jwt_secret="openapi-" + "x" * 32, run_background_jobs=False)
    return build_openapi(create_app(settings))


def render_yaml(document: dict[str, Any]) -> str:
    text: str = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return text


def openapi(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout"),
) -> None:
    """Print the REST API's OpenAPI document as YAML."""
    text = render_yaml(openapi_document())
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
