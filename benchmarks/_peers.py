"""The peers of the benchmarks: sparse estimators, oracles and hybrids.

abess and skglm come from the optional ``bench`` extra
(``pip install -e ".[bench]"``); when one is missing, :func:`missing_package`
names it and the scripts skip its rows with a printed note.

- ``LassoCV(cv=5)``: scikit-learn, unshuffled 5-fold CV over its default path
  (100 penalties from ``alpha_max`` down to ``1e-3 alpha_max``).
- :func:`abess_cv`: ``abess.LinearRegression(cv=5)``, best-subset selection
  with the support size chosen by 5-fold CV over abess's default range.
- :func:`mcp_cv`: skglm's MCP with skglm's own cross-validation,
  ``skglm.cv.GeneralizedLinearEstimatorCV(Quadratic(), MCPenalty(alpha=1,
  gamma=3), AndersonCD(fit_intercept=True), cv=5, random_state=0)``: 100
  penalties on a geometric grid from ``alpha_max = max|X^T y| / n`` down to
  ``1e-3 alpha_max`` (skglm's defaults), warm-started along the grid, 5
  shuffled folds (seeded), the best mean validation MSE refitted on all data.
  ``gamma`` is fixed at 3, the default of ``skglm.MCPRegression``.
- :func:`oracle_ls`: least squares with intercept on the true support.
- :func:`residual_interpolator`: ``ResidualInterpolator`` around an already
  fitted linear model (:class:`FixedLinear`), i.e. the model plus the
  minimum-l2 interpolant of its residual. This gives exactly
  ``ResidualInterpolator(estimator=E).fit(X, y)`` for a deterministic ``E``
  without fitting ``E`` a second time (``tests/test_benchmarks.py`` checks it
  against ``ResidualInterpolator(LassoCV(cv=5))``). With the oracle inside it
  is the **interpolation limit**.

celer is not used: celer 0.7.4's ``LassoCV`` passes ``n_alphas`` to
scikit-learn's ``LinearModelCV``, which scikit-learn 1.9 removed (a
``TypeError`` at construction), and scikit-learn's ``LassoCV`` already
represents the Lasso.
"""

import importlib.util

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LassoCV, LinearRegression

from sk_implicit import ResidualInterpolator

BENCH_EXTRA = "pip install -e '.[bench]'"


def missing_package(package):
    """``None`` if ``package`` can be imported, else a note saying how to get it."""
    if package is None or importlib.util.find_spec(package) is not None:
        return None
    return f"{package} is not installed ({BENCH_EXTRA})"


def lasso_cv():
    """``sklearn.linear_model.LassoCV(cv=5)``."""
    return LassoCV(cv=5)


def abess_cv():
    """``abess.LinearRegression(cv=5)``: best subset, support size by 5-fold CV."""
    from abess import LinearRegression as AbessLinearRegression

    return AbessLinearRegression(cv=5)


def mcp_cv(cv=5, gamma=3.0, n_alphas=100, eps=1e-3, random_state=0):
    """skglm's MCP regression with skglm's own CV over the penalty (see module)."""
    from skglm.cv import GeneralizedLinearEstimatorCV
    from skglm.datafits import Quadratic
    from skglm.penalties import MCPenalty
    from skglm.solvers import AndersonCD

    return GeneralizedLinearEstimatorCV(
        Quadratic(),
        MCPenalty(alpha=1.0, gamma=gamma),
        AndersonCD(fit_intercept=True),
        cv=cv,
        n_alphas=n_alphas,
        eps=eps,
        random_state=random_state,
    )


class FixedLinear(RegressorMixin, BaseEstimator):
    """A linear model with given ``coef`` and ``intercept``; ``fit`` learns nothing.

    Lets :class:`ResidualInterpolator` wrap a model that is already fitted.
    """

    def __init__(self, coef=None, intercept=0.0):
        self.coef = coef
        self.intercept = intercept

    def fit(self, X, y=None):
        self.coef_ = np.asarray(self.coef, dtype=np.float64)
        self.intercept_ = float(self.intercept)
        self.n_features_in_ = self.coef_.size
        return self

    def predict(self, X):
        return np.asarray(X @ self.coef_).ravel() + self.intercept_


def linear_parts(model):
    """``(coef, intercept)`` of a fitted linear model, as float64 / float."""
    coef = np.asarray(model.coef_, dtype=np.float64).ravel()
    return coef, float(np.ravel(getattr(model, "intercept_", 0.0))[0])


def oracle_ls(X, y, true_coef):
    """Least squares with intercept on the support of ``true_coef``."""
    support = np.flatnonzero(true_coef)
    coef = np.zeros(X.shape[1])
    intercept = float(np.mean(y))
    if support.size:
        model = LinearRegression().fit(X[:, support], y)
        coef[support] = model.coef_
        intercept = float(model.intercept_)
    return FixedLinear(coef, intercept).fit(X, y)


def residual_interpolator(X, y, fitted):
    """``fitted`` plus the minimum-l2 interpolant of its residual (interpolates)."""
    coef, intercept = linear_parts(fitted)
    return ResidualInterpolator(FixedLinear(coef, intercept)).fit(X, y)


_WARM = set()


def warm_up(package):
    """Import ``package`` (and compile skglm's solver) once per process.

    So that no timed fit pays for an import or for numba's compilation of
    skglm (about 20 s on first use).
    """
    if package is None or package in _WARM:
        return
    importlib.import_module(package)
    if package == "skglm":
        rng = np.random.default_rng(0)
        X = rng.standard_normal((20, 30))
        mcp_cv().fit(X, X[:, 0] + 0.1 * rng.standard_normal(20))
    _WARM.add(package)
