"""Generic webhook: JSON POST signed with HMAC-SHA256 over "<timestamp>.<body>".

Headers: X-Finops-Timestamp (unix seconds), X-Finops-Signature ("sha256=" + hex digest),
Idempotency-Key (the alert id, the same on every retry). See docs/alerts.md for verification.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Annotated

import httpx
from pydantic import BaseModel, ConfigDict, Field

from finops import __version__
from finops.alerts.channels import format as fmt
from finops.alerts.channels.base import AlertMessage, SendContext, SendResult, error_result, http_result
from finops.alerts.channels.fields import HttpUrl, Timeout

SIGNATURE_HEADER = "X-Finops-Signature"
TIMESTAMP_HEADER = "X-Finops-Timestamp"


class WebhookConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    timeout_seconds: Timeout | None = None


class WebhookSecrets(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signing_secret: Annotated[str, Field(min_length=16, max_length=512)]


def check(config: WebhookConfig, secrets: WebhookSecrets) -> None:
    return None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def body_bytes(message: AlertMessage) -> bytes:
    return json.dumps(fmt.as_json(message), separators=(",", ":"), sort_keys=True).encode()


async def send(
    config: WebhookConfig, secrets: WebhookSecrets, message: AlertMessage, ctx: SendContext
) -> SendResult:
    body = body_bytes(message)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"finops-alerts/{__version__}",
        "Idempotency-Key": message.alert_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secrets.signing_secret, timestamp, body),
    }
    try:
        response = await ctx.http.post(
            config.url,
            content=body,
            headers=headers,
            timeout=config.timeout_seconds or ctx.settings.alerts_http_timeout_seconds,
        )
    except httpx.HTTPError as exc:
        return error_result(exc)
    return http_result(response)
