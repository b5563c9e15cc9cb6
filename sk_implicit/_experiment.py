"""The command-line main job: the paper's experiment and cross-validation on a CSV.

Everything the ``sk-implicit`` command does, as functions that the command
(:mod:`sk_implicit.__main__`), the tests and the examples can call:

- :func:`run_synthetic` fits every estimator of :func:`make_estimators` on
  draws of :func:`~sk_implicit.datasets.make_sparse_regression` over a sweep of
  ``n_features`` and records the exact excess risk ``||coef - coef*||^2``;
- :func:`run_cross_validation` cross-validates the same estimators (features
  standardised, the init scale of ``ImplicitRegInterpolator`` grid-searched) on
  a user's data set, read by :func:`read_csv`;
- :func:`format_synthetic_table`, :func:`format_cv_table`,
  :func:`plot_synthetic` and :func:`plot_cv` present the records.

The setting and the claim are those of J. Zhou and R. Ge, "Implicit
Regularization Leads to Benign Overfitting for Sparse Linear Regression",
ICML 2023 (https://arxiv.org/abs/2302.00257).
"""

import csv
import math
import sys
import time
import warnings
from collections import Counter

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.linear_model import LassoCV
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from .datasets import excess_risk, make_sparse_regression

__all__ = [
    "DataError",
    "TwoStepInterpolator",
    "make_estimators",
    "make_cv_estimators",
    "run_synthetic",
    "run_cross_validation",
    "read_csv",
    "format_synthetic_table",
    "format_cv_table",
    "plot_synthetic",
    "plot_cv",
]

# Display names, in the order of the rows of every table and figure legend.
IMPLICIT = "ImplicitRegInterpolator"
MIN_L1 = "MinL1Interpolator"
MIN_L2 = "MinL2Interpolator"
LASSO = "LassoCV"
HYBRID = "LassoCV + min-l2 residual"
ESTIMATOR_NAMES = (IMPLICIT, MIN_L1, MIN_L2, LASSO, HYBRID)

DEFAULT_INIT_SCALES = (1e-10, 1e-6, 1e-3, 1e-1)


class DataError(ValueError):
    """A user's data file cannot be used; the message is one line for stderr."""


class TwoStepInterpolator(RegressorMixin, BaseEstimator):
    """A sparse fit plus the minimum-l2 interpolator of its residual.

    The explicit two-step "hybrid" interpolator of Muthukumar et al. (2020),
    "Harmless interpolation of noisy data in regression": the sparse
    estimator learns the signal, then the dense estimator, fitted on the
    residual, absorbs the noise. With the defaults (``LassoCV`` then
    ``MinL2Interpolator(fit_intercept=False)``) it interpolates whenever
    ``X`` has full row rank. It is the reference point for
    :class:`~sk_implicit.ImplicitRegInterpolator`, which reaches the same kind
    of interpolator by gradient descent.

    Parameters
    ----------
    sparse_estimator : regressor, default=None
        Fitted first, on ``(X, y)``; ``None`` means ``LassoCV(cv=5)``. Cloned.
    dense_estimator : regressor, default=None
        Fitted second, on ``(X, y - sparse_estimator.predict(X))``; ``None``
        means ``MinL2Interpolator(fit_intercept=False)`` (the residual of an
        estimator with an intercept already has mean zero). Cloned.

    Attributes
    ----------
    sparse_estimator_ : regressor
        The fitted sparse estimator.
    dense_estimator_ : regressor
        The fitted dense estimator.
    coef_ : ndarray of shape (n_features,)
        Sum of the two estimators' coefficients.
    intercept_ : float
        Sum of the two estimators' intercepts.
    n_features_in_ : int
        Number of features seen during fit.
    """

    def __init__(self, sparse_estimator=None, dense_estimator=None):
        self.sparse_estimator = sparse_estimator
        self.dense_estimator = dense_estimator

    def fit(self, X, y):
        """Fit the sparse estimator, then the dense one on its residual.

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
        from . import MinL2Interpolator

        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        sparse = (
            LassoCV(cv=5) if self.sparse_estimator is None else self.sparse_estimator
        )
        dense = (
            MinL2Interpolator(fit_intercept=False)
            if self.dense_estimator is None
            else self.dense_estimator
        )
        self.sparse_estimator_ = clone(sparse).fit(X, y)
        residual = y - self.sparse_estimator_.predict(X)
        self.dense_estimator_ = clone(dense).fit(X, residual)
        self.coef_ = np.ravel(self.sparse_estimator_.coef_) + np.ravel(
            self.dense_estimator_.coef_
        )
        self.intercept_ = float(
            self.sparse_estimator_.intercept_ + self.dense_estimator_.intercept_
        )
        return self

    def predict(self, X):
        """Predict with the summed linear model.

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
        ``MinL2Interpolator()``, ``LassoCV(cv=5)`` and the two-step
        ``LassoCV`` + minimum-l2 residual interpolator, all with defaults.
    """
    # Imported here so that the estimators' modules load only when used.
    from . import ImplicitRegInterpolator, MinL1Interpolator, MinL2Interpolator

    return {
        IMPLICIT: ImplicitRegInterpolator(),
        MIN_L1: MinL1Interpolator(),
        MIN_L2: MinL2Interpolator(),
        LASSO: LassoCV(cv=5),
        HYBRID: TwoStepInterpolator(),
    }


def make_cv_estimators(init_scales=DEFAULT_INIT_SCALES, inner_cv=3):
    """The estimators of :func:`make_estimators` for a user's data set.

    Each is preceded by a ``StandardScaler`` (the package's estimators, like
    the Lasso, are not scale invariant); ``ImplicitRegInterpolator``'s
    ``init_scale`` is chosen by ``GridSearchCV`` on the training folds.

    Parameters
    ----------
    init_scales : sequence of float, default=(1e-10, 1e-6, 1e-3, 1e-1)
        Grid of ``init_scale`` values.
    inner_cv : int, default=3
        Folds of the inner grid search (each candidate also runs its own
        internal cross-validation of ``dense_start``, hence fewer folds than
        the outer loop's to keep the cost down).

    Returns
    -------
    estimators : dict of str to estimator
        Unfitted pipelines, keyed by display name.
    """
    estimators = {
        name: make_pipeline(StandardScaler(), est)
        for name, est in make_estimators().items()
    }
    estimators[IMPLICIT] = GridSearchCV(
        estimators[IMPLICIT],
        {"implicitreginterpolator__init_scale": list(init_scales)},
        cv=inner_cv,
    )
    return estimators


def relative_mse(y_true, y_pred):
    """Mean squared error divided by the variance of ``y_true``.

    0 for an interpolator, 1 for the constant prediction ``mean(y_true)``.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    mse = float(np.mean((y_true - y_pred) ** 2))
    var = float(np.var(y_true))
    return mse / var if var > 0 else mse


# --------------------------------------------------------------------------
# Running fits, with a progress line


class Progress:
    """A minimal progress bar on a text stream (stderr by default).

    On a terminal the bar is redrawn in place; elsewhere (logs, pipes, tests)
    a plain line is written at every tenth of the work, so logs stay short.

    Parameters
    ----------
    total : int
        Number of steps.
    label : str
        Shown before the bar.
    stream : file-like, default=None
        Where to write; ``None`` means ``sys.stderr`` at construction time.
    enabled : bool, default=True
        Write nothing when False.
    """

    def __init__(self, total, label, stream=None, enabled=True):
        self.total = max(int(total), 1)
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.enabled = enabled
        self.done = 0
        self.start = time.perf_counter()
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self._last_tenth = 0

    def update(self, detail=""):
        """Record one finished step; ``detail`` says which."""
        self.done += 1
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        if self.tty:
            width = 30
            filled = int(width * self.done / self.total)
            bar = "#" * filled + "-" * (width - filled)
            line = (
                f"{self.label} [{bar}] {self.done}/{self.total} "
                f"{elapsed:5.1f}s {detail}"
            )
            # Pad to erase the tail of a longer previous line.
            self.stream.write("\r" + line.ljust(100)[:100])
            self.stream.flush()
            return
        tenth = 10 * self.done // self.total
        if tenth > self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(
                f"{self.label}: {self.done}/{self.total} fits, {elapsed:.1f}s\n"
            )
            self.stream.flush()

    def close(self):
        """End the bar's line (on a terminal)."""
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()

    @property
    def elapsed(self):
        """Seconds since the bar was created."""
        return time.perf_counter() - self.start


def _run_tasks(func, tasks, n_jobs, progress, describe):
    """Run ``func(*task)`` for every task, in parallel if asked, with progress.

    Results come back in completion order; callers sort them.
    """
    tasks = list(tasks)
    if n_jobs is None or n_jobs == 1:
        results = []
        for task in tasks:
            result = func(*task)
            results.append(result)
            progress.update(describe(result))
        return results

    from joblib import Parallel, delayed

    results = []
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for result in parallel(delayed(func)(*task) for task in tasks):
        results.append(result)
        progress.update(describe(result))
    return results


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
    estimator = clone(estimator)
    fit_time, caught = _timed_fit(estimator, X, y)
    return {
        "estimator": name,
        "n_features": n_features,
        "seed": seed,
        "excess_risk": excess_risk(estimator.coef_, coef),
        "train_error": relative_mse(y, estimator.predict(X)),
        "fit_time": fit_time,
        "warnings": caught,
    }


def run_synthetic(
    n_samples=100,
    n_features=(250, 500, 1000, 2000, 4000),
    n_informative=5,
    noise=0.5,
    n_seeds=3,
    *,
    estimators=None,
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
        :func:`make_estimators`.
    n_jobs : int, default=1
        Fits run in parallel by joblib when not 1 (-1: all cores).
    progress : bool, default=True
        Show a progress bar on stderr.

    Returns
    -------
    records : list of dict
        One per fit, with keys ``estimator``, ``n_features``, ``seed``,
        ``excess_risk``, ``train_error`` (training MSE over ``var(y)``),
        ``fit_time`` (seconds) and ``warnings`` (a ``Counter`` of warning
        category names), sorted by estimator, ``d`` and seed.
    """
    if estimators is None:
        estimators = make_estimators()
    # The largest problems first: parallel workers then finish together.
    tasks = [
        (name, est, n_samples, d, n_informative, noise, seed)
        for d in sorted(n_features, reverse=True)
        for seed in range(n_seeds)
        for name, est in estimators.items()
    ]
    bar = Progress(len(tasks), "sk-implicit", enabled=progress)
    records = _run_tasks(
        _synthetic_task,
        tasks,
        n_jobs,
        bar,
        lambda r: f"{r['estimator']} d={r['n_features']} seed={r['seed']}",
    )
    bar.close()
    order = {name: i for i, name in enumerate(estimators)}
    records.sort(key=lambda r: (order[r["estimator"]], r["n_features"], r["seed"]))
    return records


def _cv_task(name, estimator, X, y, fold, train, test):
    estimator = clone(estimator)
    record = {"estimator": name, "fold": fold}
    try:
        fit_time, caught = _timed_fit(estimator, X[train], y[train])
    except Exception as exc:  # one failing estimator must not sink the others
        message = str(exc).strip().splitlines()
        record.update(
            r2=math.nan,
            mse=math.nan,
            train_error=math.nan,
            fit_time=math.nan,
            warnings=Counter(),
            error=f"{type(exc).__name__}: {message[0] if message else ''}",
        )
        return record
    y_pred = estimator.predict(X[test])
    residual = y[test] - y_pred
    mse = float(np.mean(residual**2))
    ss_tot = float(np.sum((y[test] - y[test].mean()) ** 2))
    record.update(
        r2=1.0 - residual @ residual / ss_tot if ss_tot > 0 else math.nan,
        mse=mse,
        train_error=relative_mse(y[train], estimator.predict(X[train])),
        fit_time=fit_time,
        warnings=caught,
        error=None,
    )
    best_params = getattr(estimator, "best_params_", None)
    if best_params:
        record["best_params"] = best_params
    return record


def run_cross_validation(
    X,
    y,
    *,
    folds=5,
    estimators=None,
    n_jobs=1,
    progress=True,
    init_scales=DEFAULT_INIT_SCALES,
    inner_cv=3,
):
    """K-fold cross-validation of the estimators on a data set.

    Folds are ``KFold(folds, shuffle=True, random_state=0)``, the same for
    every estimator. An estimator that fails on a fold gets NaN scores and an
    ``error`` message for that fold instead of stopping the run.

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
    n_jobs : int, default=1
        Fits run in parallel by joblib when not 1 (-1: all cores).
    progress : bool, default=True
        Show a progress bar on stderr.
    init_scales : sequence of float, default=(1e-10, 1e-6, 1e-3, 1e-1)
        Grid of :func:`make_cv_estimators` (unused when ``estimators`` is
        given).
    inner_cv : int, default=3
        Folds of the inner grid search of :func:`make_cv_estimators` (unused
        when ``estimators`` is given).

    Returns
    -------
    records : list of dict
        One per (estimator, fold), with keys ``estimator``, ``fold``, ``r2``
        and ``mse`` (test), ``train_error`` (training MSE over the training
        fold's ``var(y)``), ``fit_time``, ``warnings``, ``error`` (None or a
        one-line message) and, for grid searches, ``best_params``. Sorted by
        estimator and fold.
    """
    if estimators is None:
        estimators = make_cv_estimators(init_scales, inner_cv=inner_cv)
    splits = list(KFold(folds, shuffle=True, random_state=0).split(X))
    tasks = [
        (name, est, X, y, fold, train, test)
        for name, est in estimators.items()
        for fold, (train, test) in enumerate(splits)
    ]
    bar = Progress(len(tasks), "sk-implicit", enabled=progress)
    records = _run_tasks(
        _cv_task, tasks, n_jobs, bar, lambda r: f"{r['estimator']} fold {r['fold']}"
    )
    bar.close()
    order = {name: i for i, name in enumerate(estimators)}
    records.sort(key=lambda r: (order[r["estimator"]], r["fold"]))
    return records


# --------------------------------------------------------------------------
# Reading a user's CSV


def read_csv(path, target):
    """Read a numeric CSV file with a header row into ``X, y``.

    The delimiter (comma, semicolon or tab) is detected. Every column must
    be numeric and complete: this function does not guess how to encode
    categories or fill gaps, it says where the problem is.

    Parameters
    ----------
    path : str or path-like
        The file.
    target : str
        Name of the target column, as in the header.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        All the other columns, in file order.
    y : ndarray of shape (n_samples,)
        The target column.
    feature_names : list of str
        Names of the columns of ``X``.

    Raises
    ------
    DataError
        With a one-line message: unreadable file, no header or rows, missing
        target column, ragged row, non-numeric or missing (empty, NaN) or
        infinite value.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            text = f.read()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a UTF-8 text file") from None

    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # one column, or too little to tell: plain commas
    reader = csv.reader(text.splitlines(), dialect)
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise DataError(f"{path} is empty (a header row is needed)")
    header = [cell.strip() for cell in header]
    if target not in header:
        shown = ", ".join(repr(name) for name in header[:10])
        more = f" and {len(header) - 10} more" if len(header) > 10 else ""
        raise DataError(
            f"column {target!r} not found in {path} (columns: {shown}{more})"
        )
    if len(header) < 2:
        raise DataError(f"{path} has no feature column besides {target!r}")

    rows = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue  # blank lines, e.g. at the end of the file
        if len(row) != len(header):
            raise DataError(
                f"{path}, line {reader.line_num}: {len(row)} fields, "
                f"expected {len(header)} as in the header"
            )
        values = []
        for name, cell in zip(header, row):
            cell = cell.strip()
            try:
                value = float(cell)
            except ValueError:
                if cell == "":
                    raise DataError(
                        f"column {name!r} has a missing value "
                        f"({path}, line {reader.line_num})"
                    ) from None
                raise DataError(
                    f"column {name!r} is not numeric: {cell[:30]!r} "
                    f"({path}, line {reader.line_num})"
                ) from None
            if math.isnan(value):
                raise DataError(
                    f"column {name!r} has a missing value (NaN) "
                    f"({path}, line {reader.line_num})"
                )
            if math.isinf(value):
                raise DataError(
                    f"column {name!r} has an infinite value "
                    f"({path}, line {reader.line_num})"
                )
            values.append(value)
        rows.append(values)
    if not rows:
        raise DataError(f"{path} has a header but no data rows")

    data = np.asarray(rows, dtype=np.float64)
    j = header.index(target)
    feature_names = header[:j] + header[j + 1 :]
    return np.delete(data, j, axis=1), data[:, j], feature_names


# --------------------------------------------------------------------------
# Tables


def _format_rows(header, rows, title_lines=()):
    """Left-align the first column, right-align the others."""
    cells = [header] + rows
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row):
        first = row[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:]))
        return "  ".join([first, *rest])

    rule = "-" * len(line(header))
    return "\n".join([*title_lines, line(header), rule, *map(line, rows)])


def _warning_notes(records):
    """One line per estimator that raised warnings, e.g. convergence ones."""
    notes = []
    for name in dict.fromkeys(r["estimator"] for r in records):
        counts = Counter()
        n_fits = 0
        for r in records:
            if r["estimator"] == name:
                counts.update(r["warnings"])
                n_fits += 1
        if counts:
            what = ", ".join(f"{k} x{v}" for k, v in sorted(counts.items()))
            notes.append(f"note: {name} raised {what} over {n_fits} fits")
    return notes


def format_synthetic_table(records, *, n_samples, n_informative, noise):
    """The table of :func:`run_synthetic`'s records.

    Rows are estimators; columns the mean excess risk for each ``d``, then the
    mean relative training error and the mean fit time over all fits.

    Parameters
    ----------
    records : list of dict
        As returned by :func:`run_synthetic`.
    n_samples, n_informative : int
        For the title.
    noise : float
        For the title.

    Returns
    -------
    table : str
        Lines of text, no trailing newline.
    """
    names = list(dict.fromkeys(r["estimator"] for r in records))
    ds = sorted({r["n_features"] for r in records})
    n_seeds = len({r["seed"] for r in records})
    header = ["estimator", *(f"d={d}" for d in ds), "train err", "fit s"]
    rows = []
    for name in names:
        mine = [r for r in records if r["estimator"] == name]
        risks = [
            np.mean([r["excess_risk"] for r in mine if r["n_features"] == d])
            for d in ds
        ]
        rows.append(
            [
                name,
                *(f"{risk:.3g}" for risk in risks),
                f"{np.mean([r['train_error'] for r in mine]):.1e}",
                f"{np.mean([r['fit_time'] for r in mine]):.2f}",
            ]
        )
    seeds = "seed" if n_seeds == 1 else f"mean over {n_seeds} seeds"
    titles = [
        f"Excess risk ||coef - coef*||^2 ({seeds}); n={n_samples}, "
        f"s={n_informative}, noise={noise:g}",
        "train err = training MSE / var(y), fit s = mean seconds per fit",
    ]
    return "\n".join([_format_rows(header, rows, titles), *_warning_notes(records)])


def format_cv_table(records, *, title=()):
    """The table of :func:`run_cross_validation`'s records.

    Rows are estimators; columns the mean and standard deviation over folds
    of the test R^2 and MSE, the mean relative training error and fit time.

    Parameters
    ----------
    records : list of dict
        As returned by :func:`run_cross_validation`.
    title : sequence of str, default=()
        Lines above the table.

    Returns
    -------
    table : str
        Lines of text, no trailing newline.
    """
    names = list(dict.fromkeys(r["estimator"] for r in records))
    header = ["estimator", "R2 mean", "R2 std", "MSE mean", "MSE std"]
    header += ["train err", "fit s"]
    rows, notes = [], []
    for name in names:
        mine = [r for r in records if r["estimator"] == name]
        ok = [r for r in mine if r.get("error") is None]
        failed = [r for r in mine if r.get("error") is not None]
        if failed:
            notes.append(
                f"note: {name} failed on {len(failed)} of {len(mine)} folds: "
                f"{failed[0]['error']}"
            )
        if not ok:
            rows.append([name, *(["failed"] * (len(header) - 1))])
            continue
        r2 = np.array([r["r2"] for r in ok])
        mse = np.array([r["mse"] for r in ok])
        rows.append(
            [
                name,
                f"{r2.mean():.3f}",
                f"{r2.std():.3f}",
                f"{mse.mean():.4g}",
                f"{mse.std():.3g}",
                f"{np.mean([r['train_error'] for r in ok]):.1e}",
                f"{np.mean([r['fit_time'] for r in ok]):.2f}",
            ]
        )
        chosen = Counter(
            ", ".join(f"{k.split('__')[-1]}={v:g}" for k, v in r["best_params"].items())
            for r in ok
            if "best_params" in r
        )
        if chosen:
            values = "; ".join(f"{p} ({k} folds)" for p, k in chosen.most_common())
            notes.append(f"note: {name} chose {values}")
    notes += _warning_notes(records)
    return "\n".join([_format_rows(header, rows, list(title)), *notes])


# --------------------------------------------------------------------------
# Figures


def _pyplot():
    """matplotlib.pyplot with the Agg backend, or None if not installed.

    matplotlib is an optional dependency (extra ``plot``): the command still
    prints its table without it.
    """
    try:
        import matplotlib
    except ImportError:
        return None
    # Files only, never a window: a figure must not block a command-line job.
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


MISSING_MATPLOTLIB = (
    "note: matplotlib is not installed, no figure written "
    "(pip install 'sk-implicit[plot]')"
)


def plot_synthetic(records, path, *, n_samples, n_informative, noise):
    """Figure of the excess risk against ``d``, one line per estimator.

    Lines are the means over seeds, bands span the minimum to the maximum.

    Parameters
    ----------
    records : list of dict
        As returned by :func:`run_synthetic`.
    path : str or path-like
        Where to write the PNG.
    n_samples, n_informative : int
        For the title.
    noise : float
        For the title.

    Returns
    -------
    path : str or None
        ``path``, or None when matplotlib is not installed.
    """
    plt = _pyplot()
    if plt is None:
        return None
    names = list(dict.fromkeys(r["estimator"] for r in records))
    ds = np.array(sorted({r["n_features"] for r in records}))
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    for name in names:
        risks = [
            [
                r["excess_risk"]
                for r in records
                if r["estimator"] == name and r["n_features"] == d
            ]
            for d in ds
        ]
        mean = np.array([np.mean(v) for v in risks])
        (line,) = ax.plot(ds, mean, marker="o", label=name)
        ax.fill_between(
            ds,
            [np.min(v) for v in risks],
            [np.max(v) for v in risks],
            color=line.get_color(),
            alpha=0.15,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(ds, [str(d) for d in ds])
    ax.minorticks_off()
    ax.set_xlabel("number of features d")
    ax.set_ylabel(r"excess risk $\|\hat\beta - \beta^*\|^2$")
    ax.set_title(
        f"Sparse regression, n={n_samples}, s={n_informative}, noise={noise:g}"
        " (mean, min-max band)",
        fontsize="medium",
    )
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3, which="both")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def plot_cv(records, path, *, title=""):
    """Figure of the per-fold test scores (R^2 and MSE) of each estimator.

    Parameters
    ----------
    records : list of dict
        As returned by :func:`run_cross_validation`.
    path : str or path-like
        Where to write the PNG.
    title : str, default=""
        Figure title.

    Returns
    -------
    path : str or None
        ``path``, or None when matplotlib is not installed.
    """
    plt = _pyplot()
    if plt is None:
        return None
    names = list(dict.fromkeys(r["estimator"] for r in records))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), layout="constrained")
    for ax, key, label in zip(axes, ("r2", "mse"), ("test $R^2$", "test MSE")):
        for i, name in enumerate(names):
            scores = np.array(
                [r[key] for r in records if r["estimator"] == name], dtype=float
            )
            scores = scores[np.isfinite(scores)]
            # Small deterministic jitter so that equal scores stay visible.
            offsets = np.linspace(-0.12, 0.12, len(scores)) if len(scores) else []
            ax.scatter(i + np.asarray(offsets), scores, alpha=0.7, zorder=2)
            if len(scores):
                ax.hlines(scores.mean(), i - 0.25, i + 0.25, color="k", zorder=3)
        ax.set_xticks(range(len(names)), names, rotation=20, ha="right")
        ax.set_ylabel(label + " per fold (bar: mean)")
        ax.grid(alpha=0.3, axis="y")
    if title:
        fig.suptitle(title, fontsize="medium")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)
