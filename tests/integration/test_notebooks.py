"""Every notebook runs top to bottom in a real Jupyter kernel, as it runs for a person who opens it.

Each jupytext source is converted to a notebook (``jupytext.read``) and executed by ``nbclient`` in
an ``ipykernel`` kernel whose working directory is the notebook's folder and which defines no
``__file__``, exactly as Jupyter runs it; its figures must come back as inline images.

Which kernel: a ``python3`` kernelspec written for this test into a temporary folder (by
``ipykernel.kernelspec.write_kernel_spec``: ``[sys.executable, -m, ipykernel_launcher, ...]``) and
searched alone. So the kernel is always the interpreter running the tests, whatever kernelspecs
this machine has installed (a user-level ``python3`` pointing at another environment would
otherwise win), and nothing is installed anywhere.

The notebooks also run as plain scripts (the README says so); that is checked for the two that
read saved results, from a folder unrelated to the repository, which exercises their ``__file__``
branch.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTS = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("0*_*.py"))
CELL_TIMEOUT_S = 600  # a busy 2-core CI machine; notebook 03's slowest cell takes ~40 s there
SCRIPT_TIMEOUT_S = 300


def test_the_four_notebooks_exist():
    names = [p.name for p in NOTEBOOKS]
    assert names == [
        "01_theory_quickstart.py",
        "02_data_scaling.py",
        "03_intrinsic_dimension.py",
        "04_regimes_and_frontier.py",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_a_valid_jupytext_percent_file(path):
    import jupytext

    nb = jupytext.read(path)
    kinds = [c.cell_type for c in nb.cells]
    assert kinds.count("markdown") >= 3 and kinds.count("code") >= 3
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# 0")
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


# --- the kernel -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kernel_dir(tmp_path_factory) -> Path:
    """A folder holding one kernelspec, ``python3``, that runs this interpreter's ipykernel."""
    from ipykernel.kernelspec import write_kernel_spec

    kernels = tmp_path_factory.mktemp("kernels")
    write_kernel_spec(kernels / "python3", overrides={"display_name": "Python 3 (tests)"})
    return kernels


def kernel_manager_class(kernel_dir: Path):
    """nbclient's kernel manager, finding kernelspecs in ``kernel_dir`` only."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class TestKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return KernelSpecManager(kernel_dirs=[str(kernel_dir)])

    return TestKernelManager


def kernel_env() -> dict[str, str]:
    """The test's environment, less ``MPLBACKEND``: the kernel picks its inline backend itself, as
    in Jupyter (the tests' Agg would draw nothing into the notebook)."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.setdefault("JAX_PLATFORMS", "cpu")
    return env


def execute_notebook(nb, cwd: Path, kernel_dir: Path, *, timeout: int = CELL_TIMEOUT_S):
    """Run ``nb`` (an nbformat notebook) top to bottom in a fresh kernel started in ``cwd``;
    returns it with its outputs. A cell that raises fails the test with its traceback."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        kernel_manager_class=kernel_manager_class(kernel_dir),
        resources={"metadata": {"path": str(cwd)}},
    )
    try:
        client.execute(env=kernel_env())
    except CellExecutionError as err:
        pytest.fail(f"a cell raised {err.ename}: {err.evalue}\n{str(err)[-4000:]}", pytrace=False)
    return nb


def run_jupytext_notebook(path: Path, kernel_dir: Path, *, cwd: Path | None = None):
    """The jupytext source ``path`` executed in a kernel in its own folder (or ``cwd``)."""
    import jupytext

    return execute_notebook(jupytext.read(path), cwd or path.parent, kernel_dir)


def outputs(cell) -> list[dict]:
    return cell.get("outputs", []) if cell.cell_type == "code" else []


def stream_text(nb, name: str = "stdout") -> str:
    return "".join(
        o.get("text", "")
        for c in nb.cells
        for o in outputs(c)
        if o.get("output_type") == "stream" and o.get("name") == name
    )


# --- the notebooks, in a kernel -------------------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_a_jupyter_kernel(path, kernel_dir):
    nb = run_jupytext_notebook(path, kernel_dir)
    # Every cell that shows a figure shows it inline, as an image in the cell's output.
    for cell in nb.cells:
        if cell.cell_type == "code" and "plt.show()" in cell.source:
            kinds = {k for o in outputs(cell) for k in o.get("data", {})}
            assert "image/png" in kinds, f"no inline figure from the cell:\n{cell.source[:300]}"
    assert "missing" not in stream_text(nb)  # every saved result the notebook reads is shipped


def test_the_kernel_is_this_interpreter(kernel_dir, tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import sys\nprint(sys.executable)")]
    nb = execute_notebook(nb, tmp_path, kernel_dir, timeout=120)
    assert Path(stream_text(nb).strip()).resolve() == Path(sys.executable).resolve()


def test_a_sweep_in_a_kernel_shows_a_progress_bar(kernel_dir, tmp_path):
    """A sweep started from a notebook is never silent: tqdm's widget bar (or, without
    ipywidgets, its text bar) is in the cell's output, with no option set."""
    import nbformat

    source = "\n".join(
        [
            "import sys",
            f"sys.path.insert(0, {str(TESTS)!r})",
            "from sweep_toy import ToySweep, toy_configs, toy_trial",
            "from manifold_scaling.sweep import run_sweep",
            "configs = toy_configs(ToySweep(seeds=(0, 1, 2), sizes=(4,)))",
            f"result = run_sweep(toy_trial, configs, {str(tmp_path / 'sweep')!r})",
            "print('trials run:', result.n_run)",
        ]
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nb = execute_notebook(nb, tmp_path, kernel_dir, timeout=300)
    assert "trials run: 3" in stream_text(nb)
    outs = outputs(nb.cells[0])
    widget = [o for o in outs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    text_bar = "3/3" in stream_text(nb, "stderr")
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        assert text_bar, outs
    else:
        assert widget, f"no progress widget in the cell's output: {outs}"


# --- the notebooks, as scripts --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [p for p in NOTEBOOKS if p.stem.startswith(("02", "04"))],
    ids=lambda p: p.stem,
)
def test_notebook_runs_as_a_script_from_anywhere(path, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "missing" not in proc.stdout
