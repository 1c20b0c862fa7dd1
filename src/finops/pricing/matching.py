"""Model-id matching: the catalog's match rules, plus the id forms providers actually send."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Bedrock cross-region inference profiles prefix the model id with a geography.
_BEDROCK_GEO_PREFIX = re.compile(r"^(us|eu|apac|ap|global|us-gov|jp|au|ca)\.")


@lru_cache(maxsize=4096)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def is_match(rule: dict[str, Any], text: str) -> bool:
    if "or" in rule:
        return any(is_match(r, text) for r in rule["or"])
    if "and" in rule:
        return all(is_match(r, text) for r in rule["and"])
    if "equals" in rule:
        return text == str(rule["equals"]).lower()
    if "starts_with" in rule:
        return text.startswith(str(rule["starts_with"]).lower())
    if "ends_with" in rule:
        return text.endswith(str(rule["ends_with"]).lower())
    if "contains" in rule:
        return str(rule["contains"]).lower() in text
    if "regex" in rule:
        return _regex(str(rule["regex"])).search(text) is not None
    return False


def candidate_ids(provider: str, model: str) -> list[str]:
    """The model id as sent, then the forms with provider-specific prefixes removed."""
    ref = model.strip().lower()
    candidates = [ref]
    if "/" in ref:  # models/gemini-2.5-flash, publishers/google/models/..., bedrock ARNs
        candidates.append(ref.rsplit("/", 1)[1])
    if provider == "bedrock":
        for c in list(candidates):
            stripped = _BEDROCK_GEO_PREFIX.sub("", c)
            if stripped != c:
                candidates.append(stripped)
                candidates.append("global." + stripped)
    return list(dict.fromkeys(candidates))
