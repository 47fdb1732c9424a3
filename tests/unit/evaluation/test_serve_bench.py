"""The serving benchmark pins its load generator to one CPU and gives the CPUs back."""

from __future__ import annotations

import os

import pytest

from pricing.evaluation.serve_bench import pinned_to

CAN_PIN = hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) > 1


@pytest.mark.skipif(not CAN_PIN, reason="needs CPU affinity and at least two usable CPUs")
def test_pinned_to_restores_the_affinity_even_when_the_block_fails():
    before = os.sched_getaffinity(0)
    one = {min(before)}
    with pytest.raises(RuntimeError, match="load failed"), pinned_to(one):
        assert os.sched_getaffinity(0) == one
        raise RuntimeError("load failed")
    assert os.sched_getaffinity(0) == before
