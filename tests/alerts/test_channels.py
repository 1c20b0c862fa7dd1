"""Alert channels over HTTP: CRUD with write-only secrets, validation codes, tenancy, audit, and
real test sends to local SMTP/HTTP receivers (including failures reported, secrets never echoed)."""

from __future__ import annotations

import logging
import time
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from finops.alerts.channels.webhook import sign
from tests.alerts.conftest import (
    SENDGRID_KEY,
    TWILIO_TOKEN,
    WEBHOOK_SECRET,
    AlertKit,
    apprise_channel,
    sendgrid_channel,
    slack_channel,
    sms_channel,
    smtp_channel,
    webhook_channel,
)
from tests.alerts.servers import HttpReceiver, Received, SmtpServer, webhook_responder
from tests.conftest import TokenFactory


async def _create(kit: AlertKit, body: dict[str, Any]) -> dict[str, Any]:
    response = await kit.client.post("/v1/alert-channels", json=body, headers=kit.admin)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _test_send(kit: AlertKit, channel_id: str) -> dict[str, Any]:
    response = await kit.client.post(f"/v1/alert-channels/{channel_id}/test", headers=kit.admin)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


class TestChannelCrud:
    async def test_secrets_are_write_only(self, kit: AlertKit, webhook: HttpReceiver) -> None:
        created = await _create(kit, webhook_channel(webhook))
        assert created["secrets_set"] == ["signing_secret"]
        assert created["config"] == {"url": f"{webhook.url}/hooks/finops"}
        assert (created["tenant_id"], created["min_severity"], created["enabled"]) == (
            kit.tenant,
            "info",
            True,
        )
        listed = await kit.client.get("/v1/alert-channels", headers=kit.admin)
        one = await kit.client.get(f"/v1/alert-channels/{created['id']}", headers=kit.admin)
        audit = await kit.client.get(
            "/v1/audit",
            params={"entity_type": "alert_channel", "entity_id": created["id"]},
            headers=kit.admin,
        )
        assert [c["id"] for c in listed.json()["items"]] == [created["id"]]
        assert one.json() == created
        assert [e["action"] for e in audit.json()["items"]] == ["alert_channel.create"]
        for response in (listed, one, audit):
            assert WEBHOOK_SECRET not in response.text

    async def test_patch_merges_config_and_rotates_secrets(
        self, kit: AlertKit, webhook: HttpReceiver
    ) -> None:
        created = await _create(
            kit, webhook_channel(webhook, config={"url": "https://old.example.test/hook"})
        )
        rotated = "rotated-secret-" + "r" * 20
        response = await kit.client.patch(
            f"/v1/alert-channels/{created['id']}",
            json={
                "config": {"url": f"{webhook.url}/new", "timeout_seconds": 5},
                "secrets": {"signing_secret": rotated},
                "name": "renamed",
            },
            headers=kit.admin,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["name"], body["config"]) == (
            "renamed",
            {"url": f"{webhook.url}/new", "timeout_seconds": 5.0},
        )
        assert rotated not in response.text
        # The receiver still expects the old secret: the test send proves the new one is in use.
        result = await _test_send(kit, created["id"])
        assert (result["ok"], result["status_code"]) == (False, 401)
        webhook.responder = webhook_responder(rotated)
        assert (await _test_send(kit, created["id"]))["ok"] is True
        removed = await kit.client.patch(
            f"/v1/alert-channels/{created['id']}",
            json={"config": {"timeout_seconds": None}},
            headers=kit.admin,
        )
        assert removed.json()["config"] == {"url": f"{webhook.url}/new"}
        audit = await kit.client.get(
            "/v1/audit",
            params={"entity_type": "alert_channel", "entity_id": created["id"]},
            headers=kit.admin,
        )
        assert [e["action"] for e in audit.json()["items"]] == ["alert_channel.update"] * 2 + [
            "alert_channel.create"
        ]
        assert rotated not in audit.text

    async def test_delete_hides_the_channel(self, kit: AlertKit, webhook: HttpReceiver) -> None:
        created = await _create(kit, webhook_channel(webhook))
        deleted = await kit.client.delete(f"/v1/alert-channels/{created['id']}", headers=kit.admin)
        assert deleted.status_code == 204
        again = await kit.client.get(f"/v1/alert-channels/{created['id']}", headers=kit.admin)
        assert (again.status_code, again.json()["error"]["code"]) == (404, "channel_not_found")
        assert (await kit.client.get("/v1/alert-channels", headers=kit.admin)).json()["items"] == []

    async def test_sms_defaults_to_critical_only(self, kit: AlertKit, twilio: HttpReceiver) -> None:
        assert (await _create(kit, sms_channel(twilio)))["min_severity"] == "critical"
        assert (await _create(kit, sms_channel(twilio, min_severity="warning")))["min_severity"] == "warning"

    @pytest.mark.parametrize(
        ("body", "fragment"),
        [
            ({"type": "webhook", "config": {}, "secrets": {"signing_secret": "x" * 20}}, "config.url"),
            (
                {
                    "type": "webhook",
                    "config": {"url": "ftp://x.test/a"},
                    "secrets": {"signing_secret": "x" * 20},
                },
                "url",
            ),
            (
                {
                    "type": "webhook",
                    "config": {"url": "https://x.test/a"},
                    "secrets": {"signing_secret": "tooshort-QZ"},
                },
                "",
            ),
            ({"type": "slack", "config": {}, "secrets": {}}, "secrets.webhook_url"),
            ({"type": "email", "config": {"to": ["a@b.test"], "from_address": "f@b.test"}}, "host"),
            (
                {
                    "type": "email",
                    "config": {"transport": "sendgrid", "to": ["a@b.test"], "from_address": "f@b.test"},
                },
                "api_key",
            ),
            (
                {
                    "type": "email",
                    "config": {"host": "h", "to": ["not-an-address"], "from_address": "f@b.test"},
                },
                "to",
            ),
            (
                {
                    "type": "sms",
                    "config": {"account_sid": "AC1", "to": ["+15551230001"]},
                    "secrets": {"auth_token": "t"},
                },
                "from_number",
            ),
            (
                {
                    "type": "sms",
                    "config": {"account_sid": "AC1", "to": ["5551230001"], "from_number": "+15551230002"},
                },
                "to",
            ),
            ({"type": "webhook", "config": {"url": "https://x.test", "surprise": 1}}, "surprise"),
        ],
    )
    async def test_bad_configuration_is_refused_with_a_code(
        self, kit: AlertKit, body: dict[str, Any], fragment: str
    ) -> None:
        response = await kit.client.post(
            "/v1/alert-channels", json={"name": "bad", **body}, headers=kit.admin
        )
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_channel_config"
        assert fragment in error["message"] + str(error.get("details"))
        assert "tooshort-QZ" not in response.text

    async def test_unknown_type_is_refused(self, kit: AlertKit) -> None:
        response = await kit.client.post(
            "/v1/alert-channels", json={"name": "x", "type": "pager", "config": {}}, headers=kit.admin
        )
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_type")


class TestTenancy:
    async def test_other_tenants_and_readers(
        self, kit: AlertKit, auth: TokenFactory, webhook: HttpReceiver, client: httpx.AsyncClient
    ) -> None:
        created = await _create(kit, webhook_channel(webhook))
        other = auth("tenant_admin", "some-other-tenant")
        for method, path in (
            ("GET", f"/v1/alert-channels/{created['id']}"),
            ("PATCH", f"/v1/alert-channels/{created['id']}"),
            ("DELETE", f"/v1/alert-channels/{created['id']}"),
            ("POST", f"/v1/alert-channels/{created['id']}/test"),
        ):
            response = await client.request(
                method, path, json={} if method == "PATCH" else None, headers=other
            )
            assert response.status_code == 404, (method, response.text)
        assert webhook.requests == []
        foreign = await client.post(
            "/v1/alert-channels", json={**webhook_channel(webhook), "tenant_id": kit.tenant}, headers=other
        )
        assert (foreign.status_code, foreign.json()["error"]["code"]) == (403, "tenant_forbidden")
        analyst = auth("analyst", kit.tenant)
        assert (await client.get("/v1/alert-channels", headers=analyst)).json()["total"] == 1
        refused = await client.post("/v1/alert-channels", json=webhook_channel(webhook), headers=analyst)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "insufficient_role")
        everything = await client.get(
            "/v1/alert-channels", params={"tenant_id": kit.tenant}, headers=auth("admin")
        )
        assert [c["id"] for c in everything.json()["items"]] == [created["id"]]


class TestTestSend:
    async def test_webhook_is_signed_and_carries_an_idempotency_key(
        self, kit: AlertKit, webhook: HttpReceiver
    ) -> None:
        created = await _create(kit, webhook_channel(webhook))
        result = await _test_send(kit, created["id"])
        assert (result["ok"], result["status_code"], result["error"]) == (True, 200, None)
        (received,) = webhook.requests
        assert received.headers["idempotency-key"].startswith("test-")
        assert received.headers["content-type"] == "application/json"
        assert received.json()["type"] == "test"
        assert received.json()["id"] == received.headers["idempotency-key"]
        # Tampering with the body breaks the signature.
        forged = Received("POST", received.path, received.headers, received.body + b" ", 0)
        assert webhook_responder(WEBHOOK_SECRET)(forged)[0] == 401
        # A correctly signed but hour-old request is refused as a possible replay.
        old = str(int(time.time()) - 3600)
        stale_headers = {
            **received.headers,
            "x-finops-timestamp": old,
            "x-finops-signature": sign(WEBHOOK_SECRET, old, received.body),
        }
        stale = Received("POST", received.path, stale_headers, received.body, 0)
        assert webhook_responder(WEBHOOK_SECRET)(stale)[0] == 401
        shown = (await kit.client.get(f"/v1/alert-channels/{created['id']}", headers=kit.admin)).json()
        assert (shown["last_test"]["ok"], shown["last_test"]["status_code"]) == (True, 200)

    async def test_slack_message_is_readable(self, kit: AlertKit, slack: HttpReceiver) -> None:
        created = await _create(kit, slack_channel(slack))
        assert (await _test_send(kit, created["id"]))["status_code"] == 200
        payload = slack.requests[0].json()
        assert payload["text"].startswith("[finops test]")
        assert any("View the alert" in str(block) for block in payload["blocks"])

    async def test_sendgrid_mail_send(self, kit: AlertKit, sendgrid: HttpReceiver) -> None:
        created = await _create(kit, sendgrid_channel(sendgrid))
        result = await _test_send(kit, created["id"])
        assert (result["ok"], result["status_code"]) == (True, 202)
        (received,) = sendgrid.requests
        assert received.headers["authorization"] == f"Bearer {SENDGRID_KEY}"
        payload = received.json()
        assert payload["personalizations"] == [{"to": [{"email": "finance@example.test"}]}]
        assert [c["type"] for c in payload["content"]] == ["text/plain", "text/html"]

    async def test_twilio_sms(self, kit: AlertKit, twilio: HttpReceiver) -> None:
        created = await _create(kit, sms_channel(twilio))
        result = await _test_send(kit, created["id"])  # a test goes out whatever the minimum severity
        assert (result["ok"], result["status_code"]) == (True, 201)
        form = twilio.requests[0].form()
        assert (form["To"], form["From"]) == ("+15551230001", "+15005550006")
        assert form["Body"].startswith("[finops test]")
        assert TWILIO_TOKEN not in (await kit.client.get("/v1/alert-channels", headers=kit.admin)).text

    async def test_smtp_with_starttls_and_login_sends_html_and_text(
        self, kit: AlertKit, smtp: SmtpServer
    ) -> None:
        created = await _create(kit, smtp_channel(smtp))
        result = await _test_send(kit, created["id"])
        assert (result["ok"], result["status_code"]) == (True, 250), result
        (message,) = smtp.messages
        assert isinstance(message, EmailMessage)
        assert str(message["Subject"]).strip().startswith("[finops test]")
        assert message["To"] == "finance@example.test, cto@example.test"
        plain = message.get_body(("plain",))
        html = message.get_body(("html",))
        assert plain is not None
        assert html is not None
        assert "Alert id:" in plain.get_content()
        assert "<table>" in html.get_content()

    async def test_wrong_smtp_password_is_reported(self, kit: AlertKit, smtp: SmtpServer) -> None:
        created = await _create(kit, smtp_channel(smtp, secrets={"password": "wrong-password-99"}))
        result = await _test_send(kit, created["id"])
        assert (result["ok"], result["status_code"]) == (False, 535)
        assert "wrong-password-99" not in str(result)
        assert smtp.messages == []

    async def test_receiver_down_is_reported(self, kit: AlertKit, webhook: HttpReceiver) -> None:
        created = await _create(kit, webhook_channel(webhook))
        webhook.stop()
        result = await _test_send(kit, created["id"])
        assert (result["ok"], result["status_code"]) == (False, None)
        assert "ConnectError" in result["error"]

    async def test_a_secret_echoed_by_the_receiver_is_redacted_from_errors_and_logs(
        self, kit: AlertKit, caplog: pytest.LogCaptureFixture
    ) -> None:
        receiver = HttpReceiver(lambda r: (404, f"no such hook {r.path}".encode()))
        receiver.start()
        try:
            hook_path = "/services/T000/B000/very-secret-token-1234"
            body = slack_channel(receiver, secrets={"webhook_url": f"{receiver.url}{hook_path}"})
            created = await _create(kit, body)
            with caplog.at_level(logging.DEBUG):
                result = await _test_send(kit, created["id"])
        finally:
            receiver.stop()
        assert (result["ok"], result["status_code"]) == (False, 404)
        assert "no such hook ***" in result["error"]
        assert "very-secret-token-1234" not in result["error"]
        assert "very-secret-token-1234" not in caplog.text
        shown = await kit.client.get(f"/v1/alert-channels/{created['id']}", headers=kit.admin)
        assert "very-secret-token-1234" not in shown.text


class TestApprise:
    async def test_test_send_through_an_apprise_url(
        self, kit: AlertKit, webhook: HttpReceiver, caplog: pytest.LogCaptureFixture
    ) -> None:
        receiver = HttpReceiver(lambda r: (200, b"{}"))
        receiver.start()
        try:
            with caplog.at_level(logging.DEBUG):
                created = await _create(kit, apprise_channel(receiver))
                result = await _test_send(kit, created["id"])
        finally:
            receiver.stop()
        assert created["secrets_set"] == ["urls"]
        assert (result["ok"], result["error"]) == (True, None)
        (received,) = receiver.requests
        assert received.path == "/apprise/token-abcdef123456"
        payload = received.json()
        assert payload["title"].startswith("[finops test]")
        assert (payload["type"], "Alert id:" in payload["message"]) == ("info", True)
        assert "token-abcdef123456" not in caplog.text  # apprise logs the URLs it loads

    async def test_unsupported_url_is_refused_without_echoing_it(
        self, kit: AlertKit, caplog: pytest.LogCaptureFixture
    ) -> None:
        body = {"name": "x", "type": "apprise", "secrets": {"urls": ["nosuchservice://hidden-credential-77"]}}
        with caplog.at_level(logging.DEBUG):
            response = await kit.client.post("/v1/alert-channels", json=body, headers=kit.admin)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_channel_config")
        assert "urls[0]" in response.text
        assert "hidden-credential-77" not in response.text
        assert "hidden-credential-77" not in caplog.text

    async def test_a_failing_service_is_reported(self, kit: AlertKit) -> None:
        receiver = HttpReceiver(lambda r: (500, b"{}"))
        receiver.start()
        try:
            created = await _create(kit, apprise_channel(receiver))
            result = await _test_send(kit, created["id"])
        finally:
            receiver.stop()
        assert result["ok"] is False
        assert result["error"] == "apprise service 1 of 1 (json) failed"
