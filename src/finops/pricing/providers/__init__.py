"""Our provider names, the catalog providers that price them, and one usage parser per provider."""

from __future__ import annotations

from typing import Literal

Provider = Literal["openai", "gemini", "bedrock", "anthropic", "azure_openai"]
PROVIDERS: tuple[str, ...] = ("openai", "gemini", "bedrock", "anthropic", "azure_openai")

# Catalog providers searched, in order, for a model sent under each of our provider names.
CATALOG_PROVIDERS: dict[str, tuple[str, ...]] = {
    "openai": ("openai",),
    "azure_openai": ("azure", "openai"),
    "gemini": ("google",),
    "anthropic": ("anthropic",),
    "bedrock": ("aws",),
}
