"""End-to-end alert scenarios on real local receivers: thresholds, retries, restarts, cooldown, periods."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from fastapi import FastAPI

from finops.alerts.tasks import DISPATCH, AlertDispatcher
from finops.app import create_app
from finops.kit.time import utcnow
from tests.alerts.conftest import (
    AlertKit,
    apprise_channel,
    sendgrid_channel,
    slack_channel,
    sms_channel,
    smtp_channel,
    webhook_channel,
)
from tests.alerts.servers import HttpReceiver, SmtpServer

LATER = timedelta(hours=2)  # past any backoff the tests' settings allow


class TestThresholdsReachEveryChannel:
    async def test_crossing_50_75_90_100_sends_exactly_four_alerts_to_each_channel(
        self,
        kit: AlertKit,
        webhook: HttpReceiver,
        slack: HttpReceiver,
        sendgrid: HttpReceiver,
        twilio: HttpReceiver,
        smtp: SmtpServer,
        json_receiver: HttpReceiver,
    ) -> None:
        channel_ids = [
            await kit.channel(webhook_channel(webhook)),
            await kit.channel(slack_channel(slack)),
            await kit.channel(sendgrid_channel(sendgrid)),
            await kit.channel(smtp_channel(smtp)),
            await kit.channel(sms_channel(twilio, min_severity="info")),
            await kit.channel(apprise_channel(json_receiver)),
        ]
        budget = await kit.budget(channel_ids)  # $1.50: each $0.15 event is 10 %
        for events in (5, 3, 1, 1):  # 50 %, 80 %, 90 %, 100 %
            await kit.spend(events)
            await kit.run_jobs()
        # Evaluating again (as the monitor does) finds nothing new.
        await kit.monitor.evaluate_all(tenant_id=kit.tenant)
        await kit.dispatcher.dispatch()

        alerts = await kit.alerts(budget["id"])
        assert [(a["kind"], a["threshold"], a["severity"]) for a in alerts] == [
            ("threshold_crossed", "50", "info"),
            ("threshold_crossed", "75", "warning"),
            ("threshold_crossed", "90", "warning"),
            ("threshold_crossed", "100", "critical"),
        ]
        assert {a["status"] for a in alerts} == {"delivered"}
        assert all(len(a["deliveries"]) == 6 for a in alerts)

        hooks = webhook.accepted()
        assert [h.json()["threshold"] for h in hooks] == ["50", "75", "90", "100"]
        assert [h.headers["idempotency-key"] for h in hooks] == [a["id"] for a in alerts]
        assert hooks[-1].json()["spent_usd"] == "1.5"
        assert hooks[-1].json()["percent_used"] == "100"
        assert len(slack.accepted()) == 4
        assert "crossed 100%" in slack.accepted()[-1].json()["text"]
        assert len(sendgrid.accepted()) == 4
        assert str(smtp.messages[-1]["Subject"]).strip().startswith("[finops critical]")
        assert len(smtp.messages) == 4
        assert smtp.envelopes[0][1] == ["finance@example.test", "cto@example.test"]
        assert len(twilio.accepted()) == 4
        assert "$1.50/$1.50" in twilio.accepted()[-1].form()["Body"]
        assert [r.json()["type"] for r in json_receiver.accepted()] == [
            "info",
            "warning",
            "warning",
            "failure",
        ]

    async def test_an_sms_channel_gets_only_critical_alerts_by_default(
        self, kit: AlertKit, webhook: HttpReceiver, twilio: HttpReceiver
    ) -> None:
        budget = await kit.budget(
            [await kit.channel(webhook_channel(webhook)), await kit.channel(sms_channel(twilio))]
        )
        for events in (5, 3, 1, 1):
            await kit.spend(events)
            await kit.run_jobs()
        assert len(webhook.accepted()) == 4
        texts = [r.form()["Body"] for r in twilio.accepted()]
        assert len(texts) == 1
        assert texts[0].startswith("[finops critical]")
        alerts = await kit.alerts(budget["id"], severity="critical")
        assert [a["threshold"] for a in alerts] == ["100"]

    async def test_one_jump_over_several_thresholds_sends_only_the_highest(
        self, kit: AlertKit, webhook: HttpReceiver
    ) -> None:
        budget = await kit.budget([await kit.channel(webhook_channel(webhook))])
        await kit.spend(9)  # 0 → 90 %
        await kit.run_jobs()
        assert [h.json()["threshold"] for h in webhook.accepted()] == ["90"]
        alerts = await kit.alerts(budget["id"])
        assert sorted((a["threshold"], a["status"], a["reason"]) for a in alerts) == [
            ("50", "suppressed", "superseded"),
            ("75", "suppressed", "superseded"),
            ("90", "delivered", None),
        ]


class TestDeliveryIsDurable:
    async def test_receiver_errors_then_recovers_and_gets_the_alert_once(
        self, kit: AlertKit, webhook: HttpReceiver
    ) -> None:
        budget = await kit.budget([await kit.channel(webhook_channel(webhook))])
        webhook.fail_next(500, times=2)
        await kit.spend(5)
        await kit.run_jobs()  # attempt 1: 500
        await kit.dispatcher.dispatch()  # not due yet: backoff
        assert len(webhook.requests) == 1
        await kit.dispatcher.dispatch(now=utcnow() + LATER)  # attempt 2: 500
        await kit.dispatcher.dispatch(now=utcnow() + 2 * LATER)  # attempt 3: delivered
        await kit.dispatcher.dispatch(now=utcnow() + 3 * LATER)  # nothing left

        assert [r.status for r in webhook.requests] == [500, 500, 200]
        assert len({r.headers["idempotency-key"] for r in webhook.requests}) == 1
        (alert,) = await kit.alerts(budget["id"])
        detail = (await kit.client.get(f"/v1/alerts/{alert['id']}", headers=kit.admin)).json()
        (delivery,) = detail["deliveries"]
        assert (detail["status"], delivery["status"], delivery["attempts"]) == ("delivered", "sent", 3)
        assert [(a["number"], a["ok"], a["status_code"]) for a in delivery["attempt_log"]] == [
            (1, False, 500),
            (2, False, 500),
            (3, True, 200),
        ]

    async def test_receiver_down_then_back_gets_the_alert_once(
        self, kit: AlertKit, webhook: HttpReceiver
    ) -> None:
        budget = await kit.budget([await kit.channel(webhook_channel(webhook))])
        webhook.stop()
        await kit.spend(5)
        await kit.run_jobs()  # connection refused
        webhook.start()  # same port
        await kit.dispatcher.dispatch(now=utcnow() + LATER)
        await kit.dispatcher.dispatch(now=utcnow() + 2 * LATER)
        assert len(webhook.requests) == 1
        assert webhook.accepted()[0].json()["threshold"] == "50"
        (alert,) = await kit.alerts(budget["id"])
        (delivery,) = alert["deliveries"]
        assert delivery["status"] == "sent"
        detail = (await kit.client.get(f"/v1/alerts/{alert['id']}", headers=kit.admin)).json()
        first, second = detail["deliveries"][0]["attempt_log"]
        assert (first["ok"], first["status_code"]) == (False, None)
        assert "Connect" in first["error"]
        assert (second["ok"], second["status_code"]) == (True, 200)

    async def test_a_restart_mid_retry_still_delivers_once(
        self, kit: AlertKit, webhook: HttpReceiver, app: FastAPI
    ) -> None:
        budget = await kit.budget([await kit.channel(webhook_channel(webhook))])
        webhook.fail_next(503)
        await kit.spend(5)
        await kit.run_jobs()  # attempt 1: 503, retry scheduled
        # A new process on the same database takes over the retry.
        restarted = create_app(app.state.settings)
        async with restarted.router.lifespan_context(restarted):
            dispatcher = restarted.state.jobs[DISPATCH]
            assert isinstance(dispatcher, AlertDispatcher)
            report = await dispatcher.dispatch(now=utcnow() + LATER)
            assert report.sent >= 1
        await kit.dispatcher.dispatch(now=utcnow() + 2 * LATER)  # the old instance finds nothing left
        assert [r.status for r in webhook.requests] == [503, 200]
        (alert,) = await kit.alerts(budget["id"])
        assert alert["status"] == "delivered"

    async def test_failed_after_max_attempts_then_retried_by_api(
        self, kit: AlertKit, webhook: HttpReceiver
    ) -> None:
        budget = await kit.budget([await kit.channel(webhook_channel(webhook))])
        limit = kit.app.state.settings.alerts_max_attempts
        webhook.fail_next(500, times=limit)
        await kit.spend(5)
        await kit.run_jobs()
        for step in range(1, limit + 2):
            await kit.dispatcher.dispatch(now=utcnow() + step * 10 * LATER)
        assert len(webhook.requests) == limit
        (alert,) = await kit.alerts(budget["id"])
        assert alert["status"] == "failed"
        assert alert["deliveries"][0]["status"] == "failed"
        failed = await kit.alerts(budget["id"], status="failed")
        assert [a["id"] for a in failed] == [alert["id"]]

        retry = await kit.client.post(f"/v1/alerts/{alert['id']}/retry", headers=kit.admin)
        assert retry.status_code == 200, retry.text
        assert retry.json() == {"alert_id": alert["id"], "retried": 1, "status": "pending"}
        await kit.dispatcher.dispatch()
        assert len(webhook.accepted()) == 1
        (alert,) = await kit.alerts(budget["id"])
        assert (alert["status"], alert["deliveries"][0]["attempts"]) == ("delivered", limit + 1)
        again = await kit.client.post(f"/v1/alerts/{alert['id']}/retry", headers=kit.admin)
        assert (again.status_code, again.json()["error"]["code"]) == (409, "nothing_to_retry")

    async def test_a_rejected_request_fails_at_once_without_retries(
        self, kit: AlertKit, slack: HttpReceiver
    ) -> None:
        budget = await kit.budget([await kit.channel(slack_channel(slack))])
        slack.fail_next(404)  # a revoked Slack webhook answers 404: retrying cannot help
        await kit.spend(5)
        await kit.run_jobs()
        (alert,) = await kit.alerts(budget["id"])
        assert alert["status"] == "failed"
        assert alert["deliveries"][0]["last_status_code"] == 404
        assert len(slack.requests) == 1


class TestCooldown:
    async def test_cooldown_suppresses_a_repeat_after_the_budget_was_raised(
        self, kit: AlertKit, webhook: HttpReceiver
    ) -> None:
        budget = await kit.budget([await kit.channel(webhook_channel(webhook))], cooldown_seconds=3600)
        await kit.spend(5)  # $0.75 of $1.50: 50 %
        await kit.run_jobs()
        raised = await kit.client.patch(
            f"/v1/budgets/{budget['id']}", json={"amount_usd": "3"}, headers=kit.admin
        )
        assert raised.status_code == 200, raised.text
        await kit.monitor.evaluate_all(tenant_id=kit.tenant)  # 25 %: back under → resolved
        await kit.dispatcher.dispatch()
        await kit.spend(5)  # $1.50 of $3: 50 % again, within the hour
        await kit.run_jobs()

        sent = [(h.json()["kind"], h.json()["threshold"]) for h in webhook.accepted()]
        assert sent == [("threshold_crossed", "50"), ("resolved", None)]
        repeat = await kit.alerts(budget["id"], status="suppressed")
        assert [(a["kind"], a["threshold"], a["reason"]) for a in repeat] == [
            ("threshold_crossed", "50", "cooldown")
        ]

    async def test_without_cooldown_the_repeat_is_sent(self, kit: AlertKit, webhook: HttpReceiver) -> None:
        budget = await kit.budget([await kit.channel(webhook_channel(webhook))], cooldown_seconds=0)
        await kit.spend(5)
        await kit.run_jobs()
        await kit.client.patch(f"/v1/budgets/{budget['id']}", json={"amount_usd": "3"}, headers=kit.admin)
        await kit.monitor.evaluate_all(tenant_id=kit.tenant)
        await kit.dispatcher.dispatch()
        await kit.spend(5)
        await kit.run_jobs()
        sent = [(h.json()["kind"], h.json()["threshold"]) for h in webhook.accepted()]
        assert sent == [("threshold_crossed", "50"), ("resolved", None), ("threshold_crossed", "50")]

    async def test_raising_the_budget_rearms_only_the_thresholds_it_left_behind(
        self, kit: AlertKit, webhook: HttpReceiver
    ) -> None:
        budget = await kit.budget(
            [await kit.channel(webhook_channel(webhook))], thresholds=[50, 75], cooldown_seconds=0
        )
        await kit.spend(8)  # $1.20 of $1.50: 80 %
        await kit.run_jobs()
        await kit.client.patch(f"/v1/budgets/{budget['id']}", json={"amount_usd": "1.8"}, headers=kit.admin)
        await kit.monitor.evaluate_all(tenant_id=kit.tenant)  # 66 %: 75 % re-arms, 50 % still holds
        await kit.dispatcher.dispatch()
        await kit.spend(2)  # $1.50 of $1.80: 83 %
        await kit.run_jobs()
        sent = [(h.json()["kind"], h.json()["threshold"]) for h in webhook.accepted()]
        assert sent == [("threshold_crossed", "75"), ("threshold_crossed", "75")]
        alerts = await kit.alerts(budget["id"])
        assert sorted((a["threshold"], a["status"], a["resolved_at"] is None) for a in alerts) == [
            ("50", "suppressed", True),
            ("75", "delivered", False),
            ("75", "delivered", True),
        ]


class TestPeriods:
    async def test_a_new_period_resolves_and_rearms(self, kit: AlertKit, webhook: HttpReceiver) -> None:
        today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        yesterday_noon = today - timedelta(hours=12)
        late_yesterday = today - timedelta(hours=1)  # late enough that no forecast alert joins in
        budget = await kit.budget(
            [await kit.channel(webhook_channel(webhook))], period="daily", start=None, end=None
        )
        await kit.spend(5, at=yesterday_noon)  # 50 % of yesterday's $1.50
        await kit.run_jobs(now=late_yesterday)
        await kit.spend(3, at=yesterday_noon)  # 80 %
        await kit.run_jobs(now=late_yesterday)
        # Today: the monitor sees a new period.
        await kit.monitor.evaluate_all(tenant_id=kit.tenant)
        await kit.dispatcher.dispatch()
        await kit.spend(5, at=utcnow() - timedelta(seconds=1))  # 50 % of today's
        await kit.run_jobs()

        # (Today's run rate may add a forecast alert, depending on the hour: not the subject here.)
        hooks = [h.json() for h in webhook.accepted() if h.json()["kind"] != "forecast_exceeds"]
        assert [(h["kind"], h["threshold"], h["reason"]) for h in hooks] == [
            ("threshold_crossed", "50", None),
            ("threshold_crossed", "75", None),
            ("resolved", None, "period_ended"),  # one message closes both
            ("threshold_crossed", "50", None),
        ]
        assert hooks[0]["period"] == hooks[1]["period"] == hooks[2]["period"]
        assert hooks[3]["period"]["start"] == today.isoformat()
        alerts = await kit.alerts(budget["id"])
        resolution = next(a for a in alerts if a["kind"] == "resolved")
        yesterdays = [
            a for a in alerts if a["kind"] != "resolved" and datetime.fromisoformat(a["period_start"]) < today
        ]
        assert [a["resolved_by"] for a in yesterdays] == [resolution["id"]] * 2
        # Evaluating again changes nothing: the old period stays closed, today's 50 % stays open.
        await kit.monitor.evaluate_all(tenant_id=kit.tenant)
        assert len(await kit.alerts(budget["id"])) == len(alerts)


class TestOtherKinds:
    async def test_hard_limit_reached(self, kit: AlertKit, webhook: HttpReceiver) -> None:
        budget = await kit.budget(
            [await kit.channel(webhook_channel(webhook))], enforcement="hard", thresholds=[100]
        )
        await kit.spend(10)
        await kit.run_jobs()
        kinds = sorted((h.json()["kind"], h.json()["severity"]) for h in webhook.accepted())
        assert kinds == [("hard_limit_reached", "critical"), ("threshold_crossed", "critical")]
        check = await kit.client.post(
            "/v1/budgets/check",
            json={"estimated_cost_usd": "0.01", "service": "tutor-chat"},
            headers=kit.service,
        )
        assert check.json()["allowed"] is False
        assert len(await kit.alerts(budget["id"], kind="hard_limit_reached")) == 1

    async def test_forecast_exceeds_names_the_projected_date(
        self, kit: AlertKit, webhook: HttpReceiver
    ) -> None:
        budget = await kit.budget(
            [await kit.channel(webhook_channel(webhook))], amount_usd="3", thresholds=[90]
        )
        # $0.30 a day for the last 7 days, $2.10 of $3: the run rate exhausts it in 3 days, before the end.
        for day in range(1, 8):
            await kit.spend(2, at=utcnow() - timedelta(days=day))
        await kit.run_jobs()
        (hook,) = [h.json() for h in webhook.accepted()]
        assert (hook["kind"], hook["severity"]) == ("forecast_exceeds", "warning")
        exhaustion = hook["forecast"]["exhaustion_date"]
        assert exhaustion is not None
        assert utcnow().isoformat() < exhaustion < budget["end"]
        assert exhaustion[:10] in hook["title"]
        assert Decimal(hook["forecast"]["projected_spend_usd"]) > Decimal(3)

    async def test_split_budget_alerts_per_split_value(self, kit: AlertKit, webhook: HttpReceiver) -> None:
        budget = await kit.budget([await kit.channel(webhook_channel(webhook))], split_by=["learner_id"])
        await kit.spend(5, learner_id="alice")
        await kit.spend(2, learner_id="bob")
        await kit.run_jobs()
        (hook,) = [h.json() for h in webhook.accepted()]
        assert (hook["split"], hook["threshold"]) == ({"learner_id": "alice"}, "50")
        await kit.spend(3, learner_id="bob")
        await kit.run_jobs()
        assert [(h.json()["split"], h.json()["threshold"]) for h in webhook.accepted()][1:] == [
            ({"learner_id": "bob"}, "50")
        ]
        assert len(await kit.alerts(budget["id"])) == 2

    async def test_slack_text_from_users_cannot_ping_or_format(
        self, kit: AlertKit, slack: HttpReceiver
    ) -> None:
        await kit.budget(
            [await kit.channel(slack_channel(slack))], name="<!channel> & <https://x.test|click>"
        )
        await kit.spend(5)
        await kit.run_jobs()
        (received,) = slack.accepted()
        text = received.body.decode()
        assert "<!channel>" not in text
        assert "&lt;!channel&gt; &amp; &lt;https://x.test|click&gt;" in received.json()["text"]
