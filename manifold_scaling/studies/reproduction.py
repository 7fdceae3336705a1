"""The main job: the data-scaling verdict with the theories' own learners, plus a smoothness scan.

The one module that composes studies: ``manifold-scaling reproduce`` runs the data-scaling study
(``presets.REPRODUCE``: the network, simplex interpolation and kernel regression on the same
training sets, the mechanism named per d) into ``OUT/`` and a small smoothness scan (Matérn
teachers nu = 0.5 and 3.5 at d = 2, 3) into ``OUT/smoothness/``, so that the main job itself
answers "is alpha_D = 4/d, and if not, which mechanism?".
"""

from __future__ import annotations

from pathlib import Path

from ..configs import save_json
from .data_scaling import run_data_scaling
from .presets import REPRODUCE_SMOOTHNESS_NUS, reproduce_config, reproduce_smoothness
from .variants import SmoothnessScanConfig, run_smoothness_scan

__all__ = ["run_reproduction"]


def run_reproduction(
    quick: bool, out_dir, *, full: bool = False, options=None, make_figures=True
) -> dict:
    """Both parts of the main job (``quick``: the smoke version; ``full``: the larger design);
    returns ``{"data_scaling": ..., "smoothness": ...}`` (also written to
    ``OUT/reproduction.json``)."""
    out_dir = Path(out_dir)
    run = dict(options=options, make_figures=make_figures)
    main = run_data_scaling(reproduce_config(quick, full), out_dir, **run)
    base = reproduce_smoothness(quick, full)
    scan = SmoothnessScanConfig(base=base, nus=REPRODUCE_SMOOTHNESS_NUS)
    smooth = run_smoothness_scan(scan, out_dir / "smoothness", **run)
    mode = {"study": "reproduce", "quick": quick, "full": full}
    both = {**mode, "data_scaling": main, "smoothness": smooth}
    save_json(out_dir / "reproduction.json", mode)
    return {**both, "figures": main.get("figures", {})}
