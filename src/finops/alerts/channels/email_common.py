"""Email channel configuration (SMTP or SendGrid transport) and the message both send."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from finops.alerts.channels import format as fmt
from finops.alerts.channels.base import AlertMessage
from finops.alerts.channels.fields import EmailAddress, HttpUrl, Secret, Timeout


class EmailConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transport: Literal["smtp", "sendgrid"] = "smtp"
    to: Annotated[list[EmailAddress], Field(min_length=1, max_length=50)]
    from_address: EmailAddress
    from_name: Annotated[str, Field(max_length=200)] = "finops alerts"
    # smtp
    host: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: Annotated[str, Field(max_length=320)] | None = None
    tls_verify: bool = True
    # sendgrid
    api_base_url: HttpUrl | None = None
    timeout_seconds: Timeout | None = None

    @model_validator(mode="after")
    def _transport_fields(self) -> EmailConfig:
        if self.transport == "smtp" and not self.host:
            raise ValueError("smtp transport needs host")
        return self

    def smtp_port(self) -> int:
        return self.port or {"ssl": 465, "starttls": 587, "none": 25}[self.security]


class EmailSecrets(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Secret | None = None
    api_key: Secret | None = None


def check(config: EmailConfig, secrets: EmailSecrets) -> None:
    if config.transport == "sendgrid" and not secrets.api_key:
        raise ValueError("sendgrid transport needs secrets.api_key")
    if config.transport == "smtp" and config.username and not secrets.password:
        raise ValueError("smtp with a username needs secrets.password")


def build_mime(config: EmailConfig, message: AlertMessage) -> EmailMessage:
    mime = EmailMessage()
    mime["Subject"] = fmt.subject(message)
    mime["From"] = formataddr((config.from_name, config.from_address))
    mime["To"] = ", ".join(config.to)
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = f"<{message.alert_id}@finops.alerts>"
    mime["X-Finops-Alert-Id"] = message.alert_id
    mime.set_content(fmt.plain_text(message))
    mime.add_alternative(fmt.html_body(message), subtype="html")
    return mime
