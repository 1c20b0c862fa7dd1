"""Budgets: scopes, split budgets, time-zone periods, status, forecasts and the pre-flight check."""
