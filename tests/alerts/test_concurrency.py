"""Several replicas at once: alerts are recorded once and deliveries sent once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI

from finops.alerts import repository as alerts_repository
from finops.alerts.tasks import DISPATCH, MONITOR, AlertDispatcher, BudgetMonitor
from finops.app import create_app
from finops.kit.db import session_scope
from finops.kit.time import utcnow
from tests.alerts.conftest import WEBHOOK_SECRET, AlertKit, webhook_channel
from tests.alerts.servers import HttpReceiver, Received, webhook_responder


@pytest.fixture
async def replica(app: FastAPI) -> AsyncIterator[FastAPI]:
    """A second app instance on the same database, as another replica would be."""
    other = create_app(app.state.settings)
    async with other.router.lifespan_context(other):
        yield other


@pytest.fixture
def slow_webhook() -> Iterator[HttpReceiver]:
    verify = webhook_responder(WEBHOOK_SECRET)

    def respond(received: Received) -> tuple[int, bytes]:
        time.sleep(0.05)  # keep sends in flight while the other replica claims
        return verify(received)

    receiver = HttpReceiver(respond)
    receiver.start()
    yield receiver
    receiver.stop()


class TestReplicas:
    async def test_two_dispatchers_send_each_delivery_once(
        self, kit: AlertKit, slow_webhook: HttpReceiver, replica: FastAPI
    ) -> None:
        budget = await kit.budget([await kit.channel(webhook_channel(slow_webhook))], split_by=["learner_id"])
        for learner in range(12):
            await kit.spend(5, learner_id=f"learner-{learner}")
        await kit.evaluator.evaluate_pending()
        assert len(await kit.alerts(budget["id"])) == 12

        other = replica.state.jobs[DISPATCH]
        assert isinstance(other, AlertDispatcher)
        # Small claims so both replicas keep coming back for more while the other is sending.
        await asyncio.gather(kit.dispatcher.dispatch(limit=2), other.dispatch(limit=2))

        keys = [r.headers["idempotency-key"] for r in slow_webhook.requests]
        assert len(keys) == 12
        assert len(set(keys)) == 12
        assert {a["status"] for a in await kit.alerts(budget["id"])} == {"delivered"}

    async def test_two_monitors_record_each_alert_once(
        self, kit: AlertKit, slow_webhook: HttpReceiver, replica: FastAPI
    ) -> None:
        budget = await kit.budget([await kit.channel(webhook_channel(slow_webhook))])
        await kit.spend(5)
        other = replica.state.jobs[MONITOR]
        assert isinstance(other, BudgetMonitor)
        recorded = await asyncio.gather(
            kit.monitor.evaluate_all(tenant_id=kit.tenant), other.evaluate_all(tenant_id=kit.tenant)
        )
        assert sorted(recorded) == [0, 1]
        await kit.dispatcher.dispatch()
        assert len(await kit.alerts(budget["id"])) == 1
        assert len(slow_webhook.requests) == 1


class TestClaims:
    async def test_open_claims_are_skipped_not_waited_for(
        self, kit: AlertKit, slow_webhook: HttpReceiver, database_url: str
    ) -> None:
        if not database_url.startswith("postgresql"):
            pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has one writer at a time")
        await kit.budget([await kit.channel(webhook_channel(slow_webhook))], split_by=["learner_id"])
        for learner in range(4):
            await kit.spend(5, learner_id=f"learner-{learner}")
        await kit.evaluator.evaluate_pending()
        now = utcnow()
        maker = kit.app.state.sessionmaker
        async with maker() as first, maker() as second:
            mine = await alerts_repository.claim_due(
                first, now=now, lease_until=now + timedelta(minutes=1), token="first", limit=2
            )
            # The first claim is still uncommitted: the second sender must skip its rows at once.
            theirs = await asyncio.wait_for(
                alerts_repository.claim_due(
                    second, now=now, lease_until=now + timedelta(minutes=1), token="second", limit=50
                ),
                timeout=20,
            )
            assert len(mine) == 2
            assert {d.id for d in mine}.isdisjoint({d.id for d in theirs})
            await first.rollback()
            await second.rollback()
        await kit.dispatcher.dispatch()  # leave nothing due behind for other tests
        assert len(slow_webhook.requests) == 4

    async def test_a_sender_that_died_mid_send_is_replaced_once_its_lease_ends(
        self, kit: AlertKit, slow_webhook: HttpReceiver
    ) -> None:
        budget = await kit.budget([await kit.channel(webhook_channel(slow_webhook))])
        await kit.spend(5)
        await kit.evaluator.evaluate_pending()
        (alert,) = await kit.alerts(budget["id"])
        now = utcnow()
        async with session_scope(kit.app.state.sessionmaker) as session:
            # A sender claims the delivery, then its process dies before sending or recording.
            claimed = await alerts_repository.claim_due(
                session, now=now, lease_until=now + timedelta(minutes=1), token="dead", limit=500
            )
        assert alert["deliveries"][0]["id"] in {d.id for d in claimed}
        await kit.dispatcher.dispatch()  # the lease still runs: nobody else sends it
        assert slow_webhook.requests == []
        await kit.dispatcher.dispatch(now=now + timedelta(minutes=2))
        await kit.dispatcher.dispatch(now=now + timedelta(minutes=3))
        assert [r.headers["idempotency-key"] for r in slow_webhook.requests] == [alert["id"]]
        (alert,) = await kit.alerts(budget["id"])
        assert alert["status"] == "delivered"
