"""The variance-limited regime (Bahri et al. 2021): L(D) - L(inf) ~ D^-1 for a small student.

    python experiments/variance_limited.py [flags of ``manifold-scaling variance-limited``]
A thin wrapper: the same as ``manifold-scaling variance-limited --out results/variance-limited ...`` (``--help`` lists every flag
with its default).
"""

import sys

from manifold_scaling.cli import main as cli_main


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--out" not in argv:
        argv += ["--out", "results/variance-limited"]
    return cli_main(["variance-limited", *argv])


if __name__ == "__main__":
    raise SystemExit(main())
