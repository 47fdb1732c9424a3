"""A few small regression trees evaluated in numpy, for the serving hot path.

XGBoost's ``inplace_predict`` costs a fixed few hundred microseconds per call however few rows
it gets (as much for 5 rows as for 900), which was most of a one-item request's model time.
The price trees serving evaluates (``price_trees_booster``) are few and shallow, so walking them
in numpy, all rows and trees in lockstep, one level per step, is cheaper for a small batch; a
large batch stays with XGBoost. ``tests/unit/models/test_tree_eval.py`` proves both give the
same margins, bit for bit.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

#: Rows x trees up to which the numpy walk is cheaper than XGBoost's fixed per-call cost.
NUMPY_CELLS = 4_000


class CompiledTrees:
    """A multi-target booster's trees as padded arrays: (trees, nodes) per node attribute."""

    def __init__(self, booster: Any) -> None:
        model = json.loads(booster.save_raw("json"))
        gbtree = model["learner"]["gradient_booster"]["model"]
        trees, owner = gbtree["trees"], np.asarray(gbtree["tree_info"], dtype=int)
        params = model["learner"]["learner_model_param"]
        self.targets = int(params.get("num_target", "1"))
        width = max(len(tree["left_children"]) for tree in trees)
        shape = (len(trees), width)
        self.feature = np.zeros(shape, dtype=np.intp)
        self.threshold = np.zeros(shape, dtype=np.float32)
        self.left = np.zeros(shape, dtype=np.intp)
        self.right = np.zeros(shape, dtype=np.intp)
        self.default_left = np.zeros(shape, dtype=bool)
        self.leaf = np.ones(shape, dtype=bool)
        self.value = np.zeros(shape, dtype=np.float32)
        for t, tree in enumerate(trees):
            n = len(tree["left_children"])
            left = np.asarray(tree["left_children"])
            self.leaf[t, :n] = left == -1
            self.feature[t, :n] = tree["split_indices"]
            self.threshold[t, :n] = tree["split_conditions"]
            self.value[t, :n] = np.where(left == -1, tree["split_conditions"], 0.0)
            self.left[t, :n] = np.where(left == -1, 0, left)
            self.right[t, :n] = np.where(left == -1, 0, tree["right_children"])
            self.default_left[t, :n] = np.asarray(tree["default_left"], dtype=bool)
        self.depth = _depth(self.left, self.right, self.leaf)
        # Tree t adds to target ``target_of[t]`` as that target's ``slot_of[t]``-th tree.
        self.target_of = owner
        self.slot_of = np.zeros(len(trees), dtype=np.intp)
        for target in range(self.targets):
            mine = np.flatnonzero(owner == target)
            self.slot_of[mine] = np.arange(1, len(mine) + 1)
        self.slots = int(self.slot_of.max()) if len(trees) else 0
        self.trees = len(trees)

    def predict(self, matrix: np.ndarray, base_margin: np.ndarray) -> np.ndarray:
        """Margins (rows, targets): ``base_margin`` plus each target's leaf values."""
        x = np.asarray(matrix, dtype=np.float32)
        rows, trees = len(x), np.arange(self.trees)
        node = np.zeros((rows, self.trees), dtype=np.intp)
        at = np.arange(rows)[:, None]
        for _ in range(self.depth):
            value = x[at, self.feature[trees, node]]
            left = np.where(
                np.isnan(value), self.default_left[trees, node], value < self.threshold[trees, node]
            )
            step = np.where(left, self.left[trees, node], self.right[trees, node])
            node = np.where(self.leaf[trees, node], node, step)
        # XGBoost adds each tree's leaf to the margin in float32, tree after tree: a running
        # float32 sum per target gives the very same bits.
        leaves = np.zeros((rows, self.targets, self.slots + 1), dtype=np.float32)
        leaves[:, :, 0] = base_margin
        leaves[:, self.target_of, self.slot_of] = self.value[trees, node]
        out: np.ndarray = np.cumsum(leaves, axis=2, dtype=np.float32)[:, :, -1]
        return out


def _depth(left: np.ndarray, right: np.ndarray, leaf: np.ndarray) -> int:
    """The deepest path of any tree (edges from the root to a leaf)."""
    depth, frontier = 0, [(t, 0) for t in range(len(left))]
    while True:
        frontier = [
            (t, child)
            for t, n in frontier
            if not leaf[t, n]
            for child in (int(left[t, n]), int(right[t, n]))
        ]
        if not frontier:
            return depth
        depth += 1
