"""Studies: each is a config, its trials and its analysis, run by one protocol (``run_study``).

- ``base``: the fields every sweep shares (``StudyConfig``, ``DataScalingConfig``) and replicates
- ``trials``: the shared trial setup and the data-scaling trial (fixed training set); the other
  trial kinds live in their study modules
- ``verdict``: one ``Verdict`` type, one reading (``read_exponent``), one curve analysis
- ``protocol``: ``run_study`` (trials -> sweep -> analysis -> summary.json -> figures)
- one module per study: ``data_scaling``, ``model_scaling``, ``variance_limited``, ``digits``,
  ``joint_scaling``, ``variants`` (ambient invariance, loss powers, teacher scan), and
  ``representations`` (intrinsic dimension of a trained trial's layers)
"""

from .base import DataScalingConfig as DataScalingConfig
from .base import StudyConfig as StudyConfig
from .data_scaling import run_data_scaling as run_data_scaling
from .digits import DigitsConfig as DigitsConfig
from .digits import run_digits as run_digits
from .joint_scaling import JointScalingConfig as JointScalingConfig
from .joint_scaling import run_joint_scaling as run_joint_scaling
from .model_scaling import ModelScalingConfig as ModelScalingConfig
from .model_scaling import run_model_scaling as run_model_scaling
from .protocol import StudySummary as StudySummary
from .protocol import load_summary as load_summary
from .protocol import run_study as run_study
from .variance_limited import VarianceLimitedConfig as VarianceLimitedConfig
from .variance_limited import run_variance_limited as run_variance_limited
from .variants import AmbientInvarianceConfig as AmbientInvarianceConfig
from .variants import LossPowersConfig as LossPowersConfig
from .variants import TeacherScanConfig as TeacherScanConfig
from .variants import run_ambient_invariance as run_ambient_invariance
from .variants import run_loss_powers as run_loss_powers
from .variants import run_teacher_scan as run_teacher_scan
from .verdict import Verdict as Verdict
from .verdict import read_exponent as read_exponent

__all__ = [name for name in dir() if not name.startswith("_")]
