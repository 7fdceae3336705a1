"""manifold_scaling: does test loss fall as D^(-4/d) with the data manifold's intrinsic dimension d?

The public API, one concept per module (Sharma & Kaplan 2020; Bahri et al. 2021):

- manifolds: ``ManifoldConfig``, ``sample_latent``, ``init_embedding``, ``sample_manifold``
- teachers: ``TeacherConfig``, ``init_teacher``, ``calibrate_teacher``, ``linear_r2``
- students: ``StudentConfig``, ``init_student``, ``student_apply``, ``student_hidden``
- training: ``TrainConfig``, ``train_student``, ``train_students``
- fitting: ``fit_power_law``, ``local_slopes``, ``select_window``, ``fit_joint_scaling``
- intrinsic_dim: ``estimate_id`` and the individual estimators (``manifold_scaling.intrinsic_dim``)
- studies: ``DataScalingConfig``, ``run_data_scaling`` (and ``manifold_scaling.studies.*``)
- sweep: ``run_sweep``, ``SweepOptions`` (``manifold_scaling.sweep``)
"""

__version__ = "0.1.0"

from .errors import InputError as InputError
from .fitting import FitWindow as FitWindow
from .fitting import JointFit as JointFit
from .fitting import LocalSlopes as LocalSlopes
from .fitting import PowerLawFit as PowerLawFit
from .fitting import fit_joint_scaling as fit_joint_scaling
from .fitting import fit_power_law as fit_power_law
from .fitting import local_slopes as local_slopes
from .fitting import select_window as select_window
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

__all__ = [name for name in dir() if not name.startswith("_")]
