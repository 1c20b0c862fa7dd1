"""Operations payloads: the status document."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class DatabaseStatus(BaseModel):
    dialect: str
    status: Literal["ok", "error"]
    error: str | None = None


class MigrationStatus(BaseModel):
    current: str | None
    head: str | None
    up_to_date: bool


class CatalogStatus(BaseModel):
    revision: int | None
    source: str | None
    updated_at: datetime | None = Field(description="When the catalog last changed")
    age_seconds: float | None
    last_sync_at: datetime | None = Field(description="When the last price sync (any replica) finished")
    last_sync_result: Literal["ok", "error", "never"]
    last_sync_error: str | None = None


class JobStatusOut(BaseModel):
    name: str
    leader_only: bool
    interval_seconds: float
    runs: int
    failures: int
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_duration_seconds: float | None
    last_result: Literal["ok", "error", "never"]
    last_error: str | None
    runs_here: bool = Field(
        description="Whether this replica runs the job now (leader-only jobs: on the leader)"
    )


class LeaderStatus(BaseModel):
    mode: Literal["advisory_lock", "single_process"]
    replica_id: str = Field(description="This replica")
    is_leader: bool = Field(description="Whether this replica is the leader")
    leader_replica_id: str | None = Field(description="The replica holding the leader lock, if any")
    error: str | None = None


class StatusOut(BaseModel):
    version: str
    database: DatabaseStatus
    migrations: MigrationStatus
    catalog: CatalogStatus
    leader: LeaderStatus
    background_jobs_enabled: bool
    jobs: list[JobStatusOut]
