"""Scan the teacher's nonlinearity (linear R^2) and input frequency; alpha_D/(4/d) for each.

    python experiments/teacher_scan.py [--out results/teacher-scan] [--dims 4 6] [--tiny]
Every setting runs through one sweep (``studies.variants.run_teacher_scan``) and the table is also
written to ``OUT/teacher_scan.json``.
"""

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from manifold_scaling.studies.presets import reproduce_config, tiny
from manifold_scaling.studies.variants import (
    TeacherScanConfig,
    run_teacher_scan,
    teacher_scan_table,
)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("results/teacher-scan"))
    ap.add_argument("--dims", type=int, nargs="+", default=[4, 6])
    ap.add_argument("--tiny", action="store_true", help="seconds-long smoke config (tests)")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    base = replace(
        reproduce_config(), dims=tuple(args.dims), seeds=1, sizes=(64, 128, 256, 512, 1024, 2048)
    )
    r2, freqs = (0.5, 0.7, 0.9), (2.0,)
    if args.tiny:
        base, r2, freqs = tiny(base), (0.6, 0.9), (2.0,)
    config = TeacherScanConfig(base=base, target_r2=r2, input_scales=freqs)
    print(teacher_scan_table(run_teacher_scan(config, args.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
