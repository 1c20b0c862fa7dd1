"""`finops pricing sync|reprice|status` against a temporary SQLite database."""

from __future__ import annotations

import copy
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from finops.cli import app as cli
from finops.config import get_settings
from tests.fixtures.catalog import dumps, find_model, published_catalog

TENANT = "school-northfield"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("FINOPS_"):
            monkeypatch.delenv(name)
    db = tmp_path / "cli.db"
    monkeypatch.setenv("FINOPS_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("FINOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FINOPS_JWT_SECRET", "cli-secret-" + "z" * 40)
    monkeypatch.setenv("FINOPS_PRICING_SYNC_BACKOFF_SECONDS", "0")
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


class TestSync:
    def test_from_a_local_file_then_a_broken_one(self, env: Path, tmp_path: Path) -> None:
        assert _run("db", "upgrade")[0] == 0
        doc = copy.deepcopy(published_catalog())
        find_model(doc, "anthropic", "claude-2")["prices"]["input_mtok"] = "9.99"
        next(p for p in doc if p["id"] == "openai")["models"].append(
            {"id": "cli-probe", "match": {"equals": "cli-probe"}, "prices": {"input_mtok": "1"}}
        )
        source = tmp_path / "data.json"
        source.write_bytes(dumps(doc))
        prices = _scalar(env, "SELECT count(*) FROM prices")

        code, output = _run("pricing", "sync", "--source", str(source))

        assert code == 0, output
        assert "1 added, 1 changed, 0 removed" in output
        assert "anthropic/claude-2" in output
        # one new version for the changed price, one for the added model
        assert _scalar(env, "SELECT count(*) FROM prices") == prices + 2
        assert _scalar(env, "SELECT count(*) FROM audit_entries WHERE action = 'pricing.sync'") == 1

        code, output = _run("pricing", "sync", "--source", str(tmp_path / "missing.json"))
        assert code == 1
        assert "nothing changed" in output
        assert _scalar(env, "SELECT count(*) FROM prices") == prices + 2
        code, output = _run("pricing", "status")
        assert code == 0
        status = json.loads(output)
        assert status["last_run"]["status"] == "failed"
        assert status["last_success"]["added"] == 1

    def test_litellm_format(self, env: Path, tmp_path: Path) -> None:
        assert _run("db", "upgrade")[0] == 0
        source = tmp_path / "model_prices_and_context_window.json"
        source.write_text(
            json.dumps({"cli-litellm-probe": {"litellm_provider": "openai", "input_cost_per_token": 2e-06}})
        )
        code, output = _run("pricing", "sync", "--source", str(source), "--format", "litellm")
        assert code == 0, output
        assert "1 added" in output
        assert _scalar(env, "SELECT count(*) FROM price_models WHERE removed_at IS NOT NULL") > 300


class TestReprice:
    def test_dry_run_apply_rerun_and_reconcile(self, env: Path) -> None:
        assert _run("demo", "--days", "2", "--per-day", "40")[0] == 0
        with sqlite3.connect(env) as connection:
            connection.execute(
                "INSERT INTO tenant_rates (tenant_id, provider, catalog_provider, model_id, kind, "
                "discount_percent, effective_from, created_by, created_at) VALUES "
                f"('{TENANT}', 'openai', '', '', 'discount', 10, '2020-01-01 00:00:00', 'test', "
                "'2020-01-01 00:00:00')"
            )
            connection.execute("UPDATE catalog_state SET revision = revision + 1")
        connection.close()
        openai_events = _scalar(
            env, f"SELECT count(*) FROM usage_events WHERE tenant_id = '{TENANT}' AND provider = 'openai'"
        )
        assert openai_events > 0

        code, output = _run("pricing", "reprice", "--tenant", TENANT, "--dry-run")
        assert code == 0, output
        assert f"would change {openai_events} " in output
        assert _scalar(env, "SELECT count(*) FROM usage_events WHERE tenant_rate_id IS NOT NULL") == 0

        code, output = _run("pricing", "reprice", "--tenant", TENANT)
        assert code == 2  # applying needs --reason

        code, output = _run(
            "pricing", "reprice", "--tenant", TENANT, "--reason", "discount", "--chunk-size", "7"
        )
        assert code == 0, output
        assert f"changed {openai_events} " in output
        assert (
            _scalar(env, "SELECT count(*) FROM usage_events WHERE tenant_rate_id IS NOT NULL")
            == openai_events
        )
        assert _run("reconcile")[0] == 0

        code, output = _run("pricing", "reprice", "--tenant", TENANT, "--reason", "again")
        assert code == 0
        assert "changed 0 " in output
        actions = _scalar(env, "SELECT count(*) FROM audit_entries WHERE action LIKE 'pricing.reprice%'")
        assert actions == 4  # started + finished, twice
