"""The fuzzer's own judgement: which 4xx bodies name the problem, which fields a request has."""

from __future__ import annotations

import pytest

from pricing.evaluation.fuzz_bench import Tally, names_problem, request_fields

FIELDS = frozenset({"items", "product_id", "inventory"})


def _body(error: str, *locs: list[str | int]) -> dict[str, object]:
    return {"error": error, "detail": [{"type": "t", "loc": loc, "msg": error} for loc in locs]}


@pytest.mark.parametrize(
    ("status", "body", "named"),
    [
        (400, _body("invalid items[0].inventory: too low", ["items", 0, "inventory"]), True),
        (404, _body("unknown product_id 'X'", ["item"]), True),  # names a request field
        (400, _body("invalid body: Invalid JSON", []), True),  # no location to name
        (401, _body("wrong API key in the Authorization header"), True),
        (413, _body("too many items: 6, the limit is 5", ["items"]), True),
        (413, _body("too big", ["items"]), False),
        (400, _body("1 validation error for Input", ["items"]), False),  # pydantic's title
        (400, _body("bad request", ["items", 0, "inventory"]), False),
        (400, [{"error": "wrapped in a list"}], False),
        (404, "Not Found", False),
        (400, {"error": ""}, False),
    ],
)
def test_a_4xx_must_name_its_field_or_limit(status, body, named):
    assert names_problem(status, body, FIELDS) is named


def test_request_fields_follow_references():
    document = {
        "paths": {"/recommend": {"post": {"requestBody": {"content": {"application/json": {
            "schema": {"properties": {"items": {"items": {"$ref": "#/components/schemas/Item"}}}}
        }}}}}},
        "components": {"schemas": {
            "Item": {"properties": {"product_id": {}, "inventory": {}}},
            "Recommendation": {"properties": {"recommended_price": {}}},
        }},
    }  # fmt: skip
    assert request_fields(document) == FIELDS  # response-only schemas are not requests


def test_the_tally_counts_server_errors_unnamed_4xx_and_violations():
    tally = Tally()
    tally.record("POST /recommend", {}, 200, {"items": []}, [], FIELDS)
    tally.record("POST /recommend", {}, 400, {"error": "1 validation error for Input"}, [], FIELDS)
    tally.record("POST /simulate", {"item": {}}, 500, {"error": "boom"}, ["Server error"], FIELDS)
    tally.record("POST /simulate", {}, 200, {}, ["Response violates schema"], FIELDS)
    figures = tally.figures()
    assert figures["cases"] == 4 and figures["server_errors"] == 1
    assert figures["client_errors"] == 1 and figures["unnamed_4xx"] == 1
    assert figures["schema_violations"] == 1  # each failure kind counted once, apart
    assert [e["status"] for e in figures["examples"]] == [400, 500, 200]
    assert "Authorization" not in str(figures)  # requests are kept without their headers
