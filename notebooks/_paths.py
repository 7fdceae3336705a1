"""Where the notebooks' saved results live.

A module, so that ``__file__`` is defined even when a notebook runs in a Jupyter kernel (which
defines none for the notebook itself); Jupyter starts the kernel in the notebook's folder, which is
on ``sys.path``, and so is a script's own folder.
"""

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def find_data() -> Path:
    """``notebooks/data`` (the saved results the notebooks read; they never retrain)."""
    if not DATA.is_dir():
        raise FileNotFoundError(f"{DATA} is missing: the notebooks read saved results from it")
    return DATA
