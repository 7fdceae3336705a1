"""Figures from saved summaries and rows (never from training code).

Every plot function draws into ``ax`` when given (a notebook's own Axes; a sequence of Axes for a
figure with several panels) or into a new figure, and returns the ``Figure``; none writes a file.
Values a figure cannot show (a missing or inverted interval, NaN, an empty result list) are drawn
as missing and logged, never raised.

Writing goes through :func:`save_figure` only, called by the figure sets the studies use
(``*_figures(..., out_dir) -> {name: file name}``) and the ``write_*`` wrappers of the CLI; both
log a figure that fails and carry on, so a plotting bug never fails a finished sweep.
"""

from ._save import save_figure as save_figure
from .intrinsic_dim import estimate_vs_scale_plot as estimate_vs_scale_plot
from .intrinsic_dim import umap_views as umap_views
from .intrinsic_dim import write_estimate_vs_scale as write_estimate_vs_scale
from .intrinsic_dim import write_umap_views as write_umap_views
from .joint import joint_fit_figure as joint_fit_figure
from .joint import joint_fit_figures as joint_fit_figures
from .joint import joint_fit_plot as joint_fit_plot
from .regimes import alpha_vs_budget as alpha_vs_budget
from .regimes import convergence_curves as convergence_curves
from .regimes import loss_vs_params as loss_vs_params
from .regimes import model_scaling_figures as model_scaling_figures
from .regimes import smoothness_figures as smoothness_figures
from .regimes import smoothness_loss_plot as smoothness_loss_plot
from .regimes import smoothness_plot as smoothness_plot
from .regimes import variance_limited_figures as variance_limited_figures
from .regimes import variance_limited_plot as variance_limited_plot
from .regimes import variants_alpha_plot as variants_alpha_plot
from .regimes import variants_figures as variants_figures
from .regimes import variants_loss_plot as variants_loss_plot
from .scaling import data_scaling_figures as data_scaling_figures
from .scaling import four_over_alpha_plot as four_over_alpha_plot
from .scaling import local_slope_plot as local_slope_plot
from .scaling import loss_vs_size as loss_vs_size
from .scaling import loss_vs_size_panels as loss_vs_size_panels

__all__ = [
    # plot functions: ax=None -> Figure, no file I/O
    "loss_vs_size",
    "loss_vs_size_panels",
    "local_slope_plot",
    "four_over_alpha_plot",
    "convergence_curves",
    "loss_vs_params",
    "alpha_vs_budget",
    "variance_limited_plot",
    "variants_alpha_plot",
    "variants_loss_plot",
    "joint_fit_figure",
    "joint_fit_plot",
    "smoothness_plot",
    "smoothness_loss_plot",
    "estimate_vs_scale_plot",
    "umap_views",
    # writers: the only functions that touch disk
    "save_figure",
    "data_scaling_figures",
    "model_scaling_figures",
    "variance_limited_figures",
    "variants_figures",
    "smoothness_figures",
    "joint_fit_figures",
    "write_estimate_vs_scale",
    "write_umap_views",
]
