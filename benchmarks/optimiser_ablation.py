"""Does the network's mechanism depend on how it is trained? The main job under two optimisers.

    python benchmarks/optimiser_ablation.py [--dims 2 3] [--lbfgs-steps 2000] [--out DIR]

Runs the main job's data-scaling study (``studies.presets.REPRODUCE``, restricted to ``--dims``)
twice into ``DIR/adam`` and ``DIR/adam+lbfgs``: Adam alone, and the same Adam run followed by a
full-batch L-BFGS polish of ``--lbfgs-steps`` iterations (kept only where it lowers the
validation loss). The seeds are the same, so both legs see the same teachers, data,
initialisations and minibatches, and the learners (simplex, Laplace kernel) are identical; only
the network differs. Each leg is a resumable sweep (re-running skips finished trials; pointing
``DIR/adam`` at a saved main job reuses it).

Prints one row per (optimiser, d): how many cells the per-cell convergence rule excludes, the
network's exponent (or the all-cells diagnostic when there is no verdict), and the paired
contrasts network - simplex and network - kernel with their calls and the mechanism named.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from manifold_scaling.studies.data_scaling import run_data_scaling
from manifold_scaling.studies.presets import REPRODUCE
from manifold_scaling.studies.verdict import Verdict


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--lbfgs-steps", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("results/optimiser_ablation"))
    args = parser.parse_args(argv)
    base = replace(REPRODUCE, dims=tuple(args.dims))
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
