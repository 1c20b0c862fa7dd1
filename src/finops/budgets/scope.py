"""Which events and calls a budget applies to, and which split of it they fall in."""

from __future__ import annotations

import json
from collections.abc import Mapping

from finops.models import Budget

EVENT_DIMENSIONS = ("tenant_id", "service", "learner_id", "subject", "provider", "model")


def dimension_value(key: str, dims: Mapping[str, str | None], tags: Mapping[str, str]) -> str:
    """The value of a dimension or `tag:<key>` for a call or event ("" when absent, as in rollups)."""
    if key.startswith("tag:"):
        return tags.get(key[4:], "")
    return dims.get(key) or ""


def matches(budget: Budget, dims: Mapping[str, str | None], tags: Mapping[str, str]) -> bool:
    """True when every scope entry equals the call's value (an absent value matches nothing).

    Values compare exactly, as cost filters do: `model` is the raw model string the events carry."""
    return all(dimension_value(key, dims, tags) == value for key, value in budget.scope.items())


def split_key(split_by: list[str], values: Mapping[str, str | None]) -> str:
    """The stored form of one split: the split values as a JSON list ("" for a budget without split)."""
    if not split_by:
        return ""
    return json.dumps([values.get(k) or "" for k in split_by], separators=(",", ":"))


def split_of(budget: Budget, dims: Mapping[str, str | None], tags: Mapping[str, str]) -> dict[str, str]:
    return {key: dimension_value(key, dims, tags) for key in budget.split_by}


def split_dict(split_by: list[str], values: Mapping[str, str | None]) -> dict[str, str | None]:
    return {key: (values.get(key) or None) for key in split_by}


def split_filters(values: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """A split's values as (dimension filters, tag filters) for a cost query."""
    filters = {k: v for k, v in values.items() if not k.startswith("tag:")}
    tags = {k[4:]: v for k, v in values.items() if k.startswith("tag:")}
    return filters, tags
