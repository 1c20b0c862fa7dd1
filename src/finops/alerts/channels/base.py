"""What every channel receives (an AlertMessage) and answers (a SendResult)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

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


def _secret_fragments(value: str) -> set[str]:
    """A secret and the parts of it a receiver might echo: a secret URL's path, query and long
    path segments (Slack's webhook path is the credential)."""
    fragments = {value}
    parsed = urlsplit(value)
    if parsed.scheme in ("http", "https"):
        fragments |= {parsed.path, parsed.query, *(p for p in parsed.path.split("/") if len(p) >= 8)}
    return {f for f in fragments if len(f) >= 4}


def redact(text: str | None, secrets: dict[str, Any]) -> str | None:
    """Remove every secret (and echoable fragment of one) from an error text before it is stored
    or logged."""
    if text is None:
        return None
    fragments: set[str] = set()
    for value in secrets.values():
        if isinstance(value, str):
            fragments |= _secret_fragments(value)
    for fragment in sorted(fragments, key=len, reverse=True):
        text = text.replace(fragment, "***")
    return text[:1000]


class _SecretUrlFilter(logging.Filter):
    """httpx logs every request URL at INFO. A URL that is itself a credential (a Slack incoming
    webhook) must not reach the logs: records mentioning a registered one get its path hidden."""

    def __init__(self, capacity: int = 1000) -> None:
        super().__init__()
        self._urls: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity

    def register(self, url: str) -> None:
        parsed = urlsplit(url)
        masked = f"{parsed.scheme}://{parsed.netloc}/***"
        for form in (url, str(httpx.URL(url))):
            self._urls[form] = masked
            self._urls.move_to_end(form)
        while len(self._urls) > self._capacity:
            self._urls.popitem(last=False)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._urls:
            return True
        message = record.getMessage()
        hidden = message
        for url in sorted(self._urls, key=len, reverse=True):
            if url in hidden:
                hidden = hidden.replace(url, self._urls[url])
        if hidden != message:
            record.msg, record.args = hidden, None
        return True


SECRET_URLS = _SecretUrlFilter()
logging.getLogger("httpx").addFilter(SECRET_URLS)
