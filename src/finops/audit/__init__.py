"""Audit log: every change to prices, tenant rates, budgets, alerts and every re-price."""
