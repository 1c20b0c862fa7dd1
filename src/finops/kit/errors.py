"""Domain errors carry an HTTP status and a stable machine-readable code; one handler renders them."""

from __future__ import annotations

from typing import Any


class FinopsError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class BadRequest(FinopsError):
    status_code = 400


class Unauthorized(FinopsError):
    status_code = 401
    code = "unauthorized"


class Forbidden(FinopsError):
    status_code = 403
    code = "forbidden"


class NotFound(FinopsError):
    status_code = 404
    code = "not_found"


class Conflict(FinopsError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(FinopsError):
    status_code = 413
    code = "payload_too_large"


class Unprocessable(FinopsError):
    status_code = 422
    code = "invalid_request"


class ServiceUnavailable(FinopsError):
    status_code = 503
    code = "unavailable"
