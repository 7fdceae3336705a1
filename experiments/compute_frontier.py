"""Joint fit L(N, D) = E + A N^-a + B D^-b over a width x D grid at d = 4, and its frontier.

    python experiments/compute_frontier.py [flags of ``manifold-scaling compute-frontier``]
A thin wrapper: the same as ``manifold-scaling compute-frontier --out results/compute-frontier ...`` (``--help`` lists every flag
with its default).
"""

import sys

from manifold_scaling.cli import main as cli_main


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--out" not in argv:
        argv += ["--out", "results/compute-frontier"]
    return cli_main(["compute-frontier", *argv])


if __name__ == "__main__":
    raise SystemExit(main())
