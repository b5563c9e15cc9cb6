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
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

_FLOAT_DTYPES = (np.float64, np.float32)
_SPARSE_FORMATS = ("csr", "csc", "coo")


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
        if sp.issparse(X):
            X = sp.csr_array(X)
        y = y.astype(X.dtype, copy=False)
        sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        kept_rows = None
        if sample_weight is not None:
            keep = sample_weight > 0
            if not np.all(keep):
                X, y, sample_weight = X[keep], y[keep], sample_weight[keep]
                kept_rows = keep
        data = centre_data(X, y, sample_weight, self.fit_intercept)
        data.kept_rows = kept_rows
        return data

    def _set_intercept(self, coef, data):
        """Store ``coef_`` and ``intercept_`` (in the input's dtype)."""
        self.coef_ = np.asarray(coef, dtype=data.y.dtype)
        if self.fit_intercept:
            self.intercept_ = data.y.dtype.type(
                data.y_offset - data.X_offset @ self.coef_
            )
        else:
            self.intercept_ = data.y.dtype.type(0.0)

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
