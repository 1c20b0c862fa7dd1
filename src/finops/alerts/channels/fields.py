"""Validated field types shared by channel configurations."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value) < 10:
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/") if value.count("/") == 2 else value


def _phone(value: str) -> str:
    if not _E164.match(value):
        raise ValueError(f"{value!r} is not an E.164 phone number (+ and 7 to 15 digits)")
    return value


EmailAddress = Annotated[str, Field(max_length=320), AfterValidator(_email)]
HttpUrl = Annotated[str, Field(max_length=2000), AfterValidator(_http_url)]
PhoneNumber = Annotated[str, AfterValidator(_phone)]
Secret = Annotated[str, Field(min_length=1, max_length=4000)]
Timeout = Annotated[float, Field(gt=0, le=60)]
