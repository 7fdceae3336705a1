"""The README's reproduction, its data-scaling part: the verdict for d = 2, 3, 4.

    python experiments/reproduce.py [--out results/reproduce] [--quick | --tiny]
The data-scaling study of ``manifold-scaling reproduce`` (which also runs the smoothness scan);
``--tiny`` is a seconds-long smoke version (tests).
"""

import argparse
import sys
from pathlib import Path

from manifold_scaling.report import local_slope_table, verdict_table
from manifold_scaling.studies.data_scaling import run_data_scaling
from manifold_scaling.studies.presets import reproduce_config, tiny
from manifold_scaling.studies.protocol import StudySummary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("results/reproduce"))
    ap.add_argument("--quick", action="store_true", help="the 2-minute smoke version")
    ap.add_argument("--tiny", action="store_true", help="seconds-long smoke config (tests)")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    config = reproduce_config(quick=args.quick)
    if args.tiny:
        config = tiny(config)
    summary = StudySummary.from_dict(run_data_scaling(config, args.out))
    print(verdict_table(summary))
    print(local_slope_table(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
