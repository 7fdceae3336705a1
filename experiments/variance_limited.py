"""The variance-limited regime (Bahri et al. 2021): L(D) - L(inf) ~ D^-1 for a small student.

    python experiments/variance_limited.py [--out notebooks/data/variance-limited]
Same as ``manifold-scaling variance-limited`` (defaults: d = 8, width 8, D = 1024..65536, 6 seeds).
"""

import argparse
from pathlib import Path

from manifold_scaling.studies.variance_limited import VarianceLimitedConfig, run_variance_limited

ap = argparse.ArgumentParser()
ap.add_argument("--out", type=Path, default=Path("results/variance-limited"))
args = ap.parse_args()
result = run_variance_limited(VarianceLimitedConfig(), args.out)["result"]
print(f"alpha = {result['alpha']:.3f} {result['alpha_ci']}: {result['reading']}")
