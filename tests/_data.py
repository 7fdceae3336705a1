"""Small data sets and parsers the tests share: point clouds of known dimension, the own-data
study's arrays and shrunk configs, and the cells of a markdown table."""

from __future__ import annotations

import numpy as np


def rotate(z, ambient, rng):
    """``z`` (n, d) placed in R^ambient by a random rotation."""
    q, _ = np.linalg.qr(rng.standard_normal((ambient, ambient)))
    return z @ q[: z.shape[1]]


def cube(n, d, ambient, seed):
    """n uniform points of the unit d-cube, rotated into R^ambient."""
    rng = np.random.default_rng(seed)
    return rotate(rng.random((n, d)), ambient, rng)


def sphere(n, d, ambient, seed):
    """n uniform points of the d-sphere (in R^(d+1)), rotated into R^ambient."""
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((n, d + 1))
    return rotate(g / np.linalg.norm(g, axis=1, keepdims=True), ambient, rng)


def manifold_data(n=800, d=2):
    """(X, y) of the package's own kind: a rotated d-cube in R^6 and a calibrated tanh teacher."""
    import jax

    from manifold_scaling.manifolds import ManifoldConfig, sample_manifold
    from manifold_scaling.studies.trials import draw_setup
    from manifold_scaling.teachers import TeacherConfig

    embedder, teacher = draw_setup(
        3, ManifoldConfig(intrinsic_dim=d, ambient_dim=6), TeacherConfig()
    )
    sample = sample_manifold(jax.random.key(1), embedder, n)
    return np.asarray(sample.x, np.float32), np.asarray(teacher(sample.z), np.float32)


def curved_sheet(n, seed=0):
    """A 2-D latent square embedded smoothly in 5 dimensions, with a smooth target on it."""
    rng = np.random.default_rng(seed)
    z = rng.uniform(-1, 1, size=(n, 2))
    x = np.column_stack([z[:, 0], z[:, 1], np.sin(2 * z[:, 0]), np.cos(2 * z[:, 1]), z.prod(1)])
    return x.astype(np.float32), np.sin(2 * z[:, 0]) + np.cos(3 * z[:, 1])


# The own-data study shrunk, from Python and as command-line flags (the same design).
OWN_SMALL = dict(
    sizes=(32, 64, 128), seeds=2, n_bootstrap=50, student={"width": 32},
    train={"steps_per_point": 1.0, "min_steps": 50, "max_steps": 100},
)  # fmt: skip
OWN_SMALL_ARGV = [
    "--sizes", "32", "64", "128", "--seeds", "2", "--bootstrap", "50", "--width", "32",
    "--steps-per-point", "1", "--min-steps", "50", "--max-steps", "100", "--no-figures",
]  # fmt: skip


def table_cells(markdown_table: str) -> list[str]:
    """Every cell of a markdown table, header included, separator rows left out."""
    return [
        c.strip()
        for line in markdown_table.splitlines()
        if line.startswith("|") and not line.startswith("|---")
        for c in line.strip().strip("|").split("|")
    ]
