"""Shared pieces of the interpolating estimators: input checks, intercept, predict.

Intercept policy (used by every estimator of the package). With
``fit_intercept=True`` the intercept is not penalised: the data are centred by
their (weighted) means, the coefficients are fitted on the centred data and the
intercept is ``y_offset - X_offset @ coef_``. Whenever an interpolant exists,
the coefficients are then those of the minimum-norm interpolator *with a free
intercept*, i.e. of ``min ||b|| s.t. X b + b0 = y``, whatever the weights
(any centring removes the same constant direction). Dense ``X`` is centred in
a copy; scipy.sparse ``X`` is never densified: solvers receive the offsets and
centre implicitly (:func:`centred_matvec`, :func:`centred_rmatvec`).

Outcome report (shared by every estimator): :func:`fit_outcome` says whether
the fitted coefficients interpolate the training data, are a least-squares
solution (when no interpolant exists), or neither;
:meth:`LinearInterpolatorMixin._report_outcome` turns that into ``converged_``
and a :class:`~sklearn.exceptions.ConvergenceWarning`.

Scale: :func:`scale_data` divides ``X``, ``y`` and the weights by powers of
two (exact in floating point), so that solvers work on data of unit size
whatever the scale of the input (tested from 1e-150 to 1e150 in float64).
"""

import warnings
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

_FLOAT_DTYPES = (np.float64, np.float32)
_SPARSE_FORMATS = ("csr", "csc", "coo")
# Dense X whose largest entry is within 2^+-SAFE_EXPONENT of 1 is used as it
# is where a copy divided by a power of two would give the same result
# (exactly, barring overflow and underflow): its Gram matrices and squared
# norms stay far from overflow, and a column's squares stay normal down to
# 2^-447 of the largest entry (2^-511 with the copy).
SAFE_EXPONENT = 64


@dataclass
class CentredData:
    """The training problem handed to a solver.

    Rows with zero weight are removed. ``X`` is centred (dense) or carries its
    offsets in ``X_offset`` (sparse, centred implicitly); ``y`` is centred.
    ``sample_weight`` holds the weights of the kept rows (``None`` when the
    caller gave none, which solvers treat as all ones).
    """

    X: np.ndarray | sp.sparray
    y: np.ndarray
    sample_weight: np.ndarray | None
    X_offset: np.ndarray
    y_offset: float
    # Offsets a solver must subtract itself: zeros for dense X (already centred).
    implicit_offset: np.ndarray | None
    # Which of the caller's rows were kept (None: all of them).
    kept_rows: np.ndarray | None = None


def centred_matvec(data, v):
    """``(X - 1 X_offset^T) v`` without densifying a sparse ``X``."""
    out = data.X @ v
    if data.implicit_offset is not None:
        out = out - data.implicit_offset @ v
    return out


def centred_rmatvec(data, r):
    """``(X - 1 X_offset^T)^T r`` without densifying a sparse ``X``."""
    out = data.X.T @ r
    if data.implicit_offset is not None:
        out = out - data.implicit_offset * r.sum()
    return out


def centred_gram(X, offset):
    """``(X - 1 o^T)(X - 1 o^T)^T`` as a dense float64 array, without cancellation.

    For a sparse ``X`` the centred matrix is never formed: the Gram matrix is
    ``X X^T`` with rank-one corrections. Those cancel catastrophically on a
    column whose offset is much larger than its spread (``X X^T`` then holds
    ``n o_j^2``, the answer ``n var_j``), so such columns, which are mostly
    non-zero anyway, are taken densely and centred explicitly.
    """
    if offset is None or not np.any(offset):
        G = X @ X.T
        return G.toarray() if sp.issparse(G) else np.asarray(G)
    if not sp.issparse(X):
        Xc = X - offset
        return Xc @ Xc.T
    X = sp.csc_array(X)
    n = X.shape[0]
    mean_square = np.asarray(X.multiply(X).sum(axis=0)).ravel() / n
    big = offset**2 > 0.25 * mean_square  # offset above ~ the spread
    D = X[:, big].toarray() - offset[big]
    S, o = X[:, ~big], offset[~big]
    G = S @ S.T
    G = G.toarray() if sp.issparse(G) else np.asarray(G)
    a = np.asarray(S @ o).ravel()
    G -= a[:, None]
    G -= a[None, :]
    G += o @ o
    G += D @ D.T
    return G


def check_sample_weight(sample_weight, n_samples, dtype):
    """Validate ``sample_weight``: 1d, finite, non-negative, not all zero.

    Returns ``None`` when ``sample_weight`` is ``None`` (unit weights).
    """
    if sample_weight is None:
        return None
    if np.isscalar(sample_weight):
        sample_weight = np.full(n_samples, sample_weight, dtype=dtype)
    sample_weight = np.asarray(sample_weight)
    if sample_weight.dtype.kind not in "biuf":
        raise ValueError(
            f"sample_weight must be numeric, got dtype {sample_weight.dtype}."
        )
    sample_weight = sample_weight.astype(dtype, copy=True)
    if sample_weight.ndim != 1:
        raise ValueError(
            f"Sample weights must be 1D array or scalar, got "
            f"{sample_weight.ndim}D array of shape {sample_weight.shape}."
        )
    if sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight.shape == {sample_weight.shape}, expected ({n_samples},)!"
        )
    if not np.all(np.isfinite(sample_weight)):
        raise ValueError("Input sample_weight contains NaN or infinity.")
    if np.any(sample_weight < 0):
        raise ValueError("Negative values in data passed to `sample_weight`.")
    if not np.any(sample_weight > 0):
        raise ValueError("Sample weights must not all be zero.")
    return sample_weight


def prepare_data(X, y, sample_weight, fit_intercept):
    """:class:`CentredData` from a checked ``X`` and ``y``.

    Sparse ``X`` as CSR, ``y`` in the dtype of ``X``, the weights checked,
    the rows of zero weight dropped (``kept_rows`` says which were kept),
    then centred.
    """
    if sp.issparse(X):
        X = sp.csr_array(X)
    y = y.astype(X.dtype, copy=False)
    sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
    X, y, sample_weight, kept_rows = drop_zero_weight_rows(X, y, sample_weight)
    data = centre_data(X, y, sample_weight, fit_intercept)
    data.kept_rows = kept_rows
    return data


def drop_zero_weight_rows(X, y, sample_weight):
    """The rows of positive (checked) weight: ``(X, y, sample_weight, kept)``.

    ``kept`` is the boolean mask of the rows kept, or None when all are (and
    nothing is copied); sparse ``X`` comes back as CSR.
    """
    if sample_weight is None:
        return X, y, None, None
    keep = sample_weight > 0
    if np.all(keep):
        return X, y, sample_weight, None
    if sp.issparse(X):
        X = sp.csr_array(X)
    return X[keep], y[keep], sample_weight[keep], keep


def centre_data(X, y, sample_weight, fit_intercept):
    """Centre ``X`` and ``y`` by their weighted means (if ``fit_intercept``).

    ``X`` is a validated dense array or CSR array, ``y`` a 1d array of the same
    dtype, ``sample_weight`` ``None`` or positive weights. Returns a
    :class:`CentredData`; dense ``X`` is centred in a copy, sparse ``X`` keeps
    its offsets in ``implicit_offset``.
    """
    n_features = X.shape[1]
    if not fit_intercept:
        X_offset = np.zeros(n_features, dtype=X.dtype)
        y_offset = X.dtype.type(0)
        return CentredData(X, y, sample_weight, X_offset, y_offset, None)

    if sample_weight is not None:
        X_offset = X.T @ sample_weight / sample_weight.sum()
    else:
        X_offset = X.mean(axis=0)
    X_offset = np.asarray(X_offset, dtype=X.dtype).ravel()
    y_offset = X.dtype.type(np.average(y, weights=sample_weight))
    y = y - y_offset
    if sp.issparse(X):
        return CentredData(X, y, sample_weight, X_offset, y_offset, X_offset)
    return CentredData(X - X_offset, y, sample_weight, X_offset, y_offset, None)


# --- Scale -------------------------------------------------------------------


def _max_abs(X):
    """``max |X|`` over the stored entries (0 for an empty or all-zero array)."""
    values = X.data if sp.issparse(X) else X
    if values.size == 0:
        return 0.0
    return float(max(values.max(), -values.min()))  # no |X| temporary


def pow2_exponent(value):
    """The ``e`` with ``value / 2**e`` in ``[0.5, 1)``; 0 if ``value`` is 0.

    Dividing by a power of two is exact in floating point (barring underflow of
    entries far below the largest), so scaling by ``2**-e`` changes no digit.
    """
    value = float(value)
    if value == 0.0 or not np.isfinite(value):
        return 0
    return int(np.frexp(value)[1])


def float64_times_pow2(X, e):
    """A float64 copy of ``X`` (dense, or sparse in its format) times ``2**e``.

    Exact, barring underflow (:func:`times_pow2`); one pass for dense ``X``,
    a copy scaled in place for sparse ``X``.
    """
    if sp.issparse(X):
        Xs = X.astype(np.float64)  # a copy
        times_pow2(Xs.data, e, out=Xs.data)
        return Xs
    return times_pow2(X, e)


def times_pow2(A, e, out=None):
    """``A * 2**e`` in float64: exact (barring underflow), like ``np.ldexp``.

    A multiplication by the float ``2.0**e`` (vectorised, several times
    faster than ``np.ldexp`` on large arrays) when that float is normal;
    ``np.ldexp`` otherwise.
    """
    if abs(e) <= 1000:
        return np.multiply(A, 2.0**e, out=out, dtype=np.float64)
    return np.ldexp(A, e, out=out, dtype=np.float64)


def unit_weights(sample_weight, n):
    """Weights in float64 divided by a power of two (the largest in [0.5, 1)).

    The division is exact, and the models depend on the weights' ratios only
    (to rounding where their square roots enter): products with them then
    neither overflow nor underflow, whatever their size. ``None``: ones.
    """
    if sample_weight is None:
        return np.ones(n)
    return times_pow2(sample_weight, -pow2_exponent(_max_abs(sample_weight)))


def _row_blocks(n_rows, n_cols):
    """Row slices of about 2**20 entries (8 MB in float64) each."""
    step = max(1, (1 << 20) // max(n_cols, 1))
    return [slice(i, min(i + step, n_rows)) for i in range(0, n_rows, step)]


def shareable(X, exponent):
    """Can ``X`` be used as it is, rather than divided by ``2**exponent``?

    A dense, contiguous float64 ``X`` (BLAS would copy a strided one for each
    product) whose scale is within ``2**+-SAFE_EXPONENT`` of 1.
    """
    return (
        not sp.issparse(X)
        and X.dtype == np.float64
        and (X.flags.c_contiguous or X.flags.f_contiguous)
        and abs(exponent) <= SAFE_EXPONENT
    )


def scale_data(data, *, fit_intercept, share_x=False):
    """A float64 copy of ``data`` with ``X``, ``y`` and weights of unit size.

    (``share_x=True``: ``X`` itself where a copy would change nothing.)

    ``X`` (and its offsets) is divided by ``2**x_exp``, ``y`` (and its offset)
    by ``2**y_exp`` and the weights by a power of two, with the exponents of
    :func:`pow2_exponent` of ``max |X_c|``, ``max |y_c|`` and ``max w``: the
    largest entries of the copy are in ``[0.5, 1)`` (``[0.5, 2)`` for sparse
    ``X`` with implicit offsets). The coefficients of the copy's problem times
    ``2**(y_exp - x_exp)`` are those of ``data``'s, exactly: a solver run on
    the copy is equivariant to the scale of the input and cannot overflow or
    underflow while squaring entries (Gram matrices, norms).

    With ``fit_intercept=True`` the copy is re-centred in float64: dense
    float32 ``X`` (centred by the caller in float32, whose column means are
    then only zero to that precision) has its remaining weighted column means
    subtracted, and sparse ``X`` gets float64 offsets. The copy's centred
    ``X`` is then orthogonal to the weights to float64 precision, which
    solvers that do not truncate small singular values (LSMR) need: with
    float32 offsets, the direction of the constant, which centring removes,
    comes back with a singular value of ``eps_32 |X|`` and is fitted with huge
    coefficients (defect 5 of issue 11).

    With ``share_x=True``, an ``X`` that is :func:`shareable` (dense,
    contiguous, float64, its largest entry within ``2**+-64`` of 1) is not
    copied (``x_exp = 0``). For a solver whose result is exactly
    equivariant to multiplying ``X`` by a power of two (the Cholesky
    solution of the Gram matrix, barring overflow and underflow), the copy
    buys nothing but its memory. LSMR is not (on entries of 1e-13 it stops
    far from the solution), nor is HiGHS, with its absolute tolerances.

    Returns ``(scaled, x_exp, y_exp)``.
    """
    X = data.X
    offset = data.implicit_offset
    x_max = _max_abs(X)
    if offset is not None:
        x_max += _max_abs(offset)  # bounds max |X - 1 offset^T|
    x_exp = pow2_exponent(x_max)
    share_x = share_x and shareable(X, x_exp)
    if share_x:
        x_exp = 0
    y_exp = pow2_exponent(_max_abs(data.y))

    w = data.sample_weight
    if w is not None:
        w = unit_weights(w, X.shape[0])
    Xs = X if share_x else float64_times_pow2(X, -x_exp)
    X_offset = np.ldexp(data.X_offset.astype(np.float64), -x_exp)
    implicit_offset = None
    # Dense float64 X was centred in float64 already.
    if fit_intercept and (sp.issparse(Xs) or X.dtype != np.float64):
        sum_w = Xs.shape[0] if w is None else w.sum()
        mean = (Xs.T @ w if w is not None else Xs.sum(axis=0)) / sum_w
        mean = np.asarray(mean, dtype=np.float64).ravel()
        if sp.issparse(Xs):
            implicit_offset = mean  # the float64 weighted means of X
            X_offset = mean
        else:
            Xs -= mean  # what float32 centring left
    y = np.ldexp(data.y.astype(np.float64), -y_exp)
    y_offset = float(np.ldexp(np.float64(data.y_offset), -y_exp))
    scaled = replace(
        data,
        X=Xs,
        y=y,
        sample_weight=w,
        X_offset=X_offset,
        y_offset=y_offset,
        implicit_offset=implicit_offset,
    )
    return scaled, x_exp, y_exp


# --- Outcome report ----------------------------------------------------------

#: Interpolation tolerance of MinL1Interpolator and MinL2Interpolator: a fit
#: interpolates when its relative training MSE (see :func:`fit_outcome`) is at
#: most this. Both solve in float64 and reach 1e-20 to 1e-9 on full-row-rank
#: designs up to condition number 1e12 (HiGHS's feasibility tolerance is
#: 1e-7 on ``y / max |y|``, i.e. a relative MSE of at most ~1e-14 n).
INTERPOLATION_TOL = 1e-6

# The default tolerance on the relative normal-equation residual (see
# fit_outcome) is _NORMAL_TOL_FACTOR times the singular-value cutoff of the
# "svd" solver, max(n, d) * eps (eps of the data's dtype), and at least
# _NORMAL_TOL_MIN = 1000 times LSMR's stopping tolerance. A least-squares
# solution at the numerical rank the SVD uses leaves a normal-equation residual
# below that cutoff (each neglected singular value is below it); Cholesky and
# converged LSMR reach 1e-15 to 1e-12; a stopped iterate is typically at 1e-3
# to 1.
_NORMAL_TOL_FACTOR = 10.0
_NORMAL_TOL_MIN = 1e-9

_STATUSES = ("interpolated", "least_squares", "not_converged")


@dataclass(frozen=True)
class FitOutcome:
    """What a fitted linear model achieves on its training data.

    Attributes
    ----------
    status : {"interpolated", "least_squares", "not_converged"}
        ``"interpolated"`` if ``relative_mse <= tol``; otherwise
        ``"least_squares"`` if the coefficients minimise the weighted
        training MSE (no interpolant exists; see :func:`fit_outcome`);
        otherwise ``"not_converged"``.
    relative_mse : float
        Weighted mean of the squared training residual over the weighted mean
        square of the centred ``y`` (see :func:`fit_outcome` for constant
        ``y``).
    normal_residual : float
        ``||A^T r|| / (||A||_F ||r||)`` with ``A = W^{1/2} X_c`` and
        ``r = W^{1/2} (y_c - X_c coef)``: the relative residual of the
        normal equations, 0 when ``r = 0`` or ``A = 0``. NaN when it was not
        needed (the model interpolates, or ``min_relative_mse`` was given).
    tol, normal_tol : float
        The tolerances the status was decided with.
    min_relative_mse : float or None
        The least relative training MSE the status was decided with, if
        given (then ``normal_tol`` was not used).
    """

    status: str
    relative_mse: float
    normal_residual: float
    tol: float
    normal_tol: float
    min_relative_mse: float | None = None


def _dense_residual(X, v, y):
    """``y - X v`` in float64, by blocks of rows of a float32 ``X``."""
    if X.dtype == np.float64:
        return y - X @ v
    r = np.empty(X.shape[0])
    for rows in _row_blocks(*X.shape):
        r[rows] = y[rows] - X[rows].astype(np.float64) @ v
    return r


def _dense_rmatvec_and_norm(X, u, x_exp):
    """``(X / 2**x_exp)^T u`` and the squared row norms of ``X / 2**x_exp``.

    In float64, by blocks of rows (no float64 copy of the whole ``X``).
    """
    out = np.zeros(X.shape[1])
    row_sq = np.empty(X.shape[0])
    for rows in _row_blocks(*X.shape):
        B = times_pow2(X[rows], -x_exp)
        out += B.T @ u[rows]
        row_sq[rows] = np.einsum("ij,ij->i", B, B)
    return out, row_sq


def _normal_residual(data, r, w):
    """``||A^T r_w|| / (||A||_F ||r_w||)`` of :func:`fit_outcome`.

    ``A = W^1/2 X_c``, ``r_w = W^1/2 r``; computed on ``X / 2**x_exp``.
    """
    X, offset = data.X, data.implicit_offset
    x_exp = pow2_exponent(_max_abs(X) + (0.0 if offset is None else _max_abs(offset)))
    wr = w * r
    if not np.all(np.isfinite(wr)):
        return np.inf
    if sp.issparse(X):
        g = np.ldexp(np.asarray(centred_rmatvec(data, wr)).ravel(), -x_exp)
        Xs = float64_times_pow2(X, -x_exp)
        off = None if offset is None else np.ldexp(offset.astype(np.float64), -x_exp)
        frob_sq = _sparse_centred_frobenius(Xs, off, w)
    else:
        g, row_sq = _dense_rmatvec_and_norm(X, wr, x_exp)
        frob_sq = float(w @ row_sq)
    r_sq = float(wr @ r)
    if r_sq == 0 or frob_sq == 0:
        return 0.0  # r = 0, or X_c = 0: every coef is a least-squares solution
    return float(np.linalg.norm(g) / (np.sqrt(frob_sq) * np.sqrt(r_sq)))


def _sparse_centred_frobenius(X, offset, w):
    """``||W^{1/2} (X - 1 offset^T)||_F^2`` for CSR ``X``, never densified.

    Each column's zero entries contribute ``offset_j^2`` times their weight:
    no subtraction of large squares, hence no cancellation.
    """
    n, d = X.shape
    row_w = np.repeat(w, np.diff(X.indptr))
    if offset is None:
        return float(row_w @ (X.data * X.data))
    diff = X.data - offset[X.indices]
    nnz_part = float(row_w @ (diff * diff))
    w_nonzero = np.bincount(X.indices, weights=row_w, minlength=d)
    w_zero = np.maximum(w.sum() - w_nonzero, 0.0)
    return nnz_part + float(w_zero @ (offset * offset))


def fit_outcome(data, coef, *, tol, min_relative_mse=None, normal_tol=None):
    """Decide whether ``coef`` interpolates ``data`` or is a least-squares fit.

    Parameters
    ----------
    data : CentredData
        The training problem (centred as the estimator fitted it).
    coef : ndarray of shape (n_features,)
        Coefficients of the centred problem (float32 or float64).
    tol : float
        Interpolation tolerance on the relative training MSE.
    min_relative_mse : float, default=None
        The least relative training MSE of a linear model on ``data`` (that
        of :func:`~sk_implicit._min_l2.solve_min_l2`'s solution, see
        :func:`~sk_implicit._min_l2.least_squares_relative_mse`). If given,
        ``coef`` is a least-squares solution when its relative MSE is at most
        ``min_relative_mse + tol``. If None, the normal-equation test is used
        instead (see Notes).
    normal_tol : float, default=None
        Tolerance of the normal-equation test; ``None`` means
        ``max(1e-9, 10 max(n, d) eps)``, ten times the relative
        singular-value cutoff of the "svd" solver (``eps`` of the data's
        dtype).

    Returns
    -------
    outcome : FitOutcome

    Notes
    -----
    With weights ``w`` (ones if none) and the residual ``r = y_c - X_c coef``
    (the residual of the fitted model on the training rows, intercept
    included), ``relative_mse = sum(w r^2) / sum(w y_c^2)``. The tolerance
    therefore applies to the *weighted* error. If ``y`` is constant (its
    centred values are at the rounding level of its mean: mean square at most
    ``(n eps |y_offset|)^2``), the reference is ``y_offset^2`` instead, so
    that the constant model counts as interpolating; if ``y`` is zero as
    well, ``relative_mse`` is 0 when ``r = 0`` and infinite otherwise.

    ``normal_residual = ||A^T r_w|| / (||A||_F ||r_w||)`` with
    ``A = W^{1/2} X_c`` and ``r_w = W^{1/2} r`` is LSQR's and LSMR's stopping
    quantity: ``coef`` is the exact least-squares solution for a design
    perturbed by at most ``normal_residual ||A||`` (Stewart's backward
    error). It certifies a least-squares solution *at the numerical rank
    ``normal_tol``* only: on a design with singular values far below
    ``normal_tol ||A||``, a residual along their directions passes the test
    although an exact least-squares solution would fit them. Callers whose
    solver is not backward stable to that level (a linear program, gradient
    descent) should pass ``min_relative_mse``.

    Everything is computed in float64 on data divided by powers of two
    (``max |y_c|``, ``max |X_c|``, ``max w``): no square of an entry of size
    1e±150 is ever formed. Dense float32 ``X`` is converted by blocks of rows.
    The cost is one product with ``X`` when the model interpolates, two more
    passes over ``X`` for the normal-equation test.
    """
    coef = np.asarray(coef)
    X = data.X
    n = X.shape[0]
    if normal_tol is None:
        normal_tol = max(
            _NORMAL_TOL_MIN,
            _NORMAL_TOL_FACTOR * max(X.shape) * np.finfo(data.y.dtype).eps,
        )
    w = unit_weights(data.sample_weight, n)
    y_offset = float(data.y_offset)
    y_exp = pow2_exponent(max(_max_abs(data.y), abs(y_offset)))
    y = np.ldexp(data.y.astype(np.float64), -y_exp)
    v = np.ldexp(coef.astype(np.float64), -y_exp)  # X v is of the size of y
    if sp.issparse(X):
        r = y - np.asarray(centred_matvec(data, v)).ravel()
    else:
        r = _dense_residual(X, v, y)

    sum_w = w.sum()
    ms_r = float(w @ (r * r)) / sum_w
    ms_y = float(w @ (y * y)) / sum_w
    y_off = np.ldexp(y_offset, -y_exp)
    reference = ms_y
    if ms_y <= (n * np.finfo(data.y.dtype).eps * y_off) ** 2:
        reference = max(ms_y, y_off**2)  # constant y: relative to its size
    if reference > 0:
        relative_mse = ms_r / reference
    else:
        relative_mse = 0.0 if ms_r == 0 else np.inf

    normal_residual = np.nan  # not needed when it interpolates
    if not relative_mse <= tol and min_relative_mse is None:
        normal_residual = _normal_residual(data, r, w)

    if relative_mse <= tol:
        status = "interpolated"
    elif (
        relative_mse <= min_relative_mse + tol
        if min_relative_mse is not None
        else normal_residual <= normal_tol
    ):
        status = "least_squares"
    else:
        status = "not_converged"
    return FitOutcome(
        status=status,
        relative_mse=float(relative_mse),
        normal_residual=float(normal_residual),
        tol=float(tol),
        normal_tol=float(normal_tol),
        min_relative_mse=None if min_relative_mse is None else float(min_relative_mse),
    )


class LinearInterpolatorMixin(RegressorMixin):
    """``predict``, input validation and intercept handling for linear models.

    Subclasses call :meth:`_validate_and_centre` in ``fit``, solve for the
    coefficients of the centred problem and call :meth:`_set_intercept`.
    """

    def _validate_and_centre(self, X, y, sample_weight):
        """Validate ``X, y, sample_weight``; drop zero-weight rows; centre.

        Returns a :class:`CentredData`.
        """
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=_SPARSE_FORMATS,
            dtype=_FLOAT_DTYPES,
            y_numeric=True,
            multi_output=False,
        )
        return prepare_data(X, y, sample_weight, self.fit_intercept)

    def _set_intercept(self, coef, data):
        """Store ``coef_`` and ``intercept_`` (in the input's dtype).

        Coefficients beyond the dtype's range become infinite silently:
        :meth:`_check_representable` turns that into a clear error.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            self.coef_ = np.asarray(coef, dtype=data.y.dtype)
            if self.fit_intercept:
                self.intercept_ = data.y.dtype.type(
                    data.y_offset - data.X_offset @ self.coef_
                )
            else:
                self.intercept_ = data.y.dtype.type(0.0)

    def _check_representable(self, data):
        """Raise a ``ValueError`` if ``coef_`` or ``intercept_`` overflowed.

        The coefficients scale like ``scale(y) / scale(X)``: with ``X`` of
        size 1e-30 and ``y`` of size 1e10 in float32, they exceed float32's
        largest number (3.4e38) although every input is finite.
        """
        if np.all(np.isfinite(self.coef_)) and np.isfinite(self.intercept_):
            return
        raise ValueError(
            f"The coefficients of {type(self).__name__} do not fit in "
            f"{data.y.dtype}: they scale like max|y| / max|X| = "
            f"{_max_abs(data.y) or abs(float(data.y_offset)):.3g} / "
            f"{_max_abs(data.X):.3g}, and overflow. Rescale X or y (or use "
            "float64)."
        )

    def _report_outcome(self, outcome, *, what_to_try, solver_failure=None):
        """Set ``converged_`` from a :class:`FitOutcome`; warn if not converged.

        ``converged_`` is True when the model interpolates or is the
        least-squares solution (``outcome.status != "not_converged"``) and the
        solver reported no failure. Otherwise a
        :class:`~sklearn.exceptions.ConvergenceWarning` says what happened:
        ``solver_failure`` (a sentence from the solver, if any), the relative
        training MSE and normal-equation residual against their tolerances,
        and ``what_to_try``.
        """
        self.converged_ = outcome.status != "not_converged" and solver_failure is None
        if self.converged_:
            return
        parts = [f"{type(self).__name__}:"]
        if solver_failure:
            parts.append(solver_failure)
        if outcome.status == "not_converged":
            if outcome.min_relative_mse is not None:
                why = (
                    f"the least-squares solution reaches {outcome.min_relative_mse:.3g}"
                )
            else:
                why = (
                    "relative normal-equation residual "
                    f"{outcome.normal_residual:.3g} > {outcome.normal_tol:g}"
                )
            parts.append(
                "The fitted model does not interpolate the training data "
                f"(relative training MSE {outcome.relative_mse:.3g} > "
                f"tol={outcome.tol:g}) and is not the least-squares solution "
                f"({why})."
            )
        elif outcome.status == "interpolated":
            parts.append(
                "The fitted model interpolates the training data (relative "
                f"training MSE {outcome.relative_mse:.3g})."
            )
        else:
            parts.append(
                "The fitted model is a least-squares solution (relative "
                f"training MSE {outcome.relative_mse:.3g})."
            )
        parts.append(what_to_try)
        warnings.warn(" ".join(parts), ConvergenceWarning, stacklevel=3)

    def predict(self, X):
        """Predict with the fitted linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            ``X @ coef_ + intercept_``.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=_SPARSE_FORMATS, dtype=_FLOAT_DTYPES, reset=False
        )
        return np.asarray(X @ self.coef_).ravel() + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class BaseInterpolator(LinearInterpolatorMixin, BaseEstimator):
    """Base class of the package's linear interpolators."""
