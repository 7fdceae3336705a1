"""Random smooth teacher networks y = f(z) on the latent coordinates.

The resolution-limited argument (Sharma & Kaplan 2020, Sec. 2; Bahri et al. 2021, Sec. 2.2) needs a
C^2 target whose curvature the data actually resolve. A nearly linear teacher gives exponents above
4/d and a very rough one is not resolved at small D, so every teacher reports its nonlinearity as the
R^2 of the best linear fit, and :func:`apply_teacher_rule` picks the hidden-layer gain by a rule on
that number alone, the same for every d (``docs/teachers.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np

from .errors import check_choice, check_float, check_int
from .manifolds import ManifoldConfig, sample_latent

ACTIVATIONS = {
    "tanh": jnp.tanh,
    "gelu": jax.nn.gelu,
    "softplus": jax.nn.softplus,
    "sin": jnp.sin,
}

_REFERENCE_POINTS = 16384  # points used to standardise targets and measure linear R^2


@dataclass(frozen=True)
class TeacherConfig:
    """A random smooth MLP: ``depth`` hidden layers of ``width`` units.

    Weights ~ N(0, gain^2 / fan_in) in every hidden layer (the output layer has gain 1), biases
    ~ N(0, bias_std^2); ``input_scale`` multiplies the input (a frequency). Regression targets are
    standardised to mean 0, variance 1 on a reference sample; classification teachers emit
    ``n_classes`` logits scaled by ``logit_scale`` (Sharma & Kaplan use softmax(6 * logits)).
    """

    depth: int = 3
    width: int = 64
    activation: Literal["tanh", "gelu", "softplus", "sin"] = "tanh"
    gain: float = 1.0
    bias_std: float = 1.0
    input_scale: float = 1.0
    task: Literal["regression", "classification"] = "regression"
    n_classes: int = 2
    logit_scale: float = 6.0

    def __post_init__(self):
        check_int("teacher.depth", self.depth, minimum=1, maximum=64)
        check_int("teacher.width", self.width, minimum=1, maximum=65536)
        check_choice("teacher.activation", self.activation, tuple(ACTIVATIONS))
        check_float("teacher.gain", self.gain, minimum=0.0, strict_min=True)
        check_float("teacher.bias_std", self.bias_std, minimum=0.0)
        check_float("teacher.input_scale", self.input_scale, minimum=0.0, strict_min=True)
        check_choice("teacher.task", self.task, ("regression", "classification"))
        check_int("teacher.n_classes", self.n_classes, minimum=2, maximum=4096)
        check_float("teacher.logit_scale", self.logit_scale, minimum=0.0, strict_min=True)

    @property
    def output_dim(self) -> int:
        return 1 if self.task == "regression" else self.n_classes


@dataclass(frozen=True)
class Teacher:
    """A drawn teacher: weights plus the standardisation measured on a reference sample."""

    config: TeacherConfig
    params: list
    mean: jax.Array
    std: jax.Array

    def __call__(self, z: jax.Array) -> jax.Array:
        """Targets: standardised outputs (regression) or class logits (classification)."""
        out = (teacher_features(self.params, self.config, z)[-1] - self.mean) / self.std
        if self.config.task == "classification":
            return self.config.logit_scale * out
        return out

    def hidden(self, z: jax.Array) -> list[jax.Array]:
        """Post-activation hidden layers (for intrinsic-dimension measurements)."""
        return teacher_features(self.params, self.config, z)[:-1]


def teacher_features(params: list, config: TeacherConfig, z: jax.Array) -> list[jax.Array]:
    """Hidden activations of every layer, then the raw (unstandardised) output."""
    act = ACTIVATIONS[config.activation]
    h = z * config.input_scale
    feats = []
    for w, b in params[:-1]:
        h = act(h @ w.astype(h.dtype) + b.astype(h.dtype))
        feats.append(h)
    w, b = params[-1]
    feats.append(h @ w.astype(h.dtype) + b.astype(h.dtype))
    return feats


def _as_manifold(manifold: ManifoldConfig | int) -> ManifoldConfig:
    """A manifold config; an integer d means the cube [-1, 1]^d with no embedding."""
    if isinstance(manifold, ManifoldConfig):
        return manifold
    return ManifoldConfig(intrinsic_dim=manifold)


def init_teacher(key, config: TeacherConfig, manifold: ManifoldConfig | int) -> Teacher:
    """Draw a teacher on ``manifold``'s latent coordinates, standardised on a reference sample.

    The reference sample (drawn from a key split off ``key``) uses the same latent distribution as
    the data, so the targets have unit variance on the data manifold. An integer ``manifold`` d
    means the cube [-1, 1]^d.
    """
    manifold = _as_manifold(manifold)
    k_params, k_ref = jax.random.split(key)
    params = _init_params(k_params, config, manifold.coord_dim)
    z_ref = sample_latent(k_ref, manifold.latent, _REFERENCE_POINTS, manifold.intrinsic_dim)
    out = teacher_features(params, config, z_ref)[-1]
    return Teacher(config, params, out.mean(0), out.std(0) + 1e-12)


def _init_params(key, config: TeacherConfig, input_dim: int) -> list:
    sizes = [input_dim] + [config.width] * config.depth + [config.output_dim]
    keys = jax.random.split(key, 2 * (len(sizes) - 1))
    params = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        gain = config.gain if i < len(sizes) - 2 else 1.0
        w = gain * jax.random.normal(keys[2 * i], (fan_in, fan_out), jnp.float32) / jnp.sqrt(fan_in)
        b = config.bias_std * jax.random.normal(keys[2 * i + 1], (fan_out,), jnp.float32)
        params.append((w, b))
    return params


def linear_r2(z: jax.Array, y: jax.Array) -> float:
    """R^2 of the best affine fit of y on z (1 = the teacher is linear on this sample)."""
    z = np.asarray(z, np.float64)
    y = np.asarray(y, np.float64).reshape(len(z), -1)
    design = np.concatenate([z, np.ones((len(z), 1))], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    return float(1.0 - resid.var(0).sum() / y.var(0).sum())


def teacher_linear_r2(
    key, teacher: Teacher, manifold: ManifoldConfig | int, n: int = 8192
) -> float:
    """The teacher's nonlinearity diagnostic: linear R^2 on fresh latent points."""
    manifold = _as_manifold(manifold)
    z = sample_latent(key, manifold.latent, n, manifold.intrinsic_dim)
    return linear_r2(z, teacher(z))


@dataclass(frozen=True)
class TeacherCalibration:
    """Outcome of :func:`calibrate_teacher`: the gain chosen and the R^2 it gives."""

    gain: float
    linear_r2: float
    target_r2: float
    scanned: tuple  # ((gain, r2), ...) every gain tried, for the report

    def to_dict(self) -> dict:
        return {
            "gain": self.gain,
            "linear_r2": self.linear_r2,
            "target_r2": self.target_r2,
            "scanned": [list(p) for p in self.scanned],
        }


def calibrate_teacher(
    key,
    config: TeacherConfig,
    manifold: ManifoldConfig | int,
    *,
    eval_key,
    target_r2: float = 0.7,
    gain_range: tuple[float, float] = (0.25, 8.0),
    iterations: int = 14,
) -> tuple[TeacherConfig, TeacherCalibration]:
    """Choose the hidden-layer gain so the teacher's linear R^2 equals ``target_r2``.

    One rule for every d: the teacher drawn by ``key`` (the very key the trials draw their teacher
    with) is rescaled until a fixed fraction of its variance is nonlinear, measured on points drawn
    by ``eval_key``. Bisection in log-gain; R^2 falls monotonically with gain in practice.
    """
    check_float("target_r2", target_r2, minimum=0.0, maximum=1.0)
    manifold = _as_manifold(manifold)

    def r2_at(gain):
        teacher = init_teacher(key, replace(config, gain=float(gain)), manifold)
        return teacher_linear_r2(eval_key, teacher, manifold)

    lo, hi = np.log(gain_range[0]), np.log(gain_range[1])
    scanned = []
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        r2 = r2_at(np.exp(mid))
        scanned.append((float(np.exp(mid)), r2))
        if r2 > target_r2:
            lo = mid
        else:
            hi = mid
    gain = float(np.exp(0.5 * (lo + hi)))
    r2 = r2_at(gain)
    scanned.append((gain, r2))
    return replace(config, gain=gain), TeacherCalibration(gain, r2, target_r2, tuple(scanned))


@dataclass(frozen=True)
class CalibratedTeacher:
    """A teacher rule applied to one teacher draw: the config to train on and its diagnostics.

    ``linear_r2`` is measured on the teacher the trials train on (same key, same gain).
    """

    config: TeacherConfig
    linear_r2: float
    rule: str
    calibration: TeacherCalibration | None = None

    def to_dict(self) -> dict:
        if self.calibration is None:
            return {"gain": self.config.gain, "linear_r2": self.linear_r2, "rule": self.rule}
        return {**self.calibration.to_dict(), "rule": self.rule}


def apply_teacher_rule(
    key, config: TeacherConfig, manifold: ManifoldConfig, target_r2: float | None, *, eval_key
) -> CalibratedTeacher:
    """The teacher rule, stated in advance and the same for every d.

    ``target_r2`` given: choose the hidden-layer gain of the teacher drawn by ``key`` so that its
    linear R^2 is ``target_r2`` (:func:`calibrate_teacher`); ``None``: keep ``config.gain`` and only
    measure the R^2. It looks at the teacher alone, never at an exponent.
    """
    if target_r2 is None:
        r2 = teacher_linear_r2(eval_key, init_teacher(key, config, manifold), manifold)
        return CalibratedTeacher(config, r2, "fixed gain")
    teacher, cal = calibrate_teacher(key, config, manifold, eval_key=eval_key, target_r2=target_r2)
    return CalibratedTeacher(teacher, cal.linear_r2, f"gain s.t. linear R^2 = {cal.target_r2}", cal)
