"""Power-law fits of loss against size, their intervals, local slopes and fit windows.

The recipe is that of Hoffmann et al. 2022 (approach 3), as corrected by Besiroglu et al. 2024: fit
in log space by minimising the *summed* Huber loss (delta = 1e-3) of log(prediction) - log(loss)
from a grid of starting points with L-BFGS-B and keep the best. Averaging the Huber loss instead of
summing it made the original optimiser stop early. The exponent's interval is replicate-level when
replicates (i.i.d. teacher, data and initialisation) are labelled: a Student-t interval over their
exponents; otherwise a bootstrap over one curve's residuals (Davison & Hinkley 1997). Every
interval is symmetric about its estimate (see :func:`fit_power_law`).

Models (D = size, N = parameters):

- ``L = A D^-alpha``                       (``fit_power_law``)
- ``L = E + A D^-alpha``                   (``fit_power_law(with_floor=True)``)
- ``L = E + A N^-a + B D^-b``              (``fit_joint_scaling``; Hoffmann et al.'s parametric loss)

One concept per module: ``_types`` (the result types), ``_core`` (the optimiser, the input checks,
the bootstrap resampling; its docstring says why the model is parametrised as it is),
``_power_law``, ``_slopes``, ``_windows`` and ``_joint``. The CSV readers live in
:mod:`manifold_scaling.io` and are re-exported here.
"""

from ..io import LossTable as LossTable
from ..io import RunsTable as RunsTable
from ..io import read_loss_csv as read_loss_csv
from ..io import read_loss_table as read_loss_table
from ..io import read_runs_csv as read_runs_csv

# Private helpers that benchmarks/interval_coverage.py imports from this package.
from ._core import _fit_multistart as _fit_multistart
from ._core import _percentile as _percentile
from ._core import _replicate_index as _replicate_index
from ._core import _solve as _solve
from ._core import _stratified_resamples as _stratified_resamples
from ._joint import fit_joint_scaling as fit_joint_scaling
from ._power_law import _ols_start as _ols_start
from ._power_law import _power_law_design as _power_law_design
from ._power_law import _power_law_starts as _power_law_starts
from ._power_law import fit_power_law as fit_power_law
from ._slopes import local_slopes as local_slopes
from ._types import JOINT_PARAMS as JOINT_PARAMS
from ._types import FitWindow as FitWindow
from ._types import JointFit as JointFit
from ._types import LocalSlopes as LocalSlopes
from ._types import PowerLawFit as PowerLawFit
from ._types import predicted_frontier_exponent as predicted_frontier_exponent
from ._windows import DEFAULT_WINDOW_RULE as DEFAULT_WINDOW_RULE
from ._windows import WindowedFit as WindowedFit
from ._windows import fit_in_window as fit_in_window
from ._windows import select_window as select_window

__all__ = [
    "DEFAULT_WINDOW_RULE",
    "FitWindow",
    "JOINT_PARAMS",
    "JointFit",
    "LocalSlopes",
    "LossTable",
    "PowerLawFit",
    "RunsTable",
    "WindowedFit",
    "fit_in_window",
    "fit_joint_scaling",
    "fit_power_law",
    "local_slopes",
    "predicted_frontier_exponent",
    "read_loss_csv",
    "read_loss_table",
    "read_runs_csv",
    "select_window",
]
