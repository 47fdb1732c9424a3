"""Guardrails under generation: whatever the rules, features and request, no price breaks them.

Each case is one request to the in-memory engine (``conftest.py``'s fitted world) under a
generated guardrail policy (default, per-category and per-product overrides of every rule), a
generated products table (unit cost, absolute limits, category), generated feature rows (prices,
competitor prices far above and below, zero or huge stock, NaN, None or missing values, stale
rows) and generated items (the agent path, the fallback path, client ``competitor_price`` and
``inventory`` overrides, unknown items), plus items that differ only in the competitor
price. The oracle recomputes the rules from the generated inputs, not from the ladder.

`make test` runs the ``dev`` hypothesis profile (500 cases); the full 10,000-case run:

    PRICING_HYPOTHESIS_PROFILE=full .venv/bin/pytest \\
        tests/unit/serving/test_guardrail_properties.py -p no:cacheprovider \\
        --hypothesis-show-statistics
"""

from __future__ import annotations

import itertools
import math
import pprint
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from pricing.models.agent import N_ACTIONS, OBS_SIZE
from pricing.models.agent_export import NumpyPolicy
from pricing.models.elasticity import PriceResponseModel
from pricing.policy.guardrails import GuardrailPolicy
from pricing.serving.catalog import Catalog
from pricing.serving.engine import Engine, EngineConfig
from pricing.serving.features import REQUIRED, number, prefer_realtime
from pricing.serving.http_requests import MAX_PRICE, MAX_UNITS, MIN_PRICE, Item
from tests.unit.serving.conftest import AS_OF, DictSource, feature_rows, random_agent

PRODUCTS = [f"P{i:04d}" for i in range(1, 7)]
CATEGORIES = ["personal_care", "beverages", "household", "toys"]
FRESH, STALE = AS_OF.timestamp(), (AS_OF - pd.Timedelta(days=10)).timestamp()
MAX_AGE = pd.Timedelta(days=2)
NAN = float("nan")
DROP, TS = "<no key>", "<event times>"
EXTREME_PRICES = st.sampled_from([MIN_PRICE, MAX_PRICE])  # what a client may send, at the edges
EXTREME_STOCK = st.sampled_from([0.0, MAX_UNITS])


def contrarian_agent() -> NumpyPolicy:
    """An agent that cuts the dearer the competitor (observation 1: competitor / reference - 1)
    and raises the cheaper: only the engine's monotone construction keeps its answers
    non-decreasing in the competitor price."""
    hidden = np.zeros((1, OBS_SIZE), np.float32)
    hidden[0, 1] = -5.0
    moves = np.linspace(-1.0, 1.0, N_ACTIONS, dtype=np.float32)[:, None]
    return NumpyPolicy(
        [(hidden, np.zeros(1, np.float32))], (10.0 * moves, np.zeros(N_ACTIONS, np.float32))
    )


AGENTS = [contrarian_agent(), *(random_agent(seed) for seed in range(1, 4))]


def log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats spread evenly over orders of magnitude (far below and far above alike)."""
    return st.floats(math.log(low), math.log(high)).map(lambda x: min(max(math.exp(x), low), high))


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def weighted(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], odds: int) -> Any:
    """``rare`` once in ``odds`` draws, else ``common`` (shrinking towards ``common``).

    ``st.one_of`` cannot weight by repeating a branch: it drops repeated strategies.
    """
    return st.sampled_from([False] * (odds - 1) + [True]).flatmap(lambda r: rare if r else common)


RULES: dict[str, st.SearchStrategy[Any]] = {
    "min_margin": st.one_of(st.floats(0.0, 0.5), st.floats(0.0, 3.0)),
    "observed_range": st.floats(0.0, 0.99),
    "min_price": maybe(log_uniform(0.01, 40.0)),
    "max_price": maybe(log_uniform(0.01, 40.0)),
    "max_change": maybe(st.floats(0.001, 1.0)),
    "competitor_band": maybe(
        st.tuples(st.floats(0.3, 1.5), st.floats(1.0, 3.0)).map(lambda t: (t[0], t[0] * t[1]))
    ),
    "price_endings": maybe(
        st.lists(st.sampled_from([0.0, 0.09, 0.49, 0.5, 0.95, 0.99]), min_size=1, max_size=3)
    ),
    "ladder_step": st.floats(0.001, 0.3),
    "max_points": st.integers(1, 300),
}


@st.composite
def some_of(draw: st.DrawFn, values: dict[str, st.SearchStrategy[Any]], odds: int = 3) -> dict:
    """Each key about once in ``odds`` draws, with a value from its strategy (cheaper than
    ``st.fixed_dictionaries(optional=...)``, and sparser: a few rules or changes at a time)."""
    return {name: draw(value) for name, value in values.items() if draw(PICK[odds])}


PICK = {odds: st.sampled_from([False] * (odds - 1) + [True]) for odds in (2, 3)}
OVERRIDE = some_of(RULES)


@st.composite
def policies(draw: st.DrawFn, products: list[str], categories: list[str]) -> GuardrailPolicy:
    """A valid policy with overrides for some of the given products and categories: an absolute
    floor above the ceiling is refused at load time, so each override's limits are drawn in
    order; any other mix of rules is allowed."""

    def ordered(override: dict[str, Any]) -> dict[str, Any]:
        low, high = override.get("min_price"), override.get("max_price")
        if low is not None and high is not None and low > high:
            override["min_price"], override["max_price"] = high, low
        return override

    def some(names: list[str]) -> dict[str, dict[str, Any]]:
        return draw(some_of(dict.fromkeys(names, OVERRIDE), odds=2))

    default = ordered(draw(OVERRIDE))
    by_category = {name: ordered(o) for name, o in some(categories).items()}
    by_product = {name: ordered(o) for name, o in some(products).items()}
    try:
        return GuardrailPolicy(default=default, categories=by_category, products=by_product)
    except ValueError:  # refused at load time: an override's min_price above the default's max
        return GuardrailPolicy(default=default)


PRODUCT_INFO = st.fixed_dictionaries(
    {
        "category": st.sampled_from([*CATEGORIES, None]),
        "unit_cost": weighted(  # mostly below the prices seen; unknown, zero or far off else
            st.floats(0.5, 8.0),
            st.one_of(log_uniform(0.01, 60.0), st.sampled_from([None, NAN, 0.0])),
            3,
        ),
        "min_price": weighted(st.none(), log_uniform(0.01, 40.0), 4),  # may exceed max_price
        "max_price": weighted(st.none(), log_uniform(0.01, 40.0), 4),
    }
)


MISSING = st.sampled_from([NAN, None, DROP])  # a NaN, Feast's None, or no key at all
NEAR = st.floats(3.0, 15.0)  # the world's prices lie between 4.19 and 12.99
PRICE = st.one_of(NEAR, log_uniform(0.01, 500.0))
#: Garbage the engine must survive: non-positive prices, NaN, None, no key.
GARBAGE = st.one_of(st.sampled_from([0.0, -1.0]), MISSING)
#: Event times: fresh for most rows, else some required feature is stale or unstamped.
STAMPS = weighted(
    st.just({}),
    st.dictionaries(st.sampled_from(REQUIRED), st.sampled_from([STALE, 0.0]), min_size=1),
    8,
)
ROW_VALUES = {
    "last_price": weighted(PRICE, GARBAGE, 6),
    "competitor_min_price": st.one_of(log_uniform(0.005, 5000.0), PRICE, GARBAGE),
    "on_hand": st.one_of(st.sampled_from([0.0, 1e12]), st.floats(0.0, 1e4), MISSING),
    "forecast_units": weighted(
        st.one_of(st.sampled_from([0.0, 1e9]), st.floats(0.0, 1e4)), MISSING, 8
    ),
    "forecast_ref_price": weighted(PRICE, GARBAGE, 8),
    "elasticity": weighted(st.one_of(st.floats(-4.0, -0.5), st.floats(-10.0, 2.0)), MISSING, 8),
    "units_ma7": st.one_of(st.floats(0.0, 1e5), MISSING),
    "days_of_cover": st.one_of(st.floats(0.0, 1e6), MISSING),
    "realtime_competitor_price": log_uniform(0.005, 5000.0),
    "realtime_competitor_price_time": st.sampled_from([FRESH - 3600.0, FRESH + 60.0]),
}
ROW_CHANGES = st.tuples(STAMPS, some_of(ROW_VALUES)).map(lambda t: {TS: t[0], **t[1]})
#: A row's generated changes to the fitted world's one (None: Feast knows nothing about it).
ROW = weighted(ROW_CHANGES, st.none(), 12)


def changed(base: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    """The fitted world's row with the generated changes applied."""
    if changes is None:
        return {}
    row = dict(base)
    for name, value in changes.items():
        if name == TS:
            row.update({feature + "__ts": stamp for feature, stamp in value.items()})
        elif value is DROP:
            row.pop(name, None)
        else:
            row[name] = value
    return row


ITEMS = st.lists(
    st.builds(
        Item,
        product_id=st.sampled_from([*PRODUCTS, "NOPE"]),
        location_id=st.sampled_from([None, None, "all", "X"]),
        competitor_price=maybe(st.one_of(log_uniform(MIN_PRICE, 2000.0), EXTREME_PRICES)),
        inventory=maybe(st.one_of(EXTREME_STOCK, st.floats(0.0, 1e6))),
    ),
    min_size=0,
    max_size=4,
)


@st.composite
def competitor_ladder(draw: st.DrawFn) -> list[Item]:
    """Items alike but for the competitor price, each dearer than the one before (mostly near
    our prices, where the band and the agent's answer actually move)."""
    product = draw(st.sampled_from(PRODUCTS))
    price = draw(st.one_of(st.floats(2.0, 20.0), log_uniform(MIN_PRICE, 500.0)))
    steps = draw(
        st.lists(st.one_of(st.floats(1.0, 1.1), log_uniform(1.0, 10.0)), min_size=1, max_size=3)
    )
    inventory = draw(maybe(st.sampled_from([0.0, 50.0, MAX_UNITS])))
    prices = [price]
    for step in steps:
        prices.append(min(prices[-1] * step, MAX_PRICE))
    return [Item(product_id=product, competitor_price=c, inventory=inventory) for c in prices]


@dataclass
class Case:
    """One request and the world it meets (rows: the generated changes only)."""

    policy: GuardrailPolicy
    products: dict[str, dict[str, Any]]  # the products table, for the requested products
    rows: dict[str, dict[str, Any] | None]
    items: list[Item]
    rivals: list[Item]  # the same item against ever dearer competitors
    agent: int  # which of AGENTS
    reward: str


@st.composite
def cases(draw: st.DrawFn) -> Case:
    items, rivals = draw(ITEMS), draw(competitor_ladder())
    asked = sorted({i.product_id for i in [*items, *rivals] if i.product_id in PRODUCTS})
    products = {p: draw(PRODUCT_INFO) for p in asked}
    categories = sorted({info["category"] for info in products.values() if info["category"]})
    return Case(
        draw(policies(asked, categories)),
        products,
        {p: draw(ROW) for p in asked},
        items,
        rivals,
        draw(st.integers(0, len(AGENTS) - 1)),
        draw(st.sampled_from(["revenue", "profit"])),
    )


# ------------------------------------------------------------------------------------ oracle
def ceil_cents(value: float) -> float:
    return math.ceil(round(value * 100.0, 6)) / 100.0


def floor_cents(value: float) -> float:
    return math.floor(round(value * 100.0, 6)) / 100.0


def positive(value: Any) -> float | None:
    x = NAN if value is None else float(value)
    return x if math.isfinite(x) and x > 0 else None


def effective_rules(policy: GuardrailPolicy, category: str | None, product: str) -> dict:
    """default < category < product, merged here rather than by ``for_product``."""
    rules = policy.default.model_dump()
    rules.update(policy.categories.get(category, {}) if category else {})
    rules.update(policy.products.get(product, {}))
    return rules


def expects_fallback(row: dict[str, Any]) -> bool:
    """Missing or stale required features: the engine must fall back, and say so."""
    if any(not math.isfinite(number(row, name)) for name in REQUIRED):
        return True
    stamps = [number(row, name + "__ts") for name in REQUIRED]
    return any(
        not math.isfinite(s) or s <= 0 or s < FRESH - MAX_AGE.total_seconds() for s in stamps
    )


def check_answer(
    case: Case, series: pd.DataFrame, row: dict[str, Any], item: Item, answer: dict
) -> None:
    """Every hard rule holds; a soft rule holds or its conflict is reported; hard wins."""
    product = item.product_id
    if product not in case.products or item.location_id == "X":
        assert "error" in answer and product in answer["error"], answer
        event("path: unknown item")
        return
    assert "error" not in answer, answer
    info = case.products[product]
    rules = effective_rules(case.policy, info["category"], product)
    observed = series.loc[(product, "all")]  # the prices the model was fitted on
    price = answer["recommended_price"]
    assert math.isfinite(price) and price > 0, answer
    assert abs(price * 100 - round(price * 100)) < 1e-6, f"{price} is not in cents"

    r, cost = rules["observed_range"], positive(info["unit_cost"])
    floors = [observed["min_price"] * (1 - r)]
    floors += [] if cost is None else [cost * (1 + rules["min_margin"])]
    floors += [v for v in (positive(info["min_price"]), rules["min_price"]) if v is not None]
    ceilings = [observed["max_price"] * (1 + r)]
    ceilings += [v for v in (positive(info["max_price"]), rules["max_price"]) if v is not None]
    floor, ceiling = max(floors), min(ceilings)
    rails = answer["guardrails_applied"]
    conflicts = " | ".join(rails["conflicts"])
    low, high = rails["allowed_range"]
    assert low - 1e-9 <= price <= high + 1e-9, answer
    if ceil_cents(floor) > floor_cents(ceiling):  # the hard rules contradict each other
        event("hard rules conflict")
        assert price == ceil_cents(floor), (floor, ceiling, answer)  # the floor wins
        assert "only the floor price" in conflicts, answer
        return
    assert floor - 1e-6 <= price <= ceiling + 1e-6, (floor, ceiling, answer)

    current = positive(number(row, "last_price"))
    competitor = positive(item.competitor_price or number(row, "competitor_min_price"))
    if rules["max_change"] is not None and current is not None:
        m, held = rules["max_change"], round(current, 2)
        inside = ceil_cents(held * (1 - m)) - 1e-9 <= price <= floor_cents(held * (1 + m)) + 1e-9
        assert inside or "max change" in conflicts, (current, m, answer)
    if rules["competitor_band"] is not None and competitor is not None:
        band_low, band_high = rules["competitor_band"]
        inside = ceil_cents(competitor * band_low) - 1e-9 <= price
        inside &= price <= floor_cents(competitor * band_high) + 1e-9
        assert inside or "competitor band" in conflicts, (competitor, band_low, answer)
    if rules["price_endings"] and "price endings dropped" not in conflicts:
        cents = round(price * 100) % 100
        endings = {round(e * 100) for e in rules["price_endings"]}
        kept = current is not None and price == round(current, 2)  # keeping is always allowed
        assert cents in endings or kept, (rules["price_endings"], answer)
    if conflicts:
        event("soft rule gave way")


def check_path(row: dict[str, Any], item: Item, answer: dict) -> None:
    """Missing or stale features give a flagged fallback; otherwise the agent decided."""
    if "error" in answer:
        return
    fallback = expects_fallback(row)
    if min(number(row, "last_price"), number(row, "forecast_ref_price")) <= 0:
        fallback = True  # garbage prices, however fresh
    assert answer["fallback"] is fallback, answer
    if fallback:
        event("path: fallback")
        assert answer["policy"] == "fallback" and answer["fallback_reason"], answer
        return
    overridden = item.competitor_price is not None or item.inventory is not None
    event("path: agent" + (" with client overrides" if overridden else ""))
    assert answer["policy"] == "ppo"
    confidence = answer["confidence"]
    assert confidence is None or 0.0 <= confidence <= 1.0, answer


@pytest.fixture(scope="module")
def fitted_world(fitted) -> tuple[PriceResponseModel, dict[tuple[str, str], dict[str, Any]]]:
    """The session's fitted price response and its fresh feature rows."""
    frame, _, model = fitted
    return model, feature_rows(frame, AS_OF, model)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy on garbage rows (a 0 reference)
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases())
def test_no_price_ever_breaks_a_hard_rule(fitted_world, case: Case) -> None:
    try:
        check_request(fitted_world, case)
    except BaseException:
        note(pprint.pformat(case, width=100))  # the shrunk case (the report shows `case=` bare)
        raise


def check_request(fitted_world, case: Case) -> None:
    """One request through the engine: every answer checked, and the rivals' monotonicity."""
    model, base = fitted_world
    rows = {(p, "all"): changed(base[(p, "all")], c) for p, c in case.rows.items()}
    products = pd.DataFrame([{"product_id": p, **info} for p, info in case.products.items()])
    engine = Engine(
        model,
        AGENTS[case.agent],
        Catalog(products, model.series),
        case.policy,
        {"bento": "", "elasticity": "e:1", "agent": "a:1", "snapshot": "snap_x"},
        lambda: AS_OF,
        EngineConfig(reward=case.reward, max_age=MAX_AGE),
    )
    items = [*case.items, *case.rivals]
    answers, records = engine.recommend(items, DictSource(dict(rows)))
    assert len(answers) == len(items)
    assert len(records) == sum("error" not in a for a in answers)
    for item, answer in zip(items, answers, strict=True):
        # the engine's own view of the row: streamed values replace older batch ones
        row = prefer_realtime(dict(rows.get((item.product_id, "all"), {})))
        check_answer(case, model.series, row, item, answer)
        check_path(row, item, answer)
    for record in records:
        allowed = np.asarray(record["allowed_prices"])
        assert np.isclose(allowed, record["recommended_price"], atol=1e-6).any(), record
    rivals = answers[len(case.items) :]  # a dearer competitor never lowers our price
    for cheaper, dearer in itertools.pairwise(rivals):
        assert dearer["recommended_price"] >= cheaper["recommended_price"], (cheaper, dearer)


def engine_for(fitted_world, policy: GuardrailPolicy) -> tuple[Engine, DictSource]:
    model, base = fitted_world
    products = pd.DataFrame({"product_id": ["P0001"], "category": ["personal_care"]})
    engine = Engine(model, AGENTS[1], Catalog(products, model.series), policy, {}, lambda: AS_OF)
    return engine, DictSource({k: dict(v) for k, v in base.items()})


def test_a_category_floor_above_a_product_ceiling_is_a_reported_hard_conflict(fitted_world):
    """Found by the property above (shrunk): each override was valid on the default, together
    they contradicted each other, and the request failed with a ValidationError."""
    policy = GuardrailPolicy(
        categories={"personal_care": {"min_price": 5.0}}, products={"P0001": {"max_price": 4.0}}
    )
    engine, source = engine_for(fitted_world, policy)
    answer = engine.recommend([Item(product_id="P0001")], source)[0][0]
    assert answer["recommended_price"] == 5.0  # the floor wins
    assert answer["guardrails_applied"]["conflicts"] == [
        "min price 5.00 is above the max price 4.00: only the floor price 5.00 is allowed"
    ]


@pytest.mark.parametrize("reference", [0.0, -1.0])
def test_a_non_positive_reference_price_falls_back_naming_it(fitted_world, reference):
    engine, source = engine_for(fitted_world, GuardrailPolicy())
    source.rows[("P0001", "all")]["forecast_ref_price"] = reference
    answer = engine.recommend([Item(product_id="P0001")], source)[0][0]
    assert answer["fallback"] and "forecast_ref_price" in answer["fallback_reason"]
