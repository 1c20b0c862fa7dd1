"""Human-readable renderings of an alert shared by email, Slack and SMS."""

from __future__ import annotations

import html
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from finops.alerts.channels.base import AlertMessage

KIND_LABELS = {
    "threshold_crossed": "Threshold crossed",
    "forecast_exceeds": "Forecast exceeds budget",
    "hard_limit_reached": "Hard limit reached",
    "resolved": "Resolved",
    "test": "Test message",
}


def usd(value: Decimal) -> str:
    """Dollars for people: cents for amounts of a dollar or more, up to 6 places below that."""
    if abs(value) >= 1:
        return f"${value.quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN):,}"
    text = format(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN).normalize(), "f")
    return f"${text}"


def percent(value: Decimal) -> str:
    return f"{format(value.normalize(), 'f')}%"


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "open-ended"


def dims(values: dict[str, Any] | None) -> str:
    if not values:
        return ""
    return ", ".join(f"{k}={'(none)' if v is None else v}" for k, v in sorted(values.items()))


def facts(message: AlertMessage) -> list[tuple[str, str]]:
    """(label, value) lines: the same facts in every format."""
    lines: list[tuple[str, str]] = [
        ("Budget", f"{message.budget_name} ({message.budget_id})"),
        ("Scope", dims(message.scope) or "everything"),
    ]
    if message.split:
        lines.append(("Split", dims(message.split)))
    if message.spent_usd is not None and message.amount_usd is not None:
        spent = f"{usd(message.spent_usd)} of {usd(message.amount_usd)}"
        if message.percent_used is not None:
            spent += f" ({percent(message.percent_used)})"
        lines.append(("Spent", spent))
    if message.threshold is not None:
        lines.append(("Threshold", percent(message.threshold)))
    forecast = message.forecast
    if forecast and forecast.get("projected_spend_usd") is not None:
        text = f"{usd(Decimal(str(forecast['projected_spend_usd'])))} projected by period end"
        if forecast.get("exhaustion_date"):
            text += f"; runs out {forecast['exhaustion_date'][:10]}"
        if forecast.get("method"):
            text += f" ({forecast['method']})"
        lines.append(("Forecast", text))
    lines.append(("Period", f"{when(message.period_start)} → {when(message.period_end)}"))
    if message.reason:
        lines.append(("Reason", message.reason.replace("_", " ")))
    lines.append(("Severity", message.severity))
    return lines


def subject(message: AlertMessage) -> str:
    prefix = "[finops test]" if message.test else f"[finops {message.severity}]"
    return f"{prefix} {message.title}"


def plain_text(message: AlertMessage) -> str:
    width = max(len(label) for label, _ in facts(message))
    body = [message.title, ""]
    body += [f"{label.ljust(width)}  {value}" for label, value in facts(message)]
    body += ["", f"Details: {message.link}", f"Alert id: {message.alert_id}"]
    return "\n".join(body) + "\n"


def html_body(message: AlertMessage) -> str:
    colour = {"info": "#2563eb", "warning": "#d97706", "critical": "#dc2626"}.get(message.severity, "#374151")
    rows = "".join(
        f"<tr><th align='left' style='padding:4px 12px 4px 0'>{html.escape(label)}</th>"
        f"<td style='padding:4px 0'>{html.escape(value)}</td></tr>"
        for label, value in facts(message)
    )
    return (
        "<!doctype html><html><body style='font-family:sans-serif'>"
        f"<h2 style='color:{colour}'>{html.escape(message.title)}</h2>"
        f"<table>{rows}</table>"
        f"<p><a href='{html.escape(message.link, quote=True)}'>View the alert</a></p>"
        f"<p style='color:#6b7280;font-size:12px'>Alert id {html.escape(message.alert_id)}</p>"
        "</body></html>"
    )


def short_text(message: AlertMessage, limit: int = 320) -> str:
    """One SMS-sized line: title, spend and the link."""
    parts = [subject(message)]
    if message.spent_usd is not None and message.amount_usd is not None:
        parts.append(f"{usd(message.spent_usd)}/{usd(message.amount_usd)}")
    parts.append(message.link)
    text = " — ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def as_json(message: AlertMessage) -> dict[str, Any]:
    """The webhook body: every fact as data (money as decimal strings)."""

    def money(value: Decimal | None) -> str | None:
        return None if value is None else format(value.normalize(), "f") if value else "0"

    return {
        "id": message.alert_id,
        "type": "test" if message.test else f"alert.{message.kind}",
        "kind": message.kind,
        "severity": message.severity,
        "title": message.title,
        "created_at": message.created_at.isoformat(),
        "tenant_id": message.tenant_id,
        "budget": {"id": message.budget_id, "name": message.budget_name, "scope": message.scope},
        "split": message.split,
        "period": {
            "start": message.period_start.isoformat(),
            "end": message.period_end.isoformat() if message.period_end else None,
        },
        "amount_usd": money(message.amount_usd),
        "spent_usd": money(message.spent_usd),
        "percent_used": money(message.percent_used),
        "threshold": money(message.threshold),
        "forecast": message.forecast,
        "reason": message.reason,
        "link": message.link,
        "test": message.test,
    }
