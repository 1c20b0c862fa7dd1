"""Pricing payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from finops.ingest.schemas import ProviderName, TokenCounts, UsageIn
from finops.kit.money import MoneyStr
from finops.kit.validation import CUSTOM_PREFIX


class EstimateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: ProviderName
    model: str = Field(min_length=1, max_length=256)
    occurred_at: AwareDatetime | None = Field(default=None, description="Default: now")
    batch: StrictBool = False
    service_tier: str | None = Field(default=None, max_length=32)
    tenant_id: str | None = Field(
        default=None, max_length=128, description="Apply this tenant's rates (default: the token's tenant)"
    )
    usage: UsageIn | None = None
    provider_usage: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_usage(self) -> EstimateIn:
        if (self.usage is None) == (self.provider_usage is None):
            raise PydanticCustomError(
                CUSTOM_PREFIX + "usage_conflict", "exactly one of usage and provider_usage is required"
            )
        return self


class EstimateOut(BaseModel):
    provider: str
    model: str
    occurred_at: datetime
    usage: TokenCounts
    usage_source: str
    priced: bool
    price_id: int | None
    catalog_model: str | None
    price_variant: str | None
    cost_usd: MoneyStr
    list_cost_usd: MoneyStr
    tenant_rate_id: int | None = None
    cost_breakdown: dict[str, MoneyStr]
    pricing_notes: list[str]
