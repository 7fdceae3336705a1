"""The ``manifold-scaling`` command: argument parsing and error reporting only (no science).

The sweep commands are one table (``sweeps.SWEEPS``) whose flags are generated from their configs
(``_flags``); ``fit``, ``intrinsic-dim`` and ``layer-dims`` are modules exposing
``register(subparsers)``. Every parser sets ``func=run`` where ``run(args) -> int``. Bad input
anywhere raises :class:`manifold_scaling.errors.InputError`, printed here as one line with exit
code 2.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import re
import sys

from ..errors import InputError
from ..sweep.runner import SweepError
from ._flags import DEFAULT_BOOTSTRAP, as_typed, harmonise, typed_spelling

# Subcommands, in the order ``--help`` lists them: a module of this package (``fit``,
# ``intrinsic-dim``, ...) or else a sweep in ``sweeps.SWEEPS``.
_SUBCOMMANDS = (
    "reproduce",
    "data-scaling",
    "fit",
    "predict",
    "intrinsic-dim",
    "model-scaling",
    "variance-limited",
    "ambient-invariance",
    "loss-powers",
    "compute-frontier",
    "smoothness-scan",
    "layer-dims",
    "digits",
    "report",
)


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (``prog: error: ...``) with exit code 2, naming a flag
    as the user spelled it (``--d`` or ``--dims``: one concept, ``_flags.ALIASES``)."""

    _argv: tuple = ()

    def parse_known_args(self, args=None, namespace=None):
        self._argv = tuple(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message):  # noqa: D401
        # "argument --seeds: ..." -> "--seeds: ...", the shape of every other error here.
        message = re.sub(r"^argument (-[\w-]+)(/-[\w-]+)*: ", r"\1: ", message)
        message = re.sub(
            r"^(--[\w-]+)(?=: )", lambda m: typed_spelling(m.group(1), self._argv), message
        )
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


class _Subparser(_Parser):
    """A subcommand's parser: arguments it does not know are its error (argparse would leave them
    to the top-level parser, whose message does not name the subcommand)."""

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras


def version() -> str:
    """The installed distribution's version, or the source tree's when it is not installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("manifold_scaling")
    except PackageNotFoundError:
        from .._version import __version__

        return __version__


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``only`` a subcommand's name, that subcommand alone (what
    ``main`` builds for a command that names one: ``intrinsic-dim`` and ``fit`` then start without
    importing the studies, and so without JAX)."""
    parser = _Parser(
        prog="manifold-scaling",
        description="Resolution-limited scaling laboratory: does test loss fall as D^(-4/d)?",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"manifold-scaling {version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Subparser)
    for name in _SUBCOMMANDS if only is None else (only,):
        module_name = f"{__name__}.{name.replace('-', '_')}"
        if importlib.util.find_spec(module_name) is None:  # not a module: a sweep of the table
            from .sweeps import register as register_sweep

            register_sweep(subparsers, name)
            continue
        importlib.import_module(module_name).register(subparsers)
    for sub in subparsers.choices.values():  # one spelling per concept, whoever added the flag
        harmonise(sub, bootstrap=DEFAULT_BOOTSTRAP)
    return parser


def _command(argv: list[str]) -> str | None:
    """The subcommand ``argv`` names (its first word that is not a flag), if it is one."""
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in _SUBCOMMANDS else None


def config_from_argv(command: str, argv: list[str]):
    """The config sweep ``command`` would run with ``argv``, without running it."""
    args = build_parser(only=command).parse_args([command, *argv])
    return args.make_config(args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    parser = build_parser(only=_command(argv))
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
        sys.stderr.write(f"manifold-scaling {args.command}: error: {as_typed(err, argv)}\n")
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
