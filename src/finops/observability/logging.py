"""Structured JSON logs carrying the request id; secrets and tokens are redacted before output."""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from finops import __version__

request_id_var: ContextVar[str | None] = ContextVar("finops_request_id", default=None)

REDACTED = "[REDACTED]"
_SENSITIVE_KEY = re.compile(r"secret|password|passwd|authorization|cookie|api[_-]?key|credential", re.I)
_TEXT_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization headers and bearer tokens in any text.
    (
        re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:bearer\s+|basic\s+)?[^\s'\",;]+"),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-_.~+/=]+"), r"\1" + REDACTED),
    # JWTs wherever they appear.
    (re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"), REDACTED),
    # key=value or key: value pairs whose key names a secret.
    (
        re.compile(
            r"(?i)\b([\w.-]*(?:secret|token|password|passwd|api[_-]?key)[\w.-]*['\"]?\s*[:=]\s*['\"]?)"
            r"(?!\d+\b)[^\s'\",;&]+"
        ),
        r"\1" + REDACTED,
    ),
    # Passwords inside URLs (postgresql://user:password@host/db).
    (re.compile(r"(://[^/\s:@]+:)[^@\s/]+@"), r"\1" + REDACTED + "@"),
)

# Standard LogRecord attributes: everything else on a record came from `extra=`.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def is_sensitive_key(key: str) -> bool:
    """Keys named *secret*, *password*, *authorization* ... or *token* (but not token counts: *_tokens)."""
    lowered = key.lower()
    if _SENSITIVE_KEY.search(lowered):
        return True
    return "token" in lowered and not lowered.endswith("tokens")


def redact_text(text: str) -> str:
    for pattern, replacement in _TEXT_RULES:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any, key: str | None = None) -> Any:
    """A copy of `value` with sensitive keys and secret-looking text replaced by [REDACTED]."""
    if key is not None and is_sensitive_key(key) and value not in (None, ""):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Redact the rendered message and every `extra=` field before any handler formats the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        for name, value in list(vars(record).items()):
            if name not in _RECORD_ATTRS:
                setattr(record, name, redact(value, name))
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


class FinopsJsonFormatter(JsonFormatter):
    """One JSON object per line; redacts again after formatting so tracebacks are covered too."""

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        log_data.pop("color_message", None)  # uvicorn's ANSI-coloured duplicate of the message
        cleaned: dict[str, Any] = redact(log_data)
        return cleaned


def make_formatter(log_format: str = "json") -> logging.Formatter:
    if log_format == "json":
        return FinopsJsonFormatter(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"levelname": "level", "name": "logger"},
            static_fields={"service": "finops", "version": __version__},
            timestamp="time",
        )
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def build_handler(log_format: str = "json", stream: Any = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())
    return handler


def configure_logging(level: str = "INFO", log_format: str = "json", stream: Any = None) -> None:
    """Route the root, uvicorn and SQLAlchemy loggers through one redacting handler."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_finops", False):
            root.removeHandler(existing)
    handler = build_handler(log_format, stream)
    handler._finops = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def dict_config(level: str = "INFO", log_format: str = "json") -> dict[str, Any]:
    """The same setup as a logging dictConfig, for uvicorn to apply in every worker process."""
    module = __name__
    quiet = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": f"{module}.RequestIdFilter"},
            "redact": {"()": f"{module}.RedactingFilter"},
        },
        "formatters": {"finops": {"()": f"{module}.make_formatter", "log_format": log_format}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "finops",
                "filters": ["request_id", "redact"],
            }
        },
        # uvicorn's own access log is replaced by finops.access (route, status, duration, request id).
        "loggers": {
            "uvicorn": quiet,
            "uvicorn.error": quiet,
            "uvicorn.access": {**quiet, "level": "WARNING"},
        },
        "root": {"handlers": ["default"], "level": level.upper()},
    }
