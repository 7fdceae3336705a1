"""Flags shared by the sweep commands; every flag defaults to None so only given ones override."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from ..errors import InputError
from ..sweep import load_sweep_config


def positive_int_list(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def add_manifold_teacher_arguments(p: argparse.ArgumentParser):
    """The manifold and teacher flags every sweep command shares; returns the two groups."""
    m = p.add_argument_group("manifold")
    m.add_argument("--latent", help="cube | gaussian | sphere | torus")
    m.add_argument("--ambient-dim", type=positive_int_list, help="ambient dimension (0: none)")
    m.add_argument("--embedding", help="pad | rotation | network")
    t = p.add_argument_group("teacher")
    t.add_argument("--task", help="regression (MSE) | classification (cross-entropy)")
    t.add_argument(
        "--teacher-r2", help="rule: choose the teacher gain so its linear R^2 is this ('none': off)"
    )
    t.add_argument(
        "--teacher-gain", type=float, help="teacher hidden-layer gain (with --teacher-r2 none)"
    )
    t.add_argument("--teacher-depth", type=positive_int_list)
    t.add_argument("--teacher-width", type=positive_int_list)
    t.add_argument("--teacher-activation", help="tanh | gelu | softplus | sin")
    return m, t


def add_study_arguments(p: argparse.ArgumentParser, *, sizes: bool = True) -> None:
    g = p.add_argument_group("study")
    g.add_argument(
        "--config", type=Path, help="JSON or TOML file of config fields (flags override it)"
    )
    g.add_argument("--dims", type=positive_int_list, nargs="+", help="intrinsic dimensions d")
    if sizes:
        g.add_argument("--sizes", type=positive_int_list, nargs="+", help="training-set sizes D")
    g.add_argument("--seeds", type=positive_int_list, help="seeds (replicates) per point")
    g.add_argument("--seed", type=positive_int_list, help="master seed of the study")
    g.add_argument("--out", type=Path, help="output directory")
    m, t = add_manifold_teacher_arguments(p)
    m.add_argument("--embedding-gain", type=float, help="curvature of the network embedding")
    m.add_argument("--noise-std", type=float, help="isotropic ambient noise")
    t.add_argument("--input-scale", type=float, help="teacher input frequency")
    t.add_argument("--loss-power", type=float, help="train/test loss |y - y_hat|^p (2 = MSE)")
    s = p.add_argument_group("student and training")
    s.add_argument("--width", type=positive_int_list, help="student width")
    s.add_argument("--depth", type=positive_int_list, help="student hidden layers")
    s.add_argument("--optimizer", help="adam | adamw | sgd | lion")
    s.add_argument("--lr", type=float, help="peak learning rate")
    s.add_argument("--batch-size", type=positive_int_list)
    s.add_argument("--steps-per-point", type=float, help="optimiser steps per training point")
    s.add_argument("--min-steps", type=positive_int_list)
    s.add_argument("--max-steps", type=positive_int_list)
    s.add_argument("--precision", help="float32 | float64")
    s.add_argument(
        "--lbfgs-steps", type=positive_int_list, help="full-batch L-BFGS refinement steps"
    )
    s.add_argument("--n-test", type=positive_int_list, help="fresh test points per seed")
    s.add_argument("--n-val", type=positive_int_list, help="validation points (checkpoint choice)")
    a = p.add_argument_group("analysis")
    a.add_argument("--interpolation-ratio", type=float, help="window rule: train <= r x test")
    a.add_argument("--min-params-per-point", type=float, help="window rule: P >= k x D")
    a.add_argument("--with-floor", action="store_true", default=None, help="fit L = E + A D^-a")
    a.add_argument("--bootstrap", type=positive_int_list, help="bootstrap resamples")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")


def study_config_from_args(args, base):
    """``base`` (a study config) updated by ``--config`` and then by the flags given."""
    cls = type(base)
    if getattr(args, "config", None):
        base = load_sweep_config(cls, args.config)
    top = {}
    for flag, field in [
        ("dims", "dims"),
        ("sizes", "sizes"),
        ("seeds", "seeds"),
        ("seed", "seed"),
        ("latent", "latent"),
        ("ambient_dim", "ambient_dim"),
        ("embedding", "embedding"),
        ("embedding_gain", "embedding_gain"),
        ("noise_std", "noise_std"),
        ("loss_power", "loss_power"),
        ("n_test", "n_test"),
        ("n_val", "n_val"),
        ("interpolation_ratio", "interpolation_ratio"),
        ("min_params_per_point", "min_params_per_point"),
        ("with_floor", "with_floor"),
        ("bootstrap", "n_bootstrap"),
    ]:
        value = getattr(args, flag, None)
        if value is not None and hasattr(base, field):
            top[field] = tuple(value) if isinstance(value, list) else value
    if args.teacher_r2 is not None:
        if args.teacher_r2.lower() == "none":
            top["teacher_target_r2"] = None
        else:
            try:
                top["teacher_target_r2"] = float(args.teacher_r2)
            except ValueError:
                raise InputError(
                    "--teacher-r2",
                    f"must be a number in [0.05, 0.99] or 'none' (got {args.teacher_r2!r})",
                ) from None
    teacher = _sub(
        base.teacher,
        task=args.task,
        gain=args.teacher_gain,
        depth=args.teacher_depth,
        width=args.teacher_width,
        activation=args.teacher_activation,
        input_scale=args.input_scale,
    )
    student = _sub(base.student, width=args.width, depth=args.depth)
    train = _sub(
        base.train,
        optimizer=args.optimizer,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        steps_per_point=args.steps_per_point,
        min_steps=args.min_steps,
        max_steps=args.max_steps,
        precision=args.precision,
        lbfgs_steps=args.lbfgs_steps,
    )
    return replace(base, teacher=teacher, student=student, train=train, **top)


def _sub(config, **kw):
    kw = {k: v for k, v in kw.items() if v is not None}
    return replace(config, **kw) if kw else config
