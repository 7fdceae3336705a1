"""Model-size scaling (Sharma & Kaplan 2020): alpha_N against 4/d for d = 3, 4, 6 at unlimited data.

    python experiments/model_scaling.py [flags of ``manifold-scaling model-scaling``]
    python experiments/model_scaling.py --preset sharma-kaplan2020 --budget-fraction 0.00625 0.0125 0.025
A thin wrapper: the same as ``manifold-scaling model-scaling --out results/model-scaling ...`` (``--help`` lists every flag
with its default).
"""

import sys

from manifold_scaling.cli import main as cli_main


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--out" not in argv:
        argv += ["--out", "results/model-scaling"]
    return cli_main(["model-scaling", *argv])


if __name__ == "__main__":
    raise SystemExit(main())
