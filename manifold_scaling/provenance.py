"""What every result records about where it came from: package versions and device."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

_PACKAGES = ("manifold_scaling", "jax", "jaxlib", "optax", "numpy", "scipy", "scikit-learn")


def package_versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def device_info() -> dict[str, object]:
    import jax

    devices = jax.devices()
    return {
        "platform": devices[0].platform,
        "device_kind": devices[0].device_kind,
        "device_count": len(devices),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpu_model": cpu_model(),
        "x64_enabled": bool(jax.config.jax_enable_x64),
    }


def cpu_model() -> str:
    """The CPU's model name (Linux: ``/proc/cpuinfo``; elsewhere ``platform.processor()``).
    Recorded because XLA's CPU code differs between CPUs in the last bits of its float sums,
    which long training runs amplify: the same config and seed give the same numbers on one
    machine and stack, not on every CPU."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def provenance() -> dict[str, object]:
    return {"versions": package_versions(), "device": device_info()}
