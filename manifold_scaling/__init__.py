"""manifold_scaling: does test loss fall as D^(-4/d) with the data manifold's intrinsic dimension?"""

__version__ = "0.1.0"
