"""Channel kinds by name: how each validates its config and secrets, and how it sends."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from finops.alerts.channels import apprise_urls, email_smtp, sendgrid, slack, sms_twilio, webhook
from finops.alerts.channels.base import (
    AlertMessage,
    SendContext,
    SendResult,
    error_result,
    hide_in_logs,
    redact,
)
from finops.alerts.channels.email_common import EmailConfig, EmailSecrets
from finops.alerts.channels.email_common import check as check_email
from finops.kit.validation import summarize

log = logging.getLogger("finops.alerts.channels")

Sender = Callable[[Any, Any, AlertMessage, SendContext], Awaitable[SendResult]]


@dataclass(frozen=True)
class ChannelKind:
    name: str
    config_model: type[BaseModel]
    secrets_model: type[BaseModel]
    check: Callable[[Any, Any], None]
    send: Sender
    default_min_severity: str = "info"


async def _send_email(
    config: EmailConfig, secrets: EmailSecrets, message: AlertMessage, ctx: SendContext
) -> SendResult:
    if config.transport == "sendgrid":
        return await sendgrid.send(config, secrets, message, ctx)
    return await email_smtp.send(config, secrets, message, ctx)


KINDS: dict[str, ChannelKind] = {
    "email": ChannelKind("email", EmailConfig, EmailSecrets, check_email, _send_email),
    "slack": ChannelKind("slack", slack.SlackConfig, slack.SlackSecrets, slack.check, slack.send),
    "webhook": ChannelKind(
        "webhook", webhook.WebhookConfig, webhook.WebhookSecrets, webhook.check, webhook.send
    ),
    "apprise": ChannelKind(
        "apprise",
        apprise_urls.AppriseConfig,
        apprise_urls.AppriseSecrets,
        apprise_urls.check,
        apprise_urls.send,
    ),
    # Text messages cost money and wake people up: by default only critical alerts go there.
    "sms": ChannelKind(
        "sms", sms_twilio.SmsConfig, sms_twilio.SmsSecrets, sms_twilio.check, sms_twilio.send, "critical"
    ),
}


class ChannelConfigError(ValueError):
    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def _parse(model: type[BaseModel], data: dict[str, Any], where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        _code, message, details = summarize(exc.errors(include_url=False, include_input=False))
        for item in details:
            item["loc"] = f"{where}.{item['loc']}" if item["loc"] else where
        raise ChannelConfigError(f"{where}: {message}", details) from None


def validate(
    kind_name: str, config: dict[str, Any], secrets: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Normalized (config, secrets) for a channel kind, or ChannelConfigError saying what is wrong.

    Error messages never quote secret values (pydantic's input echo is turned off)."""
    kind = KINDS.get(kind_name)
    if kind is None:
        raise ChannelConfigError(f"unknown channel type {kind_name!r}: use {', '.join(KINDS)}")
    hide_in_logs(secrets)  # before anything (a parser, the INSERT) might log them
    parsed_config = _parse(kind.config_model, config, "config")
    parsed_secrets = _parse(kind.secrets_model, secrets, "secrets")
    try:
        kind.check(parsed_config, parsed_secrets)
    except ValueError as exc:
        raise ChannelConfigError(str(exc)) from None
    return (
        parsed_config.model_dump(mode="json", exclude_none=True),
        parsed_secrets.model_dump(mode="json", exclude_none=True),
    )


async def send(
    kind_name: str, config: dict[str, Any], secrets: dict[str, Any], message: AlertMessage, ctx: SendContext
) -> SendResult:
    """Send one message; never raises. Secrets are scrubbed from the error text."""
    kind = KINDS.get(kind_name)
    if kind is None:
        return SendResult(ok=False, error=f"unknown channel type {kind_name!r}", retryable=False)
    hide_in_logs(secrets)
    try:
        parsed_config = kind.config_model.model_validate(config)
        parsed_secrets = kind.secrets_model.model_validate(secrets)
        result = await kind.send(parsed_config, parsed_secrets, message, ctx)
    except ValidationError:
        return SendResult(ok=False, error="the channel configuration is no longer valid", retryable=False)
    except Exception as exc:  # a bug in a sender must not stop the dispatcher
        log.warning("channel %s raised %s", kind_name, type(exc).__name__)
        result = error_result(exc)
    if result.error:
        result = SendResult(
            ok=result.ok,
            status_code=result.status_code,
            error=redact(result.error, secrets),
            retryable=result.retryable,
            progress=result.progress,
        )
    return result
