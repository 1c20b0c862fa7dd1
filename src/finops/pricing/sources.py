"""Published price catalogs: fetch one (HTTP(S) URL or local file) and parse it into catalog records.

Two formats: "genai" (the genai-prices published data file, a JSON list of providers, parsed by
the package's own `_providers_from_raw`) and "litellm" (`model_prices_and_context_window.json`).
Anything unreadable raises `CatalogUnavailable`; the caller retries and, failing that, changes
nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from genai_prices import types as gp

from finops.pricing import genai_source, litellm_source
from finops.pricing.genai_source import CatalogData

FORMATS = ("genai", "litellm")
RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


class CatalogUnavailable(Exception):
    """The catalog could not be fetched or parsed. `retryable` is False for errors a retry cannot fix."""

    def __init__(self, message: str, *, retryable: bool = True, attempts: int = 1) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.attempts = attempts


@dataclass(frozen=True)
class Fetched:
    data: CatalogData
    sha256: str
    attempts: int


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


async def _download(source: str, *, timeout: float, max_bytes: int) -> bytes:
    if not is_url(source):
        path = Path(source.removeprefix("file://"))
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise CatalogUnavailable(
                    f"{path} is {size} bytes, over the {max_bytes}-byte limit", retryable=False
                )
            return await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise CatalogUnavailable(f"cannot read {path}: {exc.strerror or exc}", retryable=False) from exc
    try:
        async with (
            httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client,
            client.stream("GET", source, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code != 200:
                raise CatalogUnavailable(
                    f"GET {source} answered HTTP {response.status_code}",
                    retryable=response.status_code in RETRYABLE_STATUS,
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise CatalogUnavailable(f"{source} is over the {max_bytes}-byte limit", retryable=False)
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as exc:
        raise CatalogUnavailable(f"GET {source} failed: {type(exc).__name__}: {exc}") from exc


def parse(content: bytes, fmt: str) -> CatalogData:
    """Parse a downloaded catalog; refuse one that prices none of our providers' models."""
    try:
        document: Any = json.loads(content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CatalogUnavailable(f"the catalog is not valid JSON: {exc}") from exc
    try:
        if fmt == "genai":
            if not isinstance(document, list):
                raise CatalogUnavailable("a genai-prices data file is a JSON list of providers")
            # The package validates prices as Decimal; hand it strings, never floats.
            data = genai_source.from_providers(gp._providers_from_raw(_decimals_as_strings(document)))
        elif fmt == "litellm":
            data = litellm_source.parse(document)
        else:
            raise CatalogUnavailable(f"unknown catalog format {fmt!r}", retryable=False)
    except CatalogUnavailable:
        raise
    except Exception as exc:  # the package's validation raises pydantic, Value, Type and Key errors
        raise CatalogUnavailable(f"the catalog does not parse as {fmt}: {type(exc).__name__}: {exc}") from exc
    if not data.models or not data.prices:
        raise CatalogUnavailable(
            "the catalog prices none of the openai, azure, google, anthropic or aws models"
        )
    return data


def _decimals_as_strings(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_decimals_as_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: _decimals_as_strings(v) for k, v in value.items()}
    return value


async def fetch(
    source: str, fmt: str, *, attempts: int, backoff_seconds: float, timeout: float, max_bytes: int
) -> Fetched:
    """Download and parse, retrying with exponential backoff (backoff, 2×backoff, ...)."""
    last: CatalogUnavailable | None = None
    for attempt in range(1, attempts + 1):
        try:
            content = await _download(source, timeout=timeout, max_bytes=max_bytes)
            data = await asyncio.to_thread(parse, content, fmt)
            return Fetched(data=data, sha256=hashlib.sha256(content).hexdigest(), attempts=attempt)
        except CatalogUnavailable as exc:
            last = exc
            if not exc.retryable or attempt == attempts:
                break
            await asyncio.sleep(backoff_seconds * 2 ** (attempt - 1))
    assert last is not None
    plural = "s" if attempt > 1 else ""
    raise CatalogUnavailable(f"{last} (after {attempt} attempt{plural})", retryable=False, attempts=attempt)
