"""Training students: one compiled loop, one full-batch L-BFGS.

- ``train_student`` / ``train_students``: a fixed training set of D points, towards interpolation
  (resolution-limited in D, Sharma & Kaplan 2020), with an optional L-BFGS polish
  (``TrainConfig.lbfgs_steps``, Michaud et al. 2022);
- ``train_online``: a fresh batch from the manifold and the teacher at every step (resolution-limited
  in N), judged by ``convergence``;
- ``minimise_full_batch``: L-BFGS to a training set's loss minimiser (variance-limited in D, Bahri
  et al. 2021 Sec. 2.1);
- ``levenberg_marquardt``: full-batch Gauss-Newton with adaptive damping for MSE regression, the
  polish ``TrainConfig.gn_steps`` runs after Adam.
"""

from ._config import Phase as Phase
from ._config import TrainConfig as TrainConfig
from ._config import ensure_precision as ensure_precision
from ._config import make_optimizer as make_optimizer
from ._convergence import Convergence as Convergence
from ._convergence import convergence as convergence
from ._convergence import last_doubling_change as last_doubling_change
from ._gauss_newton import LMResult as LMResult
from ._gauss_newton import levenberg_marquardt as levenberg_marquardt
from ._lbfgs import FullBatchResult as FullBatchResult
from ._lbfgs import minimise_full_batch as minimise_full_batch
from ._lbfgs import to_numpy as to_numpy
from ._loop import TrainResult as TrainResult
from ._loop import train_student as train_student
from ._loop import train_students as train_students
from ._losses import evaluate_loss as evaluate_loss
from ._losses import make_loss as make_loss
from ._losses import regression_loss as regression_loss
from ._losses import soft_cross_entropy_kl as soft_cross_entropy_kl
from ._online import OnlineResult as OnlineResult
from ._online import online_phases as online_phases
from ._online import train_online as train_online
from ._online import train_online_replicates as train_online_replicates

__all__ = [
    "Convergence",
    "FullBatchResult",
    "LMResult",
    "OnlineResult",
    "Phase",
    "TrainConfig",
    "TrainResult",
    "convergence",
    "last_doubling_change",
    "levenberg_marquardt",
    "ensure_precision",
    "evaluate_loss",
    "make_loss",
    "make_optimizer",
    "minimise_full_batch",
    "online_phases",
    "regression_loss",
    "soft_cross_entropy_kl",
    "to_numpy",
    "train_online",
    "train_online_replicates",
    "train_student",
    "train_students",
]
