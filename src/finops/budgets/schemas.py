"""Budget payloads and answers, and the status types other domains (alerts) read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator
from pydantic_core import PydanticCustomError

from finops.costs.service import DIMENSIONS
from finops.ingest.schemas import UsageIn
from finops.kit.money import MoneyStr
from finops.kit.time import zone
from finops.kit.validation import CUSTOM_PREFIX

Enforcement = Literal["soft", "hard"]
PeriodName = Literal["daily", "weekly", "monthly", "quarterly", "yearly", "total", "custom"]
DEFAULT_THRESHOLDS = (Decimal(50), Decimal(75), Decimal(90), Decimal(100))
MAX_THRESHOLD = Decimal(10_000)
Name = Annotated[str, Field(min_length=1, max_length=128)]
SplitKey = dict[str, str | None]
# NaN and infinities reach our own validators (and their stable codes) instead of a generic error.
AnyDecimal = Annotated[Decimal, Field(allow_inf_nan=True)]


def _error(code: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(CUSTOM_PREFIX + code, message)


def is_dimension(key: str) -> bool:
    return key in DIMENSIONS or (key.startswith("tag:") and len(key) > 4 and len(key) <= 68)


def check_scope(scope: dict[str, str]) -> dict[str, str]:
    for key, value in scope.items():
        if not is_dimension(key):
            raise _error(
                "invalid_scope", f"scope key {key!r} is not one of {', '.join(DIMENSIONS)} or tag:<key>"
            )
        if not value or len(value) > 256:
            raise _error("invalid_scope", f"scope value of {key!r} must be 1 to 256 characters")
    return dict(sorted(scope.items()))


def check_split_by(split_by: list[str]) -> list[str]:
    if len(set(split_by)) != len(split_by):
        raise _error("invalid_split_by", "split_by repeats a dimension")
    for key in split_by:
        # Tags are not split dimensions: a call without the tag would form a split whose spend
        # could never be matched by a tag filter, so it would slip past a hard budget.
        if key not in DIMENSIONS:
            raise _error("invalid_split_by", f"cannot split by {key!r}: use {', '.join(DIMENSIONS)}")
    return split_by


def check_thresholds(thresholds: list[Decimal]) -> list[Decimal]:
    for value in thresholds:
        if not value.is_finite() or value <= 0 or value > MAX_THRESHOLD:
            raise _error("invalid_threshold", "thresholds are percentages above 0 and at most 10000")
    return sorted(set(thresholds))


def check_timezone(name: str) -> str:
    try:
        zone(name)
    except Exception as exc:
        raise _error("invalid_timezone", f"unknown time zone {name!r}") from exc
    return name


def check_amount(value: Decimal) -> Decimal:
    if not value.is_finite() or value <= 0:
        raise _error("invalid_amount", "amount_usd must be a positive number")
    if value >= Decimal(10) ** 15:
        raise _error("invalid_amount", "amount_usd is too large")
    return value


class BudgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    scope: dict[str, str] = Field(
        default_factory=dict,
        description="Any of tenant_id, service, learner_id, subject, provider, model, tag:<key>; "
        "empty = every tenant (admin only). A non-admin's budget is always within its own tenant.",
    )
    amount_usd: AnyDecimal = Field(description="Per period; per split value when split_by is set")
    period: PeriodName = "monthly"
    start: AwareDatetime | None = Field(default=None, description="custom: required; total: default now")
    end: AwareDatetime | None = Field(default=None, description="custom only")
    timezone: str = Field(default="UTC", description="IANA zone the period boundaries are computed in")
    thresholds: list[AnyDecimal] = Field(default_factory=lambda: list(DEFAULT_THRESHOLDS), max_length=20)
    enforcement: Enforcement = "soft"
    split_by: list[str] = Field(default_factory=list, max_length=4)
    channel_ids: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list, max_length=20
    )
    cooldown_seconds: Annotated[int, Field(ge=0, le=30 * 86400)] = 3600
    active: StrictBool = True

    _scope = field_validator("scope")(check_scope)
    _split = field_validator("split_by")(check_split_by)
    _thresholds = field_validator("thresholds")(check_thresholds)
    _tz = field_validator("timezone")(check_timezone)
    _amount = field_validator("amount_usd")(check_amount)

    @model_validator(mode="after")
    def _check(self) -> BudgetIn:
        check_period(self.period, self.start, self.end)
        overlap = set(self.split_by) & set(self.scope)
        if overlap:
            raise _error(
                "invalid_split_by", f"cannot split by a dimension fixed by the scope: {sorted(overlap)}"
            )
        return self


def check_period(period: str, start: datetime | None, end: datetime | None) -> None:
    if period == "custom":
        if start is None or end is None:
            raise _error("invalid_period", "a custom period needs start and end")
        if start >= end:
            raise _error("invalid_period", "start must be before end")
        if (end - start).days > 3650:
            raise _error("invalid_period", "a custom period may span at most 10 years")
    elif period == "total":
        if end is not None:
            raise _error("invalid_period", "a total budget has no end")
    elif start is not None or end is not None:
        raise _error("invalid_period", f"start and end apply only to custom and total periods, not {period}")


class BudgetPatch(BaseModel):
    """Fields to change; absent fields keep their value."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    scope: dict[str, str] | None = None
    amount_usd: AnyDecimal | None = None
    period: PeriodName | None = None
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    timezone: str | None = None
    thresholds: list[AnyDecimal] | None = Field(default=None, max_length=20)
    enforcement: Enforcement | None = None
    split_by: list[str] | None = Field(default=None, max_length=4)
    channel_ids: list[Annotated[str, Field(min_length=1, max_length=128)]] | None = Field(
        default=None, max_length=20
    )
    cooldown_seconds: Annotated[int, Field(ge=0, le=30 * 86400)] | None = None
    active: StrictBool | None = None

    _scope = field_validator("scope")(lambda v: None if v is None else check_scope(v))
    _split = field_validator("split_by")(lambda v: None if v is None else check_split_by(v))
    _thresholds = field_validator("thresholds")(lambda v: None if v is None else check_thresholds(v))
    _tz = field_validator("timezone")(lambda v: None if v is None else check_timezone(v))
    _amount = field_validator("amount_usd")(lambda v: None if v is None else check_amount(v))


class BudgetOut(BaseModel):
    id: str
    tenant_id: str | None
    name: str
    scope: dict[str, str]
    split_by: list[str]
    amount_usd: MoneyStr
    period: str
    start: datetime | None
    end: datetime | None
    timezone: str
    thresholds: list[MoneyStr]
    enforcement: str
    channel_ids: list[str]
    cooldown_seconds: int
    active: bool
    created_at: datetime
    updated_at: datetime


class BudgetPage(BaseModel):
    items: list[BudgetOut]
    total: int


# --- status: plain dataclasses, computed by service.budget_status() and read by the alerts domain ---


@dataclass
class Forecast:
    """Projected spend at `horizon_end` (the period end; 365 days ahead for a `total` budget)
    with an 80 % interval, and when the amount is (or was) reached.

    `method` is "none" (no spend seen yet), "run_rate" (recent daily rate) or "weekly_seasonal"
    (level, trend and day-of-week factors, once 14 days of history exist)."""

    projected_spend_usd: Decimal
    lower_usd: Decimal
    upper_usd: Decimal
    exhaustion_date: datetime | None
    method: str
    horizon_end: datetime
    history_days: int
    split: SplitKey | None = None


@dataclass
class SplitStatus:
    """One value of a split budget's `split_by` dimensions (None = events without that dimension)."""

    key: SplitKey
    spent_usd: Decimal
    reserved_usd: Decimal
    remaining_usd: Decimal
    percent_used: Decimal
    thresholds_crossed: list[Decimal]
    events: int


@dataclass
class BudgetStatus:
    """A budget's standing in the period containing `computed_at`.

    percent_used = spent / amount * 100 (2 places, rounded down); a threshold t is crossed when
    spent * 100 >= t * amount (exact). Reserved amounts count towards `remaining_usd` but not
    towards `percent_used` or thresholds.

    For a split budget the amount applies to each split: `splits` lists the top consumers and
    every split over its lowest threshold, each with its own thresholds; alert per split from
    there. The top-level spent/percent/thresholds then repeat the most-consumed split (for
    display) and `total_spent_usd` sums every split.
    """

    budget_id: str
    tenant_id: str | None
    name: str
    period_start: datetime
    period_end: datetime | None  # None for a `total` budget
    amount_usd: Decimal
    spent_usd: Decimal
    reserved_usd: Decimal
    remaining_usd: Decimal
    percent_used: Decimal
    thresholds_crossed: list[Decimal]
    forecast: Forecast | None
    enforcement: str
    events: int
    total_spent_usd: Decimal
    split_by: list[str] = field(default_factory=list)
    splits: list[SplitStatus] = field(default_factory=list)
    split_count: int = 0
    scope_matches_nothing: bool = False
    notes: list[str] = field(default_factory=list)
    computed_at: datetime | None = None

    @property
    def is_split(self) -> bool:
        return bool(self.split_by)


class ForecastOut(BaseModel):
    projected_spend_usd: MoneyStr
    lower_usd: MoneyStr
    upper_usd: MoneyStr
    interval: Literal[80] = 80
    exhaustion_date: datetime | None
    will_exceed: bool
    method: str
    horizon_end: datetime
    history_days: int
    split: SplitKey | None


class SplitStatusOut(BaseModel):
    key: SplitKey
    spent_usd: MoneyStr
    reserved_usd: MoneyStr
    remaining_usd: MoneyStr
    percent_used: MoneyStr
    thresholds_crossed: list[MoneyStr]
    events: int


class BudgetStatusOut(BaseModel):
    budget_id: str
    tenant_id: str | None
    name: str
    active: bool
    enforcement: str
    currency: Literal["USD"] = "USD"
    period: str
    timezone: str
    period_start: datetime
    period_end: datetime | None
    amount_usd: MoneyStr
    spent_usd: MoneyStr
    reserved_usd: MoneyStr
    remaining_usd: MoneyStr
    percent_used: MoneyStr
    thresholds: list[MoneyStr]
    thresholds_crossed: list[MoneyStr]
    events: int
    total_spent_usd: MoneyStr
    split_by: list[str]
    split_count: int
    splits: list[SplitStatusOut]
    scope_matches_nothing: bool
    notes: list[str]
    forecast: ForecastOut | None
    computed_at: datetime


class StatusPage(BaseModel):
    items: list[BudgetStatusOut]
    total: int


class SplitPage(BaseModel):
    budget_id: str
    period_start: datetime
    period_end: datetime | None
    split_by: list[str]
    items: list[SplitStatusOut]
    total: int


class HistoryRow(BaseModel):
    current: bool
    period_start: datetime
    period_end: datetime | None
    amount_usd: MoneyStr
    spent_usd: MoneyStr
    percent_used: MoneyStr
    exceeded: bool
    events: int
    top_split: SplitKey | None = Field(default=None, description="Split budgets: the most-spent split")
    splits_exceeded: int | None = Field(default=None, description="Split budgets: splits over the amount")


class HistoryOut(BaseModel):
    budget_id: str
    items: list[HistoryRow]


# --- pre-flight check ---


class CheckIn(BaseModel):
    """The call about to be made: its dimensions and either an estimated usage or cost."""

    model_config = ConfigDict(extra="forbid")

    tenant_id: Name | None = Field(default=None, description="Defaults to the token's tenant")
    service: Name | None = None
    learner_id: Name | None = None
    subject: Name | None = None
    provider: Name | None = None
    model: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    tags: dict[Annotated[str, Field(min_length=1, max_length=64)], Annotated[str, Field(max_length=256)]] = (
        Field(default_factory=dict, max_length=20)
    )
    estimated_usage: UsageIn | None = None
    estimated_cost_usd: AnyDecimal | None = None
    batch: StrictBool = False
    service_tier: Annotated[str, Field(max_length=32)] | None = None
    reserve: StrictBool = False
    ttl_seconds: Annotated[int, Field(ge=1, le=86_400)] = 600

    @model_validator(mode="after")
    def _check(self) -> CheckIn:
        if (self.estimated_usage is None) == (self.estimated_cost_usd is None):
            raise _error(
                "estimate_conflict", "exactly one of estimated_usage and estimated_cost_usd is required"
            )
        if self.estimated_cost_usd is not None and (
            not self.estimated_cost_usd.is_finite() or self.estimated_cost_usd < 0
        ):
            raise _error("invalid_amount", "estimated_cost_usd must be zero or more")
        if self.estimated_usage is not None and (self.provider is None or self.model is None):
            raise _error("missing_field", "pricing an estimated usage needs provider and model")
        return self


class CheckBudgetOut(BaseModel):
    id: str
    name: str
    enforcement: str
    split: SplitKey | None
    amount_usd: MoneyStr
    spent_usd: MoneyStr
    reserved_usd: MoneyStr
    remaining_usd: MoneyStr = Field(description="amount - spent - reserved, before this estimate")
    percent_used: MoneyStr
    projected_percent: MoneyStr = Field(description="(spent + reserved + estimate) / amount * 100")
    allowed: bool


class CheckOut(BaseModel):
    allowed: bool
    reason: str = Field(
        description="within_budget, no_matching_budget, soft_budget_exceeded or hard_budget_exceeded"
    )
    message: str
    estimated_cost_usd: MoneyStr
    reservation_id: str | None
    expires_at: datetime | None
    budgets: list[CheckBudgetOut]


class ReleaseOut(BaseModel):
    reservation_id: str
    released: int = Field(description="Reservation lines released (0 when already settled or expired)")
    status: str
