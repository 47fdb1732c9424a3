from __future__ import annotations

from itertools import islice, pairwise

from pricing.streaming.consumer import RETRY_CAP, RETRY_FIRST, backoff


def test_backoff_doubles_up_to_the_cap():
    delays = list(islice(backoff(), 8))
    assert delays[0] == RETRY_FIRST
    assert all(b == min(2 * a, RETRY_CAP) for a, b in pairwise(delays))
    assert delays[-1] == RETRY_CAP
