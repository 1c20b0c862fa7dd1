"""SMS through the Twilio Messages REST API: one request per recipient (base URL configurable)."""

from __future__ import annotations

from typing import Annotated

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from finops.alerts.channels import format as fmt
from finops.alerts.channels.base import AlertMessage, SendContext, SendResult, error_result, http_result
from finops.alerts.channels.fields import HttpUrl, PhoneNumber, Timeout

Sid = Annotated[str, Field(pattern=r"^[A-Za-z0-9]{2,64}$")]


class SmsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_sid: Sid
    to: Annotated[list[PhoneNumber], Field(min_length=1, max_length=10)]
    from_number: PhoneNumber | None = None
    messaging_service_sid: Sid | None = None
    api_base_url: HttpUrl | None = None
    timeout_seconds: Timeout | None = None

    @model_validator(mode="after")
    def _sender(self) -> SmsConfig:
        if (self.from_number is None) == (self.messaging_service_sid is None):
            raise ValueError("set exactly one of from_number and messaging_service_sid")
        return self


class SmsSecrets(BaseModel):
    model_config = ConfigDict(extra="forbid")

    auth_token: Annotated[str, Field(min_length=1, max_length=200)]


def check(config: SmsConfig, secrets: SmsSecrets) -> None:
    return None


async def send(config: SmsConfig, secrets: SmsSecrets, message: AlertMessage, ctx: SendContext) -> SendResult:
    base = (config.api_base_url or ctx.settings.alerts_twilio_base_url).rstrip("/")
    url = f"{base}/2010-04-01/Accounts/{config.account_sid}/Messages.json"
    sender = (
        {"From": config.from_number}
        if config.from_number
        else {"MessagingServiceSid": config.messaging_service_sid}
    )
    done = set(ctx.progress)
    last = SendResult(ok=True)
    for number in config.to:
        if number in done:
            continue  # served by an earlier attempt
        try:
            response = await ctx.http.post(
                url,
                data={"To": number, **sender, "Body": fmt.short_text(message)},
                auth=(config.account_sid, secrets.auth_token),
                timeout=config.timeout_seconds or ctx.settings.alerts_http_timeout_seconds,
            )
        except httpx.HTTPError as exc:
            failed = error_result(exc)
            return SendResult(ok=False, error=f"{number}: {failed.error}", progress=tuple(sorted(done)))
        result = http_result(response)
        if not result.ok:
            return SendResult(
                ok=False,
                status_code=result.status_code,
                error=f"{number}: {result.error}",
                retryable=result.retryable,
                progress=tuple(sorted(done)),
            )
        done.add(number)
        last = result
    return SendResult(ok=True, status_code=last.status_code, progress=tuple(sorted(done)))
