"""genlab: the companion package of an executable course on generative models.

Each public function or estimator names, in its docstring, the chapter of the
book that introduces it. The modules are small and follow the book:

``genlab.numerics``
    Log-space arithmetic (log-sum-exp, normalising log-weights).
``genlab.gaussian``
    Normal densities, starting with the univariate one.
``genlab.plotting``
    The book's colour-blind-safe palette and figure style.
"""

from __future__ import annotations

from genlab import gaussian, numerics, plotting

__all__ = ["__version__", "gaussian", "numerics", "plotting"]
__version__ = "0.1.0"
