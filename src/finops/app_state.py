"""Request-scoped dependencies that read the application's shared state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from finops.kit.db import session_scope
from finops.pricing.catalog import Catalog


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the endpoint returns, rolled back on error."""
    async with session_scope(request.app.state.sessionmaker) as session:
        yield session


async def current_catalog(request: Request) -> Catalog:
    catalog: Catalog = await request.app.state.catalog_cache.get()
    return catalog


CatalogDep = Annotated[Catalog, Depends(current_catalog)]
