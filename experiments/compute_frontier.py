"""Joint fit L(N, D) = E + A N^-a + B D^-b over a width x D grid at d = 4, and its frontier.

    python experiments/compute_frontier.py [--out notebooks/data/compute-frontier]
Same as ``manifold-scaling compute-frontier`` with its defaults.
"""

import argparse
from pathlib import Path

from manifold_scaling.studies.joint_scaling import JointScalingConfig, run_joint_scaling

ap = argparse.ArgumentParser()
ap.add_argument("--out", type=Path, default=Path("results/compute-frontier"))
args = ap.parse_args()
print(run_joint_scaling(JointScalingConfig(), args.out)["reading"])
