"""Shared fixtures: an explicit PRNG key, a CPU-only JAX that refuses implicit rank promotion,
and the saved main job for the report tests.

The tests live in three tiers (``unit/``, ``science/``, ``integration/``); the helpers they share
(``sweep_toy.py``, ``_configs.py``, ``_curves.py``) sit in this folder, which is put on
``sys.path`` here (test modules are imported with ``--import-mode=importlib``, which does not).
"""

import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import pytest  # noqa: E402

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

# Implicit rank promotion ((n,) against (n, 1)) is a bug more often than not: an error in every
# test (JAX's own JAX_NUMPY_RANK_PROMOTION=allow|warn overrides it for one run).
jax.config.update("jax_numpy_rank_promotion", os.environ.get("JAX_NUMPY_RANK_PROMOTION", "raise"))


@pytest.fixture
def key():
    return jax.random.key(0)


@pytest.fixture
def saved_run(tmp_path):
    """The saved main job (``notebooks/data/reproduce``) with one real figure in place."""
    run = tmp_path / "reproduce"
    run.mkdir()
    shutil.copy(ROOT / "notebooks" / "data" / "reproduce" / "summary.json", run / "summary.json")
    # any real PNG of this project; the other figures stay listed but missing
    shutil.copy(ROOT / "docs" / "figures" / "loss_vs_size.png", run / "loss_vs_size.png")
    return run


@pytest.fixture(scope="module")
def own_arrays(tmp_path_factory):
    """``(folder, X, y)``: the own-data study's arrays, saved as ``X.npy`` and ``y.npy``."""
    import numpy as np
    from _data import manifold_data

    root = tmp_path_factory.mktemp("own")
    x, y = manifold_data()
    np.save(root / "X.npy", x)
    np.save(root / "y.npy", y)
    return root, x, y
