"""Forecasts on demand: the forecaster is asked only for missing or stale published forecasts,
once per request, and a failing forecaster leaves flagged fallbacks, not errors."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
import pytest
from pydantic import ValidationError

from pricing.serving.breaker import Breaker
from pricing.serving.catalog import UnknownItemError
from pricing.serving.features import TS, OnlineStoreUnavailable, freshness_problem
from pricing.serving.forecast_desk import BeyondModelError, ForecastDesk, planned_prices
from pricing.serving.forecasts import (
    GAP,
    LIVE,
    PUBLISHED,
    SOURCE,
    ForecastBatch,
    ForecastingSource,
    ForecastUnavailable,
    SeriesAsk,
    SeriesForecast,
    forecast_problem,
    needs_live_forecast,
)
from pricing.serving.http_requests import Item
from pricing.serving.response_at import ItemUnpriced
from tests.unit.serving.conftest import AS_OF

MAX_AGE = pd.Timedelta(days=2)
FORECAST = ("forecast_units", "forecast_q10", "forecast_q90", "forecast_ref_price")


@dataclass
class FakeForecaster:
    """Answers every ask with flat quantiles (or fails), counting its calls."""

    history_end: pd.Timestamp = AS_OF
    fail: Exception | None = None
    calls: list[list[SeriesAsk]] = field(default_factory=list)

    def forecast(self, asks: Sequence[SeriesAsk], horizon: int | None = None) -> ForecastBatch:
        self.calls.append(list(asks))
        if self.fail is not None:
            raise self.fail
        horizon = horizon or 3
        plan = lambda a: (list(a.prices) or [5.0]) + [(a.prices or [5.0])[-1]] * horizon  # noqa: E731
        series = [
            SeriesForecast(
                product_id=a.product_id,
                location_id=a.location_id,
                prices=plan(a)[:horizon],
                q10=[8.0] * horizon,
                q50=[10.0] * horizon,
                q90=[12.0] * horizon,
                error="no sales history" if a.product_id == "UNSEEN" else None,
            )
            for a in asks
        ]
        dates = [d.date().isoformat() for d in pd.date_range(self.history_end, periods=horizon)]
        return ForecastBatch(
            model="pricing-demand:live",
            grain="daily",
            history_end=self.history_end.to_pydatetime(),
            dates=dates,
            series=series,
        )

    async def aforecast(
        self, asks: Sequence[SeriesAsk], horizon: int | None = None
    ) -> ForecastBatch:
        return self.forecast(asks, horizon)


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


def wrap(world, client, clock: Clock | None = None) -> ForecastingSource:
    breaker = Breaker(5.0, clock or Clock())
    return ForecastingSource(world.source, client, lambda: AS_OF, MAX_AGE, breaker)


def drop_forecast(world, product: str) -> None:
    row = world.source.rows[(product, "all")]
    for name in FORECAST:
        row.pop(name, None)
        row.pop(name + TS, None)


def age_forecast(world, product: str, days: int) -> None:
    row = world.source.rows[(product, "all")]
    for name in FORECAST:
        row[name + TS] = (AS_OF - pd.Timedelta(days=days)).timestamp()


def recommend(world, source):
    items = [Item(product_id=p) for p in sorted(world.params)]
    return world.engine.recommend(items, source)[0]


def test_fresh_published_forecasts_never_call_the_forecaster(world):
    client = FakeForecaster()
    answers = recommend(world, wrap(world, client))
    assert client.calls == []  # no live forecast, so no TensorFlow, on the hot path
    assert all(not a["fallback"] for a in answers)


def test_missing_and_stale_forecasts_are_made_live_in_one_call(world):
    first, second, *_ = sorted(world.params)
    drop_forecast(world, first)
    age_forecast(world, second, days=5)
    client = FakeForecaster()
    source = wrap(world, client)
    rows = source.read([(p, "all") for p in sorted(world.params)])
    assert [[a.product_id for a in call] for call in client.calls] == [[first, second]]
    assert [r[SOURCE] for r in rows[:3]] == [LIVE, LIVE, PUBLISHED]
    live = rows[0]
    assert live["forecast_units"] == 10.0 and live["forecast_q90"] == 12.0
    assert live["forecast_ref_price"] == pytest.approx(live["last_price"])  # price in effect
    assert live["forecast_units" + TS] == AS_OF.timestamp()
    assert live["forecast_model"] == "pricing-demand:live"
    answers = recommend(world, wrap(world, FakeForecaster()))
    assert all(not a["fallback"] for a in answers)
    assert answers[0]["model_version"]["forecast"] == "pricing-demand:live"


def test_a_failing_forecaster_leaves_flagged_rows_and_is_not_asked_again_at_once(world):
    first = sorted(world.params)[0]
    drop_forecast(world, first)
    clock = Clock()
    client = FakeForecaster(fail=ForecastUnavailable("forecaster did not answer within 0.5 s"))
    source = wrap(world, client, clock)
    row = source.read([(first, "all")])[0]
    assert row[GAP] == "forecaster did not answer within 0.5 s"
    assert "forecast_units" not in row and row[SOURCE] == PUBLISHED
    answer = recommend(world, source)[0]
    assert answer["fallback"] and "forecast_units" in answer["fallback_reason"]
    assert len(client.calls) == 1  # the second request did not wait on it again
    assert "not asked for" in source.read([(first, "all")])[0][GAP]
    clock.now = 6.0
    client.fail = None
    assert source.read([(first, "all")])[0][SOURCE] == LIVE  # asked again, and answered
    assert len(client.calls) == 2


def test_any_client_error_is_a_gap_not_a_failed_request(world):
    first = sorted(world.params)[0]
    drop_forecast(world, first)
    source = wrap(world, FakeForecaster(fail=RuntimeError("socket closed")))
    assert source.read([(first, "all")])[0][GAP] == "forecaster failed: RuntimeError: socket closed"


def test_rows_that_would_fall_back_anyway_are_not_forecast(world):
    first = sorted(world.params)[0]
    drop_forecast(world, first)
    row = world.source.rows[(first, "all")]
    row.pop("elasticity")
    client = FakeForecaster()
    wrap(world, client).read([(first, "all")])
    assert client.calls == []


def test_a_live_forecast_from_old_history_is_not_used(world):
    first = sorted(world.params)[0]
    drop_forecast(world, first)
    client = FakeForecaster(history_end=AS_OF - pd.Timedelta(days=10))
    source = wrap(world, client)
    row = source.read([(first, "all")])[0]
    assert "live forecast unusable (stale features" in row[GAP]
    assert "forecast_units" not in row
    again = source.read([(first, "all")])[0]
    assert "too old for as-of" in again[GAP] and len(client.calls) == 1


def test_a_series_the_forecaster_does_not_know_is_flagged(world):
    source = ForecastingSource(
        type(world.source)({}), FakeForecaster(), lambda: AS_OF, MAX_AGE, Breaker(5.0)
    )
    fresh = {"last_price": 5.0, "elasticity": -2.0}
    fresh |= {f"{name}{TS}": AS_OF.timestamp() for name in list(fresh)}
    source.inner.rows[("UNSEEN", "all")] = fresh
    assert source.read([("UNSEEN", "all")])[0][GAP] == "forecaster: no sales history"


def test_forecast_freshness_follows_the_feature_rules():
    now = AS_OF.timestamp()
    good = {"forecast_units": 3.0, "forecast_ref_price": 5.0}
    good |= {f"{n}{TS}": now for n in list(good)}
    full = good | {"last_price": 5.0, "elasticity": -2.0, f"last_price{TS}": now}
    full[f"elasticity{TS}"] = now
    assert forecast_problem(good, AS_OF, MAX_AGE) is None
    assert needs_live_forecast(full, AS_OF, MAX_AGE) is None
    for broken in ({"forecast_units": None}, {f"forecast_ref_price{TS}": now - 3 * 86400}):
        row = full | broken
        assert forecast_problem(row, AS_OF, MAX_AGE) == freshness_problem(row, AS_OF, MAX_AGE)
        assert needs_live_forecast(row, AS_OF, MAX_AGE) is not None


def test_planned_prices_from_a_request():
    assert planned_prices([2.0, 3.0], None, None, 7) == [2.0, 3.0]
    assert planned_prices([2.0, 3.0], None, 4, 7) == [2.0, 3.0, 3.0, 3.0]
    assert planned_prices(None, 2.5, None, 3) == [2.5, 2.5, 2.5]
    assert planned_prices(None, 2.5, 2, 3) == [2.5, 2.5]
    for prices, price in (([2.0], 2.0), (None, None)):
        with pytest.raises(ValidationError, match="either `prices`") as error:
            planned_prices(prices, price, None, 7)
        assert error.value.errors()[0]["loc"] == ("prices",)
    with pytest.raises(ValidationError, match="prices has 3 values for horizon 2"):
        planned_prices([1.0, 2.0, 3.0], None, 2, 7)
    with pytest.raises(BeyondModelError, match="horizon 8 is beyond the demand model's 7"):
        planned_prices(None, 2.0, 8, 7)
    with pytest.raises(BeyondModelError, match="prices has 8 values"):
        planned_prices([1.0] * 8, None, None, 7)


def desk(world, client) -> ForecastDesk:
    respond = lambda item, prices: world.engine.response_at(item, prices, world.source)  # noqa: E731
    return ForecastDesk(world.engine.catalog, client, respond, 7, lambda: AS_OF, {"bento": "b:1"})


def test_forecast_desk_answers_with_quantiles_and_history_age(world):
    first = sorted(world.params)[0]
    client = FakeForecaster(history_end=AS_OF - pd.Timedelta(days=3))
    answer = asyncio.run(desk(world, client).answer(first, None, [4.0, 4.5], None, 3))
    assert answer["location_id"] == "all" and answer["horizon"] == 3
    assert [p["price"] for p in answer["points"]] == [4.0, 4.5, 4.5]
    assert set(answer["points"][0]) == {
        "date", "price", "expected_units", "q10", "q50", "q90",
        "response_confidence", "trusted", "trust_reason",
    }  # fmt: skip
    assert answer["points"][0]["date"] == (AS_OF - pd.Timedelta(days=3)).date().isoformat()
    assert all(p["trusted"] and p["trust_reason"] is None for p in answer["points"])
    assert answer["model_version"] == {"bento": "b:1", "demand": "pricing-demand:live"}
    assert answer["history_age_periods"] == 3.0
    assert datetime.fromisoformat(answer["history_end"]) == AS_OF - pd.Timedelta(days=3)


def test_forecast_is_the_forecaster_at_the_reference_price_times_the_response(world):
    """One source of demand at a price: the forecaster is asked at the published forecast's
    reference price, and its quantiles scaled as /simulate scales the published forecast."""
    first = sorted(world.params)[0]
    client = FakeForecaster()
    plan = [4.0, 4.5, 5.5]
    answer = asyncio.run(desk(world, client).answer(first, None, plan, None, 3))
    ref = answer["ref_price"]
    assert [a.prices for a in client.calls[0]] == [[ref]]
    item = Item(product_id=first)
    simulated = world.engine.simulate(item, plan, world.source)["points"]
    base = world.source.read([(first, "all")])[0]["forecast_units"]
    for point, what_if in zip(answer["points"], simulated, strict=True):
        ratio = what_if["expected_units"] / base  # the what-if's response at this price
        assert point["q50"] == pytest.approx(10.0 * ratio, rel=1e-3)
        assert point["q10"] == pytest.approx(8.0 * ratio, rel=1e-3)
        assert point["q90"] == pytest.approx(12.0 * ratio, rel=1e-3)
        assert point["expected_units"] == point["q50"]
    q50 = [p["q50"] for p in answer["points"]]
    assert q50[0] > q50[1] > q50[2]  # dearer, fewer
    at_ref = asyncio.run(desk(world, client).answer(first, None, None, ref, 2))
    assert [p["q50"] for p in at_ref["points"]] == pytest.approx([10.0, 10.0])


def test_forecast_gives_no_figure_where_the_response_is_not_trusted(world):
    first = sorted(world.params)[0]
    answer = asyncio.run(desk(world, FakeForecaster()).answer(first, None, [0.01], None, 1))
    point = answer["points"][0]
    assert point["trusted"] is False and "not trusted" in point["trust_reason"]
    assert point["q10"] is point["q50"] is point["q90"] is point["expected_units"] is None


def test_forecast_desk_errors(world):
    with pytest.raises(UnknownItemError, match="'NOPE'"):
        asyncio.run(desk(world, FakeForecaster()).answer("NOPE", None, None, 2.0, None))
    failing = FakeForecaster(fail=ForecastUnavailable("forecaster unreachable"))
    first = sorted(world.params)[0]
    with pytest.raises(ForecastUnavailable, match="unreachable"):
        asyncio.run(desk(world, failing).answer(first, None, None, 2.0, None))
    world.source.rows.pop((first, "all"))  # no online row: no response to scale by
    with pytest.raises(BeyondModelError, match=f"cannot forecast {first}: missing features"):
        asyncio.run(desk(world, FakeForecaster()).answer(first, None, None, 2.0, None))


class DownStore:
    """An online store that does not answer."""

    def read(self, keys: Sequence[tuple[str, str]]) -> list[dict]:
        raise OnlineStoreUnavailable("online store redis://x did not answer")


def test_an_online_store_outage_is_unavailable_not_a_bad_request(world):
    first = sorted(world.params)[0]
    respond = lambda item, prices: world.engine.response_at(item, prices, DownStore())  # noqa: E731
    down = ForecastDesk(world.engine.catalog, FakeForecaster(), respond, 7, lambda: AS_OF, {})
    with pytest.raises(ForecastUnavailable, match="redis://x did not answer"):
        asyncio.run(down.answer(first, None, None, 2.0, None))
    with pytest.raises(ItemUnpriced) as simulated:
        world.engine.simulate(Item(product_id=first), [2.0], DownStore())
    assert simulated.value.unavailable  # /simulate answers 503 too


def test_a_down_forecaster_is_unavailable_but_old_history_is_not(world):
    """A published forecast to be made live: 503 when the forecaster could not be asked
    (a retry may succeed), 422 when its history is too old (a retry will not)."""
    first = sorted(world.params)[0]
    drop_forecast(world, first)
    down = wrap(world, FakeForecaster(fail=ConnectionError("refused")))
    with pytest.raises(ItemUnpriced, match="refused") as failed:
        world.engine.response_at(Item(product_id=first), [2.0], down)
    assert failed.value.unavailable
    old = wrap(world, FakeForecaster(history_end=AS_OF - pd.Timedelta(days=10)))
    old.read([(first, "all")])  # learns how old the forecaster's history is
    with pytest.raises(ItemUnpriced, match="too old for as-of") as stale:
        world.engine.response_at(Item(product_id=first), [2.0], old)
    assert not stale.value.unavailable
