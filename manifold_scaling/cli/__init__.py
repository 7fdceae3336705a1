"""The ``manifold-scaling`` command: argument parsing and error reporting only (no science).

Each subcommand lives in its own module exposing ``register(subparsers)``; the parser it adds
sets ``func=run`` where ``run(args) -> int``. Bad input anywhere raises
:class:`manifold_scaling.errors.InputError`, printed here as one line with exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from ..errors import InputError
from ..sweep.runner import SweepError

# Subcommand modules, in the order ``--help`` lists them. A module that fails to import (an
# optional dependency missing) is skipped with a note rather than breaking every other command.
_SUBCOMMANDS = (
    "reproduce",
    "data_scaling",
    "fit",
    "intrinsic_dim",
    "model_scaling",
    "regimes",
    "layer_dims",
    "digits",
)


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (``prog: error: ...``) with exit code 2."""

    def error(self, message):  # noqa: D401
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="manifold-scaling",
        description="Resolution-limited scaling laboratory: does test loss fall as D^(-4/d)?",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _SUBCOMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:
            if err.name and err.name.startswith(f"{__name__}.{name}"):
                continue  # not written yet
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a one-line parse error already printed
        return int(exit_.code or 0)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger("jax").setLevel(logging.WARNING)  # backend probing noise
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as err:
        sys.stderr.write(f"manifold-scaling {args.command}: error: {err}\n")
        return 2
    except SweepError as err:  # some trials raised; the others' records are on disk
        sys.stderr.write(f"manifold-scaling {args.command}: error: {err}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("manifold-scaling: interrupted; finished trials are kept on disk\n")
        return 130


def run() -> None:  # pragma: no cover - console entry point
    raise SystemExit(main())


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
