"""Pricing payloads."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

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


# --- catalog ----------------------------------------------------------------------------------
PRICE_KEYS = (
    "input_mtok",
    "cache_read_mtok",
    "cache_write_mtok",
    "cache_write_1h_mtok",
    "output_mtok",
    "output_reasoning_mtok",
    "input_audio_mtok",
    "output_audio_mtok",
    "input_image_mtok",
    "requests_kcount",
)
VARIANTS = ("standard", "batch", "flex", "priority", "fast")


class PriceVersionOut(BaseModel):
    price_id: int
    variant: str
    effective_from: datetime
    effective_to: datetime | None
    rates: dict[str, Any] = Field(
        description="USD per million tokens (decimal strings); tiers as base + tiers"
    )
    source: str


class CatalogModelOut(BaseModel):
    provider: str = Field(description="Catalog provider (openai, azure, google, anthropic, aws)")
    model_id: str
    name: str | None
    context_window: int | None
    deprecated: bool
    removed_at: datetime | None
    current: list[PriceVersionOut] = Field(description="The version of each variant in force now")


class CatalogModelPage(BaseModel):
    items: list[CatalogModelOut]
    total: int
    revision: int


class CatalogModelDetail(CatalogModelOut):
    match: dict[str, Any]
    history: list[PriceVersionOut] = Field(description="Every version of every variant, oldest first")


# --- tenant rates -----------------------------------------------------------------------------
class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: int = Field(ge=0)
    price: Decimal = Field(ge=0, max_digits=24, decimal_places=12)


class TieredIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base: Decimal = Field(ge=0, max_digits=24, decimal_places=12)
    tiers: list[TierIn] = Field(min_length=1, max_length=10)


RateIn = Annotated[Decimal, Field(ge=0, max_digits=24, decimal_places=12)] | TieredIn


class TenantRateIn(BaseModel):
    """A discount (`discount_percent` off list) or a negotiated `price` (rates for one variant)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["discount", "price"]
    discount_percent: Decimal | None = Field(default=None, gt=0, le=100, max_digits=9, decimal_places=6)
    variant: Literal["standard", "batch", "flex", "priority", "fast"] = "standard"
    rates: dict[str, RateIn] | None = Field(default=None, description="USD per million tokens, by price key")
    effective_from: AwareDatetime | None = Field(default=None, description="Default: now")
    note: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _consistent(self) -> TenantRateIn:
        if self.kind == "discount":
            if self.discount_percent is None or self.rates is not None:
                raise PydanticCustomError(
                    CUSTOM_PREFIX + "invalid_rate", "a discount needs discount_percent and no rates"
                )
        else:
            if not self.rates or self.discount_percent is not None:
                raise PydanticCustomError(
                    CUSTOM_PREFIX + "invalid_rate", "a price needs rates and no discount_percent"
                )
            unknown = sorted(set(self.rates) - set(PRICE_KEYS))
            if unknown:
                raise PydanticCustomError(
                    CUSTOM_PREFIX + "unknown_price_key",
                    "unknown price keys {keys}; use {known}",
                    {"keys": ", ".join(unknown), "known": ", ".join(PRICE_KEYS)},
                )
        return self

    def rates_json(self) -> dict[str, Any] | None:
        if self.rates is None:
            return None
        out: dict[str, Any] = {}
        for key, value in sorted(self.rates.items()):
            if isinstance(value, TieredIn):
                out[key] = {
                    "base": str(value.base),
                    "tiers": [
                        {"start": t.start, "price": str(t.price)}
                        for t in sorted(value.tiers, key=lambda t: t.start)
                    ],
                }
            else:
                out[key] = str(value)
        return out


class TenantRateOut(BaseModel):
    id: int
    tenant_id: str
    provider: str
    model: str | None = Field(description="Catalog model (provider/model_id); null for the whole provider")
    kind: str
    discount_percent: MoneyStr | None
    variant: str | None
    rates: dict[str, Any] | None
    effective_from: datetime
    effective_to: datetime | None
    note: str | None
    created_by: str
    created_at: datetime


class TenantRateList(BaseModel):
    items: list[TenantRateOut]


class EndRateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_to: AwareDatetime | None = Field(default=None, description="Default: now")


# --- sync -------------------------------------------------------------------------------------
class SyncIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str | None = Field(
        default=None, max_length=1024, description="An http(s) URL; default: the configured catalog URL"
    )
    format: Literal["genai", "litellm"] | None = None

    @model_validator(mode="after")
    def _url_only(self) -> SyncIn:
        if self.source is not None and not self.source.startswith(("http://", "https://")):
            raise PydanticCustomError(
                CUSTOM_PREFIX + "invalid_source",
                "the API syncs from http(s) URLs only (local files: the CLI)",
            )
        return self


class SyncRunOut(BaseModel):
    id: int
    started_at: datetime
    finished_at: datetime
    actor: str
    source: str
    format: str
    status: Literal["changed", "unchanged", "failed"]
    attempts: int
    error: str | None
    models_seen: int
    added: int
    changed: int
    removed: int
    diff: dict[str, Any] | None
    repriced_events: int | None = None


class SyncStatusOut(BaseModel):
    last_run: SyncRunOut | None
    last_success: SyncRunOut | None
    failures_since_success: int
    interval_seconds: float
    next_due_at: datetime | None
    source: str
    format: str
    enabled: bool
    recent: list[SyncRunOut]


# --- re-pricing -------------------------------------------------------------------------------
class RepriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: str | None = Field(default=None, max_length=128)
    provider: ProviderName | None = None
    model: str | None = Field(default=None, max_length=256, description="The model id as events carry it")
    catalog_model: str | None = Field(default=None, max_length=320, description="provider/model_id")
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    only_unpriced: StrictBool = False
    dry_run: StrictBool = True
    reason: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _checks(self) -> RepriceIn:
        if not self.dry_run and not (self.reason and self.reason.strip()):
            raise PydanticCustomError(CUSTOM_PREFIX + "reason_required", "applying a re-price needs a reason")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise PydanticCustomError(CUSTOM_PREFIX + "invalid_range", "start must be before end")
        return self


class RepriceModelOut(BaseModel):
    provider: str
    model: str
    events: int
    old_cost_usd: MoneyStr
    new_cost_usd: MoneyStr
    delta_cost_usd: MoneyStr


class RepriceOut(BaseModel):
    run_id: str
    dry_run: bool
    events_scanned: int
    events_affected: int
    newly_priced: int
    kept: int = Field(description="Priced events the catalog can no longer price; their price is kept")
    old_cost_usd: MoneyStr
    new_cost_usd: MoneyStr
    delta_cost_usd: MoneyStr
    old_list_cost_usd: MoneyStr
    new_list_cost_usd: MoneyStr
    by_model: list[RepriceModelOut]
