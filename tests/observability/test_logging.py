"""Structured JSON logs with request ids; secrets and tokens never reach the output."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from finops.observability.logging import REDACTED, build_handler, redact, redact_text
from tests.conftest import TokenFactory

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = build_handler("json", stream)
    logger = logging.getLogger("finops")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


class TestRedaction:
    @pytest.mark.parametrize(
        ("text", "secret"),
        [
            ("Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
            ("headers={'authorization': 'Basic dXNlcjpwdw=='}", "dXNlcjpwdw=="),
            (f"token was {JWT}", JWT),
            ("FINOPS_JWT_SECRET=s3cr3t-value", "s3cr3t-value"),
            ("password: hunter2", "hunter2"),
            ("api_key=sk-live-123", "sk-live-123"),
            ("postgresql://finops:pgpass@db:5432/finops", "pgpass"),
        ],
    )
    def test_secret_text_is_replaced(self, text: str, secret: str) -> None:
        cleaned = redact_text(text)
        assert secret not in cleaned
        assert REDACTED in cleaned

    def test_keys_named_like_secrets_are_replaced_but_token_counts_kept(self) -> None:
        cleaned = redact(
            {
                "jwt_secret": "a",
                "access_token": "b",
                "Password": "c",
                "headers": {"Authorization": "Bearer d"},
                "input_tokens": 1200,
                "service": "tutor",
            }
        )
        assert cleaned == {
            "jwt_secret": REDACTED,
            "access_token": REDACTED,
            "Password": REDACTED,
            "headers": {"Authorization": REDACTED},
            "input_tokens": 1200,
            "service": "tutor",
        }


class TestJsonLogs:
    def test_one_json_object_per_line_with_extras_redacted(self, captured: io.StringIO) -> None:
        logging.getLogger("finops.test").info(
            "calling with %s", f"Bearer {JWT}", extra={"webhook_secret": "whsec", "tenant": "acme"}
        )
        (entry,) = lines(captured)
        assert entry["level"] == "INFO"
        assert entry["logger"] == "finops.test"
        assert entry["tenant"] == "acme"
        assert entry["webhook_secret"] == REDACTED
        assert JWT not in json.dumps(entry)
        assert "time" in entry

    def test_tracebacks_are_redacted_too(self, captured: io.StringIO) -> None:
        try:
            raise ValueError(f"could not verify Authorization: Bearer {JWT}")
        except ValueError:
            logging.getLogger("finops.test").exception("failed")
        (entry,) = lines(captured)
        assert "ValueError" in json.dumps(entry)
        assert JWT not in json.dumps(entry)

    async def test_access_log_carries_the_request_id_and_no_token(
        self, client: httpx.AsyncClient, auth: TokenFactory, captured: io.StringIO
    ) -> None:
        headers = {**auth("admin"), "X-Request-ID": "req-logging-test-1"}
        response = await client.get("/v1/usage-events", headers=headers)
        assert response.headers["x-request-id"] == "req-logging-test-1"
        entries = [e for e in lines(captured) if e["logger"] == "finops.access"]
        (entry,) = [e for e in entries if e.get("request_id") == "req-logging-test-1"]
        assert entry["route"] == "/v1/usage-events"
        assert entry["status"] == 200
        token = headers["Authorization"].split()[1]
        assert token not in captured.getvalue()
