"""Slack incoming webhook: Block Kit message with the budget, scope, spend, forecast and a link."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from finops.alerts.channels import format as fmt
from finops.alerts.channels.base import (
    SECRET_LOGS,
    AlertMessage,
    SendContext,
    SendResult,
    error_result,
    http_result,
)
from finops.alerts.channels.fields import HttpUrl, Timeout

EMOJI = {"info": ":information_source:", "warning": ":warning:", "critical": ":rotating_light:"}


class SlackConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="Where it posts (e.g. #ai-costs), for people reading the channel list"
    )
    mention_on_critical: Annotated[str, Field(max_length=100)] | None = Field(
        default=None, description="Prepended to critical alerts, e.g. <!here> or <@U123>"
    )
    timeout_seconds: Timeout | None = None


class SlackSecrets(BaseModel):
    model_config = ConfigDict(extra="forbid")

    webhook_url: HttpUrl


def check(config: SlackConfig, secrets: SlackSecrets) -> None:
    return None


def escape(text: str) -> str:
    """Slack's mrkdwn control characters: a budget named "<!channel>" must not ping anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(config: SlackConfig, message: AlertMessage) -> dict[str, Any]:
    headline = f"{EMOJI.get(message.severity, '')} {escape(message.title)}".strip()
    if message.severity == "critical" and config.mention_on_critical:
        headline = f"{config.mention_on_critical} {headline}"
    if message.test:
        headline = f":white_check_mark: Test from finops: {escape(message.title)}"
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{escape(value)}"} for label, value in fmt.facts(message)
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*"}},
        # Slack allows at most 10 fields per section.
        *({"type": "section", "fields": fields[i : i + 10]} for i in range(0, len(fields), 10)),
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"<{message.link}|View the alert> · id `{message.alert_id}`"}
            ],
        },
    ]
    return {"text": f"{escape(fmt.subject(message))} — {message.link}", "blocks": blocks}


async def send(
    config: SlackConfig, secrets: SlackSecrets, message: AlertMessage, ctx: SendContext
) -> SendResult:
    SECRET_LOGS.register(secrets.webhook_url)
    try:
        response = await ctx.http.post(
            secrets.webhook_url,
            json=payload(config, message),
            timeout=config.timeout_seconds or ctx.settings.alerts_http_timeout_seconds,
        )
    except httpx.HTTPError as exc:
        return error_result(exc)
    return http_result(response)
