"""The one place where a seed becomes a JAX key: every named derivation of the package.

Every random draw of a study descends from its master ``seed`` through the functions below, so the
same config and seed give the same numbers, and two draws that must be independent (the teacher
and the data, the data and the student) come from different derivations. The integer constants are
*salts*: arbitrary but fixed labels that separate streams; changing one changes every record that
uses it, so they are named here once and never written anywhere else.

Integer seeds that are stored in trial configs (``data_seed``, ``seed``) must stay below 2**31:
``jax.random.key`` silently truncates larger Python integers, which would make distinct seeds
collide; derived seeds are therefore hashed into 31 bits (:func:`_hash31`).
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import jax

__all__ = [
    "OnlineKeys",
    "SetupKeys",
    "TrialKeys",
    "VarianceKeys",
    "analysis_key",
    "calibration_keys",
    "digits_keys",
    "key",
    "online_keys",
    "replicate_seed",
    "representation_key",
    "setup_keys",
    "split_key",
    "teacher_seed",
    "trial_keys",
    "variance_keys",
    "variance_train_key",
]

MAX_SEED = 2**31 - 1

# Salts (fixed labels of independent streams; part of every stored record's reproducibility).
_TEACHER_EVAL = 17  # points on which a teacher rule measures the teacher's linear R^2
_STUDENT = 7  # the student's initialisation and minibatches (fixed training set)
_ONLINE = 101  # validation, test and fresh-batch streams of an unlimited-data trial
_VARIANCE_PRETRAIN = 303  # theta*'s pretraining: validation, (unused) test, fresh batches
_VARIANCE_TEST = 404  # the variance-limited study's shared test set
_VARIANCE_TRAIN = 505  # a variance-limited trial's training set
_VARIANCE_POPULATION = 606  # the population sample theta* is polished on
_ONLINE_WIDTH = 131  # folds (width, depth) into an unlimited-data student's initialisation
_LAYER_IDS = 12345  # fresh points for per-layer intrinsic dimensions
_LAYER_VIEWS = 54321  # fresh points for the UMAP views


def key(seed: int) -> jax.Array:
    """A typed JAX key from an integer seed in [0, 2**31)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be an integer in [0, {MAX_SEED}] (got {seed!r})")
    return jax.random.key(seed)


def _hash31(*parts) -> int:
    """A 31-bit integer seed derived from ``parts`` (stable across platforms and processes)."""
    blob = ":".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:4], "big") >> 1


def teacher_seed(seed: int, d: int, replicate: int, *, draw: int = 0) -> int:
    """The integer ``data_seed`` that draws replicate ``replicate``'s embedding and teacher at ``d``.

    Every replicate of a study draws its own teacher (and embedding): the teacher draw is the
    largest source of variation between repetitions of one question, so an interval over
    replicates must include it. ``draw`` > 0: the replicate's next candidate, when a population
    rule (a length-scale band) refused the previous ones; draw 0 is the replicate's first.
    """
    if draw:
        return _hash31("teacher", seed, d, replicate, "draw", draw)
    return _hash31("teacher", seed, d, replicate)


def replicate_seed(seed: int, replicate: int) -> int:
    """The integer ``seed`` of replicate ``replicate``: its data, initialisation and minibatches."""
    return _hash31("replicate", seed, replicate)


class SetupKeys(NamedTuple):
    """What ``data_seed`` draws: the ambient embedding and the teacher."""

    embedding: jax.Array
    teacher: jax.Array


def setup_keys(data_seed: int) -> SetupKeys:
    k_embed, k_teacher = jax.random.split(key(data_seed))
    return SetupKeys(k_embed, k_teacher)


def calibration_keys(data_seed: int) -> tuple[jax.Array, jax.Array]:
    """(teacher, evaluation) keys of a teacher rule: the teacher key is the trials' own, so the
    calibrated teacher is the very teacher they train on (same weights draw, only its gain chosen);
    the evaluation key draws the points its linear R^2 is measured on."""
    return setup_keys(data_seed).teacher, jax.random.fold_in(key(data_seed), _TEACHER_EVAL)


class TrialKeys(NamedTuple):
    """A fixed-training-set trial: its training, validation and test samples and its student.

    The test key depends on (``seed``, ``data_seed``) only, so every size of one replicate is scored
    on the same points; the training and validation keys also fold in the size.
    """

    data: jax.Array
    val: jax.Array
    test: jax.Array
    student: jax.Array


def trial_keys(seed: int, data_seed: int, n_train: int) -> TrialKeys:
    k_test, k_rest = jax.random.split(jax.random.fold_in(key(seed), data_seed))
    k_train, k_val = jax.random.split(jax.random.fold_in(k_rest, n_train))
    k_student = jax.random.fold_in(jax.random.fold_in(key(seed), _STUDENT), n_train)
    return TrialKeys(k_train, k_val, k_test, k_student)


class OnlineKeys(NamedTuple):
    """An unlimited-data trial: validation and test sets and the stream of fresh batches, all
    shared by every width of one replicate (so every student of a replicate can train on one
    stream, one teacher pass per step), and the student's initialisation (which folds in its width
    and depth)."""

    val: jax.Array
    test: jax.Array
    stream: jax.Array
    init: jax.Array


def online_keys(seed: int, data_seed: int, width: int, depth: int) -> OnlineKeys:
    seed_key = jax.random.fold_in(key(seed), data_seed)
    k_val, k_test, k_train = jax.random.split(jax.random.fold_in(seed_key, _ONLINE), 3)
    k_stream, k_inits = jax.random.split(k_train)
    k_init = jax.random.fold_in(k_inits, width * _ONLINE_WIDTH + depth)
    return OnlineKeys(k_val, k_test, k_stream, k_init)


class VarianceKeys(NamedTuple):
    """The variance-limited study: theta*'s pretraining (validation, batches), its population
    sample, the shared test set; per trial, the training set (:func:`variance_train_key`)."""

    pretrain_val: jax.Array
    pretrain: jax.Array
    population: jax.Array
    test: jax.Array


def variance_keys(data_seed: int) -> VarianceKeys:
    base = key(data_seed)
    k_val, _unused_test, k_train = jax.random.split(jax.random.fold_in(base, _VARIANCE_PRETRAIN), 3)
    return VarianceKeys(
        k_val,
        k_train,
        jax.random.fold_in(base, _VARIANCE_POPULATION),
        jax.random.fold_in(base, _VARIANCE_TEST),
    )


def variance_train_key(seed: int, data_seed: int, n_train: int) -> jax.Array:
    k = jax.random.fold_in(jax.random.fold_in(key(seed), data_seed), _VARIANCE_TRAIN)
    return jax.random.fold_in(k, n_train)


def digits_keys(seed: int) -> tuple[jax.Array, jax.Array]:
    """(permutation of the digits into pool and test, student) for one replicate."""
    return key(seed), key(seed)


def analysis_key(seed: int, *path: int) -> jax.Array:
    """The key of an analysis step (bootstrap resamples), e.g. ``analysis_key(seed, d)``."""
    k = key(seed)
    for p in path:
        k = jax.random.fold_in(k, p)
    return k


def split_key(k: jax.Array, n: int) -> list[jax.Array]:
    """``n`` independent keys from an analysis key (e.g. the fit, its sensitivity fit, and the
    fit on the other test set each get their own)."""
    return list(jax.random.split(k, n))


def representation_key(seed: int, *, views: bool = False) -> jax.Array:
    """Fresh points pushed through a trained trial for per-layer IDs (or UMAP views)."""
    return key((seed + (_LAYER_VIEWS if views else _LAYER_IDS)) % (MAX_SEED + 1))
