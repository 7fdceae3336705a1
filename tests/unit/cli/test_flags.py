"""The sweep commands' flags, generated from their configs: defaults shown, precedence, errors.

Nothing here runs a study: ``--help``, :func:`config_from_argv` and inputs refused before any
trial.
"""

from __future__ import annotations

import argparse
import json
import re

import pytest

from manifold_scaling.cli import build_parser, config_from_argv, main
from manifold_scaling.cli.sweeps import SWEEPS
from manifold_scaling.studies.base import DataScalingConfig

# Every command's flags before the flags were generated from the configs: none may go away.
_SWEEP = (
    "--backend --devices-batch --fresh --no-progress --retries --scheduler --slurm-partition "
    "--slurm-time --submitit-cluster --submitit-folder --workers -h --help"
)
_DATA = (
    "--ambient-dim --batch-size --bootstrap --config --depth --dims --embedding --embedding-gain "
    "--input-scale --interpolation-ratio --latent --lbfgs-steps --loss-power --lr --max-steps "
    "--min-params-per-point --min-steps --n-test --n-val --no-figures --noise-std --optimizer "
    "--out --precision --seed --seeds --sizes --steps-per-point --task --teacher-activation "
    "--teacher-depth --teacher-gain --teacher-r2 --teacher-width --width --with-floor"
)
OLD_FLAGS = {
    "reproduce": "--no-figures --out --quick",
    "data-scaling": _DATA,
    "ambient-invariance": _DATA + " --ambient-dims --embeddings",
    "loss-powers": _DATA + " --no-classification --powers",
    "compute-frontier": _DATA + " --frontier-points --widths",
    "model-scaling": (
        "--ambient-dim --batch-size --bootstrap --config --convergence-tol --convergence-window "
        "--depth --dims --embedding --latent --loss-power --lr --n-test --n-val --no-figures --out "
        "--precision --seed --seeds --steps --task --teacher-activation --teacher-depth "
        "--teacher-gain --teacher-r2 --teacher-width --widths --with-floor"
    ),
    "variance-limited": (
        "--ambient-dim --bootstrap --config --contrast --d --depth --embedding --latent "
        "--lbfgs-steps --min-ratio --n-test --no-figures --out --population-lbfgs-steps "
        "--population-size --precision --pretrain-steps --seed --seeds --sizes --task "
        "--teacher-activation --teacher-depth --teacher-gain --teacher-r2 --teacher-width --width"
    ),
    "digits": "--out --seed --seeds --sizes --steps-per-point --width",
}


def _subparsers():
    (action,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return action.choices


def _help(capsys, command) -> str:
    assert main([command, "--help"]) == 0
    return capsys.readouterr().out


def _help_of(text: str, flag: str) -> str:
    """The help of one flag: its entry in the options list, on one line."""
    entry, inside = [], False
    for line in text.splitlines():
        starts = re.match(r"  (-[\w-]+)", line)
        if starts or not line.startswith("  "):
            inside = bool(starts) and starts.group(1) == flag
        if inside:
            entry.append(line)
    assert entry, f"{flag} not in the help"
    return " ".join(" ".join(entry).split())  # undo argparse's line wrapping


def _fails(capsys, command, *argv) -> str:
    assert main([command, *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.count("\n") == 1, err
    return err


# --- flags and their defaults -------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(OLD_FLAGS))
def test_every_old_flag_is_kept(command):
    # Every spelling argparse accepts, shown or hidden (an older spelling of a concept, such as
    # model-scaling's --steps for --train-steps, still parses: test_cli_aliases.py).
    accepted = set(_subparsers()[command]._option_string_actions)
    assert set(f"{OLD_FLAGS[command]} {_SWEEP}".split()) <= accepted


def test_data_scaling_help_shows_every_default(capsys):
    text = _help(capsys, "data-scaling")
    for flag in SWEEPS["data-scaling"].flags():
        assert "(default: " in _help_of(text, flag.flag), flag.flag
    assert _help_of(text, "--seeds").endswith("(default: 2)")
    assert "(default: 2 3 4 6 8)" in _help_of(text, "--dims")
    assert "(default: 128 256 512 1024 2048)" in _help_of(text, "--sizes")
    assert "(default: 0.003)" in _help_of(text, "--lr")
    assert "(default: 0.7)" in _help_of(text, "--teacher-r2")
    assert "(default: 1000)" in _help_of(text, "--bootstrap")
    assert "(default: results/data-scaling)" in _help_of(text, "--out")


def test_help_shows_the_defaults_the_command_starts_from(capsys):
    text = _help(capsys, "ambient-invariance")
    assert "(default: 4)" in _help_of(text, "--seeds")  # AMBIENT_BASE, not DataScalingConfig
    assert "(default: 24 96)" in _help_of(text, "--ambient-dims")
    # A flag the command refuses is not listed (it still parses, to say why in one line).
    assert not re.search(r"--ambient-dim\b(?!s)", text) and "(refused:" not in text
    text = _help(capsys, "model-scaling")
    assert "(default: 0.01)" in _help_of(text, "--lr")
    assert "--steps-per-point" not in text  # online training has no per-point budget


# --- precedence: defaults < --config FILE < flags ------------------------------------------------


def test_flags_override_the_config_file_which_overrides_the_defaults(tmp_path):
    assert config_from_argv("data-scaling", []) == DataScalingConfig()
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps({"dims": [2], "seeds": 3, "with_floor": True, "train": {"learning_rate": 0.01}})
    )
    from_file = config_from_argv("data-scaling", ["--config", str(path)])
    assert from_file.seeds == 3 and from_file.dims == (2,) and from_file.with_floor
    assert from_file.train.learning_rate == 0.01
    assert from_file.n_test == DataScalingConfig().n_test
    # A flag wins even when it repeats the default value.
    flags = ["--config", str(path), "--seeds", "2", "--lr", "0.003", "--no-with-floor"]
    both = config_from_argv("data-scaling", flags)
    assert both.seeds == 2 and both.train.learning_rate == 0.003 and not both.with_floor
    assert both.dims == (2,)  # not given: the file's value stays


def test_variant_commands_start_from_their_base():
    config = config_from_argv(
        "ambient-invariance", ["--seeds", "3", "--embeddings", "pad", "network"]
    )
    assert config.base.seeds == 3 and config.embeddings == ("pad", "network")
    assert config.base.student.width == 96  # AMBIENT_BASE
    config = config_from_argv("loss-powers", ["--no-classification", "--powers", "1", "2"])
    assert config.powers == (1.0, 2.0) and not config.classification
    config = config_from_argv("compute-frontier", ["--widths", "8", "16", "32", "--dims", "3"])
    assert config.widths == (8, 16, 32) and config.base.dims == (3,)
    config = config_from_argv("model-scaling", ["--depth", "3", "--lr", "0.02"])
    assert config.depth == 3 and config.train.learning_rate == 0.02


# --- the teacher gain: refused under the R^2 rule, honoured without it ---------------------------


@pytest.mark.parametrize("command", ["data-scaling", "variance-limited", "ambient-invariance"])
def test_teacher_gain_is_refused_while_the_rule_chooses_it(command, tmp_path, capsys):
    err = _fails(capsys, command, "--teacher-gain", "2", "--out", str(tmp_path / "x"))
    assert err.startswith(f"manifold-scaling {command}: error: --teacher-gain: ")
    assert "(--teacher-r2 none)" in err and "teacher_target_r2" not in err
    assert not (tmp_path / "x").exists()


def test_teacher_gain_is_honoured_without_the_rule():
    config = config_from_argv("data-scaling", ["--teacher-gain", "2", "--teacher-r2", "none"])
    assert config.teacher.gain == 2.0 and config.teacher_target_r2 is None
    config = config_from_argv("variance-limited", ["--teacher-gain", "2", "--teacher-r2", "none"])
    assert config.teacher.gain == 2.0 and config.teacher_target_r2 is None


# --- bad values: exit 2, one line naming the flag ------------------------------------------------


@pytest.mark.parametrize(
    "command, argv, flag",
    [
        ("data-scaling", ["--dims", "0"], "--dims"),
        ("data-scaling", ["--sizes", "5", "-1"], "--sizes"),
        ("data-scaling", ["--seeds", "x"], "--seeds"),
        (
            "data-scaling",
            ["--ambient-dim", "2", "--dims", "3", "--latent", "sphere"],
            "--ambient-dim",
        ),
        ("data-scaling", ["--lr", "-1"], "--lr"),
        ("data-scaling", ["--teacher-r2", "2"], "--teacher-r2"),
        ("data-scaling", ["--teacher-r2", "high"], "--teacher-r2"),
        ("data-scaling", ["--latent", "fold"], "--latent"),
        ("data-scaling", ["--noise-std", "nan"], "--noise-std"),
        ("data-scaling", ["--bootstrap", "10"], "--bootstrap"),
        ("data-scaling", ["--min-steps", "500", "--max-steps", "100"], "--max-steps"),
        ("model-scaling", ["--widths", "8", "8", "16"], "--widths"),
        ("variance-limited", ["--width", "0"], "--width"),
        ("ambient-invariance", ["--ambient-dim", "24"], "--ambient-dim"),
        ("ambient-invariance", ["--ambient-dims", "2"], "--ambient-dims"),
        ("loss-powers", ["--task", "classification"], "--task"),
        ("compute-frontier", ["--width", "8"], "--width"),
        ("compute-frontier", ["--with-floor"], "--with-floor"),
        ("digits", ["--sizes", "8", "16", "32"], "--sizes"),
    ],
)
def test_bad_values_are_one_line_naming_the_flag(command, argv, flag, tmp_path, capsys):
    err = _fails(capsys, command, *argv, "--out", str(tmp_path / "x"))
    assert err.startswith(f"manifold-scaling {command}: error: {flag}: "), err
    assert not (tmp_path / "x").exists()


def test_messages_name_flags_not_fields(capsys):
    err = _fails(capsys, "data-scaling", "--min-steps", "500", "--max-steps", "100")
    assert "--min-steps" in err and "train." not in err


def test_light_commands_start_without_the_studies_and_the_bootstrap_default_is_the_studies():
    """`intrinsic-dim` and `fit` build their own parser only, so they start without JAX; the
    --bootstrap default they show is the studies' own."""
    import subprocess
    import sys

    from manifold_scaling.cli._flags import DEFAULT_BOOTSTRAP

    assert DEFAULT_BOOTSTRAP == DataScalingConfig().n_bootstrap
    code = (
        "import sys; from manifold_scaling.cli import main; main(['intrinsic-dim', '--help']); "
        "print(sorted(m for m in ('jax', 'manifold_scaling.studies') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
