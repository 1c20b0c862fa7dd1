"""docs/api/rest/finops.yaml is generated from the app, committed, and documents errors and auth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from finops.cli.openapi import openapi_document, render_yaml

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "api" / "rest" / "finops.yaml"
PUBLIC = {("get", "/healthz"), ("get", "/readyz")}
ERROR_REF = "#/components/schemas/ErrorResponse"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    ]


def error_schema(operation: dict[str, Any], status: str) -> str | None:
    response = operation["responses"].get(status)
    if response is None:
        return None
    ref: str = response["content"]["application/json"]["schema"]["$ref"]
    return ref


class TestCommittedFile:
    def test_is_in_sync_with_the_app(self, document: dict[str, Any]) -> None:
        expected = render_yaml(document)
        assert COMMITTED.exists(), "run: finops openapi -o docs/api/rest/finops.yaml"
        assert COMMITTED.read_text() == expected, (
            "docs/api/rest/finops.yaml is out of date: run `finops openapi -o docs/api/rest/finops.yaml`"
        )

    def test_parses_as_openapi_3(self) -> None:
        loaded = yaml.safe_load(COMMITTED.read_text())
        assert loaded["openapi"].startswith("3.")
        assert loaded["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


class TestEveryOperation:
    def test_has_a_description(self, document: dict[str, Any]) -> None:
        missing = [f"{m.upper()} {p}" for m, p, op in operations(document) if not op.get("description")]
        assert missing == []

    def test_documents_auth(self, document: dict[str, Any]) -> None:
        for method, path, operation in operations(document):
            if (method, path) in PUBLIC:
                assert "security" not in operation
                continue
            assert operation.get("security"), f"{method.upper()} {path} documents no auth"
            assert error_schema(operation, "401") == ERROR_REF, f"{method.upper()} {path}"
            if any("HTTPBearer" in requirement for requirement in operation["security"]):
                assert error_schema(operation, "403") == ERROR_REF, f"{method.upper()} {path}"

    def test_documents_errors_with_the_shared_schema(self, document: dict[str, Any]) -> None:
        for method, path, operation in operations(document):
            assert error_schema(operation, "500") == ERROR_REF
            if operation.get("parameters") or operation.get("requestBody"):
                assert error_schema(operation, "422") == ERROR_REF, f"{method.upper()} {path}"
            if operation.get("requestBody"):
                assert error_schema(operation, "400") == ERROR_REF, f"{method.upper()} {path}"
            if "{" in path:
                assert "404" in operation["responses"], f"{method.upper()} {path}"

    def test_no_fastapi_validation_schema_left(self, document: dict[str, Any]) -> None:
        assert "HTTPValidationError" not in document["components"]["schemas"]


class TestServed:
    async def test_openapi_json_is_the_same_document(
        self, client: httpx.AsyncClient, document: dict[str, Any]
    ) -> None:
        served = (await client.get("/openapi.json")).json()
        assert served["paths"].keys() == document["paths"].keys()
        assert (
            served["components"]["schemas"]["ErrorResponse"]
            == document["components"]["schemas"]["ErrorResponse"]
        )
