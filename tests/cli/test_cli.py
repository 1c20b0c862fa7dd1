"""The `finops` command line against a temporary SQLite database (FINOPS_DATABASE_URL)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from finops.app import create_app
from finops.cli import app as cli
from finops.config import Settings, get_settings

SECRET = "cli-secret-" + "y" * 40


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """FINOPS_* pointing at a fresh data dir and SQLite file; the settings cache cleared around the test."""
    for name in list(os.environ):
        if name.startswith("FINOPS_"):
            monkeypatch.delenv(name)
    db = tmp_path / "cli.db"
    monkeypatch.setenv("FINOPS_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("FINOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FINOPS_JWT_SECRET", SECRET)
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _scalar(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as connection:
        value = connection.execute(sql).fetchone()[0]
    connection.close()
    return int(value)


class TestToken:
    def test_mints_a_token_the_service_accepts(self, env: Path) -> None:
        code, output = _run("token", "--role", "analyst", "--tenant", "school-1", "--ttl", "30m")
        assert code == 0, output
        claims = jwt.decode(output.strip(), SECRET, algorithms=["HS256"])
        assert (claims["role"], claims["tenant_id"], claims["exp"] - claims["iat"]) == (
            "analyst",
            "school-1",
            1800,
        )

    def test_admin_needs_no_tenant(self, env: Path) -> None:
        code, output = _run("token", "--role", "admin")
        assert code == 0
        assert "tenant_id" not in jwt.decode(output.strip(), SECRET, algorithms=["HS256"])

    @pytest.mark.parametrize(
        "args",
        [
            ["--role", "root"],
            ["--role", "analyst"],
            ["--role", "service", "--tenant", "t", "--ttl", "soon"],
        ],
    )
    def test_bad_arguments_fail(self, env: Path, args: list[str]) -> None:
        code, _ = _run("token", *args)
        assert code != 0


class TestDatabase:
    def test_upgrade_is_idempotent(self, env: Path) -> None:
        code, output = _run("db", "upgrade")
        assert code == 0, output
        assert "loaded the default price catalog" in output
        prices = _scalar(env, "SELECT count(*) FROM prices")
        revision = _scalar(env, "SELECT revision FROM catalog_state")
        assert prices > 100

        code, output = _run("db", "upgrade")
        assert code == 0, output
        assert "loaded the default price catalog" not in output
        assert _scalar(env, "SELECT count(*) FROM prices") == prices
        assert _scalar(env, "SELECT revision FROM catalog_state") == revision
        assert _scalar(env, "SELECT count(*) FROM alembic_version") == 1


class TestDemoAndReconcile:
    def test_demo_loads_priced_data_and_reconciles(self, env: Path) -> None:
        code, output = _run("demo", "--days", "2", "--per-day", "50")
        assert code == 0, output
        stored = _scalar(env, "SELECT count(*) FROM usage_events")
        assert stored > 50
        assert f"{stored} events stored" in output
        assert _scalar(env, "SELECT count(*) FROM usage_events WHERE priced = 0") == 0
        assert _scalar(env, "SELECT count(DISTINCT tenant_id) FROM usage_events") == 3
        assert _scalar(env, "SELECT count(DISTINCT provider) FROM usage_events") == 4

        code, output = _run("reconcile")
        assert (code, "rollups equal raw events" in output) == (0, True), output

        # Same seed again: every event is a duplicate, nothing doubles.
        code, output = _run("demo", "--days", "2", "--per-day", "50")
        assert code == 0
        assert _scalar(env, "SELECT count(*) FROM usage_events") == stored
        assert _run("reconcile")[0] == 0

    def test_reconcile_fails_on_a_drifted_rollup(self, env: Path) -> None:
        assert _run("demo", "--days", "1", "--per-day", "20")[0] == 0
        with sqlite3.connect(env) as connection:
            connection.execute(
                "UPDATE cost_rollups SET events = events + 1 "
                "WHERE id = (SELECT min(id) FROM cost_rollups WHERE grain = 'day')"
            )
        connection.close()
        code, output = _run("reconcile")
        assert code == 1
        assert "differences" in output


class TestProductionNeedsASecret:
    def test_create_app_refuses(self, tmp_path: Path) -> None:
        settings = Settings(
            env="production", jwt_secret=None, data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/p.db"
        )
        with pytest.raises(RuntimeError, match="FINOPS_JWT_SECRET"):
            create_app(settings)
        assert not (tmp_path / "jwt-secret").exists()

    def test_serve_exits_non_zero_without_touching_the_database(self, tmp_path: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FINOPS_")}
        db = tmp_path / "prod.db"
        env.update(
            FINOPS_ENV="production",
            FINOPS_DATA_DIR=str(tmp_path / "data"),
            FINOPS_DATABASE_URL=f"sqlite:///{db}",
        )
        result = subprocess.run(
            [sys.executable, "-c", "from finops.cli import main; main()", "serve", "--port", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode != 0
        assert "FINOPS_JWT_SECRET" in result.stderr + result.stdout
        assert not db.exists()
