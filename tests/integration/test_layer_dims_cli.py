"""layer-dims on a tiny data-scaling run saved by the CLI: every layer's dimension, and bad inputs."""

import json

import pytest

from manifold_scaling.cli import main


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "run"
    args = ["data-scaling", "--dims", "2", "--sizes", "32", "64", "128", "--seeds", "1",
            "--ambient-dim", "6", "--width", "32", "--min-steps", "200", "--max-steps", "300",
            "--steps-per-point", "2", "--n-test", "256", "--n-val", "64", "--bootstrap", "60",
            "--no-figures", "--no-progress", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    return out


def test_layer_dims_cli_reports_every_layer(tiny_run, tmp_path, capsys):
    prefix = tmp_path / "layers"
    assert (
        main(
            ["layer-dims", str(tiny_run), "--size", "128", "--points", "1500", "--out", str(prefix)]
        )
        == 0
    )
    result = json.loads(prefix.with_suffix(".json").read_text())
    names = [r["layer"] for r in result["layers"]]
    assert names[:2] == ["latent z", "data x"] and "student hidden 2" in names
    assert "teacher hidden 3" in names
    for r in result["layers"][:2]:  # the data themselves: a flat 2-d manifold
        assert r["dimension"] == pytest.approx(2.0, rel=0.1)
    assert prefix.with_suffix(".png").exists() and (tmp_path / "layers_scales.png").exists()
    assert "| layer |" in capsys.readouterr().out


def test_layer_dims_bad_inputs(tiny_run, tmp_path, capsys):
    assert main(["layer-dims", str(tmp_path / "nothing")]) == 2
    assert main(["layer-dims", str(tiny_run), "--d", "7"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--dims/--size/--replicate" in err
