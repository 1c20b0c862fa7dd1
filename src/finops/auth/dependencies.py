"""Typed permission dependencies: who may call an endpoint and which tenant it may touch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from finops.auth.tokens import Principal
from finops.kit.errors import Forbidden, Unauthorized

_bearer = HTTPBearer(auto_error=False, description="JWT (HS256 with FINOPS_JWT_SECRET, or RS256 via JWKS)")

READ_ROLES = ("admin", "tenant_admin", "analyst")
INGEST_ROLES = ("admin", "tenant_admin", "service")
ADMIN_ROLES = ("admin",)


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("missing bearer token", code="missing_token")
    principal: Principal = await request.app.state.token_verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


def require(*roles: str) -> Callable[..., Awaitable[Principal]]:
    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"role {principal.role!r} may not do this", code="insufficient_role")
        return principal

    return dependency


def tenant_filter(principal: Principal, requested: str | None) -> str | None:
    """The tenant a read is limited to: the caller's own, or any (None) for an admin."""
    if principal.is_admin:
        return requested
    if requested is not None and requested != principal.tenant_id:
        raise Forbidden("this token may not read another tenant's data", code="tenant_forbidden")
    return principal.tenant_id


def check_tenant_write(principal: Principal, tenant_id: str) -> None:
    if not principal.is_admin and tenant_id != principal.tenant_id:
        raise Forbidden(f"this token may not write data for tenant {tenant_id!r}", code="tenant_forbidden")


Reader = Annotated[Principal, Depends(require(*READ_ROLES))]
Ingestor = Annotated[Principal, Depends(require(*INGEST_ROLES))]
Admin = Annotated[Principal, Depends(require(*ADMIN_ROLES))]
AnyRole = Annotated[Principal, Depends(current_principal)]
