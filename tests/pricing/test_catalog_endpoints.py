"""Reading the catalog over HTTP: models with current prices, one model's history."""

from __future__ import annotations

import httpx

from tests.conftest import TokenFactory


class TestList:
    async def test_filter_by_provider_and_search(self, client: httpx.AsyncClient, auth: TokenFactory) -> None:
        response = await client.get(
            "/v1/pricing/models",
            params={"provider": "openai", "search": "GPT-4O-MINI"},
            headers=auth("analyst", "t"),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        ids = [m["model_id"] for m in body["items"]]
        assert "gpt-4o-mini" in ids
        assert all("gpt-4o-mini" in i for i in ids)
        assert {m["provider"] for m in body["items"]} == {"openai"}
        mini = next(m for m in body["items"] if m["model_id"] == "gpt-4o-mini")
        standard = next(v for v in mini["current"] if v["variant"] == "standard")
        assert standard["rates"]["input_mtok"] == "0.15"
        assert standard["effective_to"] is None
        assert body["revision"] >= 1

    async def test_our_provider_names_map_to_the_catalogs(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        gemini = (
            await client.get(
                "/v1/pricing/models", params={"provider": "gemini", "limit": 5}, headers=auth("admin")
            )
        ).json()
        assert {m["provider"] for m in gemini["items"]} == {"google"}
        bedrock = (
            await client.get(
                "/v1/pricing/models", params={"provider": "bedrock", "limit": 5}, headers=auth("admin")
            )
        ).json()
        assert {m["provider"] for m in bedrock["items"]} == {"aws"}

    async def test_pages(self, client: httpx.AsyncClient, auth: TokenFactory) -> None:
        params = {"provider": "anthropic", "limit": 4}
        first = (await client.get("/v1/pricing/models", params=params, headers=auth("admin"))).json()
        second = (
            await client.get("/v1/pricing/models", params={**params, "offset": 4}, headers=auth("admin"))
        ).json()
        assert first["total"] == second["total"] > 8
        assert len(first["items"]) == len(second["items"]) == 4
        assert not {m["model_id"] for m in first["items"]} & {m["model_id"] for m in second["items"]}

    async def test_needs_a_token(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/v1/pricing/models")).status_code == 401


class TestDetail:
    async def test_o3_has_its_price_history(self, client: httpx.AsyncClient, auth: TokenFactory) -> None:
        body = (await client.get("/v1/pricing/models/openai/o3", headers=auth("analyst", "t"))).json()
        standard = [v for v in body["history"] if v["variant"] == "standard"]
        assert [(v["rates"]["input_mtok"], v["rates"]["output_mtok"]) for v in standard[:2]] == [
            ("10", "40"),
            ("2", "8"),
        ]
        assert standard[0]["effective_to"] == standard[1]["effective_from"] == "2025-06-10T00:00:00Z"
        current = next(v for v in body["current"] if v["variant"] == "standard")
        assert current["rates"]["input_mtok"] == "2"
        assert body["match"]

    async def test_model_ids_with_colons_dots_and_slashes(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        exact = await client.get(
            "/v1/pricing/models/aws/regional.anthropic.claude-sonnet-4-5-20250929-v1:0", headers=auth("admin")
        )
        assert exact.status_code == 200, exact.text
        # The id a caller sends resolves to the catalog model that prices it.
        sent = await client.get(
            "/v1/pricing/models/bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", headers=auth("admin")
        )
        assert sent.json()["model_id"] == "regional.anthropic.claude-sonnet-4-5-20250929-v1:0"
        gemini = await client.get("/v1/pricing/models/gemini/models/gemini-2.5-pro", headers=auth("admin"))
        assert (gemini.json()["provider"], gemini.json()["model_id"]) == ("google", "gemini-2.5-pro")

    async def test_unknown_model(self, client: httpx.AsyncClient, auth: TokenFactory) -> None:
        response = await client.get("/v1/pricing/models/openai/no-such-model-abc", headers=auth("admin"))
        assert (response.status_code, response.json()["error"]["code"]) == (404, "unknown_model")
