"""``python -m manifold_scaling ...``: the ``manifold-scaling`` command, for environments where the
console script is not on PATH (a kernel's interpreter, ``pipx run``, a bare ``pip install``)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
