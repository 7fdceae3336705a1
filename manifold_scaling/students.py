"""ReLU student networks: a ReLU MLP is piecewise linear, which is what makes L ~ D^(-4/d).

Parameters are a list of ``(w, b)`` pairs (a pytree), He-initialised: w ~ N(0, 2/fan_in), b = 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import jax
import jax.numpy as jnp

from ._affine import affine
from .errors import check_choice, check_float, check_int

INITS = ("he", "uniform", "normal")


@dataclass(frozen=True)
class StudentConfig:
    """``depth`` hidden ReLU layers of ``width`` units (Sharma & Kaplan: depth 2).

    ``init``: ``"he"`` N(0, 2/fan_in) weights, zero biases (the default); ``"uniform"``
    U(±1/sqrt(fan_in)) weights and biases (PyTorch's default, Bahri et al. 2021's students);
    ``"normal"`` N(0, 1/fan_in) weights and N(0, bias_std^2) biases (Sharma & Kaplan 2020).
    """

    depth: int = 2
    width: int = 256
    init: Literal["he", "uniform", "normal"] = "he"
    bias_std: float = 0.0

    def __post_init__(self):
        check_int("student.depth", self.depth, minimum=1, maximum=64)
        check_int("student.width", self.width, minimum=1, maximum=1 << 20)
        check_choice("student.init", self.init, INITS)
        check_float("student.bias_std", self.bias_std, minimum=0.0)


def init_student(key, config: StudentConfig, input_dim: int, output_dim: int = 1) -> list:
    """Draw a student's weights and biases by ``config.init``."""
    sizes = [input_dim] + [config.width] * config.depth + [output_dim]
    keys = jax.random.split(key, len(sizes) - 1)
    params = []
    for k, fan_in, fan_out in zip(keys, sizes[:-1], sizes[1:]):
        if config.init == "he":  # the historical draw: one key per layer, zero biases
            w = jax.random.normal(k, (fan_in, fan_out), jnp.float32) * jnp.sqrt(2.0 / fan_in)
            params.append((w, jnp.zeros((fan_out,))))
            continue
        k_w, k_b = jax.random.split(k)
        if config.init == "uniform":
            bound = 1.0 / jnp.sqrt(fan_in)
            w = jax.random.uniform(k_w, (fan_in, fan_out), jnp.float32, -bound, bound)
            b = jax.random.uniform(k_b, (fan_out,), jnp.float32, -bound, bound)
        else:
            w = jax.random.normal(k_w, (fan_in, fan_out), jnp.float32) / jnp.sqrt(fan_in)
            b = config.bias_std * jax.random.normal(k_b, (fan_out,), jnp.float32)
        params.append((w, b))
    return params


def student_apply(params: list, x: jax.Array) -> jax.Array:
    """Forward pass: ReLU hidden layers, linear read-out."""
    h = x
    for w, b in params[:-1]:
        h = jax.nn.relu(affine(h, w, b))
    w, b = params[-1]
    return affine(h, w, b)


def student_hidden(params: list, x: jax.Array, *, pre_activation: bool = True) -> list[jax.Array]:
    """Every hidden layer's activations (pre-activation by default, as Sharma & Kaplan measure)."""
    h, out = x, []
    for w, b in params[:-1]:
        a = affine(h, w, b)
        h = jax.nn.relu(a)
        out.append(a if pre_activation else h)
    return out


def parameter_count(config: StudentConfig, input_dim: int, output_dim: int = 1) -> int:
    sizes = [input_dim] + [config.width] * config.depth + [output_dim]
    return sum((i + 1) * o for i, o in zip(sizes[:-1], sizes[1:]))


def cast_params(params: list, dtype) -> list:
    return jax.tree_util.tree_map(lambda a: a.astype(dtype), params)
