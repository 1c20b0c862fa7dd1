"""The OpenAPI document: every operation lists its errors (one error schema) and its auth.

Routers may declare endpoint-specific errors with `error_responses(404, 409)`; the errors every
endpoint shares (401/403 for authenticated ones, 400/413/422 for those with input, 500) are added
here to each operation, so new endpoints are documented without repeating them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

DESCRIPTIONS = {
    400: "Malformed request (e.g. body is not JSON); `error.code` says which rule failed",
    401: "Missing, expired or invalid bearer token (`missing_token`, `invalid_token`)",
    403: "The token's role or tenant may not do this (`insufficient_role`, `tenant_forbidden`)",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Body or batch too large (`body_too_large`, `batch_too_large`)",
    422: "Input failed validation; `error.code` is a stable machine-readable code",
    500: "Internal error (`internal_error`); the response carries no details",
    503: "A dependency (database) is unavailable",
}
JWT_SCHEME = "HTTPBearer"
_METHODS = ("get", "put", "post", "delete", "patch")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable error code")
    message: str = Field(description="Human-readable explanation")
    details: Any | None = Field(default=None, description="Per-field problems, when there are several")


class ErrorResponse(BaseModel):
    """Every error answer has this shape."""

    error: ErrorDetail


def error_responses(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for the given statuses, all with the shared error schema.

    Override a description with a keyword named after the status: `error_responses(404, e404="...")`.
    """
    return {
        status: {"model": ErrorResponse, "description": descriptions.get(f"e{status}", DESCRIPTIONS[status])}
        for status in statuses
    }


def _error_ref(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }


def _document_operation(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    needed: list[int] = [500]
    if schemes:
        needed.append(401)
    if JWT_SCHEME in schemes:
        needed.append(403)
    if operation.get("parameters") or operation.get("requestBody"):
        needed.append(422)
    if operation.get("requestBody"):
        needed += [400, 413]
    if any(param.get("in") == "path" for param in operation.get("parameters", [])):
        needed.append(404)
    for status in needed:
        key = str(status)
        declared = responses.get(key)
        if declared is None or status == 422:  # FastAPI's default 422 is not what we send
            responses[key] = _error_ref(DESCRIPTIONS[status])
        elif "content" not in declared:  # declared with a description only: add the error schema
            responses[key] = _error_ref(declared.get("description") or DESCRIPTIONS[status])
    operation["responses"] = dict(sorted(responses.items()))


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")[
        "$defs"
    ].items():
        components[name] = definition
    error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    error_schema.pop("$defs", None)
    components["ErrorResponse"] = error_schema
    for path in schema.get("paths", {}).values():
        for method in _METHODS:
            if method in path:
                _document_operation(path[method])
    # FastAPI's validation schemas are unused once every 422 points at ErrorResponse.
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    schema["components"]["schemas"] = dict(sorted(components.items()))
    return schema


def install(app: FastAPI) -> None:
    """Serve the enriched document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
