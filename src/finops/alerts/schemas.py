"""Alert and alert-channel payloads. Channel secrets are accepted, never returned."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from finops.kit.money import MoneyStr

ChannelType = Literal["email", "slack", "webhook", "sms", "apprise"]
Severity = Literal["info", "warning", "critical"]
AlertKind = Literal["threshold_crossed", "forecast_exceeds", "hard_limit_reached", "resolved"]
AlertStatus = Literal["pending", "delivered", "failed", "suppressed", "no_channels"]
Name = Annotated[str, Field(min_length=1, max_length=200)]

CONFIG_DOC = (
    "Non-secret settings of the channel type (returned as stored). email: transport (smtp|sendgrid), "
    "to, from_address, from_name, host, port, security (starttls|ssl|none), username, tls_verify, "
    "api_base_url. slack: label, mention_on_critical. webhook: url. sms: account_sid, to, from_number "
    "or messaging_service_sid, api_base_url. apprise: label. Any type but apprise: timeout_seconds. "
    "See docs/alerts.md."
)
SECRETS_DOC = (
    "Write-only: never returned or logged. email: password (smtp) or api_key (sendgrid); "
    "slack: webhook_url; webhook: signing_secret (16+ characters); sms: auth_token; "
    "apprise: urls (Apprise service URLs, which carry their credentials)."
)


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: Annotated[str, Field(min_length=1, max_length=128)] | None = Field(
        default=None, description="Defaults to the token's tenant; an admin may omit it for a global channel"
    )
    name: Name
    type: ChannelType
    config: dict[str, Any] = Field(default_factory=dict, description=CONFIG_DOC)
    secrets: dict[str, Any] = Field(default_factory=dict, description=SECRETS_DOC)
    min_severity: Severity | None = Field(
        default=None, description="Lowest severity sent here; default info (sms: critical)"
    )
    enabled: StrictBool = True


class ChannelPatch(BaseModel):
    """Fields to change. `config` and `secrets` merge key by key (a null value removes the key);
    the result is validated again as a whole."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    config: dict[str, Any] | None = Field(default=None, description=CONFIG_DOC)
    secrets: dict[str, Any] | None = Field(default=None, description=SECRETS_DOC)
    min_severity: Severity | None = None
    enabled: StrictBool | None = None


class ChannelTestOut(BaseModel):
    ok: bool
    status_code: int | None = Field(description="HTTP status, or the SMTP reply code")
    error: str | None
    duration_ms: int
    tested_at: datetime


class ChannelOut(BaseModel):
    id: str
    tenant_id: str | None
    name: str
    type: str
    config: dict[str, Any]
    secrets_set: list[str] = Field(
        description="Names of the secrets configured (their values are never shown)"
    )
    min_severity: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    last_test: ChannelTestOut | None


class ChannelPage(BaseModel):
    items: list[ChannelOut]
    total: int


class AttemptOut(BaseModel):
    number: int
    started_at: datetime
    duration_ms: int
    ok: bool
    status_code: int | None
    error: str | None


class DeliveryOut(BaseModel):
    id: int
    channel_id: str
    channel_type: str
    status: Literal["pending", "sending", "sent", "failed"]
    attempts: int
    attempt_limit: int
    next_attempt_at: datetime | None = Field(description="When the next try is due (pending only)")
    last_status_code: int | None
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime
    attempt_log: list[AttemptOut] | None = Field(
        default=None, description="Every try (in GET /v1/alerts/{id})"
    )


class AlertOut(BaseModel):
    id: str
    tenant_id: str | None
    budget_id: str
    budget_name: str
    split: dict[str, str | None] | None
    period_start: datetime
    period_end: datetime | None
    kind: str
    threshold: MoneyStr | None = Field(description="The percentage crossed (threshold_crossed only)")
    severity: str
    status: str
    reason: str | None = Field(
        description="resolved: period_ended or below_threshold; suppressed: cooldown or superseded"
    )
    title: str
    details: dict[str, Any]
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    deliveries: list[DeliveryOut]


class AlertPage(BaseModel):
    items: list[AlertOut]
    next_cursor: str | None


class RetryOut(BaseModel):
    alert_id: str
    retried: int = Field(description="Failed deliveries queued again")
    status: str
