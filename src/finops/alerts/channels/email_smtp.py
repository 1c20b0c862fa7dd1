"""Email over SMTP (plain, STARTTLS or implicit TLS, optional login), sent from a worker thread."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage

from finops.alerts.channels.base import AlertMessage, SendContext, SendResult, error_result
from finops.alerts.channels.email_common import EmailConfig, EmailSecrets, build_mime


def _tls_context(config: EmailConfig) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not config.tls_verify:
        # For relays with private certificates; the connection is still encrypted.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _deliver(config: EmailConfig, secrets: EmailSecrets, mime: EmailMessage, timeout: float) -> SendResult:
    host = config.host or ""
    context = _tls_context(config)
    client: smtplib.SMTP
    if config.security == "ssl":
        client = smtplib.SMTP_SSL(host, config.smtp_port(), timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(host, config.smtp_port(), timeout=timeout)
    with client:
        client.ehlo()
        if config.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if config.username:
            client.login(config.username, secrets.password or "")
        refused = client.send_message(mime)
    if refused:
        return SendResult(ok=True, status_code=250, error=f"refused recipients: {', '.join(sorted(refused))}")
    return SendResult(ok=True, status_code=250)


async def send(
    config: EmailConfig, secrets: EmailSecrets, message: AlertMessage, ctx: SendContext
) -> SendResult:
    mime = build_mime(config, message)
    timeout = config.timeout_seconds or ctx.settings.alerts_http_timeout_seconds
    try:
        return await asyncio.to_thread(_deliver, config, secrets, mime, timeout)
    except smtplib.SMTPRecipientsRefused:
        return SendResult(ok=False, status_code=550, error="every recipient was refused", retryable=False)
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc)
        # 4xx replies are transient by definition (RFC 5321); 5xx are permanent.
        return SendResult(
            ok=False,
            status_code=exc.smtp_code,
            error=f"SMTP {exc.smtp_code}: {text}",
            retryable=exc.smtp_code < 500,
        )
    except (OSError, smtplib.SMTPException) as exc:
        return error_result(exc)
