"""Cost query answers. Group keys appear as fields of each row (service, learner_id, tag:team...)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from finops.kit.money import MoneyStr


class Sums(BaseModel):
    cost_usd: MoneyStr
    list_cost_usd: MoneyStr
    events: int
    unpriced_events: int
    input_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    audio_input_tokens: int
    audio_output_tokens: int
    image_input_tokens: int


class CostRowOut(Sums):
    model_config = ConfigDict(extra="allow")

    bucket_start: datetime | None = None


class CostsOut(BaseModel):
    currency: Literal["USD"] = "USD"
    start: datetime
    end: datetime
    granularity: str
    tz: str
    group_by: list[str]
    rows: list[CostRowOut]
    total_cost_usd: MoneyStr
    total: Sums
    truncated: bool


class TopRow(BaseModel):
    key: str | None
    cost_usd: MoneyStr
    events: int
    share: MoneyStr


class TopOut(BaseModel):
    currency: Literal["USD"] = "USD"
    dimension: str
    start: datetime
    end: datetime
    rows: list[TopRow]
    other_cost_usd: MoneyStr
    total_cost_usd: MoneyStr


class SummaryOut(BaseModel):
    currency: Literal["USD"] = "USD"
    start: datetime
    end: datetime
    total: Sums
    total_cost_usd: MoneyStr
    by_provider: list[TopRow]
    by_service: list[TopRow]
