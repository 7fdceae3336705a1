"""The public names users script against exist (optax's habit)."""

import manifold_scaling as ms

PUBLIC = [
    "ManifoldConfig", "sample_latent", "init_embedding", "sample_manifold",
    "TeacherConfig", "init_teacher", "calibrate_teacher", "linear_r2",
    "StudentConfig", "init_student", "student_apply", "student_hidden", "parameter_count",
    "TrainConfig", "train_student", "train_students",
    "fit_power_law", "local_slopes", "select_window", "fit_joint_scaling",
    "DataScalingConfig", "run_data_scaling", "InputError",
]  # fmt: skip


def test_public_names_exist():
    missing = [n for n in PUBLIC if not hasattr(ms, n)]
    assert not missing


def test_subpackages_export_their_api():
    from manifold_scaling import intrinsic_dim, sweep

    for name in ("estimate_id", "twonn", "mle_levina_bickel", "IDEstimate"):
        assert hasattr(intrinsic_dim, name)
    for name in ("run_sweep", "SweepOptions", "load_records", "TrialOutput"):
        assert hasattr(sweep, name)


def test_cli_lists_every_documented_command(capsys):
    from manifold_scaling.cli import main

    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for cmd in ("reproduce", "data-scaling", "fit", "intrinsic-dim", "layer-dims"):
        assert cmd in text
