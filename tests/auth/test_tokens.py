"""JWT verification: forged, expired and malformed tokens are 401; optional RS256 through a JWKS URL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from finops.app import create_app
from finops.auth.tokens import TokenVerifier, mint
from finops.config import Settings
from finops.kit.errors import Unauthorized
from tests.conftest import JWT_SECRET

PROBE = "/v1/usage-events"  # any endpoint behind authentication


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _segment(obj: dict[str, Any]) -> str:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "attacker",
        "role": "analyst",
        "tenant_id": "t-1",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _hs256(
    claims: dict[str, Any], key: bytes = JWT_SECRET.encode(), header: dict[str, Any] | None = None
) -> str:
    """Sign by hand, so headers and keys PyJWT would refuse to produce can be tried."""
    signing_input = f"{_segment(header or {'alg': 'HS256', 'typ': 'JWT'})}.{_segment(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return _rsa_key()


@pytest.fixture(scope="module")
def stranger_key() -> rsa.RSAPrivateKey:
    return _rsa_key()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _status(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[int, str | None]:
    response = await client.get(PROBE, headers=headers)
    code = response.json()["error"]["code"] if response.status_code >= 400 else None
    return response.status_code, code


class TestMint:
    def test_round_trip(self) -> None:
        token = mint(JWT_SECRET, sub="me", role="analyst", tenant_id="t-1", ttl=timedelta(minutes=5))
        claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
        assert (claims["sub"], claims["role"], claims["tenant_id"]) == ("me", "analyst", "t-1")
        assert claims["exp"] - claims["iat"] == 300

    @pytest.mark.parametrize(("role", "tenant"), [("root", "t-1"), ("analyst", None), ("service", "")])
    def test_refuses_unknown_roles_and_tenantless_non_admins(self, role: str, tenant: str | None) -> None:
        with pytest.raises(ValueError, match="role"):
            mint(JWT_SECRET, sub="me", role=role, tenant_id=tenant, ttl=timedelta(minutes=5))

    async def test_verifier_returns_the_principal(self) -> None:
        verifier = TokenVerifier(JWT_SECRET)
        token = mint(JWT_SECRET, sub="me", role="admin", tenant_id=None, ttl=timedelta(minutes=5))
        principal = await verifier.verify(token)
        assert (principal.sub, principal.role, principal.tenant_id, principal.is_admin) == (
            "me",
            "admin",
            None,
            True,
        )

    async def test_verifier_raises_unauthorized(self) -> None:
        with pytest.raises(Unauthorized) as caught:
            await TokenVerifier(JWT_SECRET).verify("x.y.z")
        assert caught.value.status_code == 401


class TestAttacks:
    async def test_valid_token_is_accepted(self, client: httpx.AsyncClient) -> None:
        assert await _status(client, _bearer(_hs256(_claims()))) == (200, None)

    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Authorization": ""},
            {"Authorization": "Bearer"},
            {"Authorization": "Bearer "},
            {"Authorization": f"Basic {base64.b64encode(b'admin:admin').decode()}"},
            {"Authorization": "Token abc"},
        ],
    )
    async def test_missing_or_non_bearer(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        assert await _status(client, headers) == (401, "missing_token")

    @pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..", "...", "Bearer x"])
    async def test_garbage(self, client: httpx.AsyncClient, token: str) -> None:
        assert await _status(client, _bearer(token)) == (401, "invalid_token")

    async def test_expired(self, client: httpx.AsyncClient) -> None:
        now = int(time.time())
        assert await _status(client, _bearer(_hs256(_claims(exp=now - 300)))) == (401, "token_expired")

    async def test_expired_within_the_clock_skew_leeway_is_accepted(self, client: httpx.AsyncClient) -> None:
        now = int(time.time())
        assert await _status(client, _bearer(_hs256(_claims(exp=now - 5)))) == (200, None)

    async def test_not_yet_valid(self, client: httpx.AsyncClient) -> None:
        now = int(time.time())
        assert await _status(client, _bearer(_hs256(_claims(nbf=now + 3600)))) == (401, "invalid_token")

    @pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
    async def test_alg_none(self, client: httpx.AsyncClient, alg: str) -> None:
        unsigned = (
            f"{_segment({'alg': alg, 'typ': 'JWT'})}.{_segment(_claims(role='admin', tenant_id=None))}."
        )
        assert await _status(client, _bearer(unsigned)) == (401, "invalid_token")

    async def test_signed_with_a_wrong_key(self, client: httpx.AsyncClient) -> None:
        forged = _hs256(_claims(role="admin"), key=b"not-the-secret-" + b"x" * 32)
        assert await _status(client, _bearer(forged)) == (401, "invalid_token")

    async def test_payload_tampered_after_signing(self, client: httpx.AsyncClient) -> None:
        header, _, signature = _hs256(_claims()).split(".")
        tampered = f"{header}.{_segment(_claims(role='admin', tenant_id=None))}.{signature}"
        assert await _status(client, _bearer(tampered)) == (401, "invalid_token")

    async def test_other_hmac_algorithms_with_the_right_secret(self, client: httpx.AsyncClient) -> None:
        signing_input = f"{_segment({'alg': 'HS512', 'typ': 'JWT'})}.{_segment(_claims())}"
        signature = hmac.new(JWT_SECRET.encode(), signing_input.encode(), hashlib.sha512).digest()
        token = f"{signing_input}.{_b64(signature)}"
        assert await _status(client, _bearer(token)) == (401, "invalid_token")

    async def test_rs256_without_a_jwks_url(
        self, client: httpx.AsyncClient, signing_key: rsa.RSAPrivateKey
    ) -> None:
        token = jwt.encode(_claims(), signing_key, algorithm="RS256")
        assert await _status(client, _bearer(token)) == (401, "invalid_token")

    @pytest.mark.parametrize(
        ("claims", "why"),
        [
            (_claims(exp=None), "missing exp"),
            (_claims(sub=None), "missing sub"),
            (_claims(role=None), "missing role"),
            (_claims(tenant_id=None), "analyst without tenant"),
            (_claims(role="service", tenant_id=""), "service with an empty tenant"),
            (_claims(tenant_id=42), "tenant not a string"),
            (_claims(role="superuser"), "unknown role"),
            (_claims(role=["admin"]), "role not a string"),
            (_claims(exp="tomorrow"), "exp not a number"),
        ],
    )
    async def test_bad_claims(self, client: httpx.AsyncClient, claims: dict[str, Any], why: str) -> None:
        assert await _status(client, _bearer(_hs256(claims))) == (401, "invalid_token"), why

    async def test_admin_needs_no_tenant(self, client: httpx.AsyncClient) -> None:
        assert await _status(client, _bearer(_hs256(_claims(role="admin", tenant_id=None)))) == (200, None)


# --- RS256 through a JWKS served from 127.0.0.1 ------------------------------------------------


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**public, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture(scope="module")
def jwks_url(signing_key: rsa.RSAPrivateKey) -> Iterator[str]:
    body = json.dumps({"keys": [_jwk(signing_key, "k1")]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()
    thread.join()


async def _client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://finops.test") as http:
            yield http


@pytest.fixture(scope="module")
async def jwks_client(settings: Settings, jwks_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client_for(settings.model_copy(update={"jwt_jwks_url": jwks_url})):
        yield http


@pytest.fixture(scope="module")
async def audience_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client_for(settings.model_copy(update={"jwt_audience": "finops"})):
        yield http


class TestJwks:
    async def test_a_token_signed_by_the_published_key_is_accepted(
        self, jwks_client: httpx.AsyncClient, signing_key: rsa.RSAPrivateKey
    ) -> None:
        token = jwt.encode(_claims(), signing_key, algorithm="RS256", headers={"kid": "k1"})
        assert await _status(jwks_client, _bearer(token)) == (200, None)

    async def test_a_token_signed_by_another_key_is_401(
        self, jwks_client: httpx.AsyncClient, stranger_key: rsa.RSAPrivateKey
    ) -> None:
        token = jwt.encode(_claims(), stranger_key, algorithm="RS256", headers={"kid": "k1"})
        assert await _status(jwks_client, _bearer(token)) == (401, "invalid_token")

    async def test_an_unknown_kid_is_401(
        self, jwks_client: httpx.AsyncClient, signing_key: rsa.RSAPrivateKey
    ) -> None:
        token = jwt.encode(_claims(), signing_key, algorithm="RS256", headers={"kid": "k9"})
        assert await _status(jwks_client, _bearer(token)) == (401, "invalid_token")

    async def test_claims_are_checked_for_rs256_too(
        self, jwks_client: httpx.AsyncClient, signing_key: rsa.RSAPrivateKey
    ) -> None:
        expired = jwt.encode(
            _claims(exp=int(time.time()) - 300), signing_key, algorithm="RS256", headers={"kid": "k1"}
        )
        no_tenant = jwt.encode(_claims(tenant_id=None), signing_key, algorithm="RS256", headers={"kid": "k1"})
        assert await _status(jwks_client, _bearer(expired)) == (401, "token_expired")
        assert await _status(jwks_client, _bearer(no_tenant)) == (401, "invalid_token")

    async def test_hs256_signed_with_the_public_key_is_401(
        self, jwks_client: httpx.AsyncClient, signing_key: rsa.RSAPrivateKey
    ) -> None:
        # Algorithm confusion: the public key (which anyone can fetch) used as an HMAC secret.
        pem = signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        forged = _hs256(_claims(role="admin", tenant_id=None), key=pem, header={"alg": "HS256", "kid": "k1"})
        assert await _status(jwks_client, _bearer(forged)) == (401, "invalid_token")

    async def test_hs256_tokens_keep_working_beside_jwks(self, jwks_client: httpx.AsyncClient) -> None:
        assert await _status(jwks_client, _bearer(_hs256(_claims()))) == (200, None)


class TestAudience:
    async def test_audience_is_required_when_configured(self, audience_client: httpx.AsyncClient) -> None:
        assert await _status(audience_client, _bearer(_hs256(_claims(aud="finops")))) == (200, None)
        assert await _status(audience_client, _bearer(_hs256(_claims(aud="billing")))) == (
            401,
            "invalid_token",
        )
        assert await _status(audience_client, _bearer(_hs256(_claims()))) == (401, "invalid_token")
