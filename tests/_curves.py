"""Synthetic loss curves with a known exponent, shared by the fitting tests."""

from __future__ import annotations

import numpy as np

SIZES = 2.0 ** np.arange(7, 15)  # 128 ... 16384, as in a data-scaling sweep


def noisy_power_law(rng, alpha, *, sizes=SIZES, n_rep=1, sigma=0.05, amplitude=3.0, floor=0.0):
    """Losses ``(A D^-alpha + E) * lognormal(sigma)`` with ``n_rep`` replicates per size."""
    d = np.repeat(sizes, n_rep)
    groups = np.tile(np.arange(n_rep), sizes.size)
    loss = (amplitude * d ** (-alpha) + floor) * np.exp(sigma * rng.standard_normal(d.size))
    return d, loss, groups


def replicate_curves(rng, alphas, *, sizes=SIZES, sigma=0.05):
    """One curve per replicate, replicate r with exponent ``alphas[r]``."""
    n = len(alphas)
    d = np.tile(sizes, n)
    groups = np.repeat(np.arange(n), sizes.size)
    loss = 3.0 * d ** -np.asarray(alphas)[groups] * np.exp(sigma * rng.standard_normal(d.size))
    return d, loss, groups
