"""Where the notebooks' saved results live.

A module, so that ``__file__`` is defined even when a notebook runs in a Jupyter kernel (which
defines none for the notebook itself); Jupyter starts the kernel in the notebook's folder, which is
on ``sys.path``, and so is a script's own folder.
"""

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def find_data() -> Path:
    """``notebooks/data`` (the saved results the notebooks read; they never retrain)."""
    if not DATA.is_dir():
        raise FileNotFoundError(f"{DATA} is missing: the notebooks read saved results from it")
    return DATA


def written_by(summary: dict) -> str:
    """Which release wrote a saved result, and a warning when it is not the one running: a
    banner from the result's own provenance, so that stale numbers never pass for current ones."""
    import manifold_scaling

    versions = (summary.get("provenance") or {}).get("versions") or {}
    wrote = versions.get("manifold_scaling", "?")
    if wrote == manifold_scaling.__version__:
        return f"written by manifold_scaling {wrote}"
    return (
        f"written by manifold_scaling {wrote}, NOT the running {manifold_scaling.__version__}: "
        "an earlier release's numbers (regenerate with the command above the cell)"
    )


def _value(text):
    """A CSV cell as a number or a bool where it is one."""
    if text in ("True", "False"):
        return text == "True"
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def trial_rows(run_dir) -> list[dict]:
    """A run's ``trials.csv`` as the rows the plot functions read: ``d``, ``n_train``, ``seed`` and
    every metric by its bare name (``test_loss``, ``n_params``, ``width``...)."""
    import csv

    with open(Path(run_dir) / "trials.csv", newline="") as fh:
        trials = list(csv.DictReader(fh))
    rows = []
    for t in trials:
        row = {
            "d": int(_value(t["config.manifold.intrinsic_dim"])),
            "seed": int(_value(t["config.seed"])),
        }
        if "config.n_train" in t:  # unlimited-data (model-scaling) trials have no training set
            row["n_train"] = int(_value(t["config.n_train"]))
        row.update(
            {k[len("metrics.") :]: _value(v) for k, v in t.items() if k.startswith("metrics.")}
        )
        for key in ("width", "n_params"):  # integers, as the saved curves are keyed
            if isinstance(row.get(key), float):
                row[key] = int(row[key])
        rows.append(row)
    return rows
