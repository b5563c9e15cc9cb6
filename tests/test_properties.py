"""Properties of every public estimator, tested with hypothesis (issue 11).

The strategies draw small regression problems: shapes ``n > d``, ``n = d``,
``n < d``, ``d = 1`` and ``n = 1``; float32 and float64; dense and
scipy.sparse (CSR, CSC, COO) ``X``; sample weights with zeros; degenerate
designs (duplicated, constant and all-zero columns, duplicated rows, rank
deficiency, condition numbers from 10 to 1e15, an all-zero ``X``); targets
that are noise, in the span of ``X`` or constant; and scales of ``X`` and
``y`` from 1e-150 to 1e150 (float64) or 1e-18 to 1e18 (float32). The
properties:

- a fit raises a clear ``ValueError`` or returns finite coefficients and
  predictions (``test_outcome_*``);
- it interpolates when it can, returns the least-squares solution where no
  interpolant exists, and otherwise warns and sets ``converged_=False``
  (``test_outcome_*``, judged by :func:`assess`, an independent numpy
  implementation of :func:`sk_implicit._base.fit_outcome`'s semantics with
  ``numpy.linalg.svd`` as the least-squares reference);
- sparse and dense input agree, when both fits converge
  (``test_sparse_dense_*``); a weight of 2 equals a duplicated row
  (``test_weight_two_*``); two fits are identical and pickling round-trips
  (``test_refit_pickle_*``); scaling ``y`` by ``c`` scales ``coef_`` and
  ``intercept_`` by ``c`` (``test_scale_y_*``: exactly for a power of two;
  for other factors to the effect of rounding ``c y``, and for
  ImplicitRegInterpolator only in the row space of ``X``, as its "cv" time
  may move); concurrent fits from threads equal serial fits
  (``test_threads_*``);
- :func:`sk_implicit.implicit_path`: its training loss never increases, and
  the sparse/dense, weight/duplicate and ``y``-scaling properties hold
  (:func:`test_implicit_path_properties`).

Each ``test_<property>_<estimator>`` runs the examples of ``EXAMPLES`` below
(ImplicitRegInterpolator, the slowest, on smaller problems, with ``cv=3``).

Profiles (environment variable ``SK_IMPLICIT_HYPOTHESIS``):

- ``ci`` (default): ``derandomize=True`` (the same examples on every run,
  hence reproducible in CI), ``deadline=None``, no example database, and the
  counts of ``EXAMPLES``: 704 examples in all (outcome 270, sparse/dense
  110, weight 2 110, refit and pickle 60, y scaling 100, threads 14 of
  three problems each, implicit_path 40); the whole file, with its
  regression tests, takes about 40 s on 2 cores (one of them busy).
- ``long``: 20 times as many examples, randomised (a new search on every run,
  failures saved in ``.hypothesis/`` and printed with a reproduction blob),
  for a search before a release:
  ``SK_IMPLICIT_HYPOTHESIS=long python -m pytest tests/test_properties.py``.

The regression tests at the end reproduce defects this suite found, all
fixed; the strategies avoid no trigger of a known defect.
"""

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LassoCV, Ridge
from threadpoolctl import threadpool_limits

from sk_implicit import (
    ImplicitRegInterpolator,
    MinL1Interpolator,
    MinL2Interpolator,
    ResidualInterpolator,
    implicit_path,
)

# --- Profiles ----------------------------------------------------------------

PROFILE = os.environ.get("SK_IMPLICIT_HYPOTHESIS", "ci")
if PROFILE not in ("ci", "long"):
    raise ValueError(f"SK_IMPLICIT_HYPOTHESIS must be 'ci' or 'long', got {PROFILE!r}.")
_FACTOR = 20 if PROFILE == "long" else 1

# Examples per test (and per estimator where a test is parametrised by it),
# in the ci profile. ImplicitRegInterpolator is the slowest (a "cv" fit
# integrates one path per fold): its counts are lower and its shapes smaller.
EXAMPLES = {
    "outcome": {"MinL2": 80, "MinL1": 60, "Residual": 30, "ImplicitReg": 100},
    "sparse_dense": {"MinL2": 30, "MinL1": 25, "Residual": 15, "ImplicitReg": 40},
    "weight_two": {"MinL2": 30, "MinL1": 25, "Residual": 15, "ImplicitReg": 40},
    "refit_pickle": {"MinL2": 15, "MinL1": 15, "Residual": 10, "ImplicitReg": 20},
    "scale_y": {"MinL2": 25, "MinL1": 20, "Residual": 15, "ImplicitReg": 40},
    "threads": {"MinL2": 3, "MinL1": 3, "Residual": 3, "ImplicitReg": 5},
    "path": 40,
}


def examples(count):
    """Hypothesis settings for ``count`` examples in the ci profile."""
    return settings(
        max_examples=count * _FACTOR,
        deadline=None,
        derandomize=PROFILE == "ci",
        database=None if PROFILE == "ci" else settings.default.database,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


# --- Problems ----------------------------------------------------------------

EPS = {np.float64: np.finfo(np.float64).eps, np.float32: np.finfo(np.float32).eps}
# Decimal exponents of the scales of X and y: the ranges.
MAX_EXP = {np.float64: 150, np.float32: 18}

SHAPES = ("wide", "square", "tall", "one_feature", "one_sample")
DESIGNS = (
    "gaussian",
    "duplicate_columns",
    "constant_column",
    "zero_column",
    "duplicate_rows",
    "rank_deficient",
    "ill_conditioned",
    "all_zero",
)
TARGETS = ("noise", "in_span", "constant")


@dataclass
class Problem:
    """A drawn regression problem (``X`` kept dense; ``X_in`` as given)."""

    X: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray | None
    fit_intercept: bool
    sparse_format: str | None
    design: str
    dtype: type

    @property
    def X_in(self):
        if self.sparse_format is None:
            return self.X
        return sp.csr_array(self.X).asformat(self.sparse_format)

    def describe(self):
        n, d = self.X.shape
        return (
            f"n={n} d={d} {self.dtype.__name__} sparse={self.sparse_format} "
            f"design={self.design} fit_intercept={self.fit_intercept} "
            f"weights={self.sample_weight is not None} "
            f"max|X|={np.abs(self.X).max():.3g} max|y|={np.abs(self.y).max():.3g}"
        )


def _shape(draw, shape, min_n, max_n, max_d):
    # n = 1 comes from "one_sample" only: the others start at 2 samples.
    min_n = max(min_n, 2)
    if shape == "wide":
        n = draw(st.integers(min_n, max_n - 1))
        return n, draw(st.integers(n + 1, max_d))
    if shape == "square":
        n = draw(st.integers(min_n, min(max_n, max_d)))
        return n, n
    if shape == "tall":
        n = draw(st.integers(min_n, max_n))
        return n, draw(st.integers(1, min(n - 1, max_d)))
    if shape == "one_feature":
        return draw(st.integers(min_n, max_n)), 1
    return 1, draw(st.integers(1, max_d))  # one_sample


def _design(draw, design, rng, n, d):
    X = rng.randn(n, d)
    if design == "all_zero":
        return np.zeros((n, d))
    if design == "rank_deficient" and min(n, d) >= 2:
        rank = draw(st.integers(1, min(n, d) - 1))
        return rng.randn(n, rank) @ rng.randn(rank, d)
    if design == "ill_conditioned" and min(n, d) >= 2:
        # Singular values from 1 to 1 / cond, geometrically; random bases.
        cond = 10.0 ** draw(st.integers(1, 15))
        k = min(n, d)
        U = np.linalg.qr(rng.randn(n, k))[0]
        V = np.linalg.qr(rng.randn(d, k))[0]
        return (U * np.geomspace(1.0, 1.0 / cond, k)) @ V.T
    X += draw(st.sampled_from([0.0, 1.0])) * rng.randn(d)  # column means
    if design == "duplicate_columns" and d >= 2:
        i, j = rng.choice(d, 2, replace=False)
        X[:, j] = X[:, i] * draw(st.sampled_from([1.0, -2.0]))
    elif design == "constant_column":
        X[:, rng.randint(d)] = 3.0
    elif design == "zero_column":
        X[:, rng.randint(d)] = 0.0
    elif design == "duplicate_rows" and n >= 2:
        i, j = rng.choice(n, 2, replace=False)
        X[j] = X[i]
    return X


@st.composite
def problems(
    draw,
    *,
    min_n=1,
    max_n=10,
    max_d=12,
    shapes=SHAPES,
    designs=DESIGNS,
    dtypes=(np.float64, np.float32),
    sparse=(None, "csr", "csc", "coo"),
    weights=True,
    scales=True,
):
    """A :class:`Problem`; the numbers come from a drawn seed, the rest is drawn.

    Shrinking then simplifies the structure (shape, design, dtype, scale),
    which is what a reproducer needs.
    """
    shape = draw(
        st.sampled_from([s for s in shapes if s != "one_sample" or min_n == 1])
    )
    n, d = _shape(draw, shape, min_n, max_n, max_d)
    dtype = draw(st.sampled_from(dtypes))
    design = draw(st.sampled_from(designs))
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    sparse_format = draw(st.sampled_from(sparse))
    X = _design(draw, design, rng, n, d)
    if sparse_format is not None and design not in (
        "rank_deficient",
        "ill_conditioned",
    ):
        X[rng.rand(n, d) < 0.3] = 0.0  # structural zeros
    fit_intercept = draw(st.booleans())

    target = draw(st.sampled_from(TARGETS))
    if target == "noise":
        y = rng.randn(n) + draw(st.sampled_from([0.0, 3.0]))
    elif target == "in_span":  # an interpolant exists, even when n > d
        y = X @ rng.randn(d) + (2.0 if fit_intercept else 0.0)
    else:
        y = np.full(n, draw(st.sampled_from([4.2, 0.0])))
    if design == "duplicate_rows" and n >= 2 and draw(st.booleans()):
        y[np.flatnonzero((X == X[0]).all(axis=1))] = y[0]  # duplicates agree

    sample_weight = None
    if weights and draw(st.booleans()):
        sample_weight = rng.uniform(0.5, 2.0, n)
        sample_weight[rng.rand(n) < 0.3] = 0.0
        if not sample_weight.any():
            sample_weight[rng.randint(n)] = 1.0

    if scales:
        top = MAX_EXP[dtype]
        X = X * 10.0 ** draw(st.integers(-top, top))
        y = y * 10.0 ** draw(st.integers(-top, top))
    problem = Problem(
        X.astype(dtype),
        y.astype(dtype),
        None if sample_weight is None else sample_weight.astype(dtype),
        fit_intercept,
        sparse_format,
        design,
        dtype,
    )
    note(problem.describe())
    return problem


# --- The estimators ------------------------------------------------------------


@st.composite
def min_l2(draw, problem):
    solvers = ["auto", "gram", "lsmr"] + ([] if problem.sparse_format else ["svd"])
    return MinL2Interpolator(
        fit_intercept=problem.fit_intercept, solver=draw(st.sampled_from(solvers))
    )


@st.composite
def min_l1(draw, problem):
    return MinL1Interpolator(
        fit_intercept=problem.fit_intercept, working_set=draw(st.booleans())
    )


@st.composite
def residual(draw, problem, *, exact_weights=False):
    # LassoCV's folds do not see a weight of 2 as a duplicated row.
    inner = [Ridge(alpha=1.0, fit_intercept=problem.fit_intercept)]
    if not exact_weights:
        inner.append(LassoCV(cv=3, alphas=20))
    solvers = ["auto", "lsmr"] + ([] if problem.sparse_format else ["svd"])
    return ResidualInterpolator(
        draw(st.sampled_from(inner)),
        fit_intercept=problem.fit_intercept,
        solver=draw(st.sampled_from(solvers)),
    )


@st.composite
def implicit(draw, problem, *, cv=True):
    # dense_start: "cv"; 0 (the dense part alone); a time mid-path; inf (the
    # Hadamard part alone, until it interpolates or reaches least squares).
    fixed = [0.0, 0.5, 5.0, np.inf]
    start = draw(st.sampled_from(["cv", *fixed] if cv else fixed))
    return ImplicitRegInterpolator(
        dense_start=start,
        init_scale=draw(st.sampled_from([1e-30, 1e-6, 1.0])),
        cv=3,
        fit_intercept=problem.fit_intercept,
    )


FAMILIES = {
    "MinL2": min_l2,
    "MinL1": min_l1,
    "Residual": residual,
    "ImplicitReg": implicit,
}
# ImplicitRegInterpolator is the slowest: smaller problems for it.
SIZES = {
    "MinL2": dict(max_n=10, max_d=12),
    "MinL1": dict(max_n=10, max_d=12),
    "Residual": dict(max_n=10, max_d=12),
    "ImplicitReg": dict(max_n=8, max_d=10),
}


# --- The judge -----------------------------------------------------------------

TOL = 1e-6  # the estimators' interpolation tolerance (relative training MSE)
# Least-squares test of fit_outcome: relative normal-equation residual below
# max(1e-9, 10 max(n, d) eps); 1e-9 at these sizes in float64, ~1e-5 in
# float32.
NORMAL_TOL_MIN = 1e-9


@dataclass
class Assessment:
    relative_mse: float  # the model's, from its predictions in float64
    least_mse: float  # the least one, by SVD at the "svd" solver's cutoff
    normal_residual: float  # of the centred problem
    mean_residual: float  # weighted mean residual^2 / reference (intercept)
    allowance: float  # sqrt(relative MSE) the dtype's rounding of the model costs
    rcond: float  # smallest kept / largest singular value (1 if X_c = 0)
    gap: float  # largest dropped singular value / cutoff (0 if none)
    status: str
    # Orthonormal basis (rows) of the row space of the centred, weighted X on
    # the kept rows: the part of coef that the fitted values determine.
    row_space: np.ndarray
    # Bound on the 2-norm change of the least-squares coef when each y_i
    # moves by eps / 2 of itself (its rounding in the dtype): eps / 2
    # ||sqrt(w) y|| / s_min, in the original units (weights of largest 1).
    y_rounding: float


def _pow2(value):
    value = float(value)
    return int(np.frexp(value)[1]) if value != 0 and np.isfinite(value) else 0


def assess(problem, coef, intercept):
    """Judge a linear model ``(coef, intercept)`` on ``problem``, in float64.

    The semantics of :func:`sk_implicit._base.fit_outcome`, computed
    independently: from the model's predictions on the kept rows (so a
    wrong intercept counts), on data divided by powers of two (exact), with
    the least-squares reference from ``numpy.linalg.svd`` at the numerical
    rank of the "svd" solver (cutoff ``max(n, d) eps s_max``, ``eps`` of the
    problem's dtype).

    ``status`` is "interpolated" if the relative MSE is at most
    ``(sqrt(TOL) + allowance)^2``, where ``allowance`` bounds what rounding
    ``coef`` and ``intercept`` to the problem's dtype (and computing the
    intercept in it) costs; "least_squares" if it is at most the least one
    plus ``TOL`` plus that allowance, or if the normal equations of the
    centred problem hold to ``normal_tol`` and the intercept is right to
    ``TOL`` (a least-squares solution at the numerical rank ``normal_tol``,
    as ``fit_outcome`` defines it); "not_converged" otherwise.
    """
    eps = EPS[problem.dtype]
    X, y = problem.X.astype(np.float64), problem.y.astype(np.float64)
    w = (
        np.ones(len(y))
        if problem.sample_weight is None
        else problem.sample_weight.astype(np.float64)
    )
    keep = w > 0
    X, y, w = X[keep], y[keep], w[keep]
    n, d = X.shape
    ex, ey = _pow2(np.abs(X).max()), _pow2(np.abs(y).max())
    X, y = np.ldexp(X, -ex), np.ldexp(y, -ey)
    c = np.ldexp(np.asarray(coef, dtype=np.float64), ex - ey)
    b = np.ldexp(float(intercept), -ey)
    w = w / w.max()
    sw = w.sum()

    r = y - (X @ c + b)
    x_mean = w @ X / sw if problem.fit_intercept else np.zeros(d)
    y_mean = w @ y / sw if problem.fit_intercept else 0.0
    Xc, yc = X - x_mean, y - y_mean
    ms_y, ms_r = w @ (yc * yc) / sw, w @ (r * r) / sw
    reference = ms_y
    if ms_y <= (n * eps * y_mean) ** 2:  # constant y: relative to its size
        reference = max(ms_y, y_mean**2)

    def relative(ms):
        if reference > 0:
            return ms / reference
        return 0.0 if ms == 0 else np.inf

    # Rounding the model to the dtype: each coefficient by eps / 2, the
    # intercept by its own rounding plus that of y_mean - x_mean @ coef
    # computed in the dtype (d + 1 terms: (d + 1) eps of the sum of their
    # sizes).
    per_row = 0.5 * eps * (np.abs(X) @ np.abs(c) + abs(b))
    per_row += (d + 1) * eps * (abs(y_mean) + np.abs(x_mean) @ np.abs(c))
    allowance = np.sqrt(relative(w @ (per_row * per_row) / sw))

    sqrt_w = np.sqrt(w)
    A, rhs = sqrt_w[:, None] * Xc, sqrt_w * yc
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    s_max = s[0] if s.size else 0.0
    cutoff = max(n, d) * eps * s_max
    rank = int(np.sum(s > cutoff)) if s_max > 0 else 0
    x_ls = Vt[:rank].T @ ((U[:, :rank].T @ rhs) / s[:rank])
    r_ls = rhs - A @ x_ls
    least = relative(r_ls @ r_ls / sw)
    rcond = s[rank - 1] / s_max if rank else 1.0
    # Weighted centring is a projection (it does not increase the weighted
    # norm of the change of y), and A^+ multiplies it by at most 1 / s_min.
    y_rounding = (
        np.ldexp(0.5 * eps * np.linalg.norm(sqrt_w * y) / s[rank - 1], ey - ex)
        if rank
        else 0.0
    )
    gap = s[rank] / cutoff if rank < s.size and cutoff > 0 else 0.0

    mean_r = w @ r / sw if problem.fit_intercept else 0.0
    rw = sqrt_w * (r - mean_r)
    frob, norm_r = np.linalg.norm(A), np.linalg.norm(rw)
    normal = (
        0.0 if frob == 0 or norm_r == 0 else np.linalg.norm(A.T @ rw) / (frob * norm_r)
    )
    normal_tol = max(NORMAL_TOL_MIN, 10 * max(n, d) * eps)
    # Rounding coef moves A^T r by ||A^T A|| ||dc||: relative to ||A|| ||r||.
    if norm_r > 0:
        normal_tol += np.linalg.norm(A, 2) * eps * np.linalg.norm(c) / norm_r
    relative_mse, mean_residual = relative(ms_r), relative(mean_r**2)

    if relative_mse <= (np.sqrt(TOL) + allowance) ** 2:
        status = "interpolated"
    elif relative_mse <= least + TOL + 2 * allowance * np.sqrt(relative_mse) or (
        normal <= normal_tol and mean_residual <= TOL
    ):
        status = "least_squares"
    else:
        status = "not_converged"
    return Assessment(
        relative_mse,
        least,
        normal,
        mean_residual,
        allowance,
        rcond,
        gap,
        status,
        Vt[:rank],
        y_rounding,
    )


# Well-posed problems: the estimators must not give up on them. Every kept
# singular value of the centred, weighted design is within RCOND_OK of the
# largest (the solvers in float64 then lose at most ~1e-8 relative, far below
# TOL), and the dropped ones are far below the cutoff (exact rank
# deficiency: duplicated, constant or zero columns, low rank).
RCOND_OK = {np.float64: 1e-6, np.float32: 1e-3}
GAP_OK = 1e-3


def well_posed(problem, assessment):
    return assessment.rcond >= RCOND_OK[problem.dtype] and assessment.gap <= GAP_OK


# A ValueError from a fit must say what is wrong, in scikit-learn's words.
CLEAR_ERRORS = (
    "do not fit in",  # coefficients beyond the dtype (_check_representable)
    "n_splits",  # more folds than samples (scikit-learn's KFold)
    "cross-validation fold has no training",
    "predicts non-finite values",  # ResidualInterpolator's first estimator
)


# A fit that runs longer than this fails (it takes well under a second on
# these sizes, a few seconds on a loaded machine): a safety net against a
# defect that hangs, whose memory would grow without bound.
WATCHDOG_SECONDS = 30


@contextmanager
def watchdog(seconds=WATCHDOG_SECONDS):
    """Raise ``TimeoutError`` in the block after ``seconds`` (by SIGALRM, so
    only in the main thread of a POSIX system; elsewhere, no limit)."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not (
        threading.main_thread()
    ):
        yield
        return

    def alarm(signum, frame):
        raise TimeoutError(f"A fit ran for more than {seconds} s.")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def fit_and_judge(estimator, problem):
    """Fit; check the clear-error / finite / outcome properties. Returns
    ``(model, assessment)``, or ``(None, None)`` if the fit raised a clear
    ``ValueError``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with watchdog():
                model = estimator.fit(problem.X_in, problem.y, problem.sample_weight)
        except ValueError as exc:
            assert any(text in str(exc) for text in CLEAR_ERRORS), repr(exc)
            return None, None
    name = type(model).__name__
    ours = [
        w
        for w in caught
        if issubclass(w.category, ConvergenceWarning)
        and str(w.message).startswith(name)
    ]
    # Numerical trouble inside the package is reported, not leaked.
    leaked = [
        w
        for w in caught
        if issubclass(w.category, RuntimeWarning) and "sk_implicit" in w.filename
    ]
    assert not leaked, [str(w.message) for w in leaked]

    coef, intercept = model.coef_, model.intercept_
    assert coef.dtype == problem.dtype
    assert np.all(np.isfinite(coef)) and np.isfinite(intercept)
    prediction = model.predict(problem.X_in)
    assert np.all(np.isfinite(prediction))
    assert prediction.dtype == problem.dtype

    if isinstance(model, ResidualInterpolator):
        # Its promise is about the residual fit (the first estimator's
        # intercept, say, is not refitted when fit_intercept=False); the
        # residual fit interpolates exactly when an interpolant of y exists.
        first = np.asarray(model.estimator_.predict(problem.X_in), dtype=problem.dtype)
        problem = Problem(**{**problem.__dict__, "y": problem.y - first})
        coef = model.residual_estimator_.coef_
        intercept = model.residual_estimator_.intercept_
    assessment = assess(problem, coef, intercept)
    note(f"{model!r}: converged_={model.converged_} {assessment}")
    if model.converged_:
        assert not ours, [str(w.message) for w in ours]
        assert assessment.status != "not_converged"
    else:
        assert ours, "converged_=False without a ConvergenceWarning"
    if well_posed(problem, assessment):
        assert model.converged_
        if assessment.least_mse <= 0.01 * TOL:  # it can interpolate: it does
            assert assessment.status == "interpolated"
    return model, assessment


def _fit_quietly(estimator, problem):
    """Fit a clone (silencing warnings); the ``ValueError`` if it raised one."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with watchdog():
                return clone(estimator).fit(
                    problem.X_in, problem.y, problem.sample_weight
                )
        except ValueError as exc:
            assert any(text in str(exc) for text in CLEAR_ERRORS), repr(exc)
            return exc


def failed(*fits):
    """Whether the fits raised (all of them, or none: asserted).

    The first estimator of ResidualInterpolator may fail on one input and
    not on the other (scikit-learn's Ridge predicts NaN on sparse X beyond
    ~1e77, whose squares overflow in its conjugate gradients): that
    estimator's limit, reported as such, is let through.
    """
    errors = [fit for fit in fits if isinstance(fit, ValueError)]
    if errors and len(errors) < len(fits):
        assert all("predicts non-finite values" in str(e) for e in errors), errors
        event("skipped: the first estimator failed on one input")
    return bool(errors)


# --- Properties ----------------------------------------------------------------
#
# Each property is written once, as ``_property(data, family)``, and
# ``per_family`` makes one hypothesis test of it per estimator family, named
# ``test_<property>_<family>`` (so that each has its own example count and
# hypothesis statistics).


def per_family(kind):
    """Register ``test_<kind>_<family>`` for every family, from ``body``."""

    def decorate(body):
        for family in FAMILIES:
            globals()[f"test_{kind}_{family}"] = _family_test(body, kind, family)
        return body

    return decorate


def _family_test(body, kind, family):
    @examples(EXAMPLES[kind][family])
    @given(data=st.data())
    def test(data):
        body(data, family)

    test.__name__ = test.__qualname__ = f"test_{kind}_{family}"
    test.__doc__ = body.__doc__
    return test


def draw_case(data, family, estimator_kwargs=None, **problem_kwargs):
    """A problem and an estimator of ``family`` for it.

    ImplicitRegInterpolator gets smaller problems (it is the slowest).
    """
    problem = data.draw(problems(**dict(SIZES[family], **problem_kwargs)))
    estimator = data.draw(FAMILIES[family](problem, **(estimator_kwargs or {})))
    n, d = problem.X.shape
    shape = (
        "n=1"
        if n == 1
        else "d=1"
        if d == 1
        else "n<d"
        if n < d
        else "n=d"
        if n == d
        else "n>d"
    )
    event(f"design={problem.design}")
    event(f"shape {shape}")
    event(f"{problem.dtype.__name__}, sparse={problem.sparse_format is not None}")
    return problem, estimator


@per_family("outcome")
def _fit_outcome(data, family):
    """A clear ValueError or a finite model that interpolates, is the
    least-squares fit, or says it is neither."""
    problem, estimator = draw_case(data, family)
    model, assessment = fit_and_judge(estimator, problem)
    event("ValueError" if model is None else f"status={assessment.status}")
    if model is not None and not model.converged_:
        event("converged_=False")


def _relative_rms(a, b, problem, assessment_scale):
    """RMS of ``a - b`` on the kept rows, relative to ``assessment_scale``."""
    w = np.ones(len(a)) if problem.sample_weight is None else problem.sample_weight
    keep = w > 0
    diff = a[keep].astype(np.float64) - b[keep].astype(np.float64)
    return np.sqrt(np.average(diff * diff, weights=w[keep])) / assessment_scale


def _y_size(problem):
    """Root weighted mean square of the centred ``y`` (its size if constant)."""
    w = (
        np.ones(len(problem.y))
        if problem.sample_weight is None
        else problem.sample_weight
    )
    keep = w > 0
    y, w = problem.y[keep].astype(np.float64), w[keep].astype(np.float64)
    if problem.fit_intercept:
        y = y - np.average(y, weights=w)
    size = np.sqrt(np.average(y * y, weights=w))
    return size if size > 0 else max(np.abs(problem.y).max(), np.finfo(float).tiny)


def coefficient_rtol(problem, assessment):
    """Relative tolerance between two solves of one well-posed problem.

    Both solve in float64 from the same values: LSMR stops at a backward
    error of 1e-12 (forward error ~1e-12 cond), the Gram route's error is
    ~eps cond^2 but it is accepted only for cond^2 <= 1 / sqrt(eps), the
    SVD's is ~eps cond; the result is rounded to the dtype (eps). Ten times
    their sum.
    """
    cond = 1.0 / assessment.rcond
    eps64 = EPS[np.float64]
    return 10 * (
        EPS[problem.dtype] + 1e-12 * cond + eps64 * min(cond**2, 1 / np.sqrt(eps64))
    )


def assert_same_model(family, a, b, problem, assessment, atol=0.0):
    """Two fits ``a, b`` (``(coef, intercept)`` pairs) of one well-posed
    problem agree: their fitted values to the interpolation tolerance, their
    coefficients where they are unique. ``atol`` bounds a further difference
    of the coefficients (max-norm), e.g. from rounding ``y`` differently."""
    y_size = _y_size(problem)
    X = problem.X.astype(np.float64)
    (coef_a, b_a), (coef_b, b_b) = [
        (np.asarray(coef, dtype=np.float64), float(intercept))
        for coef, intercept in (a, b)
    ]
    # Both interpolate (RMS error sqrt(TOL) each) or both are the
    # least-squares fit (unique fitted values); plus rounding.
    rms = _relative_rms(X @ coef_a + b_a, X @ coef_b + b_b, problem, y_size)
    assert rms <= 2 * (np.sqrt(TOL) + assessment.allowance) + 1e-12
    if family == "MinL1":
        # Basis pursuit can have many solutions (duplicated columns): its
        # optimal l1 norm is unique. HiGHS's tolerances are 1e-7 on data of
        # unit size: 1e-6 relative.
        l1_a, l1_b = np.abs(coef_a).sum(), np.abs(coef_b).sum()
        assert abs(l1_a - l1_b) <= 1e-6 * max(l1_a, l1_b)
        return
    rtol = coefficient_rtol(problem, assessment)
    # Max-norms (no squares: coefficients reach 1e300). Coefficients at the
    # rounding level of the problem (those of a constant float32 y, say) are
    # compared in its natural units, max|y| / max|X|.
    x_max, y_max = float(np.abs(X).max()), float(np.abs(problem.y).max())
    with np.errstate(over="ignore"):
        natural = y_max / x_max if x_max > 0 else y_max
    scale = max(np.abs(coef_a).max(), np.abs(coef_b).max(), min(natural, 1e300))
    assert np.abs(coef_a - coef_b).max() <= rtol * scale + atol
    # The intercept is y_mean - x_mean @ coef: relative to the size of y and
    # to that of the terms of the dot product.
    bound = rtol * (abs(b_a) + y_size + x_max * np.abs(coef_a).sum())
    bound += x_max * atol * coef_a.size + EPS[problem.dtype] * y_max
    assert abs(b_a - b_b) <= bound


def _model(m):
    return m.coef_, m.intercept_


@per_family("sparse_dense")
def _sparse_and_dense_agree(data, family):
    """Sparse and dense X give the same model (when both fits converge)."""
    problem, estimator = draw_case(data, family, sparse=("csr", "csc", "coo"))
    dense = Problem(**{**problem.__dict__, "sparse_format": None})
    m_sparse = _fit_quietly(estimator, problem)
    m_dense = _fit_quietly(estimator, dense)
    if failed(m_sparse, m_dense):
        return
    # Sparse ill-conditioned data cannot be solved to the dense accuracy
    # without densifying, which the library refuses (LSMR stops at its
    # condition limit): such fits say so (converged_=False, checked by the
    # outcome tests) and are not compared.
    if not (m_sparse.converged_ and m_dense.converged_):
        event("skipped: not converged")
        return
    assessment = assess(dense, m_dense.coef_, m_dense.intercept_)
    if not well_posed(problem, assessment):
        event("skipped: not well posed")
        return
    assert_same_model(family, _model(m_sparse), _model(m_dense), problem, assessment)


def _duplicate_row(problem, i):
    """``problem`` with row ``i`` repeated at the end (unit weight each)."""
    w = (
        np.ones(len(problem.y), dtype=problem.dtype)
        if problem.sample_weight is None
        else problem.sample_weight.copy()
    )
    w[i] = 1.0
    duplicated = Problem(
        np.vstack([problem.X, problem.X[i : i + 1]]),
        np.append(problem.y, problem.y[i]),
        np.append(w, w[i]).astype(problem.dtype),
        problem.fit_intercept,
        problem.sparse_format,
        problem.design,
        problem.dtype,
    )
    w[i] = 2.0
    weighted = Problem(**{**problem.__dict__, "sample_weight": w})
    return weighted, duplicated


@per_family("weight_two")
def _weight_two_is_a_duplicated_row(data, family):
    """A sample weight of 2 equals the row given twice."""
    # ImplicitRegInterpolator with a fixed dense_start: "cv" folds differ
    # once a row is duplicated. LassoCV (in ResidualInterpolator) likewise.
    problem, estimator = draw_case(
        data,
        family,
        estimator_kwargs={
            "ImplicitReg": {"cv": False},
            "Residual": {"exact_weights": True},
        }.get(family),
    )
    i = data.draw(st.integers(0, len(problem.y) - 1))
    weighted, duplicated = _duplicate_row(problem, i)
    m_weighted = _fit_quietly(estimator, weighted)
    m_duplicated = _fit_quietly(estimator, duplicated)
    if failed(m_weighted, m_duplicated):
        return
    assert m_weighted.converged_ == m_duplicated.converged_
    if not m_weighted.converged_:
        event("skipped: not converged")
        return
    assessment = assess(weighted, m_weighted.coef_, m_weighted.intercept_)
    if not well_posed(weighted, assessment):
        event("skipped: not well posed")
        return
    assert_same_model(
        family, _model(m_weighted), _model(m_duplicated), weighted, assessment
    )


def fitted_state(model):
    """The fitted attributes of ``model`` (those ending in ``_``), as arrays;
    a fitted sub-estimator by its own fitted state."""
    state = {}
    for name, value in vars(model).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        if hasattr(value, "get_params"):
            for sub, sub_value in fitted_state(value).items():
                state[f"{name}.{sub}"] = sub_value
        elif isinstance(value, (list, tuple)):
            state[name] = [np.asarray(v) for v in value]
        else:
            state[name] = np.asarray(value)
    return state


def assert_same_state(a, b):
    """Bit-for-bit equal fitted attributes (NaNs at the same places)."""
    state_a, state_b = fitted_state(a), fitted_state(b)
    assert state_a.keys() == state_b.keys()
    for name, value in state_a.items():
        if isinstance(value, list):
            assert len(value) == len(state_b[name]), name
            for x, y in zip(value, state_b[name]):
                assert_array_equal(x, y, err_msg=name, strict=True)
        else:
            assert_array_equal(value, state_b[name], err_msg=name, strict=True)


@per_family("refit_pickle")
def _refit_and_pickle(data, family):
    """Two fits of the same data give bit-for-bit the same model, and a
    pickled and unpickled model is the same model and predicts exactly as
    the original."""
    problem, estimator = draw_case(data, family)
    first = _fit_quietly(estimator, problem)
    second = _fit_quietly(estimator, problem)
    if failed(first, second):
        return
    assert_same_state(first, second)
    restored = pickle.loads(pickle.dumps(first))
    assert_same_state(first, restored)
    X_new = np.random.RandomState(0).randn(3, problem.X.shape[1]).astype(problem.dtype)
    for X in (problem.X_in, X_new):
        assert_array_equal(restored.predict(X), first.predict(X), strict=True)


# ImplicitRegInterpolator's default integration accuracy, path_tol (a
# relative error of each coordinate per step; implicit_path integrates at
# 0.02): the tolerance of comparisons of paths.
PATH_TOL = 0.05


def _row_space_split(problem, assessment, coef, intercept):
    """``((coef_row, intercept_row), coef_null)``: ``coef`` split into its
    part in the row space of the centred, weighted ``X`` on the kept rows
    (which the fitted values determine) and the rest; ``intercept_row``
    makes ``(coef_row, intercept_row)`` predict as ``(coef, intercept)`` on
    the kept rows."""
    coef = np.asarray(coef, dtype=np.float64)
    V = assessment.row_space
    row = V.T @ (V @ coef)
    null = coef - row
    x_mean = np.zeros(coef.size)
    if problem.fit_intercept:
        w = (
            np.ones(len(problem.y))
            if problem.sample_weight is None
            else problem.sample_weight.astype(np.float64)
        )
        keep = w > 0
        x_mean = np.average(problem.X[keep].astype(np.float64), axis=0, weights=w[keep])
    return (row, float(intercept) + x_mean @ null), null


@per_family("scale_y")
def _scaling_y_scales_the_model(data, family):
    """``coef(X, c y) = c coef(X, y)`` and ``intercept(X, c y) = c
    intercept(X, y)``: exactly for a power of two (every estimator works on
    data divided by powers of two, ImplicitRegInterpolator on ``y`` divided
    by its root mean square), to the effect of rounding ``c y`` for other
    factors."""
    problem, estimator = draw_case(data, family, scales=False)
    exponent = data.draw(st.integers(-20, 20))
    sign = data.draw(st.sampled_from([1.0, -1.0]))
    mantissa = data.draw(st.sampled_from([1.0, 1.7]))
    c = sign * mantissa * 2.0**exponent
    scaled = Problem(**{**problem.__dict__, "y": (problem.y * c).astype(problem.dtype)})
    model = _fit_quietly(estimator, problem)
    model_c = _fit_quietly(estimator, scaled)
    if failed(model, model_c):
        return
    assert model.converged_ == model_c.converged_
    if mantissa == 1.0:
        event("power of two")
        assert_array_equal(model_c.coef_, (model.coef_ * c).astype(problem.dtype))
        assert_array_equal(model_c.intercept_, problem.dtype(model.intercept_ * c))
        return
    if not model.converged_:
        return
    assessment = assess(problem, model.coef_, model.intercept_)
    if not well_posed(problem, assessment):
        event("skipped: not well posed")
        return
    # 1.7 y rounds each y_i by eps / 2 of its dtype: the least-squares
    # coefficients move by up to assessment.y_rounding (ten times that
    # allowed), plus the solvers' own errors (assert_same_model's rtol).
    a = _model(model)
    b = (model_c.coef_.astype(np.float64) / c, float(model_c.intercept_) / c)
    if family == "ImplicitReg":
        # Only the part of coef in the row space of X is fixed by the fitted
        # values (the model interpolates, or is a least-squares fit); the
        # rest is the Hadamard part's at dense_start_. The "cv" choice of
        # dense_start_ is the argmin of validation errors that can be equal
        # to rounding (y in the span of X: all ~1e-15): rounding 1.7 y can
        # move it to another grid time, and with it that rest. At the same
        # time, the two paths agree to the integrator's accuracy (its steps
        # adapt to the iterates: path_tol of the largest coefficient).
        a, null_a = _row_space_split(problem, assessment, *a)
        b, null_b = _row_space_split(problem, assessment, *b)
        if (model.dense_start_, model.init_scale_) == (
            model_c.dense_start_,
            model_c.init_scale_,
        ):
            event("ImplicitReg: the same dense_start_")
            size = max(np.abs(model.coef_).max(), np.abs(b[0] + null_b).max())
            assert np.abs(null_a - null_b).max() <= PATH_TOL * size
        else:
            event("ImplicitReg: another dense_start_ (null-space part not compared)")
    assert_same_model(family, a, b, problem, assessment, 10 * assessment.y_rounding)


@per_family("threads")
def _concurrent_fits_equal_serial_fits(data, family):
    """Fits run concurrently from threads equal the same fits run serially."""
    cases = [draw_case(data, family) for _ in range(3)]
    serial = [_fit_quietly(estimator, problem) for problem, estimator in cases]
    # The BLAS thread counts are restored afterwards: concurrent fits can
    # leave them at one thread (a core defect: each path integration limits
    # BLAS to one thread, process-wide, and restores the count it found on
    # entry, which is 1 while another fit holds the limit).
    with threadpool_limits(limits=None):
        with ThreadPoolExecutor(max_workers=len(cases) * 2) as pool:
            futures = [
                pool.submit(_fit_quietly, estimator, problem)
                for problem, estimator in cases * 2
            ]
            concurrent = [future.result() for future in futures]
    for one, other in zip(serial * 2, concurrent):
        if not failed(one, other):
            assert_same_state(one, other)


# --- implicit_path -------------------------------------------------------------


@st.composite
def path_cases(draw, **kwargs):
    problem = draw(problems(**dict(SIZES["ImplicitReg"], **kwargs)))
    init_scale = draw(st.sampled_from([1e-30, 1e-6]))
    times = np.geomspace(1e-2, 1e3, draw(st.integers(2, 8)))
    return problem, init_scale, times


def _path(problem, init_scale, times, **kwargs):
    args = dict(
        X=problem.X_in,
        y=problem.y,
        sample_weight=problem.sample_weight,
        fit_intercept=problem.fit_intercept,
    )
    args.update(kwargs)
    X, y = args.pop("X"), args.pop("y")
    return implicit_path(X, y, init_scale=init_scale, times=times, **args)


@examples(EXAMPLES["path"])
@given(case=path_cases())
def test_implicit_path_properties(case):
    """implicit_path: finite coefficients, a training loss that never goes
    up, and the sparse/dense, weight/duplicate and y-scaling properties."""
    problem, init_scale, times = case
    X = problem.X.astype(np.float64)
    if problem.sample_weight is not None:
        assume(problem.sample_weight.any())
    try:
        out_times, coefs = _path(problem, init_scale, times)
    except ValueError as exc:
        assert any(text in str(exc) for text in CLEAR_ERRORS), repr(exc)
        return
    assert_array_equal(out_times, times)
    assert coefs.shape == (X.shape[1], times.size)
    assert np.all(np.isfinite(coefs))

    # The flow decreases the (weighted, centred) training loss; the
    # integrator takes a step again when its loss went up by more than 1e-9
    # relative (plus 1e-15 of the loss of y scaled to unit size). Here the
    # loss is computed in float64 from residuals of size up to max|y| +
    # max|X @ coef|, whose centring rounds: that rounding, squared, is
    # allowed too (the loss of a y constant to rounding, say).
    y_loss = _centred_loss(problem, np.zeros(X.shape[1]))
    y_max = float(np.abs(problem.y).max())
    losses = [_centred_loss(problem, coef) for coef in coefs.T]
    for coef, before, after in zip(coefs.T[1:], losses, losses[1:]):
        size = y_max + float(np.abs(X @ coef).max())
        floor = 1e-14 * y_loss + (8 * EPS[np.float64] * size) ** 2
        assert after <= before * (1 + 1e-8) + floor

    # Sparse X: the same path, to the integrator's accuracy.
    if problem.sparse_format is None:
        sparse_problem = Problem(**{**problem.__dict__, "sparse_format": "csr"})
        _, sparse_coefs = _path(sparse_problem, init_scale, times)
        _assert_same_path(sparse_coefs, coefs)

    # A weight of 2 is a duplicated row.
    weighted, duplicated = _duplicate_row(problem, 0)
    _, weighted_coefs = _path(weighted, init_scale, times)
    _, duplicated_coefs = _path(duplicated, init_scale, times)
    _assert_same_path(weighted_coefs, duplicated_coefs)

    # y is scaled to unit root mean square (times and init_scale are
    # relative to it): scaling y by a power of two scales the path exactly.
    c = -(2.0**7)
    scaled = Problem(**{**problem.__dict__, "y": problem.y * problem.dtype(c)})
    _, scaled_coefs = _path(scaled, init_scale, times)
    assert_array_equal(scaled_coefs, coefs * c)


def _centred_loss(problem, coef):
    """Weighted training MSE of ``coef`` with its best intercept (float64)."""
    X, y = problem.X.astype(np.float64), problem.y.astype(np.float64)
    w = np.ones(len(y)) if problem.sample_weight is None else problem.sample_weight
    w = w.astype(np.float64)
    r = y - X @ coef
    if problem.fit_intercept:
        r = r - np.average(r, weights=w)
    return np.average(r * r, weights=w)


def _assert_same_path(a, b):
    """Two integrations of one flow from data equal to rounding.

    The step sizes depend on the iterates, so rounding differences can
    change the steps taken, and the error against the exact flow is up to
    the integrator's local tolerance (a relative error in each coordinate)
    at every captured time: 5% of the largest coefficient.
    """
    scale = max(np.abs(a).max(), np.abs(b).max(), np.finfo(float).tiny)
    assert np.abs(a - b).max() <= PATH_TOL * scale


# --- Regression tests ------------------------------------------------------------
#
# Minimal cases of defects this suite found, in ResidualInterpolator and in
# the core files (_implicit.py, _path.py, _stopping.py), now fixed; and one
# core defect not yet fixed (a strict xfail, for the core's owner to turn
# into a passing test).


def _defect_data(n, d, seed=0):
    rng = np.random.RandomState(seed)
    return rng.randn(n, d), rng.randn(n)


def test_residual_zero_weight_rows_reach_no_estimator():
    # Rows of zero weight are dropped before the first estimator (LassoCV's
    # second fold, rows 2 and 3, would otherwise have only zero weights:
    # ZeroDivisionError "Weights sum to zero").
    X, y = _defect_data(6, 4)
    w = np.array([1.0, 1.0, 0.0, 0.0, 1.0, 1.0])
    model = ResidualInterpolator(LassoCV(cv=3)).fit(X, y, w)
    # A zero weight removes the row: the same model as without it.
    kept = ResidualInterpolator(LassoCV(cv=3)).fit(X[w > 0], y[w > 0], w[w > 0])
    assert_array_equal(model.coef_, kept.coef_)
    assert model.intercept_ == kept.intercept_
    with pytest.raises(ValueError, match="must not all be zero"):
        ResidualInterpolator(LassoCV(cv=3)).fit(X, y, np.zeros(6))


def test_residual_non_finite_first_predictions_raise_clearly():
    # scikit-learn's Ridge predicts NaN on sparse float32 X of size 1e12 (its
    # conjugate gradients overflow): a clear error names it (not "Input y
    # contains NaN." from the residual's MinL2Interpolator).
    X = sp.csr_array(np.array([[1.7640523e12]], dtype=np.float32))
    y = np.array([-22.683283], dtype=np.float32)
    model = ResidualInterpolator(Ridge(fit_intercept=False), fit_intercept=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's overflow
        with pytest.raises(ValueError, match="Ridge predicts non-finite values"):
            model.fit(X, y)


def _run_with_timeout(code, seconds):
    """Run ``code`` in a fresh interpreter; its fits are given ``seconds``
    (faulthandler then prints the stack and exits with an error)."""
    program = textwrap.dedent(
        f"""
        import faulthandler
        import numpy as np
        import scipy.sparse as sp
        from sk_implicit import ImplicitRegInterpolator
        faulthandler.dump_traceback_later({seconds}, exit=True)
        """
    ) + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )


def test_constant_design_with_cv():
    # A constant X (zero once centred, on all rows and on every fold) gives
    # beta = 0 and the intercept mean(y), with cross-validation too. Run in
    # a subprocess stopped after 5 s (a fit takes ~0.05 s): a defect here
    # once looped forever while its memory grew.
    result = _run_with_timeout(
        """
        y = np.arange(6.0)
        for X in (np.zeros((6, 3)), np.ones((6, 3)), sp.csr_array((6, 3))):
            model = ImplicitRegInterpolator().fit(X, y)
            assert model.converged_ and not model.coef_.any(), model.coef_
            assert model.intercept_ == 2.5
        """,
        seconds=5,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_cv_fold_with_identical_training_rows():
    # One fold's training rows are identical (rows 0 to 3 of KFold(3) on 6
    # rows: the third fold trains on them), so its centred X is zero: its
    # path is beta = 0, and the fit goes on with the other folds. Run in a
    # subprocess stopped after 5 s (a fit takes ~0.05 s): a fit that hangs
    # fails instead of stopping the suite (it ran to max_iter, 14 s, before
    # each fold's progress was measured against its least-squares floor).
    result = _run_with_timeout(
        """
        rng = np.random.RandomState(0)
        X, y = rng.randn(6, 3), rng.randn(6)
        X[:4] = X[0]
        assert ImplicitRegInterpolator(cv=3).fit(X, y).converged_
        """,
        seconds=5,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_constant_design_with_the_hadamard_part_alone():
    # dense_start=inf on X = 0: beta = 0 (interpolating the centred y is
    # impossible; beta = 0 is the least-squares fit), without overflow
    # warnings, as with dense_start=0.0 and 1.0.
    X, y = np.zeros((6, 3)), np.arange(6.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model = ImplicitRegInterpolator(dense_start=np.inf).fit(X, y)
    assert model.converged_ and not model.coef_.any()


def test_cv_grid_with_a_large_init_scale():
    # With init_scale=1 the coordinates are significant from the start: the
    # validation grid starts at a positive time (the flow's linear time
    # scale), with a sensible number of points, and without overflow
    # warnings from _stopping.py.
    X, y = _defect_data(3, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model = ImplicitRegInterpolator(cv=3, fit_intercept=False, init_scale=1.0)
        model.fit(X, y)
    assert model.cv_time_grid_[0] > 0
    assert model.cv_time_grid_.size < 2000


def test_cv_fold_with_constant_y():
    # A fold whose training y is constant has no gradient: its path stays
    # at beta = 0, and the validation grid does not overflow (no
    # RuntimeWarning from _stopping.py).
    X, _ = _defect_data(6, 3)
    y = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 3.0])  # rows 0 to 3: one fold's
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ImplicitRegInterpolator(cv=3).fit(X, y)


def test_large_x_gives_the_same_path():
    # X is scaled before the integration: scaling X by 1e8 (init_scale=1) or
    # 1e100 (the defaults, with "cv") scales coef by the inverse, to the
    # integrator's accuracy (path_tol), and the fits converge.
    values = np.random.RandomState(0).randn(8)
    X, y = _defect_data(6, 10)
    cases = [
        (
            values[:4].reshape(2, 2),
            values[6:],
            1e8,
            dict(dense_start=5.0, init_scale=1.0),
        ),
        (X, y, 1e100, {}),
    ]
    for X, y, scale, params in cases:
        reference = ImplicitRegInterpolator(max_iter=300, **params).fit(X, y)
        model = ImplicitRegInterpolator(max_iter=300, **params).fit(X * scale, y)
        assert model.converged_
        atol = PATH_TOL * np.abs(reference.coef_).max()
        assert_allclose(model.coef_ * scale, reference.coef_, atol=atol)


def test_large_x_does_not_crawl():
    # At X * 1e12 with init_scale=1, the path reaches dense_start=5 in about
    # as many steps as at unit scale (8), well within max_iter=300, and the
    # fit converges without a warning.
    X, y = _defect_data(6, 10)
    model = ImplicitRegInterpolator(dense_start=5.0, init_scale=1.0, max_iter=300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X * 1e12, y)
    assert model.converged_


def test_hadamard_part_alone_stops_at_least_squares():
    # dense_start=inf stops at interpolation or, on tall data (no
    # interpolant), at a least-squares solution (as the README promises),
    # well within max_iter=300, without a warning.
    X, y = _defect_data(12, 5)
    model = ImplicitRegInterpolator(dense_start=np.inf, max_iter=300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    assert model.converged_
    assert_allclose(model.coef_, MinL2Interpolator().fit(X, y).coef_, rtol=1e-4)


def test_a_constant_column_does_not_change_the_time_units():
    # On dense X centred beforehand, a constant column of 0.1 is left with
    # rounding (1.4e-17): its size is judged on the caller's column (with
    # its mean), so it is constant, not a fourth moving column that would
    # change the time units by sqrt(4/3). Found by the weight-2 /
    # duplicated-row property: the duplicated row's centring rounds where
    # the weight's does not.
    rng = np.random.RandomState(0)
    X, y = rng.randn(7, 4), rng.randn(7)
    X[:, 3] = 0.1  # its mean rounds: 0.1 - mean = 1.4e-17
    times = np.array([0.01, 1.0])
    _, with_it = implicit_path(X, y, init_scale=1e-6, times=times)
    _, without = implicit_path(X[:, :3], y, init_scale=1e-6, times=times)
    assert_allclose(with_it[:3], without, rtol=1e-6)


def test_a_y_constant_to_rounding_is_not_fitted_as_signal():
    # y = 0.1 everywhere: centred, it is rounding (-1.4e-17) of its mean,
    # hence zero: beta = 0 at once, as for y = 4.0 (whose centring is
    # exact), not 10000 steps fitting rounding and a ConvergenceWarning.
    X = np.random.RandomState(0).randn(3, 2)
    model = ImplicitRegInterpolator(dense_start=np.inf, max_iter=300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, np.full(3, 0.1))
    assert model.converged_ and model.n_iter_ <= 1
    assert not model.coef_.any()
