"""The shipped reference curves of the calibrated estimator (``data/id_calibration.npz``).

The file holds, for every grid size n in ``SIZES``, family and d = 1..``dims``, the pooled raw
Levina--Bickel statistic and the inhomogeneity of the reference samples that
:func:`~manifold_scaling.intrinsic_dim.calibrated_id` would otherwise draw on first use (float64,
exactly the values it computes). Its ``meta`` (JSON) records the format version, the parameters
the values depend on (neighbour ranks, families, repeats, calibration seed and PRNG) and, for
provenance only, the package, NumPy and SciPy versions that built it. A table whose format or
parameters differ from the running code is ignored with a logged note, and the curves are built
as before. Rebuild with ``python benchmarks/build_id_calibration.py``;
``tests/unit/intrinsic_dim/test_estimators.py`` checks that a fresh build reproduces the shipped
values.
"""

from __future__ import annotations

import json
import logging
import os

import numpy as np

FORMAT_VERSION = 1
FILENAME = "id_calibration.npz"
KEY_BITS = (0, 0)  # jax.random.key(0) under threefry2x32: the default calibration key
K = 10  # the estimator's default inhomogeneity rank; other k are built at run time
log = logging.getLogger(__name__)
_LOADED: dict = {}


def path() -> str:
    return os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", FILENAME
    )


def lookup(family: str, d: int, n: int, k: int, key_bits, parameters: dict):
    """``(raw, inhomogeneity)`` from the shipped table, or None when it lacks the entry."""
    if k != K or tuple(key_bits) != KEY_BITS:
        return None
    tab = _table(parameters)
    if tab is None:
        return None
    i, j = tab["size_index"].get(n), tab["family_index"].get(family)
    if i is None or j is None or not 1 <= d <= tab["dims"]:
        return None
    return float(tab["raw"][i, j, d - 1]), float(tab["inhomogeneity"][i, j, d - 1])


def _table(parameters: dict):
    """The shipped table (loaded once), or None if missing or built for other parameters."""
    if "table" not in _LOADED:
        _LOADED["table"] = _load(path(), parameters)
    return _LOADED["table"]


def _load(file: str, parameters: dict):
    try:
        with np.load(file, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            raw, inhom, sizes = data["raw"], data["inhomogeneity"], data["sizes"]
    except (OSError, KeyError, ValueError) as err:
        log.info("no usable intrinsic-dimension calibration table (%s); building on demand", err)
        return None
    expected = table_parameters(parameters)
    got = {name: meta.get(name) for name in expected}
    if got != expected:
        diff = sorted(name for name in expected if got[name] != expected[name])
        log.info(
            "the shipped intrinsic-dimension calibration table was built with other %s; "
            "ignoring it and building on demand",
            ", ".join(diff),
        )
        return None
    return {
        "size_index": {int(n): i for i, n in enumerate(sizes)},
        "family_index": {f: j for j, f in enumerate(meta["families"])},
        "dims": int(raw.shape[2]),
        "raw": raw,
        "inhomogeneity": inhom,
        "meta": meta,
    }


def table_parameters(parameters: dict) -> dict:
    """Everything a table's values depend on (besides size, family and d)."""
    return {
        "format_version": FORMAT_VERSION,
        "k": K,
        "calibration_key_bits": list(KEY_BITS),
        "prng": "threefry2x32",
        **parameters,
    }


def save(file: str, built: dict, meta: dict) -> None:
    """Write ``built`` (from ``_calibrated.build_table``) with its ``meta`` as a compressed .npz."""
    np.savez_compressed(
        file,
        meta=np.array(json.dumps(meta, sort_keys=True)),
        sizes=built["sizes"],
        raw=built["raw"],
        inhomogeneity=built["inhomogeneity"],
    )
