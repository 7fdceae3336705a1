"""The public names users script against exist (optax's habit), and load lazily."""

import importlib
import subprocess
import sys
import types

import manifold_scaling as ms

PUBLIC = [
    "ManifoldConfig", "sample_latent", "init_embedding", "sample_manifold",
    "TeacherConfig", "init_teacher", "calibrate_teacher", "linear_r2",
    "StudentConfig", "init_student", "student_apply", "student_hidden", "parameter_count",
    "TrainConfig", "train_student", "train_students",
    "fit_power_law", "local_slopes", "select_window", "fit_joint_scaling",
    "FitWindow", "JointFit", "LocalSlopes", "PowerLawFit",
    "DataScalingConfig", "run_data_scaling", "InputError",
    "IntrinsicDimension", "estimate_id",
    "fit_table", "TableFit", "run_own_data",
]  # fmt: skip
# 0.1.0's __all__ was every name in the package namespace, submodules included: each still
# imports with ``from manifold_scaling import NAME``
SUBMODULES_0_1 = [
    "configs", "errors", "fields", "fitting", "keys", "learners", "manifolds", "provenance",
    "students", "studies", "sweep", "teachers", "training",
]  # fmt: skip


def test_all_is_the_explicit_list_without_submodules():
    assert sorted(ms.__all__) == sorted(PUBLIC)
    assert len(set(ms.__all__)) == len(ms.__all__)
    for name in ms.__all__:
        assert not isinstance(getattr(ms, name), types.ModuleType), name


def test_every_name_resolves_and_is_listed_by_dir():
    listed = dir(ms)
    for name in PUBLIC:
        value = getattr(ms, name)
        assert getattr(value, "__name__", name) == name
        assert name in listed
    assert ms.estimate_id is importlib.import_module("manifold_scaling.intrinsic_dim").estimate_id
    assert ms.IntrinsicDimension.__module__ == "manifold_scaling.intrinsic_dim._sklearn"


def test_names_exported_by_0_1_still_import():
    for name in [*PUBLIC, *SUBMODULES_0_1]:
        namespace = {}
        exec(f"from manifold_scaling import {name}", namespace)
        assert namespace[name] is getattr(ms, name)
    assert isinstance(ms.fitting, types.ModuleType)


def test_unknown_name_is_an_attribute_error():
    assert not hasattr(ms, "no_such_name")
    assert not hasattr(ms, "_private")


def test_import_is_lazy():
    # nothing heavy at ``import manifold_scaling``; the estimators need no JAX
    code = (
        "import sys, manifold_scaling as ms\n"
        "heavy = {'jax', 'scipy', 'sklearn'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "ms.estimate_id\n"
        "assert 'jax' not in sys.modules\n"
        "ms.ManifoldConfig\n"
        "assert 'jax' in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_version():
    assert ms.__version__ == "0.3.0"


def test_subpackages_export_their_api():
    from manifold_scaling import intrinsic_dim, sweep

    for name in ("estimate_id", "twonn", "mle_levina_bickel", "IDEstimate", "IntrinsicDimension"):
        assert hasattr(intrinsic_dim, name)
    for name in ("run_sweep", "SweepOptions", "load_records", "TrialOutput"):
        assert hasattr(sweep, name)


def test_cli_lists_every_documented_command(capsys):
    from manifold_scaling.cli import main

    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for cmd in ("reproduce", "data-scaling", "fit", "intrinsic-dim", "layer-dims"):
        assert cmd in text
