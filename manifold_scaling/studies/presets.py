"""Named configs: the README's reproduction and its quick smoke version.

The defaults were chosen once for every d by rules stated in advance (``docs/teachers.md``):
the teacher's gain by its linear R^2, the training budget by steps per training point, and the fit
window by the interpolation diagnostic. Nothing here is tuned per d.
"""

from __future__ import annotations

from dataclasses import replace

from ..students import StudentConfig
from ..training import TrainConfig
from .base import DataScalingConfig

REPRODUCE = DataScalingConfig(
    dims=(2, 3, 4, 6, 8),
    sizes=(64, 128, 256, 512, 1024),
    seeds=2,
    seed=0,
    ambient_dim=24,
    embedding="rotation",
    teacher_target_r2=0.7,
    student=StudentConfig(depth=2, width=256),
    train=TrainConfig(steps_per_point=16.0, min_steps=2000, max_steps=60000, learning_rate=3e-3),
)


def reproduce_config(quick: bool = False) -> DataScalingConfig:
    if not quick:
        return REPRODUCE
    return replace(
        REPRODUCE,
        sizes=(64, 128, 256, 512),
        seeds=1,
        n_test=4096,
        student=StudentConfig(depth=2, width=128),
        train=replace(REPRODUCE.train, steps_per_point=8.0, min_steps=1000, max_steps=4000),
        n_bootstrap=200,
    )


def tiny(config: DataScalingConfig) -> DataScalingConfig:
    """A seconds-long version of any data-scaling config, for smoke tests of scripts."""
    return replace(
        config,
        dims=config.dims[:2],
        sizes=(32, 64, 128),
        seeds=1,
        ambient_dim=min(config.ambient_dim, 8) if config.ambient_dim else 0,
        n_test=512,
        n_val=128,
        student=StudentConfig(depth=2, width=32),
        train=replace(config.train, steps_per_point=2.0, min_steps=200, max_steps=400),
        n_bootstrap=100,
    )
