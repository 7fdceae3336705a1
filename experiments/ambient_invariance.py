"""Ambient invariance: d = 4 in ambient 24 and 96, embedded by padding, rotation and a network.

    python experiments/ambient_invariance.py [flags of ``manifold-scaling ambient-invariance``]
A thin wrapper: the same as ``manifold-scaling ambient-invariance --out results/ambient-invariance ...`` (``--help`` lists every flag
with its default).
"""

import sys

from manifold_scaling.cli import main as cli_main


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--out" not in argv:
        argv += ["--out", "results/ambient-invariance"]
    return cli_main(["ambient-invariance", *argv])


if __name__ == "__main__":
    raise SystemExit(main())
