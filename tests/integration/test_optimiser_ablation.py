"""benchmarks/optimiser_ablation.py end to end on a tiny config: both legs run on the same
teachers, the verdict table has a row per (optimiser, d), and the all-cells diagnostic has a
paired contrast for every d."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "optimiser_ablation.py"


def _module():
    spec = importlib.util.spec_from_file_location("optimiser_ablation", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_both_legs_on_the_same_teachers(tmp_path, capsys):
    assert _module().main(["--tiny", "--lbfgs-steps", "20", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| Adam")]
    assert len(rows) == 4 and sum("L-BFGS 20 |" in r for r in rows) == 2
    diagnostic = out.split("not a verdict):", 1)[1].strip().splitlines()[2:]
    assert [r.split("|")[1].strip() for r in diagnostic] == ["2", "3"]
    assert all(r.count("[") == 5 for r in diagnostic)  # every contrast has an interval
    import csv

    def draws(leg):  # what a replicate fixes: its seeds and its calibrated teacher
        with open(tmp_path / leg / "trials.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        keys = ("config.seed", "config.data_seed", "config.n_train", "config.teacher.gain")
        return sorted(tuple(r[k] for k in keys) for r in rows), rows

    (adam, adam_rows), (polish, polish_rows) = draws("adam"), draws("adam+lbfgs")
    assert len(adam) == 12 and adam == polish  # 2 d x 3 sizes x 2 teachers, the same in both
    assert {r["config.train.lbfgs_steps"] for r in adam_rows} == {"0"}
    assert {r["config.train.lbfgs_steps"] for r in polish_rows} == {"20"}
