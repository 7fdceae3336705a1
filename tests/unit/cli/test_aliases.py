"""One spelling per concept across commands: the older spellings still parse to the same thing
(hidden from --help), errors name the subcommand and the flag as typed, help lists what the
command honours with the defaults its config says. Nothing here trains anything."""

from __future__ import annotations

import argparse
import re

import numpy as np
import pytest

from manifold_scaling.cli import build_parser, config_from_argv, main
from manifold_scaling.cli._flags import ALIASES
from manifold_scaling.cli.sweeps import BOOTSTRAP, SWEEPS, ReproduceMode
from manifold_scaling.studies.base import DataScalingConfig
from manifold_scaling.studies.presets import reproduce_config


def _subparsers() -> dict:
    (action,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return action.choices


def _help(capsys, command) -> str:
    assert main([command, "--help"]) == 0
    return capsys.readouterr().out


def _fails(capsys, *argv) -> str:
    """The one line a refused command line prints (exit 2, nothing on stdout)."""
    assert main(list(map(str, argv))) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err and err.count("\n") == 1, err
    return err


def _word(flag: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-]){re.escape(flag)}(?![\w-])")


# --- every older spelling parses to the same config as the one spelling -----------------------

# (command, argv with the older spelling, argv with the one spelling)
SAME_CONFIG = [
    *[(c, ["--floor"], ["--with-floor"]) for c in ("data-scaling", "model-scaling")],
    *[(c, ["--no-floor"], ["--no-with-floor"]) for c in ("data-scaling", "model-scaling")],
    ("ambient-invariance", ["--floor"], ["--with-floor"]),
    ("loss-powers", ["--floor"], ["--with-floor"]),
    ("smoothness-scan", ["--floor"], ["--with-floor"]),
    ("data-scaling", ["--d", "2", "3"], ["--dims", "2", "3"]),
    ("model-scaling", ["--d", "3"], ["--dims", "3"]),
    ("ambient-invariance", ["--d", "3"], ["--dims", "3"]),
    ("loss-powers", ["--d", "3"], ["--dims", "3"]),
    ("smoothness-scan", ["--d", "2"], ["--dims", "2"]),
    ("compute-frontier", ["--d", "3"], ["--dims", "3"]),
    ("variance-limited", ["--d", "4"], ["--dims", "4"]),  # its one d (a field named d)
    ("data-scaling", ["--steps", "5000"], ["--train-steps", "5000"]),
    ("ambient-invariance", ["--steps", "5000"], ["--train-steps", "5000"]),
    ("model-scaling", ["--steps", "5000"], ["--train-steps", "5000"]),  # its field ``steps``
    (
        "data-scaling",
        ["--data", "x.npz", "--key", "X"],
        ["--data", "x.npz", "--data-key", "X"],
    ),
]


@pytest.mark.parametrize("command, old, new", SAME_CONFIG)
def test_an_older_spelling_gives_the_same_config(command, old, new):
    config = config_from_argv(command, new)
    assert config_from_argv(command, old) == config


def test_the_aliases_set_what_their_names_say():
    assert config_from_argv("data-scaling", ["--floor"]).with_floor is True
    assert config_from_argv("data-scaling", ["--floor", "--no-floor"]).with_floor is False
    assert config_from_argv("data-scaling", ["--steps", "5000"]).train.steps == 5000
    # Before, argparse's prefix matching read "--steps" as --steps-per-point.
    assert config_from_argv("data-scaling", ["--steps", "5000"]).train.steps_per_point == 16.0
    assert config_from_argv("model-scaling", ["--steps", "5000"]).steps == 5000
    assert config_from_argv("variance-limited", ["--d", "4"]).d == 4
    assert config_from_argv("data-scaling", ["--d", "2"]).dims == (2,)
    own = config_from_argv("data-scaling", ["--data", "x.npz", "--key", "X"])
    assert own.data_key == "X"


@pytest.mark.parametrize(
    "command, old, new",
    [
        ("fit", ["x.csv", "--floor", "--d", "3"], ["x.csv", "--with-floor", "--dims", "3"]),
        ("intrinsic-dim", ["x.npz", "--key", "pts"], ["x.npz", "--data-key", "pts"]),
        (
            "layer-dims",
            ["run", "--d", "2", "--seed", "1"],
            ["run", "--dims", "2", "--replicate", "1"],
        ),
    ],
)
def test_an_older_spelling_parses_the_same_in_the_other_commands(command, old, new):
    parser = build_parser()
    assert parser.parse_args([command, *old]) == parser.parse_args([command, *new])


def test_every_alias_points_at_its_canonical_flag_and_is_hidden(capsys):
    seen = set()
    for name, parser in _subparsers().items():
        table = parser._option_string_actions
        text = _help(capsys, name)
        for canonical, olds in ALIASES.items():
            if canonical not in table:
                continue
            for old in olds:
                assert table.get(old) is table[canonical], (name, old)
                assert not _word(old).search(text), (name, old)  # shown once, by one name
                seen.add((name, old))
    # every spelling of the brief is somewhere: fit's and intrinsic-dim's older ones included
    assert {("fit", "--floor"), ("fit", "--d"), ("intrinsic-dim", "--key")} <= seen
    assert {("model-scaling", "--steps"), ("variance-limited", "--d")} <= seen
    assert {("data-scaling", "--floor"), ("data-scaling", "--key")} <= seen


# --- --seed: the master seed wherever it is shown ---------------------------------------------


@pytest.mark.parametrize("command", sorted(set(SWEEPS) - {"reproduce"}))
def test_seed_is_the_master_seed_of_every_study(command, capsys):
    config = config_from_argv(command, ["--seed", "7"])
    assert getattr(config, "base", config).seed == 7
    assert "master seed" in _help(capsys, command)


def test_layer_dims_picks_a_replicate_and_keeps_seed_for_it(capsys):
    parser = build_parser()
    assert parser.parse_args(["layer-dims", "run", "--seed", "1"]).replicate == 1
    text = _help(capsys, "layer-dims")
    assert "--replicate" in text and not _word("--seed").search(text)
    assert "master seed" in _help(capsys, "intrinsic-dim")


# --- one --bootstrap default --------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(set(SWEEPS) - {"reproduce"}))
def test_bootstrap_defaults_to_the_config_value_everywhere(command, capsys):
    config = config_from_argv(command, [])
    assert (
        getattr(config, "base", config).n_bootstrap == BOOTSTRAP == DataScalingConfig().n_bootstrap
    )
    text = _help(capsys, command)
    assert re.search(rf"--bootstrap BOOTSTRAP\s+bootstrap resamples \(default: {BOOTSTRAP}\)", text)


def test_fit_bootstrap_default_is_the_same_and_a_preset_keeps_its_own(capsys):
    assert build_parser().parse_args(["fit", "x.csv"]).bootstrap == BOOTSTRAP
    assert f"default {BOOTSTRAP})" in _help(capsys, "fit")
    assert reproduce_config(quick=True).n_bootstrap == 200  # the quick preset's own value
    assert config_from_argv("reproduce", ["--quick"]) == ReproduceMode(quick=True)


# --- --learners none ----------------------------------------------------------------------------


def test_learners_none_is_refused_and_all_means_all(capsys, tmp_path):
    err = _fails(capsys, "data-scaling", "--learners", "none", "--out", tmp_path / "x")
    assert err.startswith("manifold-scaling data-scaling: error: --learners: 'none' would run")
    err = _fails(capsys, "data-scaling", "--learners", "all", "kernel", "--out", tmp_path / "x")
    assert "--learners: 'all' stands alone" in err
    assert not (tmp_path / "x").exists()
    assert config_from_argv("data-scaling", ["--learners", "all"]).learners is None
    assert config_from_argv("data-scaling", ["--learners", "kernel"]).learners == ("kernel",)
    assert "(default: all)" in _help(capsys, "data-scaling")


# --- help ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(_subparsers()))
def test_help_has_no_escapes_no_refused_flags_no_empty_defaults(command, capsys):
    text = _help(capsys, command)
    # (a refused flag was listed as "(refused: why)"; it is no longer listed at all)
    assert "%%" not in text and "(refused:" not in text and "(default: )" not in text


def test_help_lists_every_choice(capsys):
    from manifold_scaling.intrinsic_dim import ESTIMATORS

    for command in ("intrinsic-dim", "layer-dims"):
        text = " ".join(_help(capsys, command).split())
        assert " | ".join(ESTIMATORS) in text, command
    text = " ".join(_help(capsys, "intrinsic-dim").split())
    assert "drop | error (default: drop)" in text and "(default: calibrated)" in text


def test_help_lists_only_the_flags_a_command_honours(capsys):
    text = _help(capsys, "smoothness-scan")  # a Matérn teacher: no teacher-network flags
    for flag in ("--teacher-width", "--teacher-gain", "--teacher-r2", "--input-scale", "--nu"):
        assert not _word(flag).search(text), flag
    for command in ("model-scaling", "variance-limited"):  # network teachers only
        assert not _word("--length-scale").search(_help(capsys, command))
    assert not _word("--with-floor").search(_help(capsys, "compute-frontier"))


@pytest.mark.parametrize(
    "command, argv, flag",
    [
        ("smoothness-scan", ["--teacher-width", "8"], "--teacher-width"),
        ("model-scaling", ["--length-scale", "0.3"], "--length-scale"),
        ("compute-frontier", ["--floor"], "--floor"),  # an alias of a refused flag: refused too
    ],
)
def test_a_flag_not_honoured_is_refused_in_one_line(command, argv, flag, capsys, tmp_path):
    err = _fails(capsys, command, *argv, "--out", tmp_path / "x")
    assert err.startswith(f"manifold-scaling {command}: error: {flag}: ")
    assert not (tmp_path / "x").exists()


# --- errors: one line, naming the subcommand and the flag as typed ------------------------------


@pytest.mark.parametrize("command", sorted(_subparsers()))
def test_an_unknown_flag_is_an_error_of_the_subcommand(command, capsys):
    required = [
        a for a in _subparsers()[command]._actions if not a.option_strings and a.nargs != "?"
    ]
    err = _fails(capsys, command, *["x.csv"] * len(required), "--no-such-flag")
    assert err == f"manifold-scaling {command}: error: unrecognized arguments: --no-such-flag\n"


@pytest.mark.parametrize(
    "argv, line",
    [
        (["data-scaling", "--d", "0"], "data-scaling: error: --d: must be an integer >= 1"),
        (["data-scaling", "--dims", "0"], "data-scaling: error: --dims: must be an integer"),
        (["variance-limited", "--dims", "2", "3"], "variance-limited: error: --dims: this command "
         "takes one value (got 2 3)"),
        (["variance-limited", "--d", "2", "3"], "variance-limited: error: --d: this command"),
        (["fit", "x.csv", "--with-floor", "--joint"], "fit: error: --with-floor: not used by --joint"),
        (["fit", "x.csv", "--floor", "--joint"], "fit: error: --floor: not used by --joint"),
        (["fit", "x.csv", "--dims", "4", "--joint"], "fit: error: --dims: only without --joint"),
        (["fit", "x.csv", "--d", "x"], "fit: error: --d: invalid float value: 'x'"),
        (["reproduce", "--quick", "--full"], "reproduce: error: --full: give --quick or --full"),
        (["predict", "no.json", "--C", "1"], "predict: error: FIT.json: no such file: no.json"),
    ],
)  # fmt: skip
def test_errors_name_the_subcommand_and_the_flag_as_typed(argv, line, capsys, tmp_path):
    err = _fails(capsys, *argv, *(["--out", tmp_path / "x"] if argv[0] != "fit" else []))
    assert err.startswith(f"manifold-scaling {line}"), err


def test_predict_blames_its_file_not_a_fit_flag(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    err = _fails(capsys, "predict", bad, "--N", 1, "--D", 1)
    assert err.startswith(f"manifold-scaling predict: error: FIT.json: {bad} is a JSON list")
    assert "--fit" not in err


@pytest.mark.parametrize(
    "shape, hint",
    [((5, 4, 3), "points.reshape(len(points), -1)"), ((12,), "points[:, None]")],
)
def test_intrinsic_dim_says_how_to_fix_the_shape_it_got(shape, hint, tmp_path, capsys):
    path = tmp_path / "x.npy"
    np.save(path, np.arange(np.prod(shape), dtype=float).reshape(shape))
    err = _fails(capsys, "intrinsic-dim", path)
    assert err.startswith("manifold-scaling intrinsic-dim: error: POINTS: must be 2-D")
    assert f"(got shape {shape})" in err and hint in err
    assert ("points[:, None]" in err) == (len(shape) == 1)  # the 1-D hint only for 1-D data


def test_intrinsic_dim_data_key_errors_name_the_spelling_typed(tmp_path, capsys):
    path = tmp_path / "x.npz"
    np.savez(path, pts=np.random.default_rng(0).normal(size=(50, 3)))
    for flag in ("--key", "--data-key"):
        err = _fails(capsys, "intrinsic-dim", path, flag, "nope")
        assert err.startswith(f"manifold-scaling intrinsic-dim: error: {flag}: must be one of pts")
