"""Data manifolds of known intrinsic dimension, embedded in an ambient space.

A latent point z is drawn from a d-dimensional distribution (its *coordinates* may live in more than d
numbers: S^d uses d+1, the torus T^d uses 2d), then embedded into ``ambient_dim`` dimensions by zero
padding (Sharma & Kaplan 2020's masked inputs), a random rotation, or a smooth random network. The
intrinsic dimension d is stored with every dataset; the teacher acts on the latent coordinates, so the
ambient embedding changes what the *student* sees and nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np

from ._affine import lift
from .errors import InputError, check_choice, check_float, check_int

LATENTS = ("cube", "gaussian", "sphere", "torus", "unit-cube")
EMBEDDINGS = ("pad", "rotation", "network")

Latent = Literal["cube", "gaussian", "sphere", "torus", "unit-cube"]

_COORDS_RULE = {"cube": "d", "gaussian": "d", "sphere": "d+1", "torus": "2d", "unit-cube": "d"}


def coordinate_count(latent: str, d: int) -> int:
    """How many numbers a latent point of a d-dimensional ``latent`` has: d for the cube and the
    Gaussian, d + 1 for the sphere S^d in R^(d+1), 2d for the flat torus T^d in (cos, sin) form."""
    return {"sphere": d + 1, "torus": 2 * d}.get(latent, d)


Embedding = Literal["pad", "rotation", "network"]

# Compact latents without a boundary: no edge for a kernel's boundary layer (Schaback 1999), so
# the kernel theory's rate is the boundary-free one (Spigler, Geiger & Wyart 2019).
BOUNDARY_FREE = ("sphere", "torus")

TORUS_PERIOD = 2.0 * math.pi


def has_boundary(latent: str) -> bool:
    """Whether a latent manifold has an edge that can limit a kernel's rate: True for the cubes
    (and, conservatively, the Gaussian), False for the sphere and the flat torus."""
    return latent not in BOUNDARY_FREE


def chart(latent: str, z) -> tuple[np.ndarray, float | None]:
    """Chart coordinates of latent points for the piecewise-linear learner, and their period.

    The torus's (cos, sin) coordinates lie on a sphere in R^(2d), all on the surface of their own
    convex hull, so a Delaunay triangulation there interpolates nothing; its chart is the angles
    in [0, 2 pi)^d with period 2 pi (triangulated periodically: every point is interior). Every
    other latent is its own chart (no period).
    """
    z = np.asarray(z, np.float64)
    if latent != "torus":
        return z, None
    d = z.shape[1] // 2
    return np.mod(np.arctan2(z[:, d:], z[:, :d]), TORUS_PERIOD), TORUS_PERIOD


@dataclass(frozen=True)
class ManifoldConfig:
    """A d-dimensional latent distribution embedded in ``ambient_dim`` dimensions.

    ``embedding_gain`` sets the curvature of the ``network`` embedding (0 -> a rotation);
    ``noise_std`` adds isotropic ambient noise (which raises the *measured* dimension at small scales).
    ``ambient_dim = 0`` means "the latent coordinates themselves" (no embedding).
    """

    intrinsic_dim: int = 3
    latent: Latent = "cube"
    ambient_dim: int = 0
    embedding: Embedding = "rotation"
    embedding_gain: float = 1.0
    noise_std: float = 0.0

    def __post_init__(self):
        check_int("intrinsic_dim", self.intrinsic_dim, minimum=1, maximum=1024)
        check_choice("latent", self.latent, LATENTS)
        check_choice("embedding", self.embedding, EMBEDDINGS)
        check_float("embedding_gain", self.embedding_gain, minimum=0.0)
        check_float("noise_std", self.noise_std, minimum=0.0)
        check_int("ambient_dim", self.ambient_dim, minimum=0)
        if self.ambient_dim and self.ambient_dim < self.coord_dim:
            raise InputError(
                "ambient_dim",
                f"must be >= {self.coord_dim} ({_COORDS_RULE[self.latent]} for a {self.latent} of "
                f"intrinsic dimension {self.intrinsic_dim}), or 0 for no embedding "
                f"(got {self.ambient_dim})",
            )

    @property
    def coord_dim(self) -> int:
        """Number of coordinates of a latent point (:func:`coordinate_count`)."""
        return coordinate_count(self.latent, self.intrinsic_dim)

    @property
    def input_dim(self) -> int:
        """Dimension the student sees."""
        return self.ambient_dim or self.coord_dim


def sample_latent(key, latent: str, n: int, d: int, dtype=jnp.float32) -> jax.Array:
    """Draw ``n`` latent coordinates of a d-dimensional manifold.

    cube: U[-1, 1]^d; unit-cube: U[-0.5, 0.5]^d (Sharma & Kaplan 2020's inputs); gaussian:
    N(0, I_d); sphere: uniform on S^d in R^(d+1);
    torus: the flat torus T^d = (S^1)^d, angles uniform, coordinates (cos, sin) in R^(2d).
    """
    if latent == "cube":
        return jax.random.uniform(key, (n, d), dtype, -1.0, 1.0)
    if latent == "unit-cube":
        return jax.random.uniform(key, (n, d), dtype, -0.5, 0.5)
    if latent == "gaussian":
        return jax.random.normal(key, (n, d), dtype)
    if latent == "sphere":
        g = jax.random.normal(key, (n, d + 1), dtype)
        return g / jnp.linalg.norm(g, axis=1, keepdims=True)
    if latent == "torus":
        theta = jax.random.uniform(key, (n, d), dtype, 0.0, 2.0 * jnp.pi)
        return jnp.concatenate([jnp.cos(theta), jnp.sin(theta)], axis=1)
    raise InputError("latent", f"must be one of {', '.join(LATENTS)} (got {latent!r})")


@dataclass(frozen=True)
class Embedder:
    """The fixed random map from latent coordinates to ambient space."""

    config: ManifoldConfig
    params: dict

    def __call__(self, z: jax.Array) -> jax.Array:
        return embed(self.params, self.config, z)


def init_embedding(key, config: ManifoldConfig) -> Embedder:
    """Draw the embedding's random parts (rotation, network weights)."""
    m, n_amb = config.coord_dim, config.input_dim
    k_rot, k_w1, k_b1, k_w2 = jax.random.split(key, 4)
    # A Haar-random orthonormal frame: first m columns of Q from the QR of a Gaussian matrix.
    q, r = jnp.linalg.qr(jax.random.normal(k_rot, (n_amb, n_amb), jnp.float32))
    q = q * jnp.sign(jnp.diag(r))[None, :]
    params = {"frame": q[:, :m]}
    if config.embedding == "network":
        hidden = max(64, 2 * n_amb)
        params["w1"] = jax.random.normal(k_w1, (m, hidden), jnp.float32) / jnp.sqrt(m)
        params["b1"] = 0.5 * jax.random.normal(k_b1, (hidden,), jnp.float32)
        params["w2"] = jax.random.normal(k_w2, (hidden, n_amb), jnp.float32) / jnp.sqrt(hidden)
    return Embedder(config, params)


def embed(params: dict, config: ManifoldConfig, z: jax.Array) -> jax.Array:
    """Map latent coordinates into the ambient space (no noise)."""
    if not config.ambient_dim:
        return z
    if config.embedding == "pad":
        return jnp.pad(z, ((0, 0), (0, config.ambient_dim - z.shape[1])))
    x = z @ params["frame"].T.astype(z.dtype)
    if config.embedding == "network":
        g = config.embedding_gain
        if g > 0:
            # An orthonormal linear part plus a bounded smooth bend: injective in practice for
            # moderate gains, with curvature growing with g (g -> 0 recovers the rotation).
            pre = g * (z @ params["w1"].astype(z.dtype))
            h = jnp.tanh(pre + lift(params["b1"].astype(z.dtype), pre))
            x = x + 0.5 * (h @ params["w2"].astype(z.dtype))
    return x


@dataclass(frozen=True)
class ManifoldSample:
    """Points on a manifold: latent coordinates ``z`` and their ambient images ``x``."""

    z: jax.Array
    x: jax.Array
    intrinsic_dim: int


def sample_manifold(key, embedder: Embedder, n: int, dtype=jnp.float32) -> ManifoldSample:
    """Draw ``n`` points: latent sample, embedding, optional isotropic ambient noise."""
    config = embedder.config
    k_z, k_noise = jax.random.split(key)
    z = sample_latent(k_z, config.latent, n, config.intrinsic_dim, dtype)
    x = embedder(z)
    if config.noise_std > 0:
        x = x + config.noise_std * jax.random.normal(k_noise, x.shape, dtype)
    return ManifoldSample(z=z, x=x, intrinsic_dim=config.intrinsic_dim)
