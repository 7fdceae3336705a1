"""Does the network's mechanism depend on how it is trained? The main job under two optimisers.

    python benchmarks/optimiser_ablation.py [--dims 2 3] [--lbfgs-steps 2000] [--out DIR] [--tiny]

Runs the main job's data-scaling study (``studies.presets.REPRODUCE``, restricted to ``--dims``)
twice into ``DIR/adam`` and ``DIR/adam+lbfgs``: Adam alone, and the same Adam run followed by a
full-batch L-BFGS polish of ``--lbfgs-steps`` iterations (kept only where it lowers the
validation loss). The seeds are the same, so both legs see the same teachers, data,
initialisations and minibatches, and the learners (simplex, Laplace kernel) are identical; only
the network differs. Each leg is a resumable sweep (re-running skips finished trials; pointing
``DIR/adam`` at a saved main job reuses it).

Prints one row per (optimiser, d): how many cells the per-cell convergence rule excludes, the
network's exponent (or the all-cells diagnostic when there is no verdict), and the paired
contrasts network - simplex and network - kernel with their calls and the mechanism named (the
study computes contrasts only for a network with a verdict). A second table is a diagnostic, not
a verdict: on every cell of the window, whatever the convergence rule says, the same paired
contrasts per optimiser, and the paired change of the network's own exponent from Adam to the
polish (per teacher, 90 % Student-t intervals over the teachers).
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import replace
from pathlib import Path

import numpy as np

from manifold_scaling import keys
from manifold_scaling.studies.data_scaling import run_data_scaling
from manifold_scaling.studies.presets import REPRODUCE, tiny
from manifold_scaling.studies.verdict import LOSS_KEYS, Verdict
from manifold_scaling.studies.verdict._data_scaling import _replicate_alphas
from manifold_scaling.studies.verdict._mechanism import paired_difference


def _interval(ci) -> str:
    return "–" if ci is None else f"[{ci[0]:.2f}, {ci[1]:.2f}]"


def _row(label: str, v: Verdict) -> str:
    cells = v.cells
    failing = "–" if cells is None else f"{cells.n_excluded}/{cells.n_cells}"
    if v.alpha is not None:
        exponent = (
            f"{v.alpha:.2f} {_interval(v.alpha_ci)} ({v.agreement.value if v.agreement else '–'})"
        )
    elif v.sensitivity is not None:
        s = v.sensitivity
        exponent = f"no verdict; all cells {s.alpha:.2f} {_interval(s.interval)}"
    else:
        exponent = "no verdict"
    contrasts = {c.learner: c for c in (v.mechanism.contrasts if v.mechanism else ())}

    def contrast(name):
        c = contrasts.get(name)
        return "–" if c is None else f"{c.mean:+.2f} {_interval(c.interval)} ({c.call.value})"

    call = v.mechanism.call.value if v.mechanism else "–"
    return (f"| {label} | {v.d:g} | {failing} | {exponent} | {contrast('simplex')} | "
            f"{contrast('kernel')} | {call} |")  # fmt: skip


_LOSSES = ("test_loss_interior", *LOSS_KEYS.values())


def _rows(run_dir: Path, d: int) -> list[dict]:
    """A leg's trials at ``d`` as the verdict reads them (n_train, seed and the test losses)."""
    with open(run_dir / "trials.csv", newline="") as fh:
        trials = [t for t in csv.DictReader(fh) if int(t["config.manifold.intrinsic_dim"]) == d]
    return [
        {"n_train": float(t["config.n_train"]), "seed": t["config.seed"],
         **{k: float(t[f"metrics.{k}"]) for k in _LOSSES if t.get(f"metrics.{k}")}}
        for t in trials
    ]  # fmt: skip


def _alphas(rows, loss_key, window) -> dict[str, float]:
    sizes = np.array([r["n_train"] for r in rows])
    inside = (sizes >= window[0]) & (sizes <= window[1])
    common = {"n_bootstrap": 200, "ci": 0.9}
    return _replicate_alphas(rows, loss_key, inside, keys.key(0), common)


def _diff(a, b) -> str:
    c = paired_difference(a, b)
    return "–" if c is None else f"{c['mean']:+.2f} {_interval(c['ci'])}"


def all_cells_table(out: Path, legs: dict, dims, window) -> str:
    """Paired contrasts on every cell of ``window`` (a diagnostic): per optimiser network -
    simplex and network - kernel, and network (polish) - network (Adam) per teacher."""
    lines = [
        "| d | network − simplex (Adam) | network − simplex (polish) | network − kernel (Adam) "
        "| network − kernel (polish) | network: polish − Adam |",
        "|---|---|---|---|---|---|",
    ]
    for d in dims:
        adam, polish = (_rows(out / label, d) for label in legs)
        net = {k: _alphas(rows, "test_loss_interior", window) for k, rows in
               (("adam", adam), ("polish", polish))}  # fmt: skip
        ref = {n: _alphas(adam, LOSS_KEYS[n], window) for n in ("simplex", "kernel")}
        lines.append(
            f"| {d} | {_diff(net['adam'], ref['simplex'])} | {_diff(net['polish'], ref['simplex'])}"
            f" | {_diff(net['adam'], ref['kernel'])} | {_diff(net['polish'], ref['kernel'])}"
            f" | {_diff(net['polish'], net['adam'])} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--lbfgs-steps", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("results/optimiser_ablation"))
    parser.add_argument("--tiny", action="store_true", help="seconds-long smoke config (tests)")
    args = parser.parse_args(argv)
    base = replace(REPRODUCE, dims=tuple(args.dims))
    if args.tiny:  # two teachers: a paired contrast needs two
        base = replace(tiny(base), seeds=2)
    legs = {
        "adam": base,
        "adam+lbfgs": replace(base, train=replace(base.train, lbfgs_steps=args.lbfgs_steps)),
    }
    lines = [
        "| optimiser | d | cells excluded | network α_D | network − simplex | network − kernel "
        "| mechanism |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, config in legs.items():
        summary = run_data_scaling(config, args.out / label)
        for v in map(Verdict.from_dict, summary["results"]):
            if v.learner in (None, "network"):
                name = "Adam" if label == "adam" else f"Adam + L-BFGS {args.lbfgs_steps}"
                lines.append(_row(name, v))
    print("\n".join(lines))
    window = (min(base.sizes), max(base.sizes))
    print(f"\nDiagnostic, every cell of D = {window[0]}-{window[1]} (not a verdict):")
    print(all_cells_table(args.out, legs, args.dims, window))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
