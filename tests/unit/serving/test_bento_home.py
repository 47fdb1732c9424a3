"""A bento's packed home: used where the configured home holds no data, copied once, read under
the build home's Feast project; a home with data is served as it is."""

from __future__ import annotations

import pandas as pd

from pricing.data.home import HomeData, write_json_atomic, write_parquet_atomic
from pricing.serving.bento_home import INFO_FILE, recent_rows, serving_settings
from pricing.settings import Settings


def packed_home(root, guardrails: bool = True):
    """A packed home as `pack_home` lays it out (data, home.json, a guardrail file)."""
    data = HomeData(root / "data")
    write_json_atomic({"grain": "daily"}, data.data_dir / "meta.json")
    sales = pd.DataFrame({"product_id": ["P1"], "date": [pd.Timestamp("2024-01-01", tz="UTC")]})
    write_parquet_atomic(sales, data.legacy_path("sales"))
    if guardrails:
        (root / "guardrails.yaml").write_text("default: {}\n")
    info = {"id": "pricing_abc-123", "project": "pricing_abc", "guardrails": "guardrails.yaml"}
    write_json_atomic(info | ({} if guardrails else {"guardrails": None}), root / INFO_FILE)
    return root


def test_away_from_its_home_the_packed_copy_is_served(tmp_path):
    packed = packed_home(tmp_path / "packed")
    settings = serving_settings(Settings(home=tmp_path / "empty"), packed)
    copy = tmp_path / "empty" / "bentos" / "pricing_abc-123"
    assert settings.home_dir == copy and HomeData(settings.data_dir).exists()
    assert settings.feast_project == "pricing_abc"  # the build home's, not the copy's
    assert settings.guardrails == copy / "guardrails.yaml"
    assert settings.decisions_dir.is_relative_to(copy)
    (copy / "marker").write_text("kept")
    again = serving_settings(Settings(home=tmp_path / "empty"), packed)
    assert again.home_dir == copy and (copy / "marker").exists()  # copied once


def test_a_guardrail_file_configured_where_it_serves_wins(tmp_path):
    packed = packed_home(tmp_path / "packed")
    mine = tmp_path / "mine.yaml"
    settings = serving_settings(Settings(home=tmp_path / "empty", guardrails=mine), packed)
    assert settings.guardrails == mine
    bare = serving_settings(Settings(home=tmp_path / "other"), packed_home(tmp_path / "p2", False))
    assert bare.guardrails is None


def test_a_home_with_data_and_a_checkout_module_are_served_as_configured(tmp_path):
    home = Settings(home=packed_home(tmp_path / "real"))  # holds data
    assert serving_settings(home, packed_home(tmp_path / "packed")) is home
    empty = Settings(home=tmp_path / "empty")
    assert serving_settings(empty, None) is empty
    assert not (tmp_path / "empty" / "bentos").exists()


def test_recent_rows_keep_the_last_periods():
    dates = pd.date_range("2024-01-01", periods=10, freq="D", tz="UTC")
    frame = pd.DataFrame({"date": list(dates) * 2, "product_id": ["a"] * 10 + ["b"] * 10})
    kept = recent_rows(frame, "daily", 3)
    assert sorted(kept["date"].unique()) == list(dates[-3:]) and len(kept) == 6
    assert recent_rows(frame.iloc[:0], "daily", 3).empty
