"""A generated market lands in a home with its seed-format file and its ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from pricing.data.home import HomeData
from pricing.data.ingest import ingest_file
from pricing.data.synthetic import HomeNotEmptyError, generate_into_home, load_truth
from pricing.market.demand import true_expected_units
from pricing.settings import Settings


def test_generate_writes_tables_seed_format_and_truth(tmp_path):
    settings = Settings(home=tmp_path / "gen")
    files = generate_into_home(settings, products=3, days=30, seed=5)
    assert (files.summary.products, files.summary.rows, files.summary.freq) == (3, 90, "daily")
    truth = load_truth(settings)
    assert [p.product_id for p in truth] == ["P0001", "P0002", "P0003"]
    units = true_expected_units(
        truth[0],
        price=truth[0].ref_price,
        competitor_price=truth[0].competitor_ref_price,
        when=HomeData(settings.data_dir).read("sales")["date"].iloc[0],
    )
    assert float(units) > 0
    with pytest.raises(HomeNotEmptyError, match="--overwrite"):
        generate_into_home(settings, products=3, days=30, seed=5)


def test_seed_format_file_reingests_to_the_same_sales(tmp_path):
    settings = Settings(home=tmp_path / "gen")
    files = generate_into_home(settings, products=2, days=20, seed=9)
    other = HomeData(tmp_path / "other" / "data")
    ingest_file(other, files.seed_csv)
    ours = HomeData(settings.data_dir).read("sales")
    theirs = other.read("sales")
    assert np.array_equal(ours["units_sold"], theirs["units_sold"])
    assert np.allclose(ours["price"], theirs["price"])
    assert (theirs["event_timestamp"] - theirs["date"]).eq(np.timedelta64(1, "D")).all()
