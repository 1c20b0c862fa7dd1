from __future__ import annotations

from tests.fixtures.postgres import pg_url

__all__ = ["pg_url"]
