"""JWT: HS256 with the configured secret, optionally RS256 through a JWKS URL."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, get_args

import jwt

from finops.kit.errors import Unauthorized
from finops.kit.time import utcnow

Role = Literal["admin", "tenant_admin", "analyst", "service"]
ROLES: tuple[str, ...] = get_args(Role)


@dataclass(frozen=True, slots=True)
class Principal:
    sub: str
    role: str
    tenant_id: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def mint(secret: str, *, sub: str, role: str, tenant_id: str | None, ttl: timedelta) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role != "admin" and not tenant_id:
        raise ValueError(f"role {role!r} needs a tenant")
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": sub,
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    if tenant_id:
        claims["tenant_id"] = tenant_id
    return jwt.encode(claims, secret, algorithm="HS256")


class TokenVerifier:
    def __init__(
        self, secret: str, *, jwks_url: str | None = None, audience: str | None = None, leeway: int = 30
    ) -> None:
        self._secret = secret
        self._audience = audience
        self._leeway = leeway
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("malformed token", code="invalid_token") from exc
        alg = header.get("alg")
        options: jwt.types.Options = {
            "require": ["exp", "sub", "role"],
            "verify_aud": self._audience is not None,
        }
        try:
            if alg == "HS256":
                claims = jwt.decode(
                    token,
                    self._secret,
                    algorithms=["HS256"],
                    options=options,
                    audience=self._audience,
                    leeway=self._leeway,
                )
            elif alg == "RS256" and self._jwks is not None:
                signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                claims = jwt.decode(
                    token,
                    signing_key.key,
                    algorithms=["RS256"],
                    options=options,
                    audience=self._audience,
                    leeway=self._leeway,
                )
            else:
                raise Unauthorized(f"token algorithm {alg!r} is not accepted", code="invalid_token")
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token: {exc}", code="invalid_token") from exc
        role = claims.get("role")
        tenant_id = claims.get("tenant_id")
        if role not in ROLES:
            raise Unauthorized("token role is not one of " + ", ".join(ROLES), code="invalid_token")
        if role != "admin" and (not isinstance(tenant_id, str) or not tenant_id):
            raise Unauthorized(f"a {role} token must carry tenant_id", code="invalid_token")
        return Principal(sub=str(claims["sub"]), role=role, tenant_id=tenant_id or None)
