"""`finops token`: mint a JWT with the configured secret."""

from __future__ import annotations

import re
from datetime import timedelta

import typer

from finops.auth.tokens import ROLES, mint
from finops.config import get_settings

_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise typer.BadParameter("use a number of seconds or 30m, 12h, 7d")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def token(
    role: str = typer.Option(..., help=f"One of {', '.join(ROLES)}"),
    tenant: str | None = typer.Option(None, help="Tenant id (required for every role but admin)"),
    sub: str = typer.Option("cli", help="Subject (who the token is for)"),
    ttl: str = typer.Option("24h", help="Lifetime: seconds or 30m, 12h, 7d"),
) -> None:
    """Print a signed JWT for ROLE (and TENANT)."""
    try:
        value = mint(
            get_settings().resolve_jwt_secret(), sub=sub, role=role, tenant_id=tenant, ttl=parse_duration(ttl)
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(value)
