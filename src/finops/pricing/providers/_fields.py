"""Reading counts out of provider usage objects strictly: integers ≥ 0 or absent, nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finops.kit.errors import Unprocessable


def count(obj: Mapping[str, Any] | None, *path: str) -> int:
    """The integer at `path`, 0 when absent or null; a clear 422 when it is anything but a count."""
    value: Any = obj
    for key in path:
        if value is None:
            return 0
        if not isinstance(value, Mapping):
            raise Unprocessable(
                f"provider_usage.{'.'.join(path)}: expected an object on the way",
                code="invalid_provider_usage",
            )
        value = value.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise Unprocessable(
            f"provider_usage.{'.'.join(path)} must be an integer, got {type(value).__name__}",
            code="invalid_provider_usage",
        )
    if value < 0:
        raise Unprocessable(f"provider_usage.{'.'.join(path)} must not be negative", code="negative_tokens")
    return value


def require_any(obj: Mapping[str, Any], keys: tuple[str, ...], shape: str) -> None:
    if not any(k in obj for k in keys):
        raise Unprocessable(
            f"provider_usage is not a recognised {shape} usage object (expected one of {', '.join(keys)})",
            code="invalid_provider_usage",
        )
