"""--map specs: parsing, multi-column ids, clear errors, and the seed's default mapping."""

from __future__ import annotations

import pandas as pd
import pytest

from pricing.data.mapping import MappingError, apply_mapping, parse_map_specs, seed_mapping


def test_parse_single_and_joined_columns() -> None:
    mapping = parse_map_specs(["product_id=region+type", "date=Date", " units = Total Volume "])
    assert mapping == {
        "product_id": ["region", "type"],
        "date": ["Date"],
        "units": ["Total Volume"],
    }


def test_joined_id_uses_colon_separator_and_keeps_row_order() -> None:
    raw = pd.DataFrame(
        {
            "region": ["Albany", "Boston", "Albany"],
            "type": ["conventional", "organic", "organic"],
            "AveragePrice": ["1.33", "1.50", "1.80"],
        }
    )
    out = apply_mapping(raw, parse_map_specs(["product_id=region+type", "price=AveragePrice"]))
    assert list(out.columns) == ["product_id", "price"]
    assert out["product_id"].tolist() == ["Albany:conventional", "Boston:organic", "Albany:organic"]
    assert out["price"].tolist() == ["1.33", "1.50", "1.80"]


def test_unknown_canonical_name() -> None:
    with pytest.raises(MappingError) as caught:
        parse_map_specs(["sku=Product_ID"])
    message = str(caught.value)
    assert "unknown canonical name 'sku'" in message
    assert "product_id" in message  # the accepted names are listed


@pytest.mark.parametrize(
    "spec", ["product_id", "product_id=", "product_id=  ", "product_id=region+", "date=+Date"]
)
def test_malformed_spec(spec: str) -> None:
    with pytest.raises(MappingError, match=r"expected CANONICAL=COLUMN\[\+COLUMN\]"):
        parse_map_specs([spec])


def test_missing_source_column_is_named() -> None:
    raw = pd.DataFrame({"region": ["Albany"], "Date": ["2015-01-04"]})
    with pytest.raises(MappingError) as caught:
        apply_mapping(raw, parse_map_specs(["product_id=region+type", "date=Date"]))
    message = str(caught.value)
    assert "missing column(s) 'type'" in message
    assert "'region'" in message  # what the file does have


def test_seed_mapping_without_optional_columns() -> None:
    mapping = seed_mapping(["Product_ID", "Date", "Sales", "Price"])
    assert mapping == {
        "product_id": ["Product_ID"],
        "date": ["Date"],
        "units": ["Sales"],
        "price": ["Price"],
    }


def test_seed_mapping_with_optional_columns() -> None:
    mapping = seed_mapping(
        ["Product_ID", "Date", "Sales", "Price", "Competitor_Price", "Inventory", "Extra"]
    )
    assert mapping["competitor_price"] == ["Competitor_Price"]
    assert mapping["inventory"] == ["Inventory"]
    assert "Extra" not in {c for cols in mapping.values() for c in cols}


def test_seed_mapping_always_asks_for_required_columns() -> None:
    raw = pd.DataFrame({"Product_ID": ["p1"], "Date": ["2024-01-01"], "Sales": ["1"]})
    with pytest.raises(MappingError, match="missing column\\(s\\) 'Price'"):
        apply_mapping(raw, seed_mapping(raw.columns))
