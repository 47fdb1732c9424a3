"""The materialization benchmark's pure parts: the feature tables it loads, the bare Redis
rows it writes, the sizing, and the command's --rows."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from pricing.cli import app
from pricing.evaluation.materialize_bench import LOCATIONS, cycled, feature_tables, sizing

AS_OF = pd.Timestamp("2024-06-30", tz="UTC")
VIEWS = {"sales": ["units_ma7", "last_price"], "forecast": ["forecast_units", "forecast_model"]}


def test_feature_tables_hold_one_latest_row_per_series_in_each_view():
    tables = feature_tables(1_200, VIEWS, {"forecast_model"}, AS_OF, seed=3)

    assert set(tables) == set(VIEWS)
    for view, frame in tables.items():
        assert len(frame) == 1_200
        assert not frame.duplicated(["product_id", "location_id"]).any()
        assert frame["location_id"].nunique() == LOCATIONS
        assert frame["product_id"].nunique() == 3  # 1,200 series = 3 products x 500 stores
        assert list(frame.columns[4:]) == VIEWS[view]
        for stamp in ("event_timestamp", "created_timestamp"):
            assert str(frame[stamp].dtype) == "datetime64[us, UTC]"
            assert (frame[stamp] == AS_OF - pd.Timedelta(days=1)).all()
    assert tables["sales"]["units_ma7"].dtype == float
    assert tables["forecast"]["forecast_model"].str.contains(":").all()
    again = feature_tables(1_200, VIEWS, {"forecast_model"}, AS_OF, seed=3)
    pd.testing.assert_frame_equal(tables["sales"], again["sales"])


def test_cycled_rows_repeat_the_sample_under_keys_of_their_own():
    sample = [(b"a|p", {"f": b"1"}), (b"b|p", {"f": b"2"})]

    rows = cycled(sample, 5)

    assert [key for key, _ in rows] == [b"0:a|p", b"1:b|p", b"2:a|p", b"3:b|p", b"4:a|p"]
    assert [m["f"] for _, m in rows] == [b"1", b"2", b"1", b"2", b"1"]


def test_sizing_scales_the_bytes_per_entity_to_products_x_stores():
    table = sizing(1_024.0, [1_024, 2_048], stores=512)

    assert [row["entities"] for row in table] == [1_024 * 512, 2_048 * 512]
    assert [row["gib"] for row in table] == [0.5, 1.0]


@pytest.mark.parametrize("rows", ["abc", "0", "100,-5", ","])
def test_materialize_refuses_rows_that_are_not_positive_sizes(rows):
    result = CliRunner().invoke(app, ["bench", "materialize", "--rows", rows])

    assert result.exit_code == 2
    assert "--rows" in result.output
