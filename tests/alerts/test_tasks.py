"""The alert jobs' own behaviour: cheap when no budget exists, backoff that grows with jitter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event

from finops.alerts.dispatcher import backoff_seconds
from finops.alerts.tasks import AlertEvaluator
from finops.cli.db import upgrade_database
from finops.config import Settings
from finops.kit.db import create_engine, create_sessionmaker
from finops.worker.loop import JobContext

ROW = {
    "tenant_id": "t1",
    "service": "chat",
    "learner_id": "",
    "subject": "",
    "provider": "openai",
    "model": "m",
}


class TestEvaluatorWithoutBudgets:
    async def test_ingests_cost_no_queries_while_no_budget_exists(self, tmp_path: Path) -> None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        await upgrade_database(url)
        engine = create_engine(url)
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        settings = Settings(env="test", database_url=url, jwt_secret="x" * 40, alerts_budget_cache_seconds=60)
        evaluator = AlertEvaluator(JobContext(settings=settings, sessionmaker=create_sessionmaker(engine)))
        try:
            evaluator.notify([ROW])
            assert await evaluator.evaluate_pending() == 0
            probes = len(statements)
            assert probes >= 1  # one look at the budgets table...
            for learner in range(50):
                evaluator.notify([{**ROW, "learner_id": f"l{learner}"}])
                assert await evaluator.evaluate_pending() == 0
            assert len(statements) == probes  # ...then nothing while the answer is cached
        finally:
            await engine.dispose()


class TestBackoff:
    def test_grows_exponentially_with_jitter_up_to_the_cap(self) -> None:
        for attempts, (low, high) in {1: (1, 2), 2: (2, 4), 3: (4, 8), 10: (50, 100)}.items():
            samples = [backoff_seconds(attempts, base=2, cap=100) for _ in range(200)]
            assert all(low <= s <= high for s in samples), (attempts, min(samples), max(samples))
            assert len(set(samples)) > 100  # jittered, not a fixed schedule
