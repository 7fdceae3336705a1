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
        "x64_enabled": bool(jax.config.jax_enable_x64),
    }


def provenance() -> dict[str, object]:
    return {"versions": package_versions(), "device": device_info()}
