"""The minimum-l2-norm interpolator ``pinv(X) y``.

Solvers are small private functions of a :class:`~sk_implicit._base.CentredData`
(arrays in, coefficients out), picked by the estimator's ``solver``:

- :func:`_solve_gram`: Cholesky on the Gram matrix of the smaller side
  (``X X^T`` when ``n < d``, the kernel form; ``X^T W X`` otherwise), in
  float64, with an honest conditioning check (LAPACK ``pocon``);
- :func:`_solve_svd`: ``scipy.linalg.lstsq`` (LAPACK ``gelsd``, an SVD), dense
  ``X`` only;
- :func:`_solve_lsmr`: ``scipy.sparse.linalg.lsmr`` from zero on the centred,
  weighted operator, which never densifies a sparse ``X``.

:func:`solve_min_l2` runs them (with the Gram route's fallback) on the data
scaled by powers of two (:func:`~sk_implicit._base.scale_data`); it is
what :class:`MinL2Interpolator` and the dense part of the other estimators use.
"""

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, lsmr

from ._base import (
    INTERPOLATION_TOL,
    BaseInterpolator,
    _max_abs,
    centred_matvec,
    centred_rmatvec,
    fit_outcome,
    scale_data,
)
from ._validation import StrOptions, _fit_context

_SOLVERS = ("auto", "gram", "svd", "lsmr")

# The Gram route squares the condition number: its forward error is about
# eps * cond(G). It is accepted when LAPACK's estimate of 1 / cond_1(G) is
# above sqrt(eps_64) ~ 1.5e-8, which bounds that error by ~1e-8 relative
# (half the float64 digits, well below float32's precision and the 1e-7 of
# scikit-learn's sample-weight checks); otherwise the fallback is used.
_GRAM_MIN_RCOND = np.sqrt(np.finfo(np.float64).eps)

# With sparse X, "auto" forms the dense Gram matrix of the smaller side only
# up to this size (memory ~ 8 * size^2 bytes); beyond it, it uses LSMR.
_SPARSE_GRAM_MAX_SIZE = 4096

# LSMR: stopping tolerances (relative residual of the compatible system or of
# the normal equations) and iteration cap, in multiples of min(n, d).
_LSMR_TOL = 1e-12
_LSMR_MAX_ITER_FACTOR = 10
# LSMR's condition limit: at most this, and at most 1 / (max(n, d) eps), the
# inverse of the "svd" solver's cutoff, so that both see the same numerical
# rank (float32 data: ~1e5, where singular values at the rounding level of the
# data are not fitted with huge coefficients).
_LSMR_MAX_CONLIM = 1e12


class _IllConditioned(Exception):
    """The Gram matrix is singular or too ill-conditioned for Cholesky."""


def _sqrt_weights(data):
    """Square roots of the sample weights (float64), or ``None``."""
    if data.sample_weight is None:
        return None
    return np.sqrt(data.sample_weight.astype(np.float64))


def _cholesky_solve(G, rhs):
    """Solve ``G a = rhs`` for symmetric positive definite, well-conditioned ``G``.

    Raises :class:`_IllConditioned` when Cholesky fails or when LAPACK's
    estimate of the reciprocal 1-norm condition number is below
    ``_GRAM_MIN_RCOND``.
    """
    anorm = np.abs(G).sum(axis=0).max()
    if not np.isfinite(anorm) or anorm == 0:
        raise _IllConditioned
    try:
        c, lower = scipy.linalg.cho_factor(
            G, lower=False, overwrite_a=True, check_finite=False
        )
    except np.linalg.LinAlgError as exc:
        raise _IllConditioned from exc
    rcond, info = scipy.linalg.lapack.dpocon(c, anorm, uplo="U")
    if info != 0 or not rcond >= _GRAM_MIN_RCOND:
        raise _IllConditioned
    return scipy.linalg.cho_solve((c, lower), rhs, check_finite=False)


def _solve_gram(data, fit_intercept):
    """Minimum-norm (weighted) least squares through a Cholesky-solved Gram matrix.

    ``data`` is float64 (see :func:`solve_min_l2`). Wide ``X`` (``n < d``):
    the interpolating kernel form ``coef = X_c^T a`` with ``X_c X_c^T a =
    y_c``; the weights do not matter (every interpolant has zero weighted
    residual). With an intercept, ``X_c X_c^T`` is singular along the weights
    ``w`` (``X_c^T w = 0``) and ``y_c`` is orthogonal to ``w``, so
    ``X_c X_c^T + t w w^T`` (``t`` of the scale of the spectrum) is solved
    instead: its solution is the one of the singular system orthogonal to
    ``w``, and ``X_c^T`` maps both to the same coefficients.

    Tall ``X`` (``n >= d``): the weighted normal equations
    ``X_c^T W X_c coef = X_c^T W y_c``.

    Raises :class:`_IllConditioned` (for the caller to fall back) when the
    Gram matrix is singular or too ill-conditioned.
    """
    X = data.X
    n, d = X.shape
    offset = data.implicit_offset
    y = data.y
    if n < d:
        G = X @ X.T
        if sp.issparse(G):
            G = G.toarray()
        if offset is not None:
            # (X - 1 m^T)(X - 1 m^T)^T = X X^T - Xm 1^T - 1 Xm^T + (m.m) 1 1^T
            Xm = np.asarray(X @ offset).ravel()
            G -= Xm[:, None]
            G -= Xm[None, :]
            G += offset @ offset
        if fit_intercept:
            w = np.ones(n) if data.sample_weight is None else data.sample_weight
            scale = np.trace(G) / n
            G += (scale if scale > 0 else 1.0) / (w @ w) * np.outer(w, w)
        a = _cholesky_solve(G, y)
        return centred_rmatvec(data, a)

    sqrt_w = _sqrt_weights(data)
    Xw = X
    if sqrt_w is not None:
        Xw = sp.diags_array(sqrt_w) @ X if sp.issparse(X) else X * sqrt_w[:, None]
    H = Xw.T @ Xw
    if sp.issparse(H):
        H = H.toarray()
    if offset is not None:
        # X_c^T W X_c = X^T W X - (sum w) m m^T when m is the weighted mean.
        sum_w = n if data.sample_weight is None else data.sample_weight.sum()
        H -= sum_w * np.outer(offset, offset)
    wy = y if sqrt_w is None else data.sample_weight * y
    rhs = centred_rmatvec(data, wy)
    return _cholesky_solve(H, rhs)


def _solve_svd(data, eps):
    """``pinv(W^1/2 X_c) W^1/2 y_c`` by ``scipy.linalg.lstsq`` (gelsd), dense X.

    ``data`` is a float64 copy that this function overwrites. Singular values
    below ``max(n, d) * eps * s_max`` count as zero, as in
    :func:`numpy.linalg.pinv`; ``eps`` is that of the input's dtype (float32
    data are only known to float32 precision, although solved in float64).
    Returns ``(coef, rank)``.
    """
    A, b = data.X, data.y.copy()
    sqrt_w = _sqrt_weights(data)
    if sqrt_w is not None:
        A *= sqrt_w[:, None]
        b *= sqrt_w
    coef, _, rank, _ = scipy.linalg.lstsq(
        A,
        b,
        cond=max(A.shape) * eps,
        lapack_driver="gelsd",
        overwrite_a=True,
        overwrite_b=True,
        check_finite=False,
    )
    return coef, int(rank)


def _solve_lsmr(data, fit_intercept, eps):
    """Minimum-norm weighted least squares by LSMR started from zero.

    LSMR's iterates stay in the row space of the operator, so from zero it
    converges to ``pinv(W^1/2 X_c) W^1/2 y_c``. ``X`` is centred implicitly.
    With an intercept, the operator's output and ``b`` are projected on the
    complement of ``sqrt(w)`` (which ``W^1/2 X_c`` maps nothing to, in exact
    arithmetic): a centring error, however small, would otherwise give that
    direction a tiny singular value, which LSMR (with no cutoff on small
    singular values) fits with a huge coefficient. LSMR stops when its
    estimate of the condition number exceeds ``1 / (max(n, d) eps)`` (the
    inverse of the "svd" cutoff, ``eps`` of the input's dtype; at most
    1e12). Returns
    ``(coef, n_iter, istop)``; the caller judges the result itself.
    """
    n, d = data.X.shape
    sqrt_w = _sqrt_weights(data)
    if sqrt_w is None:
        sqrt_w = np.ones(n)
    unit = sqrt_w / np.linalg.norm(sqrt_w)

    def project(r):
        return r - unit * (unit @ r) if fit_intercept else r

    def matvec(v):
        return project(sqrt_w * np.asarray(centred_matvec(data, v.ravel())).ravel())

    def rmatvec(r):
        return np.asarray(centred_rmatvec(data, sqrt_w * project(r.ravel()))).ravel()

    A = LinearOperator((n, d), matvec=matvec, rmatvec=rmatvec, dtype=np.float64)
    b = project(sqrt_w * data.y)
    max_iter = _LSMR_MAX_ITER_FACTOR * min(n, d) + 10
    coef, istop, n_iter, *_ = lsmr(
        A,
        b,
        atol=_LSMR_TOL,
        btol=_LSMR_TOL,
        conlim=min(_LSMR_MAX_CONLIM, 1.0 / (max(n, d) * eps)),
        maxiter=max_iter,
    )
    return coef, int(n_iter), int(istop)


def _choose_solver(solver, is_sparse, n, d):
    if solver == "svd" and is_sparse:
        raise ValueError(
            'solver="svd" does not support sparse X; use "gram", "lsmr" or "auto".'
        )
    if solver != "auto":
        return solver
    if is_sparse:
        return "gram" if min(n, d) <= _SPARSE_GRAM_MAX_SIZE else "lsmr"
    return "gram" if n < d else "svd"


def solve_min_l2(data, *, fit_intercept, solver="auto"):
    """Minimum-l2-norm (weighted least-squares) coefficients of ``data``.

    The coefficients of the centred problem ``pinv(W^1/2 X_c) W^1/2 y_c``:
    the minimum-l2-norm interpolant when one exists, otherwise the
    minimum-norm weighted least-squares solution. This is the computation of
    :meth:`MinL2Interpolator.fit`.

    Parameters
    ----------
    data : CentredData
        The centred problem (:meth:`LinearInterpolatorMixin._validate_and_centre`).
    fit_intercept : bool
        Whether ``data`` was centred (the LSMR route then projects out the
        direction of the weights, see :func:`_solve_lsmr`).
    solver : {"auto", "gram", "svd", "lsmr"}, default="auto"
        As :class:`MinL2Interpolator`'s ``solver``.

    Returns
    -------
    coef : ndarray of shape (n_features,)
        float64 coefficients of the centred problem (the intercept is
        ``y_offset - X_offset @ coef``).
    solver_used : str
        "gram", "svd" or "lsmr", after "auto" and the Gram route's fallback.

    Notes
    -----
    The solvers run in float64 on the data divided by powers of two
    (:func:`~sk_implicit._base.scale_data`): the result is exactly
    equivariant to multiplying ``X`` or ``y`` by a power of two, and the Gram
    matrices of data of size 1e±150 neither overflow nor underflow. The
    Gram route uses a dense float64 ``X`` within ``2**+-64`` of unit size
    as it is: its copy, at the same result, would cost as much memory again.
    Whether the result interpolates is for the caller to check
    (:func:`~sk_implicit._base.fit_outcome`): LSMR may stop at its condition
    limit (1e12) before converging.
    """
    is_sparse = sp.issparse(data.X)
    n, d = data.X.shape
    solver = _choose_solver(solver, is_sparse, n, d)
    eps = np.finfo(data.X.dtype).eps
    # (The Gram route's result is exactly equivariant to a power of two: it
    # needs no scaled copy of a dense X of moderate size.)
    scaled, x_exp, y_exp = scale_data(
        data, fit_intercept=fit_intercept, share_x=solver == "gram"
    )
    if _max_abs(scaled.y) == 0 or _max_abs(scaled.X) == 0:
        return np.zeros(d), solver  # y_c = 0 or X = 0: zero is the answer
    if solver == "gram":
        try:
            coef = _solve_gram(scaled, fit_intercept)
        except _IllConditioned:
            solver = "lsmr" if is_sparse else "svd"
    if solver == "svd":
        if scaled.X is data.X:  # (shared by the Gram route: the SVD overwrites)
            scaled, x_exp, y_exp = scale_data(data, fit_intercept=fit_intercept)
        coef, _ = _solve_svd(scaled, eps)
    elif solver == "lsmr":
        coef, _, _ = _solve_lsmr(scaled, fit_intercept, eps)
    return np.ldexp(np.asarray(coef, dtype=np.float64).ravel(), y_exp - x_exp), solver


def least_squares_relative_mse(data, *, fit_intercept):
    """The least relative training MSE of a linear model on ``data``.

    That of :func:`solve_min_l2`'s solution (see
    :func:`~sk_implicit._base.fit_outcome`), to pass as ``min_relative_mse``
    to :func:`~sk_implicit._base.fit_outcome` for a model fitted otherwise.
    """
    coef, _ = solve_min_l2(data, fit_intercept=fit_intercept)
    return fit_outcome(data, coef, tol=0.0).relative_mse


class MinL2Interpolator(BaseInterpolator):
    r"""Minimum-l2-norm interpolator (least squares with the pseudo-inverse).

    Fits the coefficients of minimum Euclidean norm among those that fit the
    training data exactly:

    .. math::

        \hat\beta = \arg\min_\beta \|\beta\|_2
        \quad \text{s.t.} \quad X_c \beta = y_c,
        \qquad \text{i.e.} \qquad \hat\beta = X_c^+ y_c,

    where ``X_c, y_c`` are the data centred by their (weighted) means when
    ``fit_intercept=True`` (the raw data otherwise). This is the limit of
    gradient descent on the squared loss started from zero, and of ridge
    regression as the penalty goes to zero. When no interpolant exists (for
    example ``n_samples > n_features``), it is the minimum-norm solution of
    the weighted least-squares problem,
    ``pinv(W^{1/2} X_c) W^{1/2} y_c`` with ``W = diag(sample_weight)``.

    Parameters
    ----------
    fit_intercept : bool, default=True
        Whether to fit an unpenalised intercept (by centring, see Notes).
    solver : {"auto", "gram", "svd", "lsmr"}, default="auto"
        Method used to compute the pseudo-inverse solution:

        - "gram": Cholesky factorisation, in float64, of the Gram matrix of
          the smaller side: ``X_c X_c^T`` (``n_samples x n_samples``, the
          kernel form ``coef = X_c^T (X_c X_c^T)^{-1} y_c``) when
          ``n_samples < n_features``, ``X_c^T W X_c`` otherwise. It is
          accepted only if LAPACK's estimate of its reciprocal condition
          number is at least ``sqrt(eps)`` (so that squaring the condition
          number loses at most half the float64 digits); otherwise, the
          solver falls back to "svd" (dense ``X``) or "lsmr" (sparse ``X``).
          Sparse ``X`` is multiplied sparsely and centred by rank-one
          corrections.
        - "svd": ``scipy.linalg.lstsq`` with LAPACK's ``gelsd`` (an SVD),
          singular values below ``max(n, d) * eps * s_max`` treated as zero,
          as :func:`numpy.linalg.pinv` does. Exact for rank-deficient data.
          Not available for sparse ``X``.
        - "lsmr": :func:`scipy.sparse.linalg.lsmr` started from zero on the
          implicitly centred, weighted operator (tolerance 1e-12, condition
          limit ``min(1e12, 1 / (max(n, d) eps))``, the inverse of the "svd"
          cutoff), which converges to the minimum-norm solution without
          densifying ``X``.
        - "auto": "gram" (with its fallback) for dense ``X`` with
          ``n_samples < n_features``, "svd" for other dense ``X``; for sparse
          ``X``, "gram" when the smaller side is at most 4096, else "lsmr".

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients ``beta``, in the dtype of ``X`` (float32 or float64).
    intercept_ : float
        Intercept, ``y_offset - X_offset @ coef_`` (0 if
        ``fit_intercept=False``).
    solver_ : str
        The solver that computed ``coef_`` ("gram", "svd" or "lsmr"), after
        any fallback.
    converged_ : bool
        True when the model interpolates the training data (relative training
        MSE at most 1e-6, see Notes) or, where no interpolant exists, is a
        least-squares solution. False (with a
        :class:`~sklearn.exceptions.ConvergenceWarning`) otherwise, which can
        happen only when LSMR stops at its iteration or condition limit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    MinL1Interpolator : The minimum-l1-norm interpolator (basis pursuit).
    ImplicitRegInterpolator : Interpolator that overfits benignly on sparse
        signals.
    sklearn.linear_model.Ridge : Tends to this model as ``alpha -> 0``.

    Notes
    -----
    Intercept policy: with ``fit_intercept=True`` the intercept is not
    penalised. ``X`` and ``y`` are centred by their weighted means, the
    coefficients are fitted on the centred data and
    ``intercept_ = y_offset - X_offset @ coef_``. Whenever an interpolant
    exists, ``coef_`` is then the solution of
    ``min ||b||_2 s.t. X b + b0 = y`` (with a free ``b0``), whatever the
    weights. Sparse ``X`` is never densified.

    Sample weights only matter when the model cannot interpolate: integer
    weights are then equivalent to repeated rows, and zero weights to removed
    rows. ``float32`` input is solved in float64 and returned in float32.

    Scale: the solvers work in float64 on the data divided by powers of two
    (``max |X_c|``, ``max |y_c|``, ``max w``; a dense float64 ``X`` of
    moderate size is not copied for that), so ``coef_`` is exactly
    equivariant to multiplying ``X`` or ``y`` by a power of two, and to
    rounding for other factors: ``coef(a X, b y) = (b / a) coef(X, y)``
    (tested from 1e-150 to 1e150 in float64, 1e-18 to 1e18 in float32). A
    ``ValueError`` is raised if the coefficients overflow the dtype of ``X``.

    Outcome: the model is checked on its training data. It interpolates when
    its relative training MSE, ``sum(w r^2) / sum(w y_c^2)`` with the
    residual ``r`` and the weights ``w`` (ones by default), is at most 1e-6:
    the tolerance applies to the *weighted* error (all weights matter for it,
    although they do not change an interpolant). Otherwise it must be a
    least-squares solution: its residual must satisfy the weighted normal
    equations ``X_c^T W r = 0`` to ``max(1e-9, 10 max(n, d) eps)`` relative
    (``||X_c^T W r|| <= tol ||W^1/2 X_c||_F ||W^1/2 r||``; ``eps`` of the
    dtype of ``X``). If neither holds, ``converged_`` is False and a
    :class:`~sklearn.exceptions.ConvergenceWarning` is raised.

    When ``n_samples << n_features`` the interpolator spreads the noise over
    many directions harmlessly but barely learns a sparse signal: its excess
    risk is about ``||beta*||^2 (1 - n/d) + sigma^2 n / (d - n)`` on
    isotropic data [1]_, [2]_.

    References
    ----------
    .. [1] P. L. Bartlett, P. M. Long, G. Lugosi and A. Tsigler, "Benign
       overfitting in linear regression", PNAS 117(48), 2020.
       https://arxiv.org/abs/1906.11300
    .. [2] J. Zhou and R. Ge, "Implicit Regularization Leads to Benign
       Overfitting for Sparse Linear Regression", ICML 2023.
       https://arxiv.org/abs/2302.00257

    Examples
    --------
    >>> import numpy as np
    >>> from sk_implicit import MinL2Interpolator
    >>> from sk_implicit.datasets import make_sparse_regression
    >>> X, y, _ = make_sparse_regression(20, 100, 3, noise=0.1, random_state=0)
    >>> model = MinL2Interpolator().fit(X, y)
    >>> bool(np.allclose(model.predict(X), y))
    True
    >>> model.solver_
    'gram'
    """

    _parameter_constraints: dict = {
        "fit_intercept": ["boolean"],
        "solver": [StrOptions(set(_SOLVERS))],
    }

    def __init__(self, *, fit_intercept=True, solver="auto"):
        self.fit_intercept = fit_intercept
        self.solver = solver

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the minimum-l2-norm interpolator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples; rows with zero weight are
            ignored. They matter only when the model cannot interpolate.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        data = self._validate_and_centre(X, y, sample_weight)
        coef, self.solver_ = solve_min_l2(
            data, fit_intercept=self.fit_intercept, solver=self.solver
        )
        self._set_intercept(coef, data)
        self._check_representable(data)
        self._report_outcome(
            fit_outcome(data, coef, tol=INTERPOLATION_TOL),
            what_to_try=(
                "LSMR stopped at its condition or iteration limit; with dense X, "
                'solver="svd" is exact.'
                if self.solver_ == "lsmr"
                else "The design is too ill-conditioned for float64 (condition "
                "number near 1 / eps): remove or combine collinear features."
            ),
        )
        return self
