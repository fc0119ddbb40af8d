"""The JSON table writes bound their rows (services/indicators/rows.py): the OpenAPI document
shows each row's fields and the most rows a request may carry; one row more is refused with 422
naming the list, and nothing is written (a larger table goes through the file import)."""

from __future__ import annotations

LIMITS = {
    ("put", "/api/v1/frameworks/{framework_id}/scores", "ScoresIn", "scores"): 20_000,
    ("put", "/api/v1/allocation/{grant}/{grant_fy}/inputs", "InputsIn", "rows"): 5_000,
    ("put", "/api/v1/regional/{fiscal_year}/values", "ValuesIn", "values"): 60_000,
    ("put", "/api/v1/regional/{fiscal_year}/national", "NationalIn", "figures"): 1_000,
    ("put", "/api/v1/centres/catalogues/{fiscal_year}", "CatalogueIn", "items"): 1_000,
}


async def test_documented_with_fields_and_max_items(indicators) -> None:  # type: ignore[no-untyped-def]
    async with indicators.client() as c:
        doc = (await c.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    for (_method, _path, model, field), most in LIMITS.items():
        prop = schemas[model]["properties"][field]
        assert prop["maxItems"] == most, (model, prop)
        row = prop["items"]
        assert row["type"] == "object" and row["properties"] and row["required"], (model, row)


async def test_one_row_too_many_is_refused_and_nothing_written(indicators) -> None:  # type: ignore[no-untyped-def]
    row = {"entity_code": "131016", "first_insured": 1000, "requested": 5000}
    async with indicators.client() as c:
        url = "/api/v1/allocation/suishin/2021/inputs"
        before = (await c.get(url)).json()
        r = await c.put(url, json={"rows": [row] * 5_001})
        after = (await c.get(url)).json()
        ok = await c.put(url, json={"rows": [row]})
    assert r.status_code == 422, r.text[:300]
    assert "rows" in str(r.json()["errors"])
    assert after == before
    assert ok.status_code == 200, ok.text[:300]
