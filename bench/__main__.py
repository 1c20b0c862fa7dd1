"""`python -m bench` (make bench): run every benchmark in turn; each prints its own figures."""

from __future__ import annotations

import importlib
import sys
import time

BENCHES = [
    "bench.ingest",
    "bench.costs_query",
    "bench.budgets_check",
    "bench.forecast_backtest",
    "bench.alert_latency",
]


def main() -> None:
    selected = sys.argv[1:] or BENCHES
    for name in selected:
        module_name = name if name.startswith("bench.") else f"bench.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            print(f"== {module_name}: not available ({exc})")
            continue
        print(f"\n== {module_name}")
        started = time.monotonic()
        module.main()
        print(f"   ({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
