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

from ._affine import affine, lift
from .configs import result_from_dict
from .errors import InputError, check_choice, check_float, check_int
from .manifolds import ManifoldConfig, sample_latent

ACTIVATIONS = {
    "tanh": jnp.tanh,
    "gelu": jax.nn.gelu,
    "softplus": jax.nn.softplus,
    "sin": jnp.sin,
    "relu": jax.nn.relu,  # the published teachers (Sharma & Kaplan 2020; Bahri et al. 2021)
}
SMOOTH = ("tanh", "gelu", "softplus", "sin")
KINDS = ("network", "matern")
INITS = ("normal", "uniform")

_REFERENCE_POINTS = 16384  # points used to standardise targets and measure linear R^2


@dataclass(frozen=True)
class TeacherConfig:
    """A teacher: a random network (``kind="network"``) or a Matérn Gaussian random field.

    Network: ``depth`` hidden layers of ``width`` units with ``activation``; ``init="normal"``:
    weights ~ N(0, gain^2 / fan_in) in every hidden layer (the output layer has gain 1), biases
    ~ N(0, bias_std^2); ``init="uniform"``: weights and biases ~ U(±gain/sqrt(fan_in)) (PyTorch's
    default, Bahri et al. 2021's teachers), biases off when ``bias_std = 0``. ``input_scale``
    multiplies the input (a frequency). Regression targets are standardised to mean 0, variance 1
    on a reference sample; classification teachers emit ``n_classes`` logits scaled by
    ``logit_scale`` (Sharma & Kaplan use softmax(6 * logits)).

    Matérn (``kind="matern"``): an exact draw of a unit-variance Gaussian random field with
    smoothness ``nu`` (0.5, 1.5, 2.5, 3.5) and correlation length ``length_scale`` on the latent
    coordinates (``fields.draw_matern_field``), drawn jointly over a trial's pool of points.
    """

    depth: int = 3
    width: int = 64
    activation: Literal["tanh", "gelu", "softplus", "sin", "relu"] = "tanh"
    gain: float = 1.0
    bias_std: float = 1.0
    input_scale: float = 1.0
    task: Literal["regression", "classification"] = "regression"
    n_classes: int = 2
    logit_scale: float = 6.0
    kind: Literal["network", "matern"] = "network"
    init: Literal["normal", "uniform"] = "normal"
    nu: float = 1.5
    length_scale: float = 0.5

    def __post_init__(self):
        check_choice("teacher.kind", self.kind, KINDS)
        check_choice("teacher.init", self.init, INITS)
        if self.kind == "matern":
            from .fields import MATERN_NUS

            if self.nu not in MATERN_NUS:
                raise InputError(
                    "teacher.nu",
                    f"must be one of {', '.join(map(str, MATERN_NUS))} (got {self.nu})",
                )
            check_float("teacher.length_scale", self.length_scale, minimum=0.0, strict_min=True)
            if self.task != "regression":
                raise InputError("teacher.task", "a Matérn teacher is a regression target")
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
        raw = teacher_features(self.params, self.config, z)[-1]
        out = (raw - lift(self.mean, raw)) / lift(self.std, raw)
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
        h = act(affine(h, w.astype(h.dtype), b.astype(h.dtype)))
        feats.append(h)
    w, b = params[-1]
    feats.append(affine(h, w.astype(h.dtype), b.astype(h.dtype)))
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
    if config.init == "uniform":
        return _uniform_params(keys, config, sizes)
    params = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        gain = config.gain if i < len(sizes) - 2 else 1.0
        w = gain * jax.random.normal(keys[2 * i], (fan_in, fan_out), jnp.float32) / jnp.sqrt(fan_in)
        b = config.bias_std * jax.random.normal(keys[2 * i + 1], (fan_out,), jnp.float32)
        params.append((w, b))
    return params


def _uniform_params(keys, config: TeacherConfig, sizes) -> list:
    """U(±gain/sqrt(fan_in)) weights and biases (PyTorch's nn.Linear default at gain 1)."""
    params = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        bound = (config.gain if i < len(sizes) - 2 else 1.0) / np.sqrt(fan_in)
        w = jax.random.uniform(keys[2 * i], (fan_in, fan_out), jnp.float32, -bound, bound)
        b = jax.random.uniform(keys[2 * i + 1], (fan_out,), jnp.float32, -bound, bound)
        params.append((w, b if config.bias_std > 0 else jnp.zeros_like(b)))
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

    @classmethod
    def from_dict(cls, data: dict) -> TeacherCalibration:
        """Inverse of :meth:`to_dict`."""
        return result_from_dict(cls, data, scanned=tuple(tuple(p) for p in data["scanned"]))


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
    by ``eval_key``. Bisection in log-gain; R^2 falls monotonically with gain in practice. A draw
    that misses the target at an end of ``gain_range`` is bisected again in a range 8x wider on
    that side (at most twice); ``TeacherCalibration.linear_r2`` says what was reached.
    """
    check_float("target_r2", target_r2, minimum=0.0, maximum=1.0)
    manifold = _as_manifold(manifold)

    def r2_at(gain):
        teacher = init_teacher(key, replace(config, gain=float(gain)), manifold)
        return teacher_linear_r2(eval_key, teacher, manifold)

    scanned = []
    for _ in range(3):  # the range, then up to twice a range 8x wider where the target lies
        lo, hi = np.log(gain_range[0]), np.log(gain_range[1])
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
        # Some draws stay more linear than the target even at the top of the range (or less at
        # the bottom): widen towards the target rather than report a teacher off the rule.
        if abs(r2 - target_r2) <= 0.01:
            break
        if r2 > target_r2 and np.isclose(gain, gain_range[1], rtol=1e-3):
            gain_range = (gain_range[1] / 2, gain_range[1] * 8)
        elif r2 < target_r2 and np.isclose(gain, gain_range[0], rtol=1e-3):
            gain_range = (gain_range[0] / 8, gain_range[0] * 2)
        else:
            break
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
    length_scale: float | None = None  # see teacher_length_scale

    def to_dict(self) -> dict:
        base = {"gain": self.config.gain, "linear_r2": self.linear_r2}
        if self.calibration is not None:
            base = self.calibration.to_dict()
        return {
            **base,
            "rule": self.rule,
            "length_scale": self.length_scale,
            "teacher_kind": predicted_exponents(self.config, None)["teacher"],
        }


def apply_teacher_rule(
    key, config: TeacherConfig, manifold: ManifoldConfig, target_r2: float | None, *, eval_key
) -> CalibratedTeacher:
    """The teacher rule, stated in advance and the same for every d.

    ``target_r2`` given: choose the hidden-layer gain of the teacher drawn by ``key`` so that its
    linear R^2 is ``target_r2`` (:func:`calibrate_teacher`); ``None``: keep ``config.gain`` and only
    measure the R^2. It looks at the teacher alone, never at an exponent.
    """
    if config.kind == "matern":
        rule = f"Matérn field (nu = {config.nu:g}, length scale {config.length_scale:g}); no rule"
        return CalibratedTeacher(config, float("nan"), rule, length_scale=config.length_scale)
    if target_r2 is None:
        teacher = init_teacher(key, config, manifold)
        r2 = teacher_linear_r2(eval_key, teacher, manifold)
        scale = teacher_length_scale(eval_key, teacher, manifold)
        return CalibratedTeacher(config, r2, "fixed gain", length_scale=scale)
    teacher, cal = calibrate_teacher(key, config, manifold, eval_key=eval_key, target_r2=target_r2)
    scale = teacher_length_scale(eval_key, init_teacher(key, teacher, manifold), manifold)
    rule = f"gain s.t. linear R^2 = {cal.target_r2}"
    return CalibratedTeacher(teacher, cal.linear_r2, rule, cal, length_scale=scale)


def teacher_length_scale(key, teacher: Teacher, manifold: ManifoldConfig | int, n=2048) -> float:
    """The length scale of the teacher's *nonlinear* part: sd(g) / rms |grad_z g| on fresh latent
    points, with g = f minus its least-squares linear fit in z.

    For f = sin(w z) it is about 1/|w| (a wavelength / 2 pi). The linear part is left out because
    it says nothing about resolution: any linear f on the cube [-1, 1]^d gives 1/sqrt(3), whatever
    the teacher. The resolution diagnostic compares the nearest-neighbour spacing of the training
    points with this length (the data resolve the teacher only when the spacing is below it).
    """
    manifold = _as_manifold(manifold)
    z = sample_latent(key, manifold.latent, n, manifold.intrinsic_dim)
    grads = np.asarray(jax.vmap(jax.grad(lambda p: teacher(p[None])[0, 0]))(z), np.float64)
    y = np.asarray(teacher(z), np.float64)[:, 0]
    zz = np.asarray(z, np.float64)
    design = np.column_stack([np.ones(len(zz)), zz])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    g = y - design @ coef
    g_grad = grads - coef[1:]  # the gradient of the linear fit is its slope vector
    rms = float(np.sqrt(np.mean(np.sum(g_grad**2, axis=1))))
    # a linear teacher has no nonlinear part (its residual is float32 rounding): nothing to resolve
    if rms <= 0 or g.std() <= 1e-5 * max(float(y.std()), 1e-30):
        return float("inf")
    return float(g.std() / rms)


def predicted_exponents(config: TeacherConfig, d: float | None, *, boundary: bool = True) -> dict:
    """What each theory predicts for alpha_D with this teacher at intrinsic dimension ``d``.

    ``piecewise_linear``: the s^2 argument (Sharma & Kaplan 2020, Sec. 2) saturates at 4/d for any
    target smoother than C^2, and gives 2 nu/d for a rougher Matérn field. ``kernel``: ridgeless
    regression with a Laplace/ReLU-NTK kernel (spectrum |w|^-(d+1)) on a field of spectrum
    |w|^-(d + 2 nu) gives min(2 nu, 2d + 2)/d (Spigler, Geiger & Wyart 2019; Cui et al. 2021).
    An analytic (tanh, ...) teacher is smoother than any Matérn field: the kernel rate can reach
    2(d+1)/d without a boundary, while on a bounded cube only (d+1)/d is guaranteed (Schaback 1999;
    2018), so its range is [(d+1)/d, 2(d+1)/d]; a ReLU network teacher has kinks (nu = 3/2 at
    infinite width): 4/d while many kinks share a cell, then 3/d, so its piecewise-linear range is
    [3/d, 4/d] and its kernel rate 3/d. Every theory has a ``*_range`` [low, high] (a point is
    [x, x]). ``boundary=False`` (a latent without an edge, ``manifolds.has_boundary``: the flat
    torus, the sphere) collapses the kernel range to its boundary-free top. ``d=None`` returns
    only the teacher's label.
    """
    out = {"teacher": _teacher_label(config)}
    if d is None:
        return out
    if config.kind == "matern":
        from .fields import predicted_exponents as matern_exponents

        out.update(matern_exponents(config.nu, d, boundary=boundary))
    elif config.activation == "relu":
        out["piecewise_linear"] = 3.0 / d
        out["piecewise_linear_range"] = [3.0 / d, 4.0 / d]
        out["kernel"] = 3.0 / d
        out["kernel_range"] = [3.0 / d, 3.0 / d]
    else:
        out["piecewise_linear"] = 4.0 / d
        out["piecewise_linear_range"] = [4.0 / d, 4.0 / d]
        # On a bounded cube only the rate of the kernel's own smoothness, (d + 1)/d, is
        # guaranteed; the doubled rate 2(d + 1)/d needs boundary conditions (Schaback 1999).
        out["kernel"] = (2 * d + 2.0) / d
        out["kernel_range"] = [(d + 1.0 if boundary else 2 * d + 2.0) / d, (2 * d + 2.0) / d]
    return out


def _teacher_label(config: TeacherConfig) -> str:
    if config.kind == "matern":
        return f"matern(nu={config.nu:g}, length={config.length_scale:g})"
    return f"{config.activation} network"
