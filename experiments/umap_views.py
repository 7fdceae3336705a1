"""UMAP views of manifolds embedded in 24 dimensions, saved for notebook 03 (no training).

    python experiments/umap_views.py [--out notebooks/data/umap_views.npz]
UMAP's first call compiles with numba (a minute or two on a busy CPU), so the notebook loads
these saved 2-D coordinates instead of recomputing them.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import umap

from manifold_scaling import keys
from manifold_scaling.manifolds import ManifoldConfig, init_embedding, sample_manifold


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path("notebooks/data/umap_views.npz"))
    ap.add_argument("--points", type=int, default=2000)
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)

    VIEWS = {
        "torus2_network": ManifoldConfig(
            intrinsic_dim=2, latent="torus", ambient_dim=24, embedding="network"
        ),
        "sphere2_network": ManifoldConfig(
            intrinsic_dim=2, latent="sphere", ambient_dim=24, embedding="network"
        ),
        "cube3_rotation": ManifoldConfig(
            intrinsic_dim=3, latent="cube", ambient_dim=24, embedding="rotation"
        ),
    }
    arrays = {}
    for i, (name, m) in enumerate(VIEWS.items()):
        sample = sample_manifold(keys.key(100 + i), init_embedding(keys.key(i), m), args.points)
        xy = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=0).fit_transform(
            np.asarray(sample.x)
        )
        # float16 and one latent coordinate (for colouring) keep the shipped file small.
        arrays[f"{name}_xy"] = xy.astype(np.float16)
        arrays[f"{name}_z"] = np.asarray(sample.z[:, :1], np.float16)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out} ({', '.join(VIEWS)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
