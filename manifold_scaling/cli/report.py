"""``manifold-scaling report RUN_DIR``: a run's report to share (``report.md``, ``report.html``)."""

from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="write report.md and a self-contained report.html for a run folder",
        description=(
            "Write report.md and report.html for the run in RUN_DIR (a study's output folder, "
            "holding summary.json): its figures (embedded in the HTML), the verdict table, the "
            "diagnostics, the provenance and, for a published setup's preset, the published "
            "values beside ours. The HTML loads nothing from outside the file."
        ),
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a study's output folder (with summary.json)")
    p.add_argument(
        "--out", default=None, metavar="DIR", help="where to write the two files (default: RUN_DIR)"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from ..sharing import report

    md_path, html_path = report(args.run_dir, out=args.out)
    print(f"Wrote {md_path}, {html_path}")
    return 0
