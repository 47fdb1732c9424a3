"""The hot path's pipelined Redis read returns exactly what Feast's `get_online_features`
returns for the same keys: materialized batch and model views, a streamed (pushed) row, keys
Feast holds nothing for, repeated keys; and a store that does not answer fails fast."""

from __future__ import annotations

import math
import shutil
import time

import pytest

from pricing.processes import free_port
from pricing.serving.features import FeastFeatureSource, OnlineStoreUnavailable
from pricing.serving.redis_source import RedisFeatureSource
from pricing.settings import Settings, get_settings
from pricing.store import ops
from pricing.store.backends import RedisOnlineStore
from pricing.store.realtime import RealtimeStore
from pricing.streaming.realtime import REALTIME_FEATURES, SALE_IDS

pytestmark = [pytest.mark.integration]


@pytest.fixture
def redis_home(trained_home, redis_url, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A copy of the trained home on Redis (its own Feast project, so its keys are its own),
    materialized, with one streamed row pushed for P0001."""
    source, bentoml_home = trained_home
    shutil.copytree(source, tmp_path / "home")
    monkeypatch.setenv("PRICING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BENTOML_HOME", str(bentoml_home))
    monkeypatch.setenv("PRICING_ONLINE_STORE", "redis")
    monkeypatch.setenv("PRICING_REDIS_URL", redis_url)
    get_settings.cache_clear()
    settings = get_settings()
    ops.apply(settings)
    ops.materialize(settings, full=True)
    now = time.time()
    streamed = {name: now - 5.0 if name.endswith("_time") else 3.21 for name in REALTIME_FEATURES}
    streamed["realtime_substitute_price"] = math.nan  # a field the stream never saw
    streamed |= {"product_id": "P0001", "location_id": "all", SALE_IDS: "s1,s2"}
    RealtimeStore(settings).push([streamed])
    yield settings
    get_settings.cache_clear()


def test_fast_read_equals_feasts_read(redis_home: Settings) -> None:
    keys = [(f"P{i:04d}", "all") for i in range(1, 7)]
    keys += [("NOPE", "all"), ("P0001", "elsewhere"), ("P0002", "all"), ("P0001", "all")]
    fast = RedisFeatureSource(redis_home).read(keys)
    feast = FeastFeatureSource(redis_home).read(keys)
    assert len(fast) == len(feast) == len(keys)
    for key, mine, theirs in zip(keys, fast, feast, strict=True):
        assert set(mine) == set(theirs), (key, set(mine) ^ set(theirs))
        for name, value in theirs.items():
            same = value == mine[name] or (
                isinstance(value, float) and math.isnan(value) and math.isnan(mine[name])
            )
            assert same and type(value) is type(mine[name]), (key, name, value, mine[name])
    assert fast[0]["realtime_competitor_price"] == 3.21  # the pushed row is read
    assert fast[0]["forecast_units"] is not None and fast[0]["last_price__ts"] > 0
    assert fast[6]["last_price"] is None and fast[6]["last_price__ts"] == 0  # never written


def test_a_store_that_does_not_answer_fails_fast(redis_home: Settings) -> None:
    port = free_port()  # nothing listens there
    down = redis_home.model_copy(
        update={"online_store": RedisOnlineStore(url=f"redis://127.0.0.1:{port}/0")}
    )
    source = RedisFeatureSource(down)
    started = time.monotonic()
    with pytest.raises(OnlineStoreUnavailable, match=f"127.0.0.1:{port}"):
        source.read([("P0001", "all")])
    assert time.monotonic() - started < 1.0
