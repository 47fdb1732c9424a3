"""A Redis Cluster online store is configuration alone: its seeds and ``redis_type`` rendered
for Feast, a database other than 0 refused (one server's rendering: test_config.py)."""

from __future__ import annotations

import json

import pytest
from feast.infra.online_stores.redis import RedisOnlineStoreConfig
from pydantic import ValidationError

from pricing.settings import Settings
from pricing.store.backends import RedisOnlineStore
from pricing.store.config import feature_store_config, online_store_identity

CLUSTER = {"type": "redis", "url": "redis://node1:7000,node2/0", "cluster": True}


def test_cluster_renders_its_seeds_without_a_database(tmp_path):
    settings = Settings(home=tmp_path, online_store=json.dumps(CLUSTER))
    rendered = feature_store_config(settings)["online_store"]
    assert rendered == {
        "type": "redis",
        "connection_string": "node1:7000,node2:6379",
        "redis_type": "redis_cluster",
    }
    assert RedisOnlineStoreConfig(**rendered).redis_type == "redis_cluster"


def test_cluster_over_tls_and_by_nested_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("PRICING_ONLINE_STORE__TYPE", "redis")
    monkeypatch.setenv("PRICING_ONLINE_STORE__URL", "rediss://node1:7000")
    monkeypatch.setenv("PRICING_ONLINE_STORE__CLUSTER", "true")
    store = Settings(home=tmp_path).online_store
    assert store == RedisOnlineStore(url="rediss://node1:7000", cluster=True)
    assert store.feast_connection() == "node1:7000,ssl=true"


def test_switching_to_a_cluster_is_another_online_store(tmp_path):
    """So `pricing store materialize` reloads every view into the cluster."""
    one = Settings(home=tmp_path, online_store="redis", redis_url="redis://node1:7000/0")
    cluster = Settings(home=tmp_path, online_store={**CLUSTER, "url": "redis://node1:7000"})
    assert online_store_identity(one) != online_store_identity(cluster)


def test_cluster_refuses_another_database():
    with pytest.raises(ValidationError, match="database 0 alone: drop /3"):
        RedisOnlineStore(url="redis://node1:7000/3", cluster=True)


def test_several_nodes_need_the_cluster_option():
    with pytest.raises(ValidationError, match=r'names several nodes.*"cluster": true'):
        RedisOnlineStore(url="redis://node1:7000,node2:7000/0")


@pytest.mark.parametrize("url", ["node1:7000", "redis://node1:7000,", "redis://:7000/0"])
def test_malformed_urls_are_refused(url):
    with pytest.raises(ValidationError, match="must look like redis://host:port/db"):
        RedisOnlineStore(url=url, cluster=True)
