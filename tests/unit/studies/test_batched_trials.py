"""Data-scaling trials of one d batched over replicates and training-set sizes.

On the ``devices`` backend the seeds and sizes of one d share one vmapped program: each set is
zero-padded to the batch's largest and each student samples its minibatches from its own points.
A trial must get what it gets alone. Tolerance (float32): metrics within rel 1e-5 (measured
<= 1e-6; the masked whole-set loss and vmapped matmuls reorder float sums), arrays within
rtol 1e-4 / atol 1e-6 (measured abs <= 3e-7), best_step and steps identical.
"""

from dataclasses import replace
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _configs import (
    CONFIGS,
    REPLICATES,
    SIZES,
    TRAIN,
    outputs_match,
    trial_config,
)

from manifold_scaling.students import StudentConfig
from manifold_scaling.studies.presets import BAHRI2021
from manifold_scaling.studies.trials import (
    batch_key,
    data_scaling_trials,
    run_trial,
    run_trials,
)
from manifold_scaling.teachers import TeacherConfig
from manifold_scaling.training import train_students
from manifold_scaling.training._loop import fixed_set
from manifold_scaling.training._losses import chunked_loss, make_loss, masked_loss


@pytest.fixture(scope="module")
def alone():
    return [run_trial(c) for c in CONFIGS]


# --- the batch key --------------------------------------------------------------------------------


def test_batch_key_groups_seeds_and_sizes_of_one_d():
    assert len({batch_key(c) for c in CONFIGS}) == 1
    assert batch_key(trial_config(d=3)) != batch_key(trial_config(d=2))


def test_batch_key_groups_replicates_whose_teachers_differ():
    """Each replicate's teacher has its own calibrated gain; its targets are data computed before
    training, so the replicates of one d still share one program (the main job's design)."""
    other = replace(trial_config(seed=2, data_seed=12), teacher=TeacherConfig(gain=2.5))
    assert batch_key(other) == batch_key(trial_config())
    classify = replace(trial_config(), teacher=TeacherConfig(task="classification"))
    assert batch_key(classify) != batch_key(trial_config())


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_the_main_job_trains_one_program_per_d():
    from manifold_scaling.studies.base import replicates
    from manifold_scaling.studies.presets import REPRODUCE

    config = replace(REPRODUCE, seeds=2)
    trials = data_scaling_trials(config, {d: replicates(config, d) for d in config.dims})
    groups = {}
    for t in trials:
        groups.setdefault(batch_key(t), set()).add(t.manifold.intrinsic_dim)
    assert sorted(min(g) for g in groups.values()) == sorted(config.dims)
    assert all(len(g) == 1 for g in groups.values())


def test_the_study_groups_trials_on_every_backend(monkeypatch):
    """The data-scaling study hands each group to one batched call on the local backend too."""
    from manifold_scaling.studies import data_scaling

    grouping = data_scaling.DATA_SCALING.grouping
    assert grouping is not None and grouping.key is batch_key
    calls = []
    monkeypatch.setattr(data_scaling, "run_trials", lambda cs, **kw: calls.append((cs, kw)))
    grouping.run(CONFIGS)
    assert calls == [(CONFIGS, {"batched": True})]


def test_batch_key_separates_different_budgets():
    grows = replace(TRAIN, steps=None, steps_per_point=4.0, min_steps=50, max_steps=1000)
    # steps_for: 150 at D = 32, 400 at D = 96
    assert batch_key(trial_config(n_train=32, train=grows)) != batch_key(
        trial_config(n_train=96, train=grows)
    )
    assert batch_key(trial_config(n_train=96, train=grows)) == batch_key(
        trial_config(n_train=100, train=grows)
    )
    # full batch (batch >= D) is another source than minibatches of 16
    assert batch_key(trial_config(n_train=16)) != batch_key(trial_config(n_train=32))
    assert batch_key(trial_config(n_train=12)) != batch_key(trial_config(n_train=16))
    assert batch_key(trial_config(n_train=16, seed=3, data_seed=4)) == batch_key(
        trial_config(n_train=16)
    )


def test_batch_key_keeps_the_size_of_lbfgs_trials():
    polish = replace(TRAIN, lbfgs_steps=10)
    keys = {batch_key(trial_config(s, ds, n, train=polish)) for n in SIZES for s, ds in REPLICATES}
    assert len(keys) == len(SIZES)  # replicates still share one program per size


def test_bahri2021_batches_every_seed_and_size_of_one_d():
    reps = {
        d: [SimpleNamespace(draws=lambda s=s: {"teacher": BAHRI2021.teacher, "data_seed": 100 + s,
                                               "seed": s}) for s in range(3)]
        for d in (2, 3)
    }  # fmt: skip
    trials = data_scaling_trials(replace(BAHRI2021, dims=(2, 3)), reps)
    groups: dict = {}
    for t in trials:
        groups.setdefault(batch_key(t), set()).add((t.manifold.intrinsic_dim, t.n_train))
    # batch 64: D = 64 trains full batch (its own program), D = 128..8192 share one per d
    minibatch = set(BAHRI2021.sizes) - {64}
    assert {frozenset(g) for g in groups.values()} == {
        frozenset({(2, 64)}),
        frozenset({(3, 64)}),
        frozenset((2, n) for n in minibatch),
        frozenset((3, n) for n in minibatch),
    }


# --- training on padded sets ----------------------------------------------------------------------


def test_padded_set_draws_the_unpadded_minibatches():
    x = jax.random.uniform(jax.random.key(0), (64, 3))
    y = jnp.sin(x[:, :1])
    loss, k = make_loss("regression"), jax.random.key(9)
    alone = fixed_set(x[:40], y[:40], 16, 5, loss)

    @jax.jit
    def padded(n_valid):
        source = fixed_set(x, y, 16, 5, loss, n_valid)
        return source.draw(k), source.train_point(params, None)

    params = [(jnp.ones((3, 4)) * 0.1, jnp.zeros(4)), (jnp.ones((4, 1)), jnp.zeros(1))]
    idx, train = padded(jnp.int32(40))
    np.testing.assert_array_equal(idx, alone.draw(k))
    assert float(train) == pytest.approx(float(alone.train_point(params, None)), rel=1e-6)
    # chunked scoring of a padded set masks each chunk
    whole = float(chunked_loss(params, x[:40], y[:40], loss))
    assert float(masked_loss(params, x, y, 40, loss, chunk=16)) == pytest.approx(whole, rel=1e-6)


@pytest.mark.parametrize(
    "train, sizes",
    [
        (replace(TRAIN, steps=None, steps_per_point=4.0, min_steps=50), (32, 96)),  # budgets
        (TRAIN, (16, 32)),  # D = 16 would train full batch
        (replace(TRAIN, lbfgs_steps=5), (32, 96)),  # L-BFGS polishes the whole (padded) set
    ],
)
def test_padded_sets_refuse_budgets_that_differ(train, sizes):
    x, y = jnp.zeros((2, max(sizes), 3)), jnp.zeros((2, max(sizes), 1))
    with pytest.raises(ValueError, match="padded sets"):
        train_students(
            jax.random.split(jax.random.key(0), 2), StudentConfig(width=4), train, x, y,
            x[:, :8], y[:, :8], n_valid=list(sizes),
        )  # fmt: skip


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_batched_sizes_and_replicates_match_each_trial_alone(alone):
    batched = run_trials(CONFIGS, batched=True)
    for got, want in zip(batched, alone):
        assert got.metrics["steps"] == TRAIN.steps
        outputs_match(got, want)
    # the replicates really are different teachers and the sizes different sets
    assert len({round(o.metrics["test_loss"], 9) for o in batched}) == len(CONFIGS)


def test_unbatched_mixed_sizes_are_each_trial_alone_exactly(alone):
    for got, want in zip(run_trials(CONFIGS[1:3]), alone[1:3]):
        assert got.metrics == want.metrics
