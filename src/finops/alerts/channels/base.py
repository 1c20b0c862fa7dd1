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


def secret_fragments(value: str) -> set[str]:
    """A secret and the parts of it a receiver or a library might echo: a secret URL's path,
    query, credentials and long path segments (Slack's webhook path is the credential)."""
    fragments = {value}
    parsed = urlsplit(value)
    if parsed.scheme and parsed.netloc:
        fragments |= {parsed.path, parsed.query, *(p for p in parsed.path.split("/") if len(p) >= 8)}
        if parsed.password:
            fragments.add(parsed.password)
        if parsed.scheme in ("http", "https"):
            fragments.add(str(httpx.URL(value)))
        else:  # service URLs (Apprise) keep tokens in the "host" part too
            fragments |= {parsed.netloc, *(p for p in parsed.netloc.split("@") if len(p) >= 8)}
    return {f for f in fragments if len(f) >= 4}


def redact(text: str | None, secrets: dict[str, Any]) -> str | None:
    """Remove every secret (and echoable fragment of one) from an error text before it is stored
    or logged."""
    if text is None:
        return None
    fragments: set[str] = set()
    for value in secrets.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                fragments |= secret_fragments(item)
    for fragment in sorted(fragments, key=len, reverse=True):
        text = text.replace(fragment, "***")
    return text[:1000]


class _SecretLogFilter(logging.Filter):
    """HTTP libraries log request URLs (httpx at INFO, urllib3 and Apprise at DEBUG). A URL that
    is itself a credential (a Slack webhook, an Apprise URL) must not reach the logs: records
    mentioning a registered secret, or an echoable part of one, get it replaced by ***."""

    def __init__(self, capacity: int = 2000) -> None:
        super().__init__()
        self._fragments: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def register(self, secret: str) -> None:
        for fragment in secret_fragments(secret):
            self._fragments[fragment] = None
            self._fragments.move_to_end(fragment)
        while len(self._fragments) > self._capacity:
            self._fragments.popitem(last=False)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._fragments:
            return True
        message = record.getMessage()
        hidden = message
        for fragment in sorted(self._fragments, key=len, reverse=True):
            if fragment in hidden:
                hidden = hidden.replace(fragment, "***")
        if hidden != message:
            record.msg, record.args = hidden, None
        return True


SECRET_LOGS = _SecretLogFilter()
# Loggers that may print a secret we handle: HTTP clients (request URLs) and, at DEBUG, the
# database drivers (statement parameters, e.g. the INSERT of a channel).
for _name in (
    "httpx",
    "urllib3.connectionpool",
    "apprise",
    "aiosqlite",
    "sqlalchemy.engine",
    "sqlalchemy.engine.Engine",
):
    logging.getLogger(_name).addFilter(SECRET_LOGS)


def hide_in_logs(secrets: dict[str, Any]) -> None:
    """Register every secret value of a channel with the log filter."""
    for value in secrets.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                SECRET_LOGS.register(item)
