"""What every channel receives (an AlertMessage) and answers (a SendResult)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from finops.config import Settings

SEVERITIES = ("info", "warning", "critical")
# Status codes worth retrying; any other 4xx means the request itself is wrong (revoked webhook,
# bad credentials, invalid payload), so retrying would only repeat the failure.
RETRYABLE_STATUS = frozenset({408, 409, 425, 429})


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


@dataclass(frozen=True)
class AlertMessage:
    """One alert, flattened for rendering: every channel formats these same facts."""

    alert_id: str
    kind: str
    severity: str
    title: str
    created_at: datetime
    tenant_id: str | None
    budget_id: str
    budget_name: str
    scope: dict[str, str]
    split: dict[str, str | None] | None
    period_start: datetime
    period_end: datetime | None
    amount_usd: Decimal | None
    spent_usd: Decimal | None
    percent_used: Decimal | None
    threshold: Decimal | None
    forecast: dict[str, Any] | None
    reason: str | None
    link: str
    test: bool = False


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    retryable: bool = True
    # Recipients already served (SMS sends one request per number; a retry skips these).
    progress: tuple[str, ...] = ()


@dataclass
class SendContext:
    http: httpx.AsyncClient
    settings: Settings
    progress: frozenset[str] = field(default_factory=frozenset)


def http_result(response: httpx.Response, *, ok_statuses: tuple[int, ...] = ()) -> SendResult:
    """A receiver's answer as a SendResult: 2xx is success; 5xx and a few 4xx are worth a retry."""
    code = response.status_code
    if 200 <= code < 300 or code in ok_statuses:
        return SendResult(ok=True, status_code=code)
    retryable = code >= 500 or code in RETRYABLE_STATUS
    snippet = response.text[:200].strip() if response.content else ""
    return SendResult(
        ok=False,
        status_code=code,
        error=f"HTTP {code}" + (f": {snippet}" if snippet else ""),
        retryable=retryable,
    )


def error_result(exc: BaseException) -> SendResult:
    """A transport failure (refused, timed out, TLS) as a retryable SendResult."""
    text = str(exc).strip()
    return SendResult(ok=False, error=f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def redact(text: str | None, secrets: dict[str, Any]) -> str | None:
    """Remove every secret value from an error text before it is stored or logged."""
    if text is None:
        return None
    for value in secrets.values():
        if isinstance(value, str) and len(value) >= 4:
            text = text.replace(value, "***")
    return text[:1000]
