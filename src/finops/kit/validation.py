"""Stable error codes for Pydantic validation errors, shared by the 422 handler and batch ingest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

CUSTOM_PREFIX = "finops."

_BY_TYPE = {
    "missing": "missing_field",
    "extra_forbidden": "unknown_field",
    "timezone_aware": "invalid_timestamp",
    "datetime_parsing": "invalid_timestamp",
    "datetime_type": "invalid_timestamp",
    "datetime_from_date_parsing": "invalid_timestamp",
    "string_too_long": "invalid_length",
    "string_too_short": "invalid_length",
    "too_long": "invalid_length",
    "too_short": "invalid_length",
    "json_invalid": "malformed_json",
}


def error_code(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    loc = [str(part) for part in error.get("loc", ())]
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    if kind == "literal_error" and loc and loc[-1] == "provider":
        return "unknown_provider"
    if kind in ("greater_than_equal", "greater_than"):
        return "negative_tokens" if loc and loc[-1].endswith("_tokens") else "out_of_range"
    if kind in ("less_than_equal", "less_than"):
        return "out_of_range"
    if kind.endswith("_type") or kind.endswith("_parsing") or kind == "literal_error":
        return "invalid_type"
    if kind.startswith(CUSTOM_PREFIX):
        return kind.removeprefix(CUSTOM_PREFIX)  # our own PydanticCustomError codes
    return "invalid_request"


def _location(error: dict[str, Any]) -> str:
    return ".".join(str(p) for p in error.get("loc", ()) if p not in ("body",))


def summarize(errors: Sequence[Any]) -> tuple[str, str, list[dict[str, Any]]]:
    """(code of the first error, readable message, details list) for a list of Pydantic errors."""
    details = [{"loc": _location(e), "code": error_code(e), "message": str(e.get("msg", ""))} for e in errors]
    if not details:
        return "invalid_request", "invalid request", details
    first = details[0]
    message = f"{first['loc']}: {first['message']}" if first["loc"] else first["message"]
    return first["code"], message, details
