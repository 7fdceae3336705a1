"""Loss powers |y - y_hat|^p (alpha = 2p/d) and cross-entropy (alpha = 4/d) at d = 4.

    python experiments/loss_powers.py [--out notebooks/data/loss-powers]
Same as ``manifold-scaling loss-powers`` with its defaults.
"""

import argparse
from pathlib import Path

from manifold_scaling.studies.loss_powers import LossPowersConfig, run_loss_powers

ap = argparse.ArgumentParser()
ap.add_argument("--out", type=Path, default=Path("results/loss-powers"))
args = ap.parse_args()
print(run_loss_powers(LossPowersConfig(), args.out)["reading"])
