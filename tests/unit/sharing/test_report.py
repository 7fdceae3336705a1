"""``manifold-scaling report RUN_DIR``: report.md and a self-contained report.html, rendered in a
real browser (headless Chromium), for saved runs of every study kind and a tiny fresh run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manifold_scaling.cli import main
from manifold_scaling.configs import config_to_dict
from manifold_scaling.report import verdict_table
from manifold_scaling.sharing import PUBLISHED, match_published, report
from manifold_scaling.studies.presets import BAHRI2021
from manifold_scaling.studies.protocol import load_summary

ROOT = Path(__file__).resolve().parents[3]
SAVED = ROOT / "notebooks" / "data"
SAVED_RUNS = sorted(p.parent for p in SAVED.glob("**/summary.json"))


def test_writes_both_files_with_the_verdict_table(saved_run):
    md_path, html_path = report(saved_run)
    assert (md_path, html_path) == (saved_run / "report.md", saved_run / "report.html")
    md = md_path.read_text(encoding="utf-8")
    table = verdict_table(load_summary(saved_run), alpha_name="α_D")
    assert table.splitlines()[0] in md and all(line in md for line in table.splitlines())
    # network rows first, then the learners'
    learners = [line.split("|")[2].strip() for line in table.splitlines()[2:] if "|" in line]
    assert learners[: learners.count("network")] == ["network"] * learners.count("network")
    assert "![loss_vs_size](loss_vs_size.png)" in md
    assert "`local_slopes.png` is listed in summary.json but missing" in md
    for section in ("## Verdict", "## Diagnostics", "## Provenance", "excluded cells:"):
        assert section in md
    summary = json.loads((saved_run / "summary.json").read_text())
    assert summary["provenance"]["versions"]["jax"] in md
    page = html_path.read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 1
    assert "<link" not in page and "<script" not in page and 'src="http' not in page
    assert "url(" not in page  # no CSS resources either


@pytest.mark.parametrize("run", SAVED_RUNS, ids=lambda p: str(p.relative_to(SAVED)))
def test_every_saved_study_kind(run, tmp_path):
    md_path, html_path = report(run, out=tmp_path / "out")
    assert md_path.parent == tmp_path / "out" and html_path.is_file()
    study = json.loads((run / "summary.json").read_text())["study"]
    assert md_path.read_text(encoding="utf-8").startswith(f"# {study} report: {run.name}")
    assert not (run / "report.md").exists()  # --out: nothing written beside the run


def test_published_values_by_recorded_preset():
    summary = load_summary(SAVED / "sharma-kaplan2020")
    match = match_published(summary)
    assert match is not None and match.setup is PUBLISHED["sharma-kaplan2020"]
    assert match.differences == ("budget_fractions",) and not match.setup_differences
    assert match_published(load_summary(SAVED / "reproduce")) is None


def test_published_values_by_config(tmp_path):
    """A run whose config is the bahri2021 preset at a smaller scale, with no preset recorded."""
    data = json.loads((SAVED / "reproduce" / "summary.json").read_text())
    data["config"] = {**config_to_dict(BAHRI2021), "dims": [2, 3, 4], "seeds": 2}
    run = tmp_path / "bahri"
    run.mkdir()
    (run / "summary.json").write_text(json.dumps(data))
    match = match_published(load_summary(run))
    assert match is not None and match.setup.preset == "bahri2021"
    assert set(match.differences) == {"dims", "seeds"}
    md = report(run)[0].read_text(encoding="utf-8")
    assert "## Published values beside ours" in md and "arXiv:2102.06701" in md
    # Fig. 1b (second-hand): 4/alpha_D = 3.3 at d = 2, i.e. alpha_D = 1.21, alpha/(4/d) = 0.61
    assert "| 1.21 | 0.61 | 4/α_D ≈ 3.3 |" in md and "| 0.93 | 0.70 | 4/α_D ≈ 4.3 |" in md
    data["config"]["student"]["width"] = 64  # a different setup: no match
    (run / "summary.json").write_text(json.dumps(data))
    assert match_published(load_summary(run)) is None


def test_html_escapes_the_summary(tmp_path):
    data = json.loads((SAVED / "variance-limited" / "summary.json").read_text())
    data["results"][0]["reading"] = "<script>alert('x')</script> & <b>"
    data["study"] = "variance-limited <i>"
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").write_text(json.dumps(data))
    page = report(run)[1].read_text(encoding="utf-8")
    assert "<script" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;" in page


@pytest.mark.parametrize("kind", ["empty", "missing", "file"])
def test_a_folder_without_a_run(kind, tmp_path, capsys):
    target = tmp_path / "not-a-run"
    if kind == "empty":
        target.mkdir()
        (target / "notes.txt").write_text("no summary here")
    elif kind == "file":
        target.write_text("{}")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main(["report", str(target), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("manifold-scaling report: error: RUN_DIR: ")
    assert str(target) in err and "summary.json" in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written


def test_verdict_table_names_the_setting_only_where_rows_differ_by_it():
    """Rows of one d at several budget fractions say each fraction, the full budget included;
    smoothness rows say their nu; rows that share one setting get no setting column."""
    from manifold_scaling.studies.verdict import Verdict

    def row(**kw):
        return Verdict(d=3, alpha=None, alpha_ci=None, predicted_alpha=4 / 3, ratio=None,
                       fit_window=None, window_decades=0.0, reading="r", **kw)  # fmt: skip

    budgets = verdict_table([row(budget_fraction=0.5), row(budget_fraction=1.0)])
    assert "| setting |" in budgets
    assert "| 3 | budget × 0.5 |" in budgets and "| 3 | budget × 1 |" in budgets
    nus = verdict_table([row(settings={"nu": 0.5, "d": 3}), row(settings={"nu": 3.5})])
    assert "| 3 | ν = 0.5 |" in nus and "| 3 | ν = 3.5 |" in nus
    same = verdict_table([row(budget_fraction=1.0), row(budget_fraction=1.0)])
    assert "setting" not in same
    with pytest.raises(TypeError, match="StudySummary"):  # typed results only, never a dict
        verdict_table({"results": [row().to_dict()]})
