"""manifold_scaling: does test loss fall as D^(-4/d) with the data manifold's intrinsic dimension d?

The public API, one concept per module (Sharma & Kaplan 2020; Bahri et al. 2021):

- manifolds: ``ManifoldConfig``, ``sample_latent``, ``init_embedding``, ``sample_manifold``
- teachers: ``TeacherConfig``, ``init_teacher``, ``calibrate_teacher``, ``linear_r2``
- students: ``StudentConfig``, ``init_student``, ``student_apply``, ``student_hidden``
- training: ``TrainConfig``, ``train_student``, ``train_students``
- fitting: ``fit_power_law``, ``local_slopes``, ``select_window``, ``fit_joint_scaling``
- intrinsic_dim: ``estimate_id``, ``IntrinsicDimension`` and the individual estimators
  (``manifold_scaling.intrinsic_dim``)
- studies: ``DataScalingConfig``, ``run_data_scaling`` (and ``manifold_scaling.studies.*``)
- sweep: ``run_sweep``, ``SweepOptions`` (``manifold_scaling.sweep``)

The names are loaded on first access (PEP 562), so ``import manifold_scaling`` imports neither
JAX nor SciPy: ``manifold_scaling.estimate_id`` costs only what the estimators need, and
``manifold_scaling.ManifoldConfig`` brings in JAX. Submodules (``manifold_scaling.fitting``, ...)
are imported on first access too.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__ as __version__

# public name -> the submodule that defines it (relative to this package)
_EXPORTS = {
    "InputError": "errors",
    "FitWindow": "fitting",
    "JointFit": "fitting",
    "LocalSlopes": "fitting",
    "PowerLawFit": "fitting",
    "fit_joint_scaling": "fitting",
    "fit_power_law": "fitting",
    "local_slopes": "fitting",
    "select_window": "fitting",
    "IntrinsicDimension": "intrinsic_dim",
    "estimate_id": "intrinsic_dim",
    "ManifoldConfig": "manifolds",
    "init_embedding": "manifolds",
    "sample_latent": "manifolds",
    "sample_manifold": "manifolds",
    "StudentConfig": "students",
    "init_student": "students",
    "parameter_count": "students",
    "student_apply": "students",
    "student_hidden": "students",
    "DataScalingConfig": "studies.base",
    "run_data_scaling": "studies.data_scaling",
    "TeacherConfig": "teachers",
    "calibrate_teacher": "teachers",
    "init_teacher": "teachers",
    "linear_r2": "teachers",
    "TrainConfig": "training",
    "train_student": "training",
    "train_students": "training",
    "TableFit": "tables",
    "fit_table": "tables",
    "run_own_data": "studies.own_data",
}

__all__ = [
    "DataScalingConfig",
    "FitWindow",
    "InputError",
    "IntrinsicDimension",
    "JointFit",
    "LocalSlopes",
    "ManifoldConfig",
    "PowerLawFit",
    "StudentConfig",
    "TableFit",
    "TeacherConfig",
    "TrainConfig",
    "calibrate_teacher",
    "estimate_id",
    "fit_joint_scaling",
    "fit_power_law",
    "fit_table",
    "init_embedding",
    "init_student",
    "init_teacher",
    "linear_r2",
    "local_slopes",
    "parameter_count",
    "run_own_data",
    "run_data_scaling",
    "sample_latent",
    "sample_manifold",
    "select_window",
    "student_apply",
    "student_hidden",
    "train_student",
    "train_students",
]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value
    if not name.startswith("_"):  # a submodule, as when this file imported them all
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from .errors import InputError as InputError
    from .fitting import FitWindow as FitWindow
    from .fitting import JointFit as JointFit
    from .fitting import LocalSlopes as LocalSlopes
    from .fitting import PowerLawFit as PowerLawFit
    from .fitting import fit_joint_scaling as fit_joint_scaling
    from .fitting import fit_power_law as fit_power_law
    from .fitting import local_slopes as local_slopes
    from .fitting import select_window as select_window
    from .intrinsic_dim import IntrinsicDimension as IntrinsicDimension
    from .intrinsic_dim import estimate_id as estimate_id
    from .manifolds import ManifoldConfig as ManifoldConfig
    from .manifolds import init_embedding as init_embedding
    from .manifolds import sample_latent as sample_latent
    from .manifolds import sample_manifold as sample_manifold
    from .students import StudentConfig as StudentConfig
    from .students import init_student as init_student
    from .students import parameter_count as parameter_count
    from .students import student_apply as student_apply
    from .students import student_hidden as student_hidden
    from .studies.base import DataScalingConfig as DataScalingConfig
    from .studies.data_scaling import run_data_scaling as run_data_scaling
    from .teachers import TeacherConfig as TeacherConfig
    from .teachers import calibrate_teacher as calibrate_teacher
    from .teachers import init_teacher as init_teacher
    from .teachers import linear_r2 as linear_r2
    from .training import TrainConfig as TrainConfig
    from .training import train_student as train_student
    from .training import train_students as train_students
