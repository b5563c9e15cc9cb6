"""sk-implicit: interpolating linear models that overfit benignly.

Three scikit-learn regressors that fit the training data exactly:

- :class:`ImplicitRegInterpolator`: gradient descent on ``w*w - u*u + v``
  (Zhou & Ge, "Implicit Regularization Leads to Benign Overfitting for Sparse
  Linear Regression", ICML 2023), near-Lasso test error while interpolating;
- :class:`MinL1Interpolator`: the minimum-l1-norm interpolator (basis pursuit);
- :class:`MinL2Interpolator`: the minimum-l2-norm interpolator (``pinv(X) y``);
- :class:`ResidualInterpolator`: any regressor plus the minimum-l2 interpolant
  of its residual (the explicit two-step hybrid).
"""

from ._implicit import ImplicitRegInterpolator
from ._min_l1 import MinL1Interpolator
from ._min_l2 import MinL2Interpolator
from ._path import implicit_path
from ._residual import ResidualInterpolator

__version__ = "0.2.0"

__all__ = [
    "ImplicitRegInterpolator",
    "MinL1Interpolator",
    "MinL2Interpolator",
    "ResidualInterpolator",
    "implicit_path",
    "__version__",
]
