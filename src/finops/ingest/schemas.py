"""Usage event payloads and answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)
from pydantic_core import PydanticCustomError

from finops.kit.money import MoneyStr
from finops.kit.time import EPOCH, utcnow
from finops.kit.validation import CUSTOM_PREFIX

MAX_FUTURE_SKEW = timedelta(minutes=5)
MAX_TAGS = 20


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database.
    if "\x00" in value:
        raise PydanticCustomError(
            CUSTOM_PREFIX + "invalid_characters", "text must not contain NUL characters"
        )
    return value


Text = AfterValidator(_no_nul)
Name = Annotated[str, Field(min_length=1, max_length=128), Text]
Count = Annotated[StrictInt, Field(ge=0)]
ProviderName = Literal["openai", "gemini", "bedrock", "anthropic", "azure_openai"]


def _rfc3339_text(value: Any) -> Any:
    # Pydantic would also read a number as Unix time, guessing seconds or milliseconds by size.
    if not isinstance(value, str | datetime):
        raise PydanticCustomError(
            CUSTOM_PREFIX + "invalid_timestamp", "expected an RFC 3339 timestamp string with an offset"
        )
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text)]


class UsageIn(BaseModel):
    """Normalized token counts. `input_tokens` includes cache reads and writes; `output_tokens`
    includes reasoning and audio output."""

    model_config = ConfigDict(extra="forbid")

    input_tokens: Count = 0
    cached_input_tokens: Count = 0
    cache_write_tokens: Count = 0
    cache_write_1h_tokens: Count = 0
    output_tokens: Count = 0
    reasoning_tokens: Count = 0
    audio_input_tokens: Count = 0
    audio_output_tokens: Count = 0
    image_input_tokens: Count = 0


class UsageEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: Name
    occurred_at: Timestamp = Field(description="RFC 3339 with offset; at most 5 minutes in the future")
    tenant_id: Name | None = Field(default=None, description="Defaults to the token's tenant")
    service: Name
    learner_id: Name | None = None
    subject: Name | None = None
    provider: ProviderName
    model: Annotated[str, Field(min_length=1, max_length=256), Text]
    batch: StrictBool = False
    service_tier: Annotated[str, Field(max_length=32), Text] | None = None
    region: Annotated[str, Field(max_length=64), Text] | None = None
    tags: dict[
        Annotated[str, Field(min_length=1, max_length=64), Text], Annotated[str, Field(max_length=256), Text]
    ] = Field(default_factory=dict)
    reservation_id: Annotated[str, Field(max_length=64), Text] | None = None
    usage: UsageIn | None = None
    provider_usage: dict[str, Any] | None = Field(
        default=None, description="The provider's own usage object, verbatim"
    )

    @model_validator(mode="after")
    def _check(self) -> UsageEventIn:
        if (self.usage is None) == (self.provider_usage is None):
            raise PydanticCustomError(
                CUSTOM_PREFIX + "usage_conflict", "exactly one of usage and provider_usage is required"
            )
        if self.occurred_at < EPOCH:  # also keeps year-1 times with an offset from overflowing UTC
            raise PydanticCustomError(CUSTOM_PREFIX + "invalid_timestamp", "occurred_at is before 1970")
        if self.occurred_at > utcnow() + MAX_FUTURE_SKEW:
            raise PydanticCustomError(
                CUSTOM_PREFIX + "future_timestamp", "occurred_at is more than 5 minutes in the future"
            )
        if len(self.tags) > MAX_TAGS:
            raise PydanticCustomError(CUSTOM_PREFIX + "too_many_tags", f"at most {MAX_TAGS} tags")
        return self


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Items are validated one by one in the service, so one malformed item rejects only itself.
    events: list[Any] = Field(
        description="Up to 1,000 usage events",
        json_schema_extra={"items": {"$ref": "#/components/schemas/UsageEventIn"}},
    )


class TokenCounts(BaseModel):
    input_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    cache_write_1h_tokens: int
    output_tokens: int
    reasoning_tokens: int
    audio_input_tokens: int
    audio_output_tokens: int
    image_input_tokens: int


class UsageEventOut(BaseModel):
    event_id: str
    tenant_id: str
    occurred_at: datetime
    received_at: datetime
    service: str
    learner_id: str | None
    subject: str | None
    provider: str
    model: str
    batch: bool
    service_tier: str | None
    region: str | None
    tags: dict[str, str]
    reservation_id: str | None
    usage_source: str
    usage: TokenCounts
    priced: bool
    price_id: int | None
    catalog_model: str | None
    price_variant: str | None
    cost_usd: MoneyStr = Field(description="What the tenant pays (EffectiveCost): its tenant rate applied")
    list_cost_usd: MoneyStr = Field(description="The same usage at the provider's list price (ListCost)")
    tenant_rate_id: int | None = None
    cost_breakdown: dict[str, MoneyStr]
    pricing_notes: list[str]


class IngestResult(BaseModel):
    index: int
    status: Literal["created", "duplicate"]
    event_id: str
    priced: bool
    cost_usd: MoneyStr
    event: UsageEventOut | None = Field(
        default=None, description="The stored event (omitted with results=compact)"
    )


class Rejection(BaseModel):
    index: int
    event_id: str | None = None
    code: str
    message: str


class BatchOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[Rejection]
    results: list[IngestResult]


class UsageEventPage(BaseModel):
    items: list[UsageEventOut]
    next_cursor: str | None


def decimal_map(raw: dict[str, Any]) -> dict[str, Decimal]:
    return {k: Decimal(str(v)) for k, v in raw.items()}
