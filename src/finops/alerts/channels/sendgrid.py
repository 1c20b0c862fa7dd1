"""Email through the SendGrid v3 mail-send API (base URL configurable)."""

from __future__ import annotations

import httpx

from finops.alerts.channels import format as fmt
from finops.alerts.channels.base import AlertMessage, SendContext, SendResult, error_result, http_result
from finops.alerts.channels.email_common import EmailConfig, EmailSecrets


def payload(config: EmailConfig, message: AlertMessage) -> dict[str, object]:
    return {
        "personalizations": [{"to": [{"email": address} for address in config.to]}],
        "from": {"email": config.from_address, "name": config.from_name},
        "subject": fmt.subject(message),
        "content": [
            {"type": "text/plain", "value": fmt.plain_text(message)},
            {"type": "text/html", "value": fmt.html_body(message)},
        ],
        "headers": {"X-Finops-Alert-Id": message.alert_id},
        "custom_args": {"finops_alert_id": message.alert_id},
    }


async def send(
    config: EmailConfig, secrets: EmailSecrets, message: AlertMessage, ctx: SendContext
) -> SendResult:
    base = (config.api_base_url or ctx.settings.alerts_sendgrid_base_url).rstrip("/")
    try:
        response = await ctx.http.post(
            f"{base}/v3/mail/send",
            json=payload(config, message),
            headers={"Authorization": f"Bearer {secrets.api_key}"},
            timeout=config.timeout_seconds or ctx.settings.alerts_http_timeout_seconds,
        )
    except httpx.HTTPError as exc:
        return error_result(exc)
    return http_result(response)
