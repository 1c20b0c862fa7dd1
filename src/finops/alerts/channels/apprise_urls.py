"""The long tail (Teams, Discord, PagerDuty, Telegram, ntfy, ...) through Apprise URLs.

The URLs carry the services' credentials, so they are secrets. Each URL is notified on its own:
a retry skips services already served (progress keeps a hash of the URL, never the URL).
"""

from __future__ import annotations

import asyncio
import hashlib
import warnings
from typing import Annotated

import apprise
from pydantic import BaseModel, ConfigDict, Field, field_validator

from finops.alerts.channels import format as fmt
from finops.alerts.channels.base import SECRET_LOGS, AlertMessage, SendContext, SendResult

# Apprise imports its ~180 service plugins lazily, on the first URL it parses; one of them imports
# the deprecated `imghdr`. Load them once here, quietly, instead of in the middle of a request.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    apprise.Apprise.instantiate("json://localhost")

NOTIFY_TYPES = {
    "info": apprise.NotifyType.INFO,
    "warning": apprise.NotifyType.WARNING,
    "critical": apprise.NotifyType.FAILURE,
}


class AppriseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="What the URLs reach (e.g. 'Teams #finops'), for people reading the list"
    )


class AppriseSecrets(BaseModel):
    model_config = ConfigDict(extra="forbid")

    urls: Annotated[
        list[Annotated[str, Field(min_length=4, max_length=2000)]], Field(min_length=1, max_length=20)
    ]

    @field_validator("urls")
    @classmethod
    def _supported(cls, urls: list[str]) -> list[str]:
        for index, url in enumerate(urls):
            SECRET_LOGS.register(url)  # Apprise logs the URLs it parses
            # The message names the position, never the URL: it holds a credential.
            if apprise.Apprise.instantiate(url) is None:
                raise ValueError(f"urls[{index}] is not a URL of a service Apprise supports")
        return urls


def check(config: AppriseConfig, secrets: AppriseSecrets) -> None:
    return None


def progress_key(url: str) -> str:
    return "apprise:" + hashlib.sha256(url.encode()).hexdigest()[:16]


def _scheme(url: str) -> str:
    return url.split("://", 1)[0]


async def send(
    config: AppriseConfig, secrets: AppriseSecrets, message: AlertMessage, ctx: SendContext
) -> SendResult:
    done = set(ctx.progress)
    notify_type = apprise.NotifyType.SUCCESS if message.kind == "resolved" else NOTIFY_TYPES[message.severity]
    for index, url in enumerate(secrets.urls):
        key = progress_key(url)
        if key in done:
            continue
        SECRET_LOGS.register(url)
        service = apprise.Apprise()
        service.add(url)
        result = await asyncio.to_thread(
            service.notify,
            title=fmt.subject(message),
            body=fmt.plain_text(message),
            notify_type=notify_type,
            body_format=apprise.NotifyFormat.TEXT,
        )
        if not result:
            return SendResult(
                ok=False,
                error=f"apprise service {index + 1} of {len(secrets.urls)} ({_scheme(url)}) failed",
                progress=tuple(sorted(done)),
            )
        done.add(key)
    return SendResult(ok=True, progress=tuple(sorted(done)))
