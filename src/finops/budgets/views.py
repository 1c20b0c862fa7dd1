"""Shaping budgets and their status into API answers."""

from __future__ import annotations

from finops.budgets.check import CheckResult
from finops.budgets.schemas import (
    BudgetOut,
    BudgetStatus,
    BudgetStatusOut,
    CheckBudgetOut,
    CheckOut,
    ForecastOut,
    SplitStatus,
    SplitStatusOut,
)
from finops.budgets.service import percent
from finops.kit.time import utcnow
from finops.models import Budget


def budget_out(budget: Budget) -> BudgetOut:
    return BudgetOut(
        id=budget.id,
        tenant_id=budget.tenant_id,
        name=budget.name,
        scope=budget.scope,
        split_by=budget.split_by,
        amount_usd=budget.amount_usd,
        period=budget.period,
        start=budget.period_start,
        end=budget.period_end,
        timezone=budget.timezone,
        thresholds=budget.threshold_values(),
        enforcement=budget.enforcement,
        channel_ids=budget.channel_ids,
        cooldown_seconds=budget.cooldown_seconds,
        active=budget.active,
        created_at=budget.created_at,
        updated_at=budget.updated_at,
    )


def split_out(split: SplitStatus) -> SplitStatusOut:
    return SplitStatusOut(
        key=split.key,
        spent_usd=split.spent_usd,
        reserved_usd=split.reserved_usd,
        remaining_usd=split.remaining_usd,
        percent_used=split.percent_used,
        thresholds_crossed=split.thresholds_crossed,
        events=split.events,
    )


def forecast_out(status: BudgetStatus) -> ForecastOut | None:
    forecast = status.forecast
    if forecast is None:
        return None
    return ForecastOut(
        projected_spend_usd=forecast.projected_spend_usd,
        lower_usd=forecast.lower_usd,
        upper_usd=forecast.upper_usd,
        exhaustion_date=forecast.exhaustion_date,
        will_exceed=forecast.projected_spend_usd > status.amount_usd,
        method=forecast.method,
        horizon_end=forecast.horizon_end,
        history_days=forecast.history_days,
        split=forecast.split,
    )


def status_out(budget: Budget, status: BudgetStatus) -> BudgetStatusOut:
    return BudgetStatusOut(
        budget_id=status.budget_id,
        tenant_id=status.tenant_id,
        name=status.name,
        active=budget.active,
        enforcement=status.enforcement,
        period=budget.period,
        timezone=budget.timezone,
        period_start=status.period_start,
        period_end=status.period_end,
        amount_usd=status.amount_usd,
        spent_usd=status.spent_usd,
        reserved_usd=status.reserved_usd,
        remaining_usd=status.remaining_usd,
        percent_used=status.percent_used,
        thresholds=budget.threshold_values(),
        thresholds_crossed=status.thresholds_crossed,
        events=status.events,
        total_spent_usd=status.total_spent_usd,
        split_by=status.split_by,
        split_count=status.split_count,
        splits=[split_out(s) for s in status.splits],
        scope_matches_nothing=status.scope_matches_nothing,
        notes=status.notes,
        forecast=forecast_out(status),
        computed_at=status.computed_at or utcnow(),
    )


def check_out(result: CheckResult) -> CheckOut:
    return CheckOut(
        allowed=result.allowed,
        reason=result.reason,
        message=result.message,
        estimated_cost_usd=result.estimate,
        reservation_id=result.reservation_id,
        expires_at=result.expires_at,
        budgets=[
            CheckBudgetOut(
                id=line.budget.id,
                name=line.budget.name,
                enforcement=line.budget.enforcement,
                split={k: v or None for k, v in line.split_values.items()} or None,
                amount_usd=line.budget.amount_usd,
                spent_usd=line.spent,
                reserved_usd=line.reserved,
                remaining_usd=line.budget.amount_usd - line.spent - line.reserved,
                percent_used=percent(line.spent, line.budget.amount_usd),
                projected_percent=result.projected_percent(line),
                allowed=line.allowed,
            )
            for line in result.lines
        ],
    )
