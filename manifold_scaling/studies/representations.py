"""Intrinsic dimension of what a trained student learned, layer by layer.

Sharma & Kaplan 2020 (Sec. 3.2, Fig. 5) measure the ID of the last hidden layer of trained students
and find it close to the data's d. For any trial record of a sweep, this rebuilds the manifold,
teacher and student from the record (same config -> same draws), pushes fresh points through
them and estimates the ID of: the latent coordinates, the ambient data, every student hidden layer
(pre-activations) and every teacher hidden layer.
"""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np

from .. import keys
from ..configs import config_from_dict, save_json
from ..errors import InputError
from ..intrinsic_dim import estimate_id
from ..manifolds import sample_manifold
from ..students import student_hidden
from .trials import TrialConfig, params_from_arrays, trial_setup


def load_trial(run_dir, *, d=None, size=None, seed=None):
    """The trial record in ``run_dir`` matching (d, size, seed); the last one if not given.

    ``seed`` is a trial's seed as stored in its record (``trials.csv``), or a replicate index
    (0, 1, ...: the replicates in the order the sweep lists them), since replicate seeds are
    derived (``keys.replicate_seed``) and not typed by hand.
    """
    from ..sweep import load_records

    run_dir = Path(run_dir)
    if not (run_dir / "trials").is_dir():
        raise InputError("RUN_DIR", f"{run_dir} holds no sweep records (no trials/ directory)")
    records = load_records(run_dir)

    def pick(seed_of):
        return [
            r
            for r in records
            if (d is None or r.config["manifold"]["intrinsic_dim"] == d)
            and (size is None or r.config["n_train"] == size)
            and (seed is None or seed_of(r) == seed)
            and "student_w0" in r.arrays
        ]

    matches = pick(lambda r: r.config["seed"])
    if not matches and seed is not None:
        order = list(dict.fromkeys(r.config["seed"] for r in records))
        matches = pick(lambda r: order.index(r.config["seed"]))
    if not matches:
        have = sorted(
            {
                (r.config["manifold"]["intrinsic_dim"], r.config["n_train"], r.config["seed"])
                for r in records
            }
        )
        raise InputError(
            "--d/--size/--seed", f"no trial matches; available (d, size, seed): {have[:12]}"
        )
    return matches[-1]


def layer_dimensions_of_trial(
    record, *, n_points: int = 4000, estimator: str | None = None, key=None
):
    """ID of latent, data, student hidden layers and teacher hidden layers of one trial."""
    config = config_from_dict(TrialConfig, record.config)
    key = keys.representation_key(config.seed) if key is None else key
    k_points, k_est = jax.random.split(key)
    embedder, teacher = trial_setup(config)
    sample = sample_manifold(k_points, embedder, n_points)
    params = params_from_arrays(record.arrays)
    layers = {"latent z": sample.z, "data x": sample.x}
    for i, h in enumerate(student_hidden(params, sample.x)):
        layers[f"student hidden {i + 1}"] = h
    for i, h in enumerate(teacher.hidden(sample.z)):
        layers[f"teacher hidden {i + 1}"] = h
    rows, curves = [], {}
    for j, (name, acts) in enumerate(layers.items()):
        kw = {"key": jax.random.fold_in(k_est, j)}
        if estimator:
            kw["estimator"] = estimator
        est = estimate_id(np.asarray(acts, np.float64), **kw)
        curves[name] = estimate_id(np.asarray(acts, np.float64), estimator="multiscale").to_dict()
        rows.append(
            {
                "layer": name,
                "width": int(np.shape(acts)[1]),
                "dimension": est.dimension,
                "ci": list(est.ci),
                "estimator": est.estimator,
                "n_dropped": est.n_dropped,
            }
        )
    return {
        "d": config.manifold.intrinsic_dim,
        "n_train": config.n_train,
        "seed": config.seed,
        "test_loss": record.metrics.get("test_loss"),
        "layers": rows,
        "multiscale": curves,
    }


def trial_views(record, *, n_points: int = 2000, key=None) -> tuple[dict, np.ndarray]:
    """Point clouds for UMAP views: latent z, ambient x and the student's last hidden layer."""
    config = config_from_dict(TrialConfig, record.config)
    key = keys.representation_key(config.seed, views=True) if key is None else key
    embedder, _ = trial_setup(config)
    sample = sample_manifold(key, embedder, n_points)
    last = student_hidden(params_from_arrays(record.arrays), sample.x)[-1]
    panels = {
        "latent z": np.asarray(sample.z),
        "data x": np.asarray(sample.x),
        "student last hidden layer": np.asarray(last),
    }
    return panels, np.asarray(sample.z)[:, 0]


def layer_table(result: dict) -> str:
    lines = [
        f"Trial d={result['d']}, D={result['n_train']}, seed={result['seed']}",
        "| layer | width | ID | 90 % interval | ID / d |",
        "|---|---|---|---|---|",
    ]
    for r in result["layers"]:
        lines.append(
            f"| {r['layer']} | {r['width']} | {r['dimension']:.2f} | "
            f"[{r['ci'][0]:.2f}, {r['ci'][1]:.2f}] | {r['dimension'] / result['d']:.2f} |"
        )
    return "\n".join(lines)


def layer_figure(result: dict, path) -> str:
    from ..plots import save_figure
    from ..plots._style import error_bars, new_figure

    names = [r["layer"] for r in result["layers"]]
    dims = np.array([r["dimension"] for r in result["layers"]], float)
    ci = np.array([r["ci"] for r in result["layers"]], float).reshape(-1, 2)
    fig = new_figure((6.4, 3.8))
    ax = fig.subplots()
    x = np.arange(len(names))
    # error_bars clips an estimate outside its interval instead of letting matplotlib raise.
    yerr = error_bars(dims, ci[:, 0], ci[:, 1], what="ID per layer")
    ax.errorbar(x, dims, yerr=yerr, fmt="o", capsize=4)
    ax.axhline(result["d"], color="k", ls="--", lw=1, label=f"d = {result['d']}")
    ax.set_xticks(x, names, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("estimated intrinsic dimension")
    ax.set_title(f"ID per layer (D={result['n_train']}, seed {result['seed']})")
    ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)


def save_layer_dimensions(result: dict, out) -> None:
    save_json(out, result)
