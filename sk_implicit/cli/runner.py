"""The main job's fits: the paper's experiment and cross-validation on a data set.

- :func:`run_synthetic` fits every estimator of :func:`make_estimators` on
  draws of :func:`~sk_implicit.datasets.make_sparse_regression` over a sweep
  of ``n_features`` and records the exact excess risk ``||coef - coef*||^2``,
  with two references that know the true support: the oracle least squares
  and the interpolation limit (the oracle plus the minimum-l2 interpolant of
  its residual, what an oracle interpolator achieves);
- :func:`run_cross_validation` cross-validates the same estimators (features
  standardised, the init scale of ``ImplicitRegInterpolator`` chosen by an
  inner cross-validation) on a user's data set.

Every record says whether the fit interpolated (its training MSE is at most
:data:`INTERPOLATION_TOL` times ``var(y)``) and whether it converged (its
``converged_`` attribute where it has one, otherwise the absence of a
``ConvergenceWarning``).

The setting and the claim are those of J. Zhou and R. Ge, "Implicit
Regularization Leads to Benign Overfitting for Sparse Linear Regression",
ICML 2023 (https://arxiv.org/abs/2302.00257).
"""

import math
import time
import warnings
from collections import Counter

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.linear_model import LassoCV, LinearRegression
from sklearn.model_selection import KFold, ParameterGrid
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import (
    ImplicitRegInterpolator,
    MinL1Interpolator,
    MinL2Interpolator,
    ResidualInterpolator,
)
from ..datasets import excess_risk, make_sparse_regression
from .progress import Progress, plural, run_tasks

__all__ = [
    "ESTIMATOR_NAMES",
    "INTERPOLATORS",
    "INTERPOLATION_TOL",
    "REFERENCE_NAMES",
    "OracleLeastSquares",
    "fit_outcome",
    "make_cv_estimators",
    "make_estimators",
    "make_references",
    "relative_mse",
    "run_cross_validation",
    "run_synthetic",
]

# Display names, in the order of the rows of every table and figure legend.
IMPLICIT = "ImplicitRegInterpolator"
MIN_L1 = "MinL1Interpolator"
MIN_L2 = "MinL2Interpolator"
LASSO = "LassoCV"
HYBRID = "LassoCV + min-l2 residual"
ESTIMATOR_NAMES = (IMPLICIT, MIN_L1, MIN_L2, LASSO, HYBRID)
ORACLE = "oracle least squares"
LIMIT = "interpolation limit"
REFERENCE_NAMES = (ORACLE, LIMIT)

# The models that must fit the training data exactly.
INTERPOLATORS = frozenset({IMPLICIT, MIN_L1, MIN_L2, HYBRID, LIMIT})

# A fit interpolates when its training MSE is at most this times var(y): the
# default stopping tolerance of ImplicitRegInterpolator, and the property
# that the package's tests check for every interpolator.
INTERPOLATION_TOL = 1e-6

# No search by default: ImplicitRegInterpolator's own default init_scale, with
# its own cross-validated switch time (its documented default).
DEFAULT_INIT_SCALES = None


def relative_mse(y_true, y_pred):
    """Mean squared error divided by the variance of ``y_true``.

    0 for an interpolator, 1 for the constant prediction ``mean(y_true)``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Targets.
    y_pred : array-like of shape (n_samples,)
        Predictions.

    Returns
    -------
    error : float
        ``mean((y_true - y_pred)**2) / var(y_true)``, or the plain MSE when
        ``y_true`` is constant.

    Examples
    --------
    >>> relative_mse([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
    1.0
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    mse = float(np.mean((y_true - np.asarray(y_pred, dtype=np.float64)) ** 2))
    var = float(np.var(y_true))
    return mse / var if var > 0 else mse


class OracleLeastSquares(RegressorMixin, BaseEstimator):
    """Least squares (with an intercept) on a given set of features.

    With the true support of a sparse signal this is the oracle: the best
    any estimator can do without knowing the noise. Its ``coef_`` has one
    entry per feature, zero off the support.

    Parameters
    ----------
    support : array-like of int
        Indices of the features used.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Least-squares coefficients on ``support``, zero elsewhere.
    intercept_ : float
        The intercept.
    n_features_in_ : int
        Number of features seen during fit.
    """

    def __init__(self, support=()):
        self.support = support

    def fit(self, X, y):
        """Fit least squares on the columns of ``support``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target values.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        support = np.asarray(self.support, dtype=int)
        model = LinearRegression().fit(X[:, support], y)
        self.coef_ = np.zeros(X.shape[1])
        self.coef_[support] = model.coef_
        self.intercept_ = float(model.intercept_)
        return self

    def predict(self, X):
        """Predict with the linear model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            ``X @ coef_ + intercept_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_ + self.intercept_


def make_estimators():
    """The estimators of the paper's experiment, keyed by display name.

    Returns
    -------
    estimators : dict of str to regressor
        Unfitted ``ImplicitRegInterpolator()``, ``MinL1Interpolator()``,
        ``MinL2Interpolator()``, ``LassoCV()`` and
        ``ResidualInterpolator(LassoCV())`` (the Lasso plus the minimum-l2
        interpolant of its residual), all with defaults.
    """
    return {
        IMPLICIT: ImplicitRegInterpolator(),
        MIN_L1: MinL1Interpolator(),
        MIN_L2: MinL2Interpolator(),
        LASSO: LassoCV(),
        HYBRID: ResidualInterpolator(estimator=LassoCV()),
    }


def make_references(support):
    """The two references of the synthetic experiment, which know the support.

    Parameters
    ----------
    support : array-like of int
        The true support.

    Returns
    -------
    references : dict of str to regressor
        The oracle least squares on ``support``, and the interpolation limit:
        the oracle plus the minimum-l2 interpolant of its residual.
    """
    oracle = OracleLeastSquares(support=support)
    return {ORACLE: oracle, LIMIT: ResidualInterpolator(estimator=oracle)}


def make_cv_estimators():
    """The estimators of :func:`make_estimators` for a user's data set.

    Each is preceded by a ``StandardScaler``: the package's estimators, like
    the Lasso, are not scale invariant.

    Returns
    -------
    estimators : dict of str to Pipeline
        Unfitted pipelines, keyed by display name.
    """
    return {
        name: make_pipeline(StandardScaler(), est)
        for name, est in make_estimators().items()
    }


def final_estimator(estimator):
    """The last step of a pipeline, or the estimator itself."""
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def fit_outcome(estimator, X, y, caught):
    """Whether a fitted model interpolates and whether it converged.

    Parameters
    ----------
    estimator : regressor
        Fitted.
    X, y : ndarray
        Its training data.
    caught : Counter
        Names of the warning categories raised by its fit.

    Returns
    -------
    outcome : dict
        ``train_error`` (:func:`relative_mse` on the training data),
        ``interpolated`` (``train_error <= INTERPOLATION_TOL``) and
        ``converged`` (``converged_`` where the estimator has it, otherwise
        no ``ConvergenceWarning`` raised).
    """
    train_error = relative_mse(y, estimator.predict(X))
    converged = getattr(final_estimator(estimator), "converged_", None)
    if converged is None:
        converged = caught["ConvergenceWarning"] == 0
    return {
        "train_error": train_error,
        "interpolated": bool(train_error <= INTERPOLATION_TOL),
        "converged": bool(converged),
    }


def _timed_fit(estimator, X, y):
    """Fit ``estimator``; return its fit time and the warnings it raised.

    Warnings are collected rather than shown: dozens of fits would otherwise
    bury the table under repeated ``ConvergenceWarning``s. They are counted
    by category and summarised under the table.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        estimator.fit(X, y)
        fit_time = time.perf_counter() - start
    return fit_time, Counter(w.category.__name__ for w in caught)


def _synthetic_task(name, estimator, n_samples, n_features, n_informative, noise, seed):
    X, y, coef = make_sparse_regression(
        n_samples, n_features, n_informative, noise, random_state=seed
    )
    if estimator is None:  # a reference, which needs the true support
        estimator = make_references(np.flatnonzero(coef))[name]
    estimator = clone(estimator)
    fit_time, caught = _timed_fit(estimator, X, y)
    return {
        "estimator": name,
        "n_features": n_features,
        "seed": seed,
        "n_train": n_samples,
        "excess_risk": excess_risk(estimator.coef_, coef),
        "fit_time": fit_time,
        "warnings": caught,
        "reference": name in REFERENCE_NAMES,
        **fit_outcome(estimator, X, y, caught),
    }


def _n_workers(n_jobs):
    if n_jobs is None or n_jobs == 1:
        return "in this process"
    from joblib import effective_n_jobs

    n = effective_n_jobs(n_jobs)
    return f"on {plural(n, 'parallel worker')}"


def run_synthetic(
    n_samples=100,
    n_features=(250, 500, 1000, 2000, 4000),
    n_informative=5,
    noise=0.5,
    n_seeds=3,
    *,
    estimators=None,
    references=True,
    n_jobs=1,
    progress=True,
):
    """The paper's experiment: excess risk of each estimator over a sweep of ``d``.

    For every ``d`` in ``n_features`` and seed in ``range(n_seeds)``, draw
    ``make_sparse_regression(n_samples, d, n_informative, noise,
    random_state=seed)`` and fit every estimator on it.

    Parameters
    ----------
    n_samples : int, default=100
        Number of training samples ``n``.
    n_features : sequence of int, default=(250, 500, 1000, 2000, 4000)
        The values of ``d``.
    n_informative : int, default=5
        Sparsity ``s`` of the true coefficients.
    noise : float, default=0.5
        Noise standard deviation.
    n_seeds : int, default=3
        Number of draws per ``d`` (seeds ``0, ..., n_seeds - 1``).
    estimators : dict of str to regressor, default=None
        Estimators keyed by display name; ``None`` means
        :func:`make_estimators`. Each must have a ``coef_`` once fitted.
    references : bool, default=True
        Also fit the references of :func:`make_references`.
    n_jobs : int, default=1
        Fits run in parallel by joblib when not 1 (-1: all cores).
    progress : bool, default=True
        Show the progress on stderr.

    Returns
    -------
    records : list of dict
        One per fit, with keys ``estimator``, ``n_features``, ``seed``,
        ``n_train`` (``n_samples``), ``excess_risk``, ``train_error``
        (training MSE over ``var(y)``), ``interpolated``, ``converged``,
        ``reference``, ``fit_time`` (seconds) and ``warnings`` (a
        ``Counter`` of warning category names), sorted by estimator
        (references last), ``d`` and seed.
    """
    if estimators is None:
        estimators = make_estimators()
    models = dict(estimators)
    if references:
        models.update(dict.fromkeys(REFERENCE_NAMES))  # built per draw
    # The largest problems first: parallel workers then finish together.
    tasks = [
        (name, est, n_samples, d, n_informative, noise, seed)
        for d in sorted(n_features, reverse=True)
        for seed in range(n_seeds)
        for name, est in models.items()
    ]
    start = (
        f"({plural(len(models), 'model')} x {plural(len(n_features), 'value')} "
        f"of d x {plural(n_seeds, 'seed')}) {_n_workers(n_jobs)}"
    )
    # A fit's cost grows about linearly with d at fixed n: the time left is
    # estimated with d as each fit's weight.
    with Progress(
        len(tasks),
        "sk-implicit",
        enabled=progress,
        total_weight=sum(task[3] for task in tasks),
        start_message=start,
    ) as bar:
        records = run_tasks(
            _synthetic_task,
            tasks,
            n_jobs,
            bar,
            lambda r: f"{r['estimator']}, d={r['n_features']}, seed {r['seed']}",
            weight=lambda task: task[3],
        )
    order = {name: i for i, name in enumerate(models)}
    records.sort(key=lambda r: (order[r["estimator"]], r["n_features"], r["seed"]))
    return records


# --------------------------------------------------------------------------
# Cross-validation on a data set


def _score_task(name, estimator, params, X, y, train, test, fold, candidate):
    """Validation R^2 of one candidate on one inner fold."""
    estimator = clone(estimator).set_params(**params)
    try:
        with warnings.catch_warnings():
            # Inner fits only choose a parameter: their warnings would
            # repeat those of the reported fits.
            warnings.simplefilter("ignore")
            estimator.fit(X[train], y[train])
        score = float(estimator.score(X[test], y[test]))
    except Exception:
        score = math.nan  # as GridSearchCV's error_score=nan
    return {
        "estimator": name,
        "fold": fold,
        "candidate": candidate,
        "params": params,
        "score": score,
        "inner": True,
    }


def _cv_task(name, estimator, params, X, y, train, test, fold):
    """Fit on the training fold, score on the test fold."""
    estimator = clone(estimator).set_params(**params)
    record = {"estimator": name, "fold": fold, "inner": False}
    record.update(n_train=len(train), n_features=X.shape[1])
    if params:
        record["best_params"] = params
    try:
        fit_time, caught = _timed_fit(estimator, X[train], y[train])
    except Exception as exc:  # one failing estimator must not sink the others
        message = str(exc).strip().splitlines()
        record.update(
            r2=math.nan,
            mse=math.nan,
            train_error=math.nan,
            interpolated=False,
            converged=False,
            fit_time=math.nan,
            warnings=Counter(),
            error=f"{type(exc).__name__}: {message[0] if message else ''}",
        )
        return record
    residual = y[test] - estimator.predict(X[test])
    ss_tot = float(np.sum((y[test] - y[test].mean()) ** 2))
    record.update(
        r2=1.0 - residual @ residual / ss_tot if ss_tot > 0 else math.nan,
        mse=float(np.mean(residual**2)),
        fit_time=fit_time,
        warnings=caught,
        error=None,
        **fit_outcome(estimator, X[train], y[train], caught),
    )
    return record


def _best_params(candidates, scores):
    """The candidate of best mean inner score (the first among equals)."""
    means = np.array([np.mean(s) if s else np.nan for s in scores])
    if np.all(np.isnan(means)):
        return None
    return candidates[int(np.nanargmax(means))]


def run_cross_validation(
    X,
    y,
    *,
    folds=5,
    estimators=None,
    param_grids=None,
    init_scales=DEFAULT_INIT_SCALES,
    inner_cv=3,
    n_jobs=1,
    progress=True,
):
    """K-fold cross-validation of the estimators on a data set.

    Folds are ``KFold(folds, shuffle=True, random_state=0)``, the same for
    every estimator. An estimator with a parameter grid has it searched
    inside each training fold, as ``GridSearchCV(cv=inner_cv)`` would (mean
    validation R^2 over ``KFold(inner_cv)``, the first best candidate), but
    with every inner fit a task of its own: the progress moves once per fit
    and the fits spread over the workers. An estimator that fails on a fold
    gets NaN scores and an ``error`` message for that fold instead of
    stopping the run.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Features.
    y : ndarray of shape (n_samples,)
        Target.
    folds : int, default=5
        Number of folds.
    estimators : dict of str to estimator, default=None
        Keyed by display name; ``None`` means :func:`make_cv_estimators`.
    param_grids : dict of str to dict, default=None
        Parameter grid (as for ``GridSearchCV``) of some estimators, keyed by
        display name. ``None`` means ``init_scales`` for
        ``ImplicitRegInterpolator`` when ``estimators`` is None, no grid
        otherwise.
    init_scales : sequence of float, default=None
        Grid of ``ImplicitRegInterpolator``'s ``init_scale``, searched by the
        inner cross-validation (used when both ``estimators`` and
        ``param_grids`` are None). ``None``: no search, the estimator's
        default.
    inner_cv : int, default=3
        Folds of the inner search (each ``ImplicitRegInterpolator`` also
        cross-validates its own ``dense_start``, hence fewer folds than the
        outer loop's to keep the cost down).
    n_jobs : int, default=1
        Fits run in parallel by joblib when not 1 (-1: all cores).
    progress : bool, default=True
        Show the progress on stderr.

    Returns
    -------
    records : list of dict
        One per (estimator, fold), with keys ``estimator``, ``fold``,
        ``n_train``, ``n_features``, ``r2`` and ``mse`` (test),
        ``train_error`` (training MSE over the training fold's ``var(y)``),
        ``interpolated``, ``converged``, ``fit_time``, ``warnings``,
        ``error`` (None or a one-line message) and, for searched
        estimators, ``best_params``. Sorted by estimator and fold.
    """
    if estimators is None:
        estimators = make_cv_estimators()
        if param_grids is None and init_scales is not None:
            key = "implicitreginterpolator__init_scale"
            param_grids = {IMPLICIT: {key: list(init_scales)}}
    param_grids = param_grids or {}
    candidates = {
        name: list(ParameterGrid(param_grids.get(name, {}))) for name in estimators
    }
    splits = list(KFold(folds, shuffle=True, random_state=0).split(X))
    inner = {
        fold: [
            (train[a], train[b])
            for a, b in KFold(inner_cv).split(np.empty((len(train), 1)))
        ]
        for fold, (train, _) in enumerate(splits)
    }

    # First the inner fits and the fits that need no search, then the fits
    # of the searched estimators with the parameters chosen.
    searched = {name for name, grid in candidates.items() if len(grid) > 1}
    inner_fits = [
        (_score_task, (name, est, params, X, y, a, b, fold, c))
        for name, est in estimators.items()
        if name in searched
        for fold in range(folds)
        for c, params in enumerate(candidates[name])
        for a, b in inner[fold]
    ]
    first = inner_fits + [
        (_cv_task, (name, est, candidates[name][0], X, y, train, test, fold))
        for name, est in estimators.items()
        if name not in searched
        for fold, (train, test) in enumerate(splits)
    ]
    n_total = len(first) + len(searched) * folds
    search = (
        f", {len(inner_fits)} of them inner fits that choose the parameters of "
        + ", ".join(sorted(searched))
        if searched
        else ""
    )
    start = (
        f"({folds}-fold cross-validation of {len(estimators)} models{search}) "
        f"{_n_workers(n_jobs)}"
    )

    def describe(r):
        if not r["inner"]:
            return f"{r['estimator']}, fold {r['fold']}"
        params = ", ".join(
            f"{key.split('__')[-1]}={value:g}" for key, value in r["params"].items()
        )
        return f"{r['estimator']}, fold {r['fold']}, inner fit with {params}"

    with Progress(n_total, "sk-implicit", enabled=progress, start_message=start) as bar:
        results = run_tasks(_call, first, n_jobs, bar, describe)
        scores = {}
        for r in results:
            if r["inner"]:
                key = (r["estimator"], r["fold"])
                per = scores.setdefault(key, [[] for _ in candidates[r["estimator"]]])
                per[r["candidate"]].append(r["score"])
        second = []
        records = [r for r in results if not r["inner"]]
        for name in sorted(searched):
            for fold, (train, test) in enumerate(splits):
                best = _best_params(candidates[name], scores[(name, fold)])
                if best is None:
                    records.append(_failed_search(name, fold))
                    bar.update(f"{name}, fold {fold}")
                    continue
                args = (name, estimators[name], best, X, y, train, test, fold)
                second.append((_cv_task, args))
        records += run_tasks(_call, second, n_jobs, bar, describe)
    for r in records:
        if r["estimator"] not in searched:
            r.pop("best_params", None)  # given, not chosen
    order = {name: i for i, name in enumerate(estimators)}
    records.sort(key=lambda r: (order[r["estimator"]], r["fold"]))
    return records


def _call(func, args):
    return func(*args)


def _failed_search(name, fold):
    return {
        "estimator": name,
        "fold": fold,
        "inner": False,
        "r2": math.nan,
        "mse": math.nan,
        "train_error": math.nan,
        "interpolated": False,
        "converged": False,
        "fit_time": math.nan,
        "warnings": Counter(),
        "error": "every candidate of the inner search failed",
    }
