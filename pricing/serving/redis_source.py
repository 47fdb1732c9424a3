"""The hot path's online read: every item's serving features in one pipelined Redis round trip.

Feast still defines, materializes and pushes the features; this only reads what Feast's Redis
store wrote, laid out the way Feast lays it out: one hash per entity key (the serialized
(product, location) key + the project name), a field per feature (murmur3 of
``view:feature``) and one timestamp field per view. All the serving views share the entity,
so one ``HMGET`` per item fetches every view, and all items go in one pipeline.

Why not ``FeatureStore.get_online_features``: per request it re-plans the feature references,
builds entity protos, assembles a protobuf response and converts it back to Python, which
cost about ten times the Redis round trip at one item (the profile is in the issue's note).
Everything here that does not depend on the request (field names, the parse plan, each
item's Redis key) is computed once; ``tests/integration/serving/test_redis_source.py`` proves
the rows equal Feast's own answer, field for field.

A store that does not answer within ``Settings.service.read_timeout_s`` raises
:class:`~pricing.serving.features.OnlineStoreUnavailable` (the engine then prices every item
with a flagged fallback), and so does every read for ``read_retry_s`` after it, without
waiting (:mod:`pricing.serving.breaker`); the first read after that asks again, and redis-py
reconnects once the store is back.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from feast.protos.feast.types.Value_pb2 import Value
from google.protobuf.timestamp_pb2 import Timestamp
from redis.exceptions import RedisError

from pricing.serving.breaker import Breaker
from pricing.serving.features import TS, OnlineStoreUnavailable, Row
from pricing.settings import Settings
from pricing.store.backends import RedisOnlineStore

#: The entity's join keys, as Feast's serving views key them.
JOIN_KEYS = ("product_id", "location_id")
#: A serialized ``Value`` holding only ``double_val`` (field 5, 64-bit): its tag, then the
#: little-endian double. Most serving features are doubles; they skip the protobuf parser.
_DOUBLE_TAG, _DOUBLE_SIZE, _DOUBLE = 0x29, 9, struct.Struct("<d")


def _seconds(raw: bytes | None) -> int:
    """A view's event time as Feast reports it: whole seconds, 0 when never written."""
    if not raw:
        return 0
    stamp = Timestamp()
    stamp.ParseFromString(raw)
    if not stamp.nanos:
        return int(stamp.seconds)
    # Feast goes through a float datetime; follow it to the same second.
    moment = datetime.fromtimestamp(stamp.seconds + stamp.nanos / 1e9, tz=UTC)
    out = Timestamp()
    out.FromDatetime(moment)
    return int(out.seconds)


class RedisFeatureSource:
    """Reads a Feast feature service's online rows straight from Feast's Redis layout."""

    def __init__(self, settings: Settings, service: str | None = None) -> None:
        from feast.infra.online_stores.redis import _mmh3, _versioned_fv_name

        from pricing.store.config import open_store
        from pricing.store.ops import serving_service

        online = settings.online_store
        if not isinstance(online, RedisOnlineStore):
            raise TypeError(f"the Redis read needs a Redis online store, not {online.type!r}")
        store = open_store(settings)
        self.service_name = service or serving_service(store)
        config = store.config
        self._project = config.project.encode()
        self._key_version = config.entity_key_serialization_version
        self._fields: list[bytes | str] = []
        #: per view: (feature names, index of its first field, index of its timestamp field)
        self._plan: list[tuple[list[str], int, int]] = []
        for projection in store.get_feature_service(self.service_name).feature_view_projections:
            view = store.get_feature_view(projection.name)
            name = _versioned_fv_name(view, config)
            features = [feature.name for feature in projection.features]
            start = len(self._fields)
            self._fields += [_mmh3(f"{name}:{feature}") for feature in features]
            self._fields.append(f"_ts:{name}")
            self._plan.append((features, start, len(self._fields) - 1))
        self._keys: dict[tuple[str, str], bytes] = {}
        self._client = online.client(settings.service.read_timeout_s)
        self._where = online.url
        self._breaker = Breaker(settings.service.read_retry_s)

    def _key(self, product: str, location: str) -> bytes:
        """Feast's Redis key of one (product, location): built once, then remembered."""
        key = self._keys.get((product, location))
        if key is None:
            from feast.infra.key_encoding_utils import serialize_entity_key
            from feast.protos.feast.types.EntityKey_pb2 import EntityKey
            from feast.protos.feast.types.Value_pb2 import Value

            entity = EntityKey(
                join_keys=list(JOIN_KEYS),
                entity_values=[Value(string_val=product), Value(string_val=location)],
            )
            key = serialize_entity_key(entity, self._key_version) + self._project
            self._keys[(product, location)] = key
        return key

    def read(self, keys: Sequence[tuple[str, str]]) -> list[Row]:
        if not keys:
            return []
        if blocked := self._breaker.blocked():
            raise OnlineStoreUnavailable(f"online store {self._where} {blocked}")
        names = [self._key(product, location) for product, location in keys]
        try:
            if len(names) == 1:
                replies = [self._client.hmget(names[0], self._fields)]
            else:
                with self._client.pipeline(transaction=False) as pipe:
                    for name in names:
                        pipe.hmget(name, self._fields)
                    replies = pipe.execute()
        except RedisError as error:
            reason = f"did not answer: {type(error).__name__}: {error}"
            self._breaker.failed(reason)
            raise OnlineStoreUnavailable(f"online store {self._where} {reason}") from None
        self._breaker.succeeded()
        return [self._row(key, reply) for key, reply in zip(keys, replies, strict=True)]

    def _row(self, key: tuple[str, str], reply: list[bytes | None]) -> Row:
        row: Row = dict(zip(JOIN_KEYS, key, strict=True))
        row |= {name + TS: 0 for name in JOIN_KEYS}  # Feast stamps its echoed keys with 0
        for features, start, stamp_at in self._plan:
            seconds = _seconds(reply[stamp_at])
            for offset, feature in enumerate(features):
                raw = reply[start + offset]
                value: Any = None
                if raw and len(raw) == _DOUBLE_SIZE and raw[0] == _DOUBLE_TAG:
                    value = _DOUBLE.unpack_from(raw, 1)[0]  # the common case, without protobuf
                elif raw:
                    parsed = Value()
                    parsed.ParseFromString(raw)
                    kind = parsed.WhichOneof("val")
                    value = None if kind is None or kind == "null_val" else getattr(parsed, kind)
                row[feature] = value
                row[feature + TS] = seconds
        return row
