"""The fields every sweep study shares, validated once, and the replicates they describe.

A study asks one question per intrinsic dimension d ("how does the test loss fall with D, or with
N?") and answers it from ``seeds`` replicates. A replicate is what a repetition of the study would
redraw: its own teacher (the largest source of variation between repetitions), its own embedding,
data, initialisation and minibatches. The teacher rule (``teachers.apply_teacher_rule``) is applied
to each replicate's own teacher, so the teacher R^2 a summary reports belongs to the teacher the
trials trained on.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .. import keys
from ..configs import param
from ..errors import InputError, check_float, check_int, check_int_list
from ..manifolds import EMBEDDINGS, LATENTS, ManifoldConfig
from ..students import StudentConfig
from ..teachers import CalibratedTeacher, TeacherConfig, apply_teacher_rule
from ..training import TrainConfig
from .findings import AGREEMENT_BAND, CONTRAST_MARGIN, MAX_EXCLUDED_SHARE, check_band, check_share

__all__ = [
    "DataScalingConfig",
    "Replicate",
    "StudyConfig",
    "replicate",
    "replicates",
    "teacher_summary",
]


def latent_field():
    return param(
        "cube",
        help="latent manifold: cube [-1,1]^d | unit-cube [-0.5,0.5]^d | gaussian | sphere | torus",
    )


def embedding_field(default: str):
    return param(default, help="embedding into the ambient space: pad | rotation | network")


def ambient_field(default: int):
    return param(default, help="ambient dimension the student sees (0: the latent itself)")


def teacher_field():
    return param(help="the teacher family", factory=TeacherConfig)


def teacher_rule_field():
    return param(
        0.7,
        help="teacher rule: choose the teacher gain so that its linear R^2 is this "
        "('none': keep the given gain)",
        flag="--teacher-r2",
    )


def check_teacher_rule(teacher: TeacherConfig, target_r2: float | None) -> None:
    """The rule chooses the gain: a gain given while the rule is on would be silently replaced."""
    if target_r2 is None:
        return
    check_float("teacher_target_r2", target_r2, minimum=0.05, maximum=0.99)
    if teacher.gain != TeacherConfig().gain:
        raise InputError(
            "teacher.gain",
            f"is chosen by the teacher rule (linear R^2 = {target_r2:g}); turn the rule off "
            f"(teacher_target_r2 = None) to set the gain yourself (got {teacher.gain:g})",
        )


#: Teacher draws tried per replicate before a length band is declared unreachable.
MAX_TEACHER_DRAWS = 64


def check_length_band(band, teacher: TeacherConfig) -> None:
    if teacher.kind == "matern":
        raise InputError(
            "teacher_length_band", "a Matérn teacher's length scale is set by --length-scale"
        )
    try:
        lo, hi = (float(v) for v in band)
    except (TypeError, ValueError):
        raise InputError(
            "teacher_length_band", f"give two numbers low high (got {band!r})"
        ) from None
    if not (0 < lo < hi):
        raise InputError("teacher_length_band", f"needs 0 < low < high (got {lo:g}, {hi:g})")


@dataclass(frozen=True)
class StudyConfig:
    """Fields shared by every sweep over intrinsic dimensions (data and model scaling)."""

    dims: tuple[int, ...] = param((2, 3, 4, 6, 8), help="intrinsic dimensions d")
    seeds: int = param(
        2, help="replicates per point; each draws its own teacher, data and initialisation"
    )
    seed: int = param(0, help="master seed of the study")
    latent: Literal["cube", "gaussian", "sphere", "torus", "unit-cube"] = latent_field()
    ambient_dim: int = ambient_field(24)
    embedding: Literal["pad", "rotation", "network"] = embedding_field("rotation")
    embedding_gain: float = param(1.0, help="curvature of the network embedding")
    noise_std: float = param(0.0, help="isotropic ambient noise")
    teacher: TeacherConfig = teacher_field()
    teacher_target_r2: float | None = teacher_rule_field()
    teacher_length_band: tuple[float, float] | None = param(
        None,
        help="teacher population: keep only teacher draws whose nonlinear part's length scale "
        "lies in [low, high] (redrawn otherwise; a rule on the teacher alone); 'none': every draw",
    )
    loss_power: float = param(2.0, help="train/test loss |y - y_hat|^p (2 = MSE)")
    n_val: int = param(1024, help="validation points (checkpoint choice)")
    n_test: int = param(8192, help="fresh test points per replicate")
    min_decades: float = param(1.0, help="a fit window shorter than this is weak evidence")
    with_floor: bool = param(False, help="fit L = E + A x^-alpha instead of A x^-alpha")
    n_bootstrap: int = param(1000, help="bootstrap resamples", flag="--bootstrap")
    ci: float = param(0.9, help="interval level")
    agreement_band: tuple[float, float] = param(
        AGREEMENT_BAND,
        help="equivalence band, stated in advance: an exponent is consistent with a prediction "
        "only when its whole interval lies in [low x prediction, high x prediction] "
        "(0 < low <= 1 <= high)",
    )

    def __post_init__(self):
        if not self.dims:
            raise InputError("dims", "give at least one intrinsic dimension")
        for d in self.dims:
            check_int("dims", d, minimum=1, maximum=64)
        check_int("seeds", self.seeds, minimum=1, maximum=1000)
        check_int("seed", self.seed, minimum=0, maximum=keys.MAX_SEED)
        if self.latent not in LATENTS:
            raise InputError("latent", f"must be one of {', '.join(LATENTS)} (got {self.latent!r})")
        if self.embedding not in EMBEDDINGS:
            raise InputError(
                "embedding", f"must be one of {', '.join(EMBEDDINGS)} (got {self.embedding!r})"
            )
        check_int("ambient_dim", self.ambient_dim, minimum=0)
        for d in self.dims:
            self.manifold(d)  # the manifold checks ambient >= its coordinate count
        check_teacher_rule(self.teacher, self.teacher_target_r2)
        if self.teacher_length_band is not None:
            check_length_band(self.teacher_length_band, self.teacher)
        check_float("loss_power", self.loss_power, minimum=0.0, strict_min=True)
        check_int("n_test", self.n_test, minimum=16)
        check_int("n_val", self.n_val, minimum=16)
        check_float("min_decades", self.min_decades, minimum=0.0)
        check_float("ci", self.ci, minimum=0.5, maximum=0.999)
        check_int("n_bootstrap", self.n_bootstrap, minimum=50)
        check_band("agreement_band", self.agreement_band)

    def manifold(self, d: int) -> ManifoldConfig:
        """The manifold of intrinsic dimension ``d`` this study describes."""
        try:
            return ManifoldConfig(
                intrinsic_dim=d,
                latent=self.latent,
                ambient_dim=self.ambient_dim,
                embedding=self.embedding,
                embedding_gain=self.embedding_gain,
                noise_std=self.noise_std,
            )
        except InputError as err:  # name the study's field, not the manifold's
            raise InputError(err.parameter, str(err).split(": ", 1)[-1]) from None

    def predicted_alpha(self, d: float) -> float:
        """2p/d for the loss |y - y_hat|^p (4/d for MSE and cross-entropy)."""
        if self.teacher.task == "classification":
            return 4.0 / d
        return 2.0 * self.loss_power / d


@dataclass(frozen=True)
class DataScalingConfig(StudyConfig):
    """A data-scaling sweep: every (d, D, replicate), analysed per d.

    The fit window is the longest run of sizes with P >= ``min_params_per_point`` x D (a rule on
    the design); inside it a cell (replicate, D) counts when its validation loss moved by <=
    ``convergence_tol`` in log over the last doubling of its step budget, and the row gives no
    verdict when more than ``max_excluded_share`` of the cells fail. train/test is reported as a
    diagnostic (``interpolation_ratio`` marks it), never used to drop points.
    """

    sizes: tuple[int, ...] = param((128, 256, 512, 1024, 2048), help="training-set sizes D")
    student: StudentConfig = param(help="the ReLU student", factory=StudentConfig)
    train: TrainConfig = param(help="how students are trained", factory=TrainConfig)
    interpolation_ratio: float = param(
        0.1, help="diagnostic: a cell with train > r x test is flagged as not interpolating"
    )
    min_params_per_point: float = param(4.0, help="window rule: P >= k x D")
    convergence_tol: float = param(
        0.05,
        help="cell rule: a (replicate, D) cell counts when its validation loss moved by <= this "
        "in log over the last doubling of the step budget, in (0, 1)",
    )
    max_excluded_share: float = param(
        MAX_EXCLUDED_SHARE,
        help="no verdict when more than this share of the window's cells fail the cell rule, "
        "in (0, 1)",
    )
    contrast_margin: float = param(
        CONTRAST_MARGIN,
        help="a paired contrast network - learner is equivalent to 0 when its interval lies in "
        "+-(this x 4/d), in (0, 1)",
    )
    learners: tuple[str, ...] | None = param(
        None,
        help="learners run on every training set: network, simplex (piecewise-linear, d <= 5), "
        "kernel (ridgeless Laplace); 'none' = all that apply",
    )
    nested: bool = param(True, help="training sets nested in one pool (every D sees its points)")

    def __post_init__(self):
        super().__post_init__()
        check_int_list("sizes", self.sizes, min_distinct=3, minimum=2)
        check_float("interpolation_ratio", self.interpolation_ratio, minimum=0.0, strict_min=True)
        check_float("min_params_per_point", self.min_params_per_point, minimum=0.0)
        check_share("convergence_tol", self.convergence_tol)
        check_share("max_excluded_share", self.max_excluded_share)
        check_share("contrast_margin", self.contrast_margin)
        if self.learners is not None:
            if not self.learners:
                raise InputError("learners", "give at least one of network, simplex, kernel")
            for d in self.dims:
                self.learners_at(d)  # refuses a learner that cannot run at d
        if self.teacher.kind == "matern":
            from ..fields import DEFAULT_MAX_POINTS

            if not self.nested:
                raise InputError("nested", "a Matérn teacher needs nested training sets (one pool)")
            pool = max(self.sizes) + self.n_val + self.n_test
            if pool > DEFAULT_MAX_POINTS:
                raise InputError(
                    "n_test",
                    f"a Matérn teacher is drawn over max(sizes) + n_val + n_test = {pool} points "
                    f"by a float64 Cholesky factor; at most {DEFAULT_MAX_POINTS} fit in memory",
                )

    def learners_at(self, d: int) -> tuple[str, ...]:
        """The learners that run at ``d``: those asked for (all that apply when ``None``)."""
        from .trials import ALL_LEARNERS, check_simplex

        if self.learners is not None:
            for name in self.learners:
                if name not in ALL_LEARNERS:
                    raise InputError(
                        "learners", f"must be among {', '.join(ALL_LEARNERS)} (got {name!r})"
                    )
                if name == "simplex":
                    check_simplex(self.manifold(d))
            if set(self.learners) - {"network"} and self.teacher.task != "regression":
                raise InputError("learners", "the reference learners fit regression targets only")
            return tuple(self.learners)
        if self.teacher.task != "regression":
            return ("network",)
        try:
            check_simplex(self.manifold(d))
        except InputError:
            return ("network", "kernel")
        return ("network", "simplex", "kernel")


@dataclass(frozen=True)
class Replicate:
    """One replicate at one d: its seeds and its own calibrated teacher."""

    index: int
    seed: int  # draws data, initialisation and minibatches
    data_seed: int  # draws the embedding and the teacher
    teacher: CalibratedTeacher
    draw: int = 0  # which draw of this replicate's teacher sequence the population rule kept

    def draws(self) -> dict:
        """The trial-config fields this replicate fixes: its teacher and its two seeds."""
        return {"teacher": self.teacher.config, "data_seed": self.data_seed, "seed": self.seed}

    def to_dict(self) -> dict:
        return {
            "replicate": self.index,
            "seed": self.seed,
            "data_seed": self.data_seed,
            "teacher_draw": self.draw,
            **self.teacher.to_dict(),
        }


def replicates(config: StudyConfig, d: int) -> list[Replicate]:
    """Every replicate of ``config`` at dimension ``d``, with the teacher rule applied to each."""
    band = getattr(config, "teacher_length_band", None)
    return [
        replicate(
            config.seed,
            r,
            config.manifold(d),
            config.teacher,
            config.teacher_target_r2,
            length_band=band,
        )  # fmt: skip
        for r in range(config.seeds)
    ]


def replicate(
    seed: int,
    index: int,
    manifold: ManifoldConfig,
    teacher: TeacherConfig,
    target_r2: float | None,
    *,
    length_band: tuple[float, float] | None = None,
) -> Replicate:
    """Replicate ``index`` of the study with master ``seed`` on ``manifold``.

    ``length_band``: the teacher population is the draws whose nonlinear length scale lies in
    the band; draws outside it are replaced by the next draw of this replicate's own sequence
    (``keys.teacher_seed(..., draw=k)``), so the rule looks at the teacher alone."""
    d = manifold.intrinsic_dim
    for draw in range(MAX_TEACHER_DRAWS if length_band else 1):
        data_seed = keys.teacher_seed(seed, d, index, draw=draw)
        calibrated = _calibrated(data_seed, teacher, manifold, target_r2)
        scale = calibrated.length_scale
        if length_band is None or (scale is not None and length_band[0] <= scale <= length_band[1]):
            return Replicate(index, keys.replicate_seed(seed, index), data_seed, calibrated, draw)
    raise InputError(
        "teacher_length_band",
        f"no teacher among {MAX_TEACHER_DRAWS} draws at d = {d} has a length scale in "
        f"[{length_band[0]:g}, {length_band[1]:g}]: widen the band",
    )


@functools.lru_cache(maxsize=256)
def _calibrated(data_seed, teacher, manifold, target_r2) -> CalibratedTeacher:
    teacher_key, eval_key = keys.calibration_keys(data_seed)
    return apply_teacher_rule(teacher_key, teacher, manifold, target_r2, eval_key=eval_key)


def teacher_summary(reps: list[Replicate]) -> dict:
    """The teachers of one d: the rule, each replicate's own teacher, their mean R^2 and mean
    length scale (``teachers.teacher_length_scale``; the resolution diagnostic's yardstick)."""
    r2 = np.array([rep.teacher.linear_r2 for rep in reps], float)
    gains = np.array([rep.teacher.config.gain for rep in reps], float)
    scales = np.array([np.nan if rep.teacher.length_scale is None else rep.teacher.length_scale
                       for rep in reps], float)  # fmt: skip
    finite = r2[np.isfinite(r2)]
    return {
        "rule": reps[0].teacher.rule,
        "linear_r2": float(finite.mean()) if finite.size else None,
        "linear_r2_range": [float(finite.min()), float(finite.max())] if finite.size else None,
        "gain": float(gains.mean()),
        "length_scale": float(np.nanmean(scales)) if np.isfinite(scales).any() else None,
        "replicates": [rep.to_dict() for rep in reps],
    }
