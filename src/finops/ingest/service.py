"""Ingest: validate, price and store usage events exactly once, keeping rollups in step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from finops.auth.dependencies import check_tenant_write
from finops.auth.tokens import Principal
from finops.budgets import reservations as budget_reservations
from finops.costs import repository as costs_repository
from finops.costs import rollups
from finops.ingest import repository as ingest_repository
from finops.ingest.schemas import UsageEventIn
from finops.kit.errors import FinopsError, Unprocessable
from finops.kit.time import as_utc, utcnow
from finops.kit.validation import summarize
from finops.models import UsageEvent
from finops.pricing import service as pricing_service
from finops.pricing.catalog import Catalog
from finops.pricing.providers import registry as usage_parsers
from finops.pricing.usage import NormalizedUsage


@dataclass(frozen=True)
class Rejected:
    index: int
    event_id: str | None
    code: str
    message: str
    status_code: int = 422


@dataclass(frozen=True)
class Stored:
    index: int
    status: Literal["created", "duplicate"]
    event: UsageEvent | SimpleNamespace  # the stored row: ORM object for replays, the written values when new


def normalize_usage(event: UsageEventIn) -> tuple[NormalizedUsage, str]:
    if event.provider_usage is not None:
        return usage_parsers.parse(event.provider, event.provider_usage)
    assert event.usage is not None
    return NormalizedUsage(**event.usage.model_dump()), "normalized"


def build_row(event: UsageEventIn, principal: Principal, catalog: Catalog) -> dict[str, Any]:
    tenant_id = event.tenant_id or principal.tenant_id
    if tenant_id is None:
        raise Unprocessable("tenant_id is required for an admin token", code="missing_field")
    check_tenant_write(principal, tenant_id)
    usage, source = normalize_usage(event)
    priced = pricing_service.price_usage(
        catalog,
        provider=event.provider,
        model=event.model,
        usage=usage,
        occurred_at=event.occurred_at,
        batch=event.batch,
        service_tier=event.service_tier,
        tenant_id=tenant_id,
    )
    return {
        "tenant_id": tenant_id,
        "event_id": event.event_id,
        "occurred_at": as_utc(event.occurred_at),
        "received_at": utcnow(),
        "service": event.service,
        "learner_id": event.learner_id or "",
        "subject": event.subject or "",
        "provider": event.provider,
        "model": event.model,
        "batch": event.batch,
        "service_tier": event.service_tier,
        "region": event.region,
        "tags": event.tags,
        "reservation_id": event.reservation_id,
        "usage_source": source,
        "provider_usage": event.provider_usage,
        **usage.as_dict(),
        **priced.columns(),
    }


async def store(session: AsyncSession, rows: Sequence[tuple[int, dict[str, Any]]]) -> list[Stored]:
    """Insert new events (sorted, so concurrent batches lock rows in one order) and add exactly
    the inserted ones to the rollups in the same transaction."""
    ordered = sorted(rows, key=lambda item: (item[1]["tenant_id"], item[1]["event_id"]))
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for _, row in ordered:
        unique.setdefault((row["tenant_id"], row["event_id"]), row)
    inserted = await ingest_repository.insert_new(session, list(unique.values()))
    await costs_repository.apply_deltas(session, rollups.deltas(unique[k] for k in sorted(inserted)))
    settling = [unique[k] for k in sorted(inserted) if unique[k].get("reservation_id")]
    if settling:  # one statement, and only when some new event names a budget reservation
        await budget_reservations.settle_events(session, settling)
    # Only replays need a read: a new event answers with exactly the row just written.
    replayed = [key for key in unique if key not in inserted]
    stored = await ingest_repository.get_many(session, replayed) if replayed else {}
    out: list[Stored] = []
    first_index: set[tuple[str, str]] = set()
    for index, row in rows:
        key = (row["tenant_id"], row["event_id"])
        created = key in inserted and key not in first_index
        first_index.add(key)
        event = SimpleNamespace(**unique[key]) if key in inserted else stored[key]
        out.append(Stored(index=index, status="created" if created else "duplicate", event=event))
    return out


async def ingest_one(
    session: AsyncSession, catalog: Catalog, principal: Principal, event: UsageEventIn
) -> Stored:
    row = build_row(event, principal, catalog)
    return (await store(session, [(0, row)]))[0]


async def ingest_batch(
    session: AsyncSession, catalog: Catalog, principal: Principal, raw_events: Sequence[Any]
) -> tuple[list[Stored], list[Rejected]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    rejected: list[Rejected] = []
    for index, raw in enumerate(raw_events):
        event_id = raw.get("event_id") if isinstance(raw, dict) else None
        try:
            event = UsageEventIn.model_validate(raw)
            rows.append((index, build_row(event, principal, catalog)))
        except ValidationError as exc:
            code, message, _ = summarize(exc.errors(include_url=False))
            rejected.append(Rejected(index, event_id if isinstance(event_id, str) else None, code, message))
        except FinopsError as exc:
            rejected.append(
                Rejected(
                    index,
                    event_id if isinstance(event_id, str) else None,
                    exc.code,
                    exc.message,
                    exc.status_code,
                )
            )
    return await store(session, rows), rejected
