"""The minimum-l1-norm interpolator (basis pursuit) as a linear program.

The LPs are solved by HiGHS through :func:`scipy.optimize.linprog`. Their
constraint matrices are built directly in CSC form from ``X``'s entries
(dense ``X``) or CSC arrays (sparse ``X``), never densified.

Basis pursuit, with ``b = p - q``, ``p, q >= 0`` and a free intercept ``b0``
(dropped when ``fit_intercept=False``)::

    min_{p, q, b0}  1^T p + 1^T q
    s.t.            X p - X q + b0 1 = y            (n rows)
                    p >= 0, q >= 0, b0 free

    variables  [ p (d) | q (d) | b0 (1) ]
    A_eq     = [ X     | -X    | 1      ],  b_eq = y,  c = [1 | 1 | 0]

Its dual is ``max y^T nu s.t. ||X^T nu||_inf <= 1, 1^T nu = 0``; at the
optimum ``X^T nu = sign(b)`` on the support of ``b`` (``nu`` is the vector of
``eqlin`` marginals, kept as ``dual_coef_``).

When no interpolant exists (more samples than features, or basis pursuit
infeasible), the coefficients of minimum l1 norm among the weighted least
squares solutions, with residuals ``r`` and weights ``W = diag(w)``::

    min_{p, q, b0, r}  1^T p + 1^T q
    s.t.               X p - X q + b0 1 + r = y     (n rows)
                       X^T W r = 0                  (d rows: normal equations)
                       w^T r = 0                    (1 row, with the intercept)
                       p >= 0, q >= 0, b0 free, r free

    variables  [ p (d) | q (d) | b0 (1) | r (n)  ]
    A_eq     = [ X     | -X    | 1      | I_n    ]   b_eq = [ y ]
               [ 0     | 0     | 0      | X^T W  ]          [ 0 ]
               [ 0     | 0     | 0      | w^T    ]          [ 0 ]
    c        = [ 1     | 1     | 0      | 0      ]

Whenever an interpolant exists, the only residual orthogonal to the columns
of ``[X, 1]`` is ``r = 0``, so this LP is basis pursuit; the first ``n`` of its
dual values still satisfy ``||X^T nu||_inf <= 1``.

When ``d`` is much larger than ``n``, basis pursuit is solved by column
generation (:func:`_solve_bp_working_set`): a sequence of small LPs on a
working set of columns, each followed by a check of the dual constraints
``|X_j^T nu| <= 1`` on all columns. It stops when no column violates them: the
restricted solution is then optimal for the full LP, to HiGHS's dual
feasibility tolerance.
"""

import time
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning

from ._base import BaseInterpolator

# Column generation is used when n_features > _WORKING_SET_MIN_RATIO * n_samples.
_WORKING_SET_MIN_RATIO = 4
# Give up on column generation (and solve the full LP) after this many rounds.
_WORKING_SET_MAX_ROUNDS = 50
# HiGHS's default dual feasibility tolerance, used to certify optimality.
_DEFAULT_DUAL_TOL = 1e-7


class _LPFailure(RuntimeError):
    """HiGHS returned no usable solution."""


def _csc(X):
    """``X`` as a CSC array, built directly from a dense array's entries."""
    if sp.issparse(X):
        return sp.csc_array(X)
    n, d = X.shape
    if np.count_nonzero(X) < X.size:
        return sp.csc_array(X)  # drops the explicit zeros
    return sp.csc_array(
        (
            X.ravel(order="F"),
            np.tile(np.arange(n, dtype=np.int32), d),
            np.arange(0, n * d + 1, n, dtype=np.int64),
        ),
        shape=(n, d),
    )


def _bp_matrix(A, fit_intercept):
    """CSC ``[A, -A, 1]`` (the last column only with the intercept)."""
    n, d = A.shape
    nnz = A.indptr[-1]
    data = [A.data, -A.data]
    indices = [A.indices, A.indices]
    indptr = [A.indptr, A.indptr[1:] + nnz]
    if fit_intercept:
        data.append(np.ones(n))
        indices.append(np.arange(n))
        indptr.append(np.array([2 * nnz + n]))
    return sp.csc_array(
        (
            np.concatenate(data).astype(np.float64, copy=False),
            np.concatenate(indices).astype(np.int64, copy=False),
            np.concatenate(indptr).astype(np.int64, copy=False),
        ),
        shape=(n, 2 * d + fit_intercept),
    )


def _linprog(c, A_eq, b_eq, bounds, options, deadline):
    """``linprog(method="highs")``; ``deadline`` caps a user's ``time_limit``."""
    options = dict(options)
    if deadline is not None:
        options["time_limit"] = max(deadline - time.perf_counter(), 0.0)
    return linprog(
        c, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs", options=options
    )


def _bp_bounds(d, fit_intercept):
    bounds = np.zeros((2 * d + fit_intercept, 2))
    bounds[:, 1] = np.inf
    if fit_intercept:
        bounds[-1, 0] = -np.inf
    return bounds


def _solve_bp(A, y, fit_intercept, options, deadline):
    """Basis pursuit on the CSC columns ``A``: ``min ||b||_1 s.t. A b + b0 = y``.

    Returns ``(coef, nu, result)``; ``coef`` and ``nu`` are ``None`` when
    HiGHS returned no solution.
    """
    d = A.shape[1]
    c = np.ones(2 * d + fit_intercept)
    if fit_intercept:
        c[-1] = 0.0
    A_eq = _bp_matrix(A, fit_intercept)
    res = _linprog(c, A_eq, y, _bp_bounds(d, fit_intercept), options, deadline)
    if res.x is None:
        return None, None, res
    return res.x[:d] - res.x[d : 2 * d], res.eqlin.marginals, res


def _solve_bp_working_set(X, A, y, fit_intercept, options, deadline):
    """Basis pursuit by column generation on a working set of columns.

    ``X`` is the design (dense, or sparse CSR for fast ``X^T nu``) and ``A``
    its CSC form. The working set starts with the ``2 n + 10`` columns most
    correlated with ``y`` and, after each restricted LP, receives the columns
    that violate the dual constraint ``|X_j^T nu| <= 1 + tol`` most (at most
    ``2 n`` per round, the fastest schedule measured), with ``tol`` HiGHS's
    dual feasibility tolerance. If the restricted LP is infeasible, the
    working set is tripled with the next most correlated columns. The
    restricted LPs are small and dense: HiGHS's presolve is switched off for
    them unless ``options`` sets it (twice faster on n=200, d=20000).

    Returns ``(coef, nu, status, message, n_iter)``, with ``coef`` and ``nu``
    ``None`` when HiGHS returned no solution; ``status`` is that of the last
    LP (2 means that basis pursuit on all columns is infeasible).
    """
    n, d = X.shape
    tol = options.get("dual_feasibility_tolerance", _DEFAULT_DUAL_TOL)
    options = {"presolve": False, **options}
    order = np.argsort(-np.abs(np.asarray(X.T @ y).ravel()), kind="stable")
    in_set = np.zeros(d, dtype=bool)
    in_set[order[: min(d, 2 * n + 10)]] = True
    n_iter = 0
    for _ in range(_WORKING_SET_MAX_ROUNDS):
        S = np.flatnonzero(in_set)
        coef_S, nu, res = _solve_bp(A[:, S], y, fit_intercept, options, deadline)
        n_iter += res.nit
        if res.status == 2 and S.size < d:  # infeasible: more columns
            extra = order[~in_set[order]][: 2 * S.size]
            in_set[extra] = True
            continue
        if coef_S is None or res.status != 0:
            return None, None, res.status, res.message, n_iter
        violation = np.abs(np.asarray(X.T @ nu).ravel()) - (1.0 + tol)
        violation[in_set] = -np.inf
        n_new = min(int(np.count_nonzero(violation > 0)), 2 * n)
        if n_new == 0:
            coef = np.zeros(d)
            coef[S] = coef_S
            return coef, nu, res.status, res.message, n_iter
        in_set[np.argpartition(-violation, n_new - 1)[:n_new]] = True
    # Not converged in _WORKING_SET_MAX_ROUNDS rounds (never seen): full LP.
    coef, nu, res = _solve_bp(A, y, fit_intercept, options, deadline)
    return coef, nu, res.status, res.message, n_iter + res.nit


def _solve_l1_least_squares(A, y, sample_weight, fit_intercept, options, deadline):
    """Minimum-l1 coefficients among the weighted least-squares solutions.

    The residual LP of the module docstring, on CSC ``A``. Returns
    ``(coef, nu, result)`` as :func:`_solve_bp`.
    """
    n, d = A.shape
    w = np.ones(n) if sample_weight is None else sample_weight.astype(np.float64)
    ones = sp.csc_array(np.ones((n, 1)))
    top = [A, -A] + ([ones] if fit_intercept else []) + [sp.eye_array(n)]
    mid = [None] * (2 + fit_intercept) + [(A * w[:, None]).T]
    blocks = [top, mid]
    if fit_intercept:
        blocks.append([None] * 3 + [sp.csr_array(w[None, :])])
    A_eq = sp.block_array(blocks, format="csc")
    n_vars = A_eq.shape[1]
    c = np.zeros(n_vars)
    c[: 2 * d] = 1.0
    bounds = np.full((n_vars, 2), np.inf)
    bounds[:, 0] = -np.inf
    bounds[: 2 * d, 0] = 0.0
    b_eq = np.zeros(A_eq.shape[0])
    b_eq[:n] = y
    res = _linprog(c, A_eq, b_eq, bounds, options, deadline)
    if res.x is None:
        return None, None, res
    return res.x[:d] - res.x[d : 2 * d], res.eqlin.marginals[:n], res


class MinL1Interpolator(BaseInterpolator):
    r"""Minimum-l1-norm interpolator (basis pursuit).

    Fits the coefficients of minimum l1 norm among those that fit the
    training data exactly, with a free (unpenalised) intercept:

    .. math::

        (\hat\beta, \hat\beta_0) = \arg\min_{\beta, \beta_0} \|\beta\|_1
        \quad \text{s.t.} \quad X \beta + \beta_0 \mathbf{1} = y,

    written as a linear program in the positive and negative parts of
    ``beta`` and solved by HiGHS [1]_ through :func:`scipy.optimize.linprog`.
    When no interpolant exists (``n_samples > n_features``, rank-deficient
    ``X``), it returns the coefficients of minimum l1 norm among the
    solutions of the weighted least-squares problem
    ``min sum_i w_i (y_i - x_i^T beta - beta_0)^2``.

    Parameters
    ----------
    fit_intercept : bool, default=True
        Whether to fit an unpenalised intercept ``beta_0`` (a free variable
        of the linear program, see Notes).
    working_set : bool, default=True
        When ``n_features > 4 n_samples``, solve basis pursuit by column
        generation: small linear programs on a working set of columns,
        extended by the columns whose dual constraint ``|X_j^T nu| <= 1`` is
        violated, until none is. The result is an optimal solution of the
        full linear program, to HiGHS's dual feasibility tolerance, often
        orders of magnitude faster. If False, one linear program on all
        columns.
    solver_options : dict, default=None
        Options passed to :func:`scipy.optimize.linprog` with
        ``method="highs"`` (e.g. ``{"presolve": False}``, ``"maxiter"``,
        ``"time_limit"``, ``"dual_feasibility_tolerance"``). ``maxiter``
        applies to each linear program, ``time_limit`` to the whole fit.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients ``beta``, in the dtype of ``X`` (float32 or float64).
    intercept_ : float
        Intercept ``beta_0`` (0 if ``fit_intercept=False``).
    dual_coef_ : ndarray of shape (n_samples,)
        Optimal dual vector ``nu`` of the interpolation constraints (the
        ``eqlin`` marginals of HiGHS; the dual feasible set does not depend on
        ``y``, so neither does ``nu`` on its scale): an optimality
        certificate, with ``||X^T nu||_inf <= 1``, ``X^T nu = sign(coef_)`` on
        the support of ``coef_``, ``sum(nu) = 0`` with the intercept, and
        ``(y - y_offset) @ nu = ||coef_||_1`` when the model interpolates.
        Zero for the samples with zero weight. All zeros when ``y`` is
        constant.
    n_iter_ : int
        Number of simplex (or interior-point) iterations of HiGHS, summed
        over the linear programs solved.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    MinL2Interpolator : The minimum-l2-norm interpolator ``pinv(X) y``.
    ImplicitRegInterpolator : Interpolator that overfits benignly on sparse
        signals.
    sklearn.linear_model.QuantileRegressor : Another linear program solved
        by HiGHS.

    Notes
    -----
    Intercept policy: the intercept is a free variable of the linear program,
    which keeps sparse ``X`` sparse. This gives the same coefficients as
    centring the data (the package's policy, used by
    :class:`MinL2Interpolator`) whenever an interpolant exists, since both
    fit ``X beta + beta_0 = y`` for some ``beta_0``. Internally ``X`` is
    centred by the weighted means (dense ``X`` only) and ``y`` is centred
    and divided by ``max |y - mean|`` so that HiGHS's absolute tolerances are
    relative to the scale of ``y``; ``intercept_ = y_offset - X_offset @
    coef_``.

    Fallback: when ``n_samples > n_features + fit_intercept``, or when HiGHS
    finds basis pursuit infeasible, the least-squares version is solved with
    residual variables ``r`` and the normal equations ``X^T W r = 0`` (and
    ``w^T r = 0``) as constraints; it coincides with basis pursuit whenever
    an interpolant exists. Sample weights only matter in this case: integer
    weights are then equivalent to repeated rows, zero weights to removed
    rows.

    If HiGHS stops early (iteration or time limit, numerical trouble), a
    :class:`~sklearn.exceptions.ConvergenceWarning` carries its message and
    ``coef_`` is its last point, or zero if it has none. Other failures
    raise a ``RuntimeError``.

    Basis pursuit [2]_ finds a sparse signal, but it fits the noise with a
    few large spurious coefficients: its excess risk decays only like
    ``sigma^2 / log(d / n)`` [3]_, far above the rate of the Lasso [4]_.

    References
    ----------
    .. [1] Q. Huangfu and J. A. J. Hall, "Parallelizing the dual revised
       simplex method", Mathematical Programming Computation 10, 2018.
    .. [2] S. S. Chen, D. L. Donoho and M. A. Saunders, "Atomic decomposition
       by basis pursuit", SIAM Journal on Scientific Computing 20(1), 1998.
    .. [3] G. Wang, K. Donhauser and F. Yang, "Tight bounds for minimum
       l1-norm interpolation of noisy data", AISTATS 2022.
       https://arxiv.org/abs/2111.05987
    .. [4] J. Zhou and R. Ge, "Implicit Regularization Leads to Benign
       Overfitting for Sparse Linear Regression", ICML 2023.
       https://arxiv.org/abs/2302.00257

    Examples
    --------
    >>> import numpy as np
    >>> from sk_implicit import MinL1Interpolator
    >>> from sk_implicit.datasets import make_sparse_regression
    >>> X, y, coef = make_sparse_regression(40, 200, 3, noise=0.0, random_state=0)
    >>> model = MinL1Interpolator().fit(X, y)
    >>> bool(np.allclose(model.predict(X), y))
    True
    >>> bool(np.allclose(model.coef_, coef))  # noiseless: exact recovery
    True
    """

    def __init__(self, *, fit_intercept=True, working_set=True, solver_options=None):
        self.fit_intercept = fit_intercept
        self.working_set = working_set
        self.solver_options = solver_options

    def _check_params(self):
        for name in ("fit_intercept", "working_set"):
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{name} must be a bool, got {value!r}.")
        if self.solver_options is not None and not isinstance(
            self.solver_options, dict
        ):
            raise ValueError(
                "solver_options must be None or a dict, got "
                f"{type(self.solver_options).__name__}."
            )

    def fit(self, X, y, sample_weight=None):
        """Fit the minimum-l1-norm interpolator.

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
        self._check_params()
        data = self._validate_and_centre(X, y, sample_weight)
        options = dict(self.solver_options or {})
        deadline = None
        if options.get("time_limit") is not None:
            deadline = time.perf_counter() + float(options.pop("time_limit"))
        fit_intercept = bool(self.fit_intercept)
        n, d = data.X.shape

        y64 = data.y.astype(np.float64)
        y_scale = np.abs(y64).max()
        self.n_iter_ = 0
        if y_scale == 0:  # b = 0 interpolates
            coef, nu = np.zeros(d), np.zeros(n)
        else:
            y64 /= y_scale
            coef, nu = self._solve(data, y64, fit_intercept, options, deadline)
            coef *= y_scale

        self.dual_coef_ = nu
        if sample_weight is not None:
            keep = np.asarray(sample_weight) > 0  # validated above
            if keep.ndim == 1 and not np.all(keep):
                self.dual_coef_ = np.zeros(keep.shape[0])
                self.dual_coef_[keep] = nu
        self._set_intercept(coef, data)
        return self

    def _solve(self, data, y, fit_intercept, options, deadline):
        """Run the LPs; set ``n_iter_``; return ``(coef, nu)`` (unit scale)."""
        X = data.X
        n, d = X.shape
        A = _csc(X)
        res = None
        if n <= d + fit_intercept:
            if self.working_set and d > _WORKING_SET_MIN_RATIO * n:
                Xr = sp.csr_array(X) if sp.issparse(X) else X
                coef, nu, status, message, nit = _solve_bp_working_set(
                    Xr, A, y, fit_intercept, options, deadline
                )
            else:
                coef, nu, res = _solve_bp(A, y, fit_intercept, options, deadline)
                status, message, nit = res.status, res.message, res.nit
            self.n_iter_ += nit
            if status != 2:
                return self._check_result(coef, nu, status, message, d, n)
        coef, nu, res = _solve_l1_least_squares(
            A, y, data.sample_weight, fit_intercept, options, deadline
        )
        self.n_iter_ += res.nit
        return self._check_result(coef, nu, res.status, res.message, d, n)

    @staticmethod
    def _check_result(coef, nu, status, message, d, n):
        """Map HiGHS's status to a warning or an error."""
        if status == 0:
            return coef, nu
        if status in (1, 4):  # iteration/time limit, numerical difficulties
            usable = coef is not None
            warnings.warn(
                "HiGHS did not solve the linear program of MinL1Interpolator "
                f"(status {status}): {message} "
                + (
                    "coef_ is its last point."
                    if usable
                    else "It returned no solution; coef_ is set to zero."
                ),
                ConvergenceWarning,
            )
            if usable:
                return coef, (nu if nu is not None else np.zeros(n))
            return np.zeros(d), np.zeros(n)
        raise RuntimeError(
            f"HiGHS failed on the linear program of MinL1Interpolator "
            f"(status {status}): {message}"
        )
