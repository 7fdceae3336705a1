"""Packaging: ``python -m manifold_scaling``, ``--version``, the wheel's contents (``py.typed``,
LICENSE, package data), dependency bounds that match the APIs the code calls, the extras, and the
citation file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

import manifold_scaling
from manifold_scaling import cli

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
ENV = {**os.environ, "JAX_PLATFORMS": "cpu"}


def _requirements(entries) -> dict[str, Requirement]:
    reqs = [Requirement(e) for e in entries]
    return {r.name.lower().replace("_", "-"): r for r in reqs}


def _lower_bound(req: Requirement) -> Version | None:
    bounds = [Version(s.version) for s in req.specifier if s.operator in (">=", "~=", "==")]
    return max(bounds) if bounds else None


# --- the command ----------------------------------------------------------------------------------


def test_version_flag_in_process(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"manifold-scaling {cli.version()}"


def test_version_falls_back_to_the_source_tree(monkeypatch):
    import importlib.metadata

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert cli.version() == manifold_scaling.__version__


# --- pyproject.toml -------------------------------------------------------------------------------


def test_optax_lower_bound_covers_lbfgs():
    # optax.lbfgs and optax.value_and_grad_from_state (training/_lbfgs.py) arrived in 0.2.3.
    optax = _requirements(PROJECT["dependencies"])["optax"]
    assert _lower_bound(optax) >= Version("0.2.3")
    source = "".join(p.read_text() for p in (ROOT / "manifold_scaling").rglob("*.py"))
    assert "optax.lbfgs" in source  # the reason for the bound is still there


def test_jax_lower_bound_covers_typed_keys():
    jax = _requirements(PROJECT["dependencies"])["jax"]
    assert _lower_bound(jax) >= Version("0.4.16")  # jax.random.key, wrap_key_data


def test_every_direct_dependency_has_a_lower_bound_and_the_lowest_pins_match():
    deps = _requirements(PROJECT["dependencies"])
    for name, req in deps.items():
        assert _lower_bound(req) is not None, f"{name} has no lower bound"
    proc = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "lowest-versions"), "--print-pins"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    pins = _requirements(proc.stdout.split())
    assert set(pins) == set(deps)
    for name, pin in pins.items():
        (spec,) = pin.specifier
        assert spec.operator == "==" and Version(spec.version) == _lower_bound(deps[name])


def test_extras():
    extras = PROJECT["optional-dependencies"]

    def names(extra):
        return set(_requirements(extras[extra]))

    notebooks = names("notebooks")
    assert notebooks & {"jupyterlab", "notebook"}, "an application that opens notebooks"
    assert {"ipykernel", "ipywidgets", "jupytext"} <= notebooks
    assert "pandas" in names("dataframes")
    assert {"dask", "submitit"} <= names("distributed")
    assert {"nbclient", "ipykernel", "jupytext", "pandas", "pytest"} <= names("test")
    (cuda,) = _requirements(extras["cuda"]).values()
    assert cuda.name == "jax" and "cuda12" in cuda.extras


def test_license_and_package_data_are_declared():
    assert PROJECT["license"] == "Apache-2.0"
    assert "LICENSE" in PROJECT["license-files"]
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["manifold_scaling"]
    assert (ROOT / "manifold_scaling" / "py.typed").is_file()


def test_citation_file():
    text = (ROOT / "CITATION.cff").read_text()
    assert re.search(r"^cff-version: 1\.2\.0$", text, re.M)
    assert re.search(rf"^version: {re.escape(manifold_scaling.__version__)}$", text, re.M)
    assert re.search(r"^title: .*manifold_scaling", text, re.M)
    assert "The manifold_scaling developers" in text
    assert "2004.10802" in text and "2102.06701" in text  # Sharma & Kaplan; Bahri et al.


# --- the wheel ------------------------------------------------------------------------------------
