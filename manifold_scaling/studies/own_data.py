"""Your own (X, y) in the data-scaling test: alpha_D against 4/d_hat on arrays you bring.

For real data the papers ask whether alpha_D >= 4/d_hat, with d_hat the measured intrinsic dimension
of the inputs (Sharma & Kaplan 2020, Sec. 4; Bahri et al. 2021, Sec. 3): an inequality, because
d_hat is itself uncertain and real targets need not be smooth on the data manifold. This study
loads (X, y) from .npy / .npz / .csv, holds out one fixed test split per replicate, trains ReLU
students (and, for regression, the ridgeless kernel learner) on nested training subsets, measures
d_hat of X with its interval and propagates that interval into the verdict. The arrays' sha256 is
part of every trial config, so resume and record hashing hold as for generated data.

From Python, :func:`run_own_data` takes the arrays themselves (NumPy or pandas) and runs the same
study as ``manifold-scaling data-scaling --data FILE``; :func:`run_own_data_config` is the
file-based form the command runs.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np

from .. import keys
from ..configs import param
from ..errors import InputError, check_choice, check_float, check_int, check_int_list
from ..io import _IN_MEMORY, BUILTIN, MEMORY_PREFIX, _validate, load_arrays
from ..students import StudentConfig, parameter_count, student_apply
from ..sweep.records import TrialOutput
from ..training import TrainConfig, evaluate_loss, train_students
from .findings import MAX_EXCLUDED_SHARE
from .protocol import Analysis, Study, StudySummary
from .trials import network_metrics
from .verdict import (
    LOSS_KEYS,
    TOLERANCE,
    analyse_curve,
    convergence_cell_rule,
    design_rule,
    reference_rule,
)

__all__ = [
    "ArrayTrial",
    "OwnDataConfig",
    "arrays_sha256",
    "infer_task",
    "layer_dimensions_of_arrays",
    "load_arrays",
    "run_array_trial",
    "run_own_data",
    "run_own_data_config",
]


IN_PROCESS_BACKENDS = ("local", "devices")
TASKS = ("auto", "regression", "classification")
OWN_LEARNERS = ("network", "kernel")  # no simplex: user data has no latent chart
MAX_CLASSES = 32  # "auto": integer targets with at most this many distinct values classify


@dataclass(frozen=True)
class OwnDataConfig:
    """A data-scaling study on the user's arrays; one replicate = one split and one init."""

    data: str = param("", help="inputs X: .npy, .npz (with --data-key) or .csv with a header")
    targets: str | None = param(
        None, help="targets y: a file (.npy/.npz/.csv), or a column of a CSV --data"
    )
    data_key: str | None = param(None, help="array name of X in an .npz (default: X or x)")
    targets_key: str | None = param(None, help="array name of y in an .npz (default: y)")
    task: Literal["auto", "regression", "classification"] = param(
        "auto", help="auto: integer targets with few distinct values are classification"
    )
    sizes: tuple[int, ...] = param((64, 128, 256, 512, 1024), help="training-set sizes D")
    seeds: int = param(2, help="replicates per size (each its own split and initialisation)")
    seed: int = param(0, help="master seed")
    n_test: int | None = param(None, help="held-out test points ('none': a quarter, <= 2000)")
    student: StudentConfig = param(help="the ReLU student", factory=StudentConfig)
    train: TrainConfig = param(
        help="how students are trained",
        factory=lambda: TrainConfig(steps_per_point=8.0, min_steps=1500, max_steps=12000),
    )
    interpolation_ratio: float = param(
        0.1, help="diagnostic: train <= r x test marks a cell as interpolating"
    )
    learners: tuple[str, ...] | None = param(
        None, help="network, kernel (regression only); 'none' = all that apply"
    )
    id_estimator: str = param("calibrated", help="intrinsic-dimension estimator for d_hat")
    n_bootstrap: int = param(1000, help="bootstrap resamples", flag="--bootstrap")
    ci: float = param(0.9, help="interval level")

    def __post_init__(self):
        if not self.data:
            raise InputError("data", "give the inputs X (a .npy, .npz or .csv file)")
        check_choice("task", self.task, TASKS)
        from ..intrinsic_dim import ESTIMATORS

        check_choice("id_estimator", self.id_estimator, ESTIMATORS)
        check_int_list("sizes", self.sizes, min_distinct=3, minimum=2)
        check_int("seeds", self.seeds, minimum=1, maximum=1000)
        check_int("seed", self.seed, minimum=0, maximum=keys.MAX_SEED)
        if self.n_test is not None:
            check_int("n_test", self.n_test, minimum=16)
        check_float("interpolation_ratio", self.interpolation_ratio, minimum=0.0, strict_min=True)
        check_int("n_bootstrap", self.n_bootstrap, minimum=50)
        check_float("ci", self.ci, minimum=0.5, maximum=0.999)
        if self.learners is not None:
            if not self.learners:
                raise InputError("learners", "give at least one of network, kernel")
            for name in self.learners:
                if name == "simplex":
                    raise InputError(
                        "learners", "simplex needs latent chart coordinates, which user data lacks"
                    )
                check_choice("learners", name, OWN_LEARNERS)

    def learners_for(self, task: str) -> tuple[str, ...]:
        """The learners that run: those asked for, or all that apply to ``task``."""
        if self.learners is None:
            return ("network", "kernel") if task == "regression" else ("network",)
        if "kernel" in self.learners and task != "regression":
            raise InputError("learners", "the kernel learner fits regression targets only")
        return tuple(self.learners)


# --- loading ------------------------------------------------------------------------------------
# The file readers (``load_arrays`` and its helpers) live in :mod:`manifold_scaling.io`.


def arrays_sha256(x: np.ndarray, y: np.ndarray) -> str:
    """The sha256 of (X, y) as loaded: dtype, shape and bytes of each (what a trial trains on)."""
    h = hashlib.sha256()
    for a in (np.ascontiguousarray(x), np.ascontiguousarray(y)):
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def infer_task(y: np.ndarray, task: str = "auto") -> str:
    """``auto``: 1-D integer-valued targets with at most ``MAX_CLASSES`` values -> classification."""
    if task != "auto":
        if task == "classification" and (y.ndim != 1 or np.any(y != np.round(y))):
            raise InputError("task", "classification needs 1-D integer class labels")
        return task
    integer = y.ndim == 1 and bool(np.all(y == np.round(y)))
    return "classification" if integer and len(np.unique(y)) <= MAX_CLASSES else "regression"


# --- one trial ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArrayTrial:
    """One student (and reference learners) on the first ``n_train`` points of a seeded
    permutation of the user's arrays, scored on that permutation's fixed test split."""

    data: str = ""
    targets: str | None = None
    data_key: str | None = None
    targets_key: str | None = None
    sha256: str = ""  # of (X, y) as loaded: a changed file is refused, and keys a new record
    task: str = "regression"
    n_train: int = 64
    n_test: int = 256
    seed: int = 0
    student: StudentConfig = field(default_factory=StudentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    learners: tuple[str, ...] = ("network",)

    def __post_init__(self):
        check_choice("task", self.task, ("regression", "classification"))
        check_int("sizes", self.n_train, minimum=2)
        check_int("n_test", self.n_test, minimum=1)
        check_int("seed", self.seed, minimum=0, maximum=keys.MAX_SEED)
        for name in self.learners:
            check_choice("learners", name, OWN_LEARNERS)


@functools.lru_cache(maxsize=4)
def _cached_arrays(data, targets, data_key, targets_key, sha256):
    """The arrays of a trial, loaded once per process (every size and seed share them)."""
    x, y = load_arrays(data, targets, data_key, targets_key)
    if sha256 and arrays_sha256(x, y) != sha256:
        raise InputError("data", f"{data} changed since the study started (sha256 differs)")
    return x, y


def _split(config: ArrayTrial):
    """(pool, test) indices: the test split is fixed per replicate, the pool nested over sizes."""
    x, _ = _cached_arrays(
        config.data, config.targets, config.data_key, config.targets_key, config.sha256
    )
    k_split, k_student = keys.digits_keys(config.seed)
    perm = np.asarray(jax.random.permutation(k_split, jnp.arange(len(x), dtype=jnp.int32)))
    return perm[config.n_test :], perm[: config.n_test], k_student


def nn_spacing(x) -> float:
    """Median nearest-neighbour distance of the training inputs (the resolution s ~ D^(-1/d))."""
    from scipy.spatial import cKDTree

    x = np.asarray(x, np.float64)
    dist, _ = cKDTree(x).query(x, k=2)
    return float(np.median(dist[:, 1]))


def run_array_trial(config: ArrayTrial) -> TrialOutput:
    """Train one student on the user's arrays (as ``run_digits_trial`` does for digits)."""
    from ..learners import fit_predict
    from .trials import _curves

    x, y = _cached_arrays(
        config.data, config.targets, config.data_key, config.targets_key, config.sha256
    )
    pool, test, k_student = _split(config)
    classify = config.task == "classification"
    if classify:
        classes, labels = np.unique(y, return_inverse=True)
        n_out = len(classes)
        # Sharp "teacher logits" for the labels, as the digits study does: KL to one-hot.
        target = lambda idx: jax.nn.one_hot(labels[idx], n_out) * 60.0  # noqa: E731
    else:
        # Standardised over the whole array (fixed across sizes): losses comparable between D.
        y2 = np.asarray(y, np.float64).reshape(len(y), -1)
        y2 = ((y2 - y2.mean(0)) / np.where(y2.std(0) > 0, y2.std(0), 1.0)).astype(np.float32)
        n_out = y2.shape[1]
        target = lambda idx: jnp.asarray(y2[idx])  # noqa: E731
    train_idx = pool[: config.n_train]
    # Validation for the checkpoint: pool points not used for training (or test, if none left).
    spare = config.n_train < len(pool) - 64
    val_idx = pool[config.n_train :][:256] if spare else test
    task = config.task
    metrics = {"nn_spacing": nn_spacing(x[train_idx])}
    if "kernel" in config.learners:
        pred = fit_predict("kernel", None, x[train_idx], y2[train_idx], None, x[test])
        metrics["kernel_test_loss"] = float(np.mean((pred - y2[test]) ** 2))
    if "network" not in config.learners:
        return TrialOutput(metrics, {})
    res = train_students(
        k_student[None],
        config.student,
        config.train,
        jnp.asarray(x[train_idx])[None],
        target(train_idx)[None],
        jnp.asarray(x[val_idx])[None],
        target(val_idx)[None],
        task=task,
        batched=False,
    )[0]
    x_test = jnp.asarray(x[test])
    test_loss = evaluate_loss(res.params, x_test, target(test), task=task)
    n_params = parameter_count(config.student, x.shape[1], n_out)
    metrics = {**network_metrics(res, test_loss, n_params, config.n_train), **metrics}
    if classify:
        guess = jnp.argmax(student_apply(res.params, x_test), -1)
        metrics["test_accuracy"] = float(jnp.mean(guess == labels[test]))
    return TrialOutput(metrics, _curves(res))


# --- the study ----------------------------------------------------------------------------------


def default_n_test(n_points: int) -> int:
    return int(min(2000, n_points // 4))


def trial_configs(config: OwnDataConfig, x, y) -> list[ArrayTrial]:
    """Every trial, in (D, replicate) order, checked against the arrays' size."""
    task = infer_task(y, config.task)
    n_test = config.n_test if config.n_test is not None else default_n_test(len(x))
    pool = len(x) - n_test
    if pool < 2:
        raise InputError("n_test", f"leaves no training points ({len(x)} points, {n_test} test)")
    if max(config.sizes) > pool:
        raise InputError(
            "sizes",
            f"must be <= {pool} ({len(x)} points less {n_test} test points; got "
            f"{max(config.sizes)})",
        )
    named = config.data in BUILTIN or config.data.startswith(MEMORY_PREFIX)
    common = dict(
        data=config.data if named else str(Path(config.data).resolve()),
        targets=config.targets if config.targets is None or not Path(config.targets).is_file()
        else str(Path(config.targets).resolve()),
        data_key=config.data_key, targets_key=config.targets_key, sha256=arrays_sha256(x, y),
        task=task, n_test=n_test, student=config.student, train=config.train,
        learners=config.learners_for(task),
    )  # fmt: skip
    return [
        ArrayTrial(n_train=s, seed=keys.replicate_seed(config.seed, k), **common)
        for s in sorted(set(config.sizes))
        for k in range(config.seeds)
    ]


def measure_id(x, estimator: str = "calibrated") -> dict:
    """d_hat of X with its 90 % interval (the key digits has always used, for the same d_hat)."""
    from ..intrinsic_dim import estimate_id

    return estimate_id(
        np.asarray(x, np.float64), estimator=estimator, key=keys.analysis_key(0)
    ).to_dict()


def analyse_arrays(config, d_hat, d_ci, trials, records) -> tuple[list, list, dict]:
    """Per-learner verdicts against 4/d_hat; the ID interval gives the predicted alpha's range.

    ``config`` needs ``seed``, ``interpolation_ratio``, ``n_bootstrap`` (and ``ci``).
    """
    d_lo, d_hi = d_ci
    rows = [
        {"d": d_hat, "n_train": t.n_train, "seed": t.seed, **r.metrics}
        for t, r in zip(trials, records)
    ]
    prange = (4.0 / d_hi, 4.0 / d_lo)
    common = dict(
        predicted=4.0 / d_hat, predicted_range=prange, axis="real",
        n_bootstrap=config.n_bootstrap, ci=getattr(config, "ci", 0.9),
        band=getattr(config, "agreement_band", TOLERANCE), d_hat=d_hat, d_hat_ci=(d_lo, d_hi),
        predicted_alpha_range=prange,
    )  # fmt: skip
    verdicts = []
    for i, name in enumerate(trials[0].learners):
        key = keys.analysis_key(config.seed, *((i,) if i else ()))
        if name == "network":
            cells = convergence_cell_rule(
                getattr(config, "convergence_tol", 0.05),
                getattr(config, "max_excluded_share", MAX_EXCLUDED_SHARE),
            )
            v = analyse_curve(d_hat, rows, design_rule(0.0), key=key, cell_rule=cells,
                              learner=name, **common)  # fmt: skip
        else:
            lrows = [{**r, "test_loss": r[LOSS_KEYS[name]]} for r in rows]
            v = analyse_curve(d_hat, lrows, reference_rule(), key=key, learner=name, **common)
        ci = v.alpha_ci
        # Real data: the bound alpha_D >= 4/d_hat, judged at the ID interval's upper end.
        fields = {"satisfies_bound": bool(ci is not None and ci[1] >= 4.0 / d_hi)}
        if name == "network" and trials[0].task == "classification":
            sizes = np.unique([r["n_train"] for r in rows])
            fields["accuracy_by_size"] = {
                str(int(s)): float(np.mean([r["test_accuracy"] for r in rows if r["n_train"] == s]))
                for s in sizes
            }
        verdicts.append(replace(v, **fields))
    return verdicts, rows, {"result": verdicts[0].to_dict()}


def run_own_data_config(config: OwnDataConfig, out_dir, *, options=None, make_figures=True) -> dict:
    """Measure d_hat of X, run (or resume) the trials, and check alpha_D >= 4/d_hat per learner.

    The file-based study ``manifold-scaling data-scaling --data FILE`` runs: ``config.data`` names
    the arrays. Returns ``summary.json`` as a dict."""
    x, y = load_arrays(config.data, config.targets, config.data_key, config.targets_key)
    trials = trial_configs(config, x, y)
    est = measure_id(x, config.id_estimator)
    d_hat, d_ci = est["dimension"], tuple(est["ci"])
    data = {
        "path": trials[0].data,
        "sha256": trials[0].sha256,
        "n_points": int(len(x)),
        "n_features": int(x.shape[1]),
        "task": trials[0].task,
        "n_test": trials[0].n_test,
    }

    def analyse_records(trials, records):
        results, rows, fields = analyse_arrays(config, d_hat, d_ci, trials, records)
        fields = {"data": data, "intrinsic_dimension": {est["estimator"]: est}, **fields}
        return Analysis(results, rows, fields)

    run = dict(options=options, make_figures=make_figures)
    return OWN_DATA.run(config, trials, out_dir, analyse_records, **run)


# Fields of OwnDataConfig that name files: arrays given in memory replace them.
_FILE_FIELDS = ("data", "targets", "data_key", "targets_key")


def run_own_data(
    X,
    y=None,
    *,
    sizes=None,
    seeds: int = 2,
    seed: int = 0,
    out=None,
    options=None,
    make_figures: bool | None = None,
    **config,
) -> StudySummary:
    """The data-scaling test on arrays in memory: what ``data-scaling --data FILE`` runs.

    ``X``: inputs, (n_points, n_features), a NumPy array or a pandas DataFrame; ``y``: targets,
    (n_points,) or (n_points, k), an array or a pandas Series/DataFrame, or the name of a column of
    a DataFrame ``X`` (then dropped from X). ``sizes`` (default: the command's 64 ... 1024; each
    at most the points left after the test split), ``seeds`` (replicates) and ``seed`` (master
    seed) are the command's ``--sizes``, ``--seeds`` and ``--seed``; ``config`` sets any other
    :class:`OwnDataConfig` field (``task``, ``n_test``, ``id_estimator``, ``learners``,
    ``n_bootstrap``, ``ci``, ``interpolation_ratio``; ``student`` and ``train`` take a config or a
    dict of its fields). The same arrays, settings and seed give the same numbers as the command.

    The trials read the arrays from this process's memory (named ``memory:<sha256>`` in their
    configs, so the same arrays and settings resume the same records), so they run on the
    ``local`` or ``devices`` backend (``options``). ``out``: the study's directory (records,
    ``summary.json``, figures), resumed as the command's is; None runs in a temporary directory
    that is removed afterwards (no figures), leaving nothing on disk. Returns the typed summary
    (``studies.StudySummary``): ``results`` holds one ``Verdict`` per learner (alpha, alpha_ci,
    reading, d_hat, d_hat_ci), ``fields["intrinsic_dimension"]`` the ID estimate. Bad input raises
    :class:`~manifold_scaling.errors.InputError` before anything is written.

    ``run_own_data(config, out_dir)`` with an :class:`OwnDataConfig` is the file-based form
    (:func:`run_own_data_config`, returning the summary dict), kept for its existing callers.
    """
    if isinstance(X, OwnDataConfig):
        if y is None:
            raise InputError("out_dir", "give the study's directory: run_own_data(config, out_dir)")
        figures = True if make_figures is None else make_figures
        return run_own_data_config(X, y, options=options, make_figures=figures)
    x, y = arrays_from(X, y)
    settings = _settings(config, sizes=sizes, seeds=seeds, seed=seed)
    name = MEMORY_PREFIX + arrays_sha256(x, y)
    # Every check before anything is written: the config, then the sizes against the arrays.
    study = OwnDataConfig(data=name, **settings)
    trial_configs(study, x, y)
    backend = getattr(options, "backend", "local")
    if backend not in IN_PROCESS_BACKENDS:
        raise InputError(
            "options", f"arrays in memory run on the {' or '.join(IN_PROCESS_BACKENDS)} backend "
            f"(got {backend!r}); save them and run data-scaling --data FILE on a cluster",
        )  # fmt: skip
    _IN_MEMORY[name] = (x, y)
    try:
        if out is None:
            with tempfile.TemporaryDirectory(prefix="own-data-") as tmp:
                summary = run_own_data_config(
                    study, Path(tmp) / "study", options=options, make_figures=bool(make_figures)
                )
        else:
            figures = True if make_figures is None else make_figures
            summary = run_own_data_config(study, out, options=options, make_figures=figures)
    finally:
        _IN_MEMORY.pop(name, None)
        _cached_arrays.cache_clear()  # and the trials' cached copy: nothing stays in memory
    return StudySummary.from_dict(summary)


def arrays_from(X, y) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) from NumPy or pandas objects, validated as the files are (errors name X and y)."""
    if isinstance(y, str):
        columns = getattr(X, "columns", None)
        if columns is None:
            raise InputError("y", f"a column name ({y!r}) needs X to be a pandas DataFrame")
        if y not in columns:
            shown = ", ".join(map(str, columns))
            raise InputError("y", f"X has no column {y!r} (its columns: {shown})")
        X, y = X.drop(columns=[y]), X[y]
    if y is None:
        raise InputError("y", "give the targets y (an array, or a column name of a DataFrame X)")
    if hasattr(X, "columns") and hasattr(X, "dtypes"):  # a DataFrame: name a non-numeric column
        for column in X.columns:
            dtype = X[column].dtype
            if getattr(dtype, "kind", "O") not in "biuf":
                raise InputError(
                    "X", f"column {column!r} is not numeric ({dtype}): encode or drop it"
                )
        X = X.to_numpy(dtype=np.float64)
    x = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
    y = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    return _validate(x, y, names=("X", "y"))


def _settings(config: dict, **named) -> dict:
    """The OwnDataConfig fields of ``run_own_data``'s keywords (unknown ones name themselves)."""
    fields = {f.name: f for f in dataclasses.fields(OwnDataConfig)}
    settings = {}
    for key, value in config.items():
        if key in _FILE_FIELDS:
            raise InputError(key, "names a file; run_own_data takes the arrays X and y instead")
        if key not in fields:
            allowed = ", ".join(n for n in fields if n not in _FILE_FIELDS)
            raise InputError(key, f"is not a setting of the own-data study (settings: {allowed})")
        default = getattr(OwnDataConfig(data="-"), key)
        if isinstance(value, Mapping) and dataclasses.is_dataclass(default):
            try:
                value = replace(default, **value)
            except TypeError as err:
                raise InputError(key, f"{err}") from None
        elif isinstance(value, list):
            value = tuple(value)
        settings[key] = value
    sizes = named["sizes"]
    if sizes is not None:
        sizes = sizes.tolist() if hasattr(sizes, "tolist") else sizes
        if isinstance(sizes, str) or not hasattr(sizes, "__iter__"):
            raise InputError("sizes", f"must be a sequence of integers >= 2 (got {sizes!r})")
        settings["sizes"] = tuple(sizes)
    settings["seeds"] = named["seeds"]
    settings["seed"] = named["seed"]
    return settings


def _figures(summary, analysis, out_dir):
    from ..plots import data_scaling_figures

    return data_scaling_figures(summary, analysis.rows, out_dir)


OWN_DATA = Study("own-data", run_array_trial, _figures)


# --- any network's saved activations --------------------------------------------------------------


def layer_dimensions_of_arrays(path, *, estimator: str | None = None, d=None) -> dict:
    """ID of every array of an .npz, one layer's activations (n_points, width) each."""
    from ..intrinsic_dim import estimate_id

    path = Path(path)
    if not path.is_file():
        raise InputError("--activations", f"no such file: {path}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            layers = {name: np.asarray(npz[name]) for name in npz.files}
    except (OSError, ValueError) as err:
        raise InputError("--activations", f"cannot read {path} as .npz: {err}") from None
    if not layers:
        raise InputError("--activations", f"{path} holds no arrays")
    n = None
    for name, acts in layers.items():
        if acts.ndim != 2 or not np.issubdtype(acts.dtype, np.number):
            raise InputError(
                "--activations", f"layer {name!r} must be numeric (n_points, width) (got "
                f"shape {acts.shape})",
            )  # fmt: skip
        if n is not None and len(acts) != n:
            raise InputError(
                "--activations", f"layer {name!r} has {len(acts)} points; the others have {n}"
            )
        if not np.isfinite(acts).all():
            raise InputError("--activations", f"layer {name!r} holds NaN or inf")
        n = len(acts)
    key = keys.representation_key(0)
    rows = []
    for j, (name, acts) in enumerate(layers.items()):
        kw = {"key": jax.random.fold_in(key, j)}
        if estimator:
            kw["estimator"] = estimator
        est = estimate_id(np.asarray(acts, np.float64), **kw)
        rows.append(
            {
                "layer": name,
                "width": int(acts.shape[1]),
                "dimension": est.dimension,
                "ci": list(est.ci),
                "estimator": est.estimator,
                "n_dropped": est.n_dropped,
            }
        )
    return {"activations": str(path), "d": d, "n_points": n, "layers": rows}


def activations_table(result: dict) -> str:
    """The per-layer table of ``layer-dims`` (ID / d only when a reference d is given)."""
    d = result.get("d")
    lines = [
        f"Activations {result['activations']} ({result['n_points']} points)",
        "| layer | width | ID | 90 % interval | ID / d |",
        "|---|---|---|---|---|",
    ]
    for r in result["layers"]:
        ratio = "–" if not d else f"{r['dimension'] / d:.2f}"
        lines.append(
            f"| {r['layer']} | {r['width']} | {r['dimension']:.2f} | "
            f"[{r['ci'][0]:.2f}, {r['ci'][1]:.2f}] | {ratio} |"
        )
    return "\n".join(lines)
