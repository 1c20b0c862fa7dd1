"""Shared bench plumbing: a private PostgreSQL database, a real uvicorn server, percentiles."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx

from finops.auth.tokens import mint
from finops.cli.db import upgrade_database
from finops.config import normalize_database_url

BASE_URL = os.environ.get("FINOPS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "bench-secret-" + "y" * 32
ROOT = Path(__file__).resolve().parent.parent


def dsn(url: str) -> str:
    return normalize_database_url(url).replace("postgresql+asyncpg://", "postgresql://")


@contextlib.asynccontextmanager
async def private_database(prefix: str = "finops_bench") -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database (with the default catalog), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(dsn(BASE_URL))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = normalize_database_url(BASE_URL).rsplit("/", 1)[0] + "/" + name
    try:
        await upgrade_database(url)
        yield url
    finally:
        admin = await asyncpg.connect(dsn(BASE_URL))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def server(database_url: str, *, workers: int = 1, jobs: bool = False) -> Iterator[str]:
    """A real `finops serve` on a free loopback port."""
    port = free_port()
    env = {
        **os.environ,
        "FINOPS_DATABASE_URL": database_url,
        "FINOPS_JWT_SECRET": SECRET,
        "FINOPS_RUN_BACKGROUND_JOBS": "true" if jobs else "false",
        "FINOPS_LOG_LEVEL": "WARNING",
        "FINOPS_DB_POOL_SIZE": "20",
    }
    cmd = [
        sys.executable,
        "-m",
        "finops.cli",
        "serve",
        "--no-migrate",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def token(role: str = "admin", tenant: str | None = None) -> str:
    return mint(SECRET, sub="bench", role=role, tenant_id=tenant, ttl=timedelta(hours=2))


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def machine() -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    cpu = f"{platform.machine()} {os.cpu_count()} cores"
    return f"{platform.node()} {cpu}, python {platform.python_version()}, commit {commit or '?'}"


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]
