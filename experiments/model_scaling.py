"""Model-size scaling (Sharma & Kaplan 2020): alpha_N against 4/d for d = 3, 4, 6 at unlimited data.

    python experiments/model_scaling.py [--out notebooks/data/model-scaling]
Same as ``manifold-scaling model-scaling --dims 3 4 6 --seeds 2`` (about 12 min on 2 busy cores).
"""

import argparse
from pathlib import Path

from manifold_scaling.report import verdict_table
from manifold_scaling.studies.model_scaling import ModelScalingConfig, run_model_scaling

ap = argparse.ArgumentParser()
ap.add_argument("--out", type=Path, default=Path("results/model-scaling"))
args = ap.parse_args()
config = ModelScalingConfig(dims=(3, 4, 6), seeds=2)
print(verdict_table(run_model_scaling(config, args.out), alpha_name="α_N"))
