"""Alert test fixtures: local receivers per test, and helpers to make budgets, channels and spend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from finops.alerts.tasks import DISPATCH, EVALUATE, MONITOR, AlertDispatcher, AlertEvaluator, BudgetMonitor
from finops.kit.time import utcnow
from tests.alerts.servers import (
    HttpReceiver,
    SmtpServer,
    sendgrid_responder,
    slack_responder,
    twilio_responder,
    webhook_responder,
)
from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory

WEBHOOK_SECRET = "whsec-" + "s" * 26
SENDGRID_KEY = "SG.test-key-0123456789"
TWILIO_SID = "AC" + "1" * 32
TWILIO_TOKEN = "twilio-token-0123456789"
# gpt-4o-mini lists $0.15 per million input tokens: one such event costs exactly $0.15.
EVENT_COST = "0.15"


@pytest.fixture
def webhook() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver(webhook_responder(WEBHOOK_SECRET))
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def slack() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver(slack_responder)
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def sendgrid() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver(sendgrid_responder(SENDGRID_KEY))
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def twilio() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver(twilio_responder(TWILIO_SID, TWILIO_TOKEN))
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def json_receiver() -> Iterator[HttpReceiver]:
    """Plays any JSON-accepting service (Apprise's json:// target)."""
    receiver = HttpReceiver(lambda _received: (200, b"{}"))
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path)
    server.start()
    yield server
    server.stop()


def webhook_channel(receiver: HttpReceiver, **extra: Any) -> dict[str, Any]:
    return {
        "name": "ops webhook",
        "type": "webhook",
        "config": {"url": f"{receiver.url}/hooks/finops"},
        "secrets": {"signing_secret": WEBHOOK_SECRET},
        **extra,
    }


def slack_channel(receiver: HttpReceiver, **extra: Any) -> dict[str, Any]:
    return {
        "name": "#ai-costs",
        "type": "slack",
        "config": {"label": "#ai-costs"},
        "secrets": {"webhook_url": f"{receiver.url}/services/T000/B000/XXXX"},
        **extra,
    }


def smtp_channel(server: SmtpServer, **extra: Any) -> dict[str, Any]:
    return {
        "name": "finance mail",
        "type": "email",
        "config": {
            "transport": "smtp",
            "host": "127.0.0.1",
            "port": server.port,
            "security": "starttls",
            "username": server.username,
            # The local server's certificate is self-signed.
            "tls_verify": False,
            "from_address": "finops@example.test",
            "to": ["finance@example.test", "cto@example.test"],
        },
        "secrets": {"password": server.password},
        **extra,
    }


def sendgrid_channel(receiver: HttpReceiver, **extra: Any) -> dict[str, Any]:
    return {
        "name": "finance via sendgrid",
        "type": "email",
        "config": {
            "transport": "sendgrid",
            "api_base_url": receiver.url,
            "from_address": "finops@example.test",
            "to": ["finance@example.test"],
        },
        "secrets": {"api_key": SENDGRID_KEY},
        **extra,
    }


def sms_channel(receiver: HttpReceiver, **extra: Any) -> dict[str, Any]:
    return {
        "name": "on-call phone",
        "type": "sms",
        "config": {
            "account_sid": TWILIO_SID,
            "from_number": "+15005550006",
            "to": ["+15551230001"],
            "api_base_url": receiver.url,
        },
        "secrets": {"auth_token": TWILIO_TOKEN},
        **extra,
    }


def apprise_channel(receiver: HttpReceiver, **extra: Any) -> dict[str, Any]:
    """Apprise's generic JSON service aimed at the local receiver (the same plugin family carries
    Teams, Discord, PagerDuty, ... whose hosts the tests cannot reach)."""
    return {
        "name": "long tail",
        "type": "apprise",
        "config": {"label": "json receiver"},
        "secrets": {"urls": [f"json://127.0.0.1:{receiver.port}/apprise/token-abcdef123456"]},
        **extra,
    }


class AlertKit:
    """What a scenario needs: the API client, one tenant and the app's alert jobs."""

    def __init__(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory, app: FastAPI
    ) -> None:
        self.client = client
        self.tenant = tenant
        self.events = events
        self.admin = auth("tenant_admin", tenant)
        self.service = auth("service", tenant)
        self.app = app

    @property
    def evaluator(self) -> AlertEvaluator:
        job = self.app.state.jobs[EVALUATE]
        assert isinstance(job, AlertEvaluator)
        return job

    @property
    def monitor(self) -> BudgetMonitor:
        job = self.app.state.jobs[MONITOR]
        assert isinstance(job, BudgetMonitor)
        return job

    @property
    def dispatcher(self) -> AlertDispatcher:
        job = self.app.state.jobs[DISPATCH]
        assert isinstance(job, AlertDispatcher)
        return job

    async def channel(self, body: dict[str, Any]) -> str:
        response = await self.client.post("/v1/alert-channels", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        channel_id: str = response.json()["id"]
        return channel_id

    async def budget(self, channel_ids: list[str], **fields: Any) -> dict[str, Any]:
        now = utcnow()
        body: dict[str, Any] = {
            "name": "tutor chat",
            "amount_usd": "1.5",
            "period": "custom",
            "start": (now - timedelta(days=20)).isoformat(),
            "end": (now + timedelta(days=10)).isoformat(),
            "channel_ids": channel_ids,
            **fields,
        }
        response = await self.client.post("/v1/budgets", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        budget: dict[str, Any] = response.json()
        return budget

    async def spend(self, count: int, *, at: datetime | None = None, **dims: Any) -> None:
        """Ingest `count` events of $0.15 each (by default 12 days ago, outside the forecast's
        7-day run-rate window, so no forecast alert joins the threshold alerts)."""
        occurred = at or utcnow() - timedelta(days=12)
        payload = [
            self.events(
                tenant_id=self.tenant,
                occurred_at=occurred,
                usage={"input_tokens": 1_000_000, "output_tokens": 0},
                **dims,
            )
            for _ in range(count)
        ]
        response = await self.client.post(
            "/v1/usage-events/batch", json={"events": payload}, headers=self.service
        )
        assert response.status_code == 200, response.text
        assert response.json()["accepted"] == count, response.text

    async def run_jobs(self, *, now: datetime | None = None) -> None:
        """What the background loops do after an ingest: evaluate, then dispatch."""
        await self.evaluator.evaluate_pending(now=now)
        await self.dispatcher.dispatch()

    async def alerts(self, budget_id: str, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/v1/alerts", params={"budget_id": budget_id, "limit": 500, **params}, headers=self.admin
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return sorted(items, key=lambda a: (a["created_at"], a["kind"], a["threshold"] or ""))


@pytest.fixture
def kit(
    client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory, app: FastAPI
) -> AlertKit:
    return AlertKit(client, auth, tenant, events, app)
