"""Request-scoped dependencies that read the application's shared state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from finops.kit.errors import ServiceUnavailable
from finops.pricing.catalog import Catalog


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the endpoint returns, rolled back on error.

    A commit the database refuses becomes 503 `commit_failed` (nothing was recorded; retrying
    with the same event ids is safe) instead of an exception escaping after the answer.
    """
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        try:
            await session.commit()
        except DBAPIError as exc:
            await session.rollback()
            raise ServiceUnavailable(
                "the database did not commit this change; nothing was recorded", code="commit_failed"
            ) from exc


async def current_catalog(request: Request) -> Catalog:
    catalog: Catalog = await request.app.state.catalog_cache.get()
    return catalog


CatalogDep = Annotated[Catalog, Depends(current_catalog)]

# scope="function": the transaction commits when the endpoint returns, BEFORE the response is sent,
# so nothing is acknowledged that then fails to commit (the default scope tears down afterwards).
SessionDep = Annotated[AsyncSession, Depends(db_session, scope="function")]
