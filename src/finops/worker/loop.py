"""A periodic job as a tiny base class: `run_once()` every `interval_seconds`, errors logged, never fatal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from finops.config import Settings
from finops.observability import metrics

log = logging.getLogger("finops.worker")


@dataclass
class JobStatus:
    runs: int = 0
    failures: int = 0
    last_started: float | None = None
    last_finished: float | None = None
    last_error: str | None = None
    last_duration: float | None = None


@dataclass
class JobContext:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    extras: dict[str, object] = field(default_factory=dict)


class JobFailed(Exception):
    """Raised by a job whose run failed for a reason it has recorded (a download that failed,
    say): counted and shown in status like any failure, logged without a traceback."""


class LoopService:
    name: str = "job"
    interval_seconds: float = 60.0
    leader_only: bool = True

    def __init__(self, context: JobContext) -> None:
        self.context = context
        self.status = JobStatus()
        self._wake = asyncio.Event()

    async def run_once(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def wake(self) -> None:
        """Run the next iteration now instead of waiting for the interval."""
        self._wake.set()

    async def tick(self) -> None:
        started = time.monotonic()
        self.status.last_started = time.time()
        outcome = "failure"
        try:
            await self.run_once()
            self.status.last_error = None
            outcome = "success"
        except JobFailed as exc:  # an outcome the job already explained: no traceback
            self.status.failures += 1
            self.status.last_error = str(exc)
            log.warning("job %s failed: %s", self.name, exc)
        except Exception as exc:
            self.status.failures += 1
            self.status.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("job %s failed", self.name)
        finally:
            self.status.runs += 1
            self.status.last_duration = time.monotonic() - started
            self.status.last_finished = time.time()
            metrics.JOB_RUNS.labels(job=self.name, outcome=outcome).inc()
            metrics.JOB_DURATION.labels(job=self.name).observe(self.status.last_duration)
            if outcome == "success":
                metrics.JOB_LAST_SUCCESS.labels(job=self.name).set(self.status.last_finished)

    async def run_forever(self, may_run: asyncio.Event | None = None) -> None:
        while True:
            # Clear before running, not after: a wake() that arrives during tick() must cause
            # another run rather than be wiped (it may carry work, e.g. freshly ingested events).
            self._wake.clear()
            if may_run is None or may_run.is_set():
                await self.tick()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval_seconds)
