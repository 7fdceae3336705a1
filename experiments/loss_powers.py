"""Loss powers |y - y_hat|^p (alpha = 2p/d) and cross-entropy (alpha = 4/d) at d = 4.

    python experiments/loss_powers.py [flags of ``manifold-scaling loss-powers``]
A thin wrapper: the same as ``manifold-scaling loss-powers --out results/loss-powers ...`` (``--help`` lists every flag
with its default).
"""

import sys

from manifold_scaling.cli import main as cli_main


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--out" not in argv:
        argv += ["--out", "results/loss-powers"]
    return cli_main(["loss-powers", *argv])


if __name__ == "__main__":
    raise SystemExit(main())
