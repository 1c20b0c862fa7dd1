"""Pricing test fixtures: a local HTTP server that serves price catalogs, and a catalog restore."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi import FastAPI

from finops.kit.db import session_scope
from finops.kit.time import utcnow
from finops.pricing import genai_source, sync


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    # Answer `failures` requests with `fail_status` (and a truncated body) before the real answer.
    failures: int = 0
    fail_status: int = 503


@dataclass
class CatalogServer:
    """Serves `routes[path]` on 127.0.0.1; counts requests per path."""

    base_url: str
    routes: dict[str, Route] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@pytest.fixture
def catalog_server() -> Iterator[CatalogServer]:
    state = CatalogServer(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits[self.path] = state.hits.get(self.path, 0) + 1
            route = state.routes.get(self.path)
            if route is None:
                self.send_response(404)
                self.end_headers()
                return
            if route.failures > 0:
                route.failures -= 1
                self.send_response(route.fail_status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(route.body[: len(route.body) // 3])
                return
            self.send_response(route.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
async def restore_catalog(app: FastAPI) -> AsyncIterator[None]:
    """After a test that syncs an edited catalog, bring the shared catalog back to the bundled one
    (new versions from now), so later tests price with the list prices they expect."""
    yield
    async with session_scope(app.state.sessionmaker) as session:
        await sync.apply_catalog(
            session, genai_source.bundled(), now=utcnow(), source="test restore", actor="test"
        )
    app.state.catalog_cache.invalidate()
