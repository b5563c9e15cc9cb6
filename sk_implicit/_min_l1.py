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
squares solutions. For dense ``X``, basis pursuit on the rows rotated by the
SVD ``W^1/2 X_c = U S V^T`` (:func:`_solve_l1_preconditioned`)::

    min ||b||_1   s.t.   V_r^T b = S_r^-1 U_r^T W^1/2 y_c     (r = rank rows)

whose feasible set is exactly the set of least-squares solutions, with
orthonormal rows. It is also the fallback when HiGHS fails on basis pursuit
with an interpolant in reach: on ill-conditioned designs the rows of ``X``
ask for a residual accuracy beyond HiGHS's absolute tolerances (the
coefficients are much larger than ``|y| / |X|``), the rotated rows do not.
For sparse ``X`` (never densified), with residuals ``r`` and weights
``W = diag(w)``::

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

Every LP is solved on a copy of the data divided by powers of two (unit
``max |X|``, ``max |y|`` and ``max w``): HiGHS drops matrix entries below
1e-9, rejects entries above 1e15 and has absolute tolerances. The answer is
checked (:func:`~sk_implicit._base.fit_outcome`); if HiGHS fails, or returns a
point that neither interpolates nor reaches the least-squares MSE, the next
program is tried, and last the minimum-l2 solution is returned with a
:class:`~sklearn.exceptions.ConvergenceWarning`.
"""

import time

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.optimize import linprog

from ._base import (
    INTERPOLATION_TOL,
    BaseInterpolator,
    _max_abs,
    fit_outcome,
    pow2_exponent,
    scale_data,
)
from ._min_l2 import least_squares_relative_mse, solve_min_l2
from ._validation import _fit_context

# Column generation is used when n_features > _WORKING_SET_MIN_RATIO * n_samples.
_WORKING_SET_MIN_RATIO = 4
# Give up on column generation (and solve the full LP) after this many rounds.
_WORKING_SET_MAX_ROUNDS = 50
# HiGHS's default dual feasibility tolerance, used to certify optimality.
_DEFAULT_DUAL_TOL = 1e-7


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


def _refine(M, c, coef):
    """Make ``M coef = c`` hold to rounding, for ``M`` with orthonormal rows.

    HiGHS meets the constraints to an absolute 1e-7, but the rows of ``M``
    were scaled by the inverse singular values of ``X``: an error of 1e-7
    there is an error of up to ``1e-7 s_max / s_min`` relative in the fit.
    The correction is made on the support of ``coef`` (least squares on its
    columns, which keeps the solution basic) when that is a small change, and
    the remainder by the minimum-norm correction ``M^T (c - M coef)``.
    """
    support = np.flatnonzero(coef)
    if support.size:
        delta = scipy.linalg.lstsq(M[:, support], c - M @ coef, check_finite=False)[0]
        if np.abs(delta).sum() <= 1e-6 * np.abs(coef).sum():
            coef = coef.copy()
            coef[support] += delta
    return coef + M.T @ (c - M @ coef)


def _solve_l1_preconditioned(data, fit_intercept, eps, working_set, options, deadline):
    """Minimum-l1 coefficients among the least-squares solutions, rows rotated.

    ``data`` is dense, float64, centred and scaled (:func:`scale_data`). With
    the thin SVD ``W^1/2 X_c = U S V^T``, the weighted least-squares
    solutions (the interpolants, when there are any) are exactly the ``b``
    with ``V_r^T b = c``, ``c = S_r^-1 U_r^T W^1/2 y_c``, where ``r`` counts
    the singular values above ``max(n, d) * eps * s_max`` (the cutoff of
    :class:`MinL2Interpolator`'s "svd" solver). Basis pursuit on these rows::

        min ||b||_1   s.t.   V_r^T b = c

    is always feasible and its matrix has orthonormal rows, whereas the rows
    of ``X`` of an ill-conditioned design ask HiGHS for a residual accuracy
    beyond its absolute tolerances (the coefficients are much larger than
    ``|y| / |X|``): there it reports infeasibility. It is solved like basis
    pursuit (column generation when ``working_set`` and ``d > 4 r``).

    Its dual ``lambda`` satisfies ``||V_r lambda||_inf <= 1``; ``nu = W^1/2
    U_r S_r^-1 lambda`` then satisfies ``X_c^T nu = V_r lambda``: the dual
    certificate of the other two programs. Returns ``(coef, nu, status,
    message, n_iter)`` as :func:`_solve_bp_working_set`.
    """
    n, d = data.X.shape
    A, b = data.X.copy(), data.y.copy()
    sqrt_w = None
    if data.sample_weight is not None:
        sqrt_w = np.sqrt(data.sample_weight)
        A *= sqrt_w[:, None]
        b *= sqrt_w
    U, s, Vt = scipy.linalg.svd(A, full_matrices=False, check_finite=False)
    rank = int(np.count_nonzero(s > max(n, d) * eps * s[0])) if s.size else 0
    if rank == 0:
        return np.zeros(d), np.zeros(n), 0, "X_c = 0", 0
    U, s, M = U[:, :rank], s[:rank], Vt[:rank]
    c = (U.T @ b) / s
    c_exp = pow2_exponent(_max_abs(c))
    c = np.ldexp(c, -c_exp)
    A_csc = _csc(M)
    if working_set and d > _WORKING_SET_MIN_RATIO * rank:
        coef, lam, status, message, nit = _solve_bp_working_set(
            M, A_csc, c, False, options, deadline
        )
    else:
        coef, lam, res = _solve_bp(A_csc, c, False, options, deadline)
        status, message, nit = res.status, res.message, res.nit
    if coef is None:
        return None, None, status, message, nit
    coef = _refine(M, c, coef)
    nu = U @ (lam / s)
    if sqrt_w is not None:
        nu *= sqrt_w
    if fit_intercept:
        # 1^T nu = 0 holds in exact arithmetic (nu is in W range(X_c), which
        # is orthogonal to 1 since w^T X_c = 0); enforce it along w, which
        # X_c^T maps to zero, so that X^T nu = X_c^T nu.
        w = np.ones(n) if sqrt_w is None else sqrt_w**2
        nu -= w * (nu.sum() / w.sum())
    return np.ldexp(coef, c_exp), nu, status, message, nit


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
        constant, or when the linear programs failed (see Notes). On an
        ill-conditioned design ``nu`` is large and these identities hold only
        to about ``eps ||X|| ||nu||``.
    n_iter_ : int
        Number of simplex (or interior-point) iterations of HiGHS, summed
        over the linear programs solved.
    converged_ : bool
        True when the linear program was solved and the model interpolates
        the training data (relative training MSE at most 1e-6, see Notes) or,
        where no interpolant exists, is a least-squares solution. False, with
        a :class:`~sklearn.exceptions.ConvergenceWarning`, otherwise.
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
    centred by the weighted means (dense ``X`` only) and ``y`` is centred;
    ``intercept_ = y_offset - X_offset @ coef_``.

    Scale: the linear programs are solved on a copy of the data divided by
    powers of two (``max |X_c|``, ``max |y_c|``, ``max w``), so that HiGHS's
    absolute tolerances are relative to the data and ``coef_`` is
    equivariant to the scale of ``X`` and ``y``: ``coef(a X, b y) = (b / a)
    coef(X, y)``, exactly for powers of two (tested from 1e-150 to 1e150 in
    float64, 1e-18 to 1e18 in float32). HiGHS treats entries below
    ``1e-9 max |X|`` as zero. A ``ValueError`` is raised if the coefficients
    overflow the dtype of ``X``.

    Least squares: when ``n_samples > n_features + fit_intercept``, or when
    HiGHS finds basis pursuit infeasible, the coefficients of minimum l1 norm
    among the weighted least-squares solutions are computed: by basis
    pursuit on the rows of ``X`` rotated by its SVD (dense ``X``), or with
    residual variables ``r`` and the normal equations ``X^T W r = 0`` (and
    ``w^T r = 0``) as constraints (sparse ``X``). Both coincide with basis
    pursuit whenever an interpolant exists. Sample weights only matter in
    this case: integer weights are then equivalent to repeated rows, zero
    weights to removed rows.

    Outcome: the model is checked on its training data. It interpolates when
    its relative training MSE, ``sum(w r^2) / sum(w y_c^2)`` with the
    residual ``r`` and the weights ``w`` (ones by default), is at most 1e-6:
    the tolerance applies to the *weighted* error. Otherwise its relative
    training MSE must be within 1e-6 of that of the least-squares solution
    (computed by :class:`MinL2Interpolator`'s method). If HiGHS stops at
    ``maxiter`` or ``time_limit``, ``coef_`` is its last point (zero if it
    has none). If it fails otherwise (ill-conditioned designs, where the
    coefficients are much larger than ``|y| / |X|``), the rotated program is
    tried (dense ``X``), and last the minimum-l2-norm solution is returned
    (not of minimum l1 norm; ``dual_coef_`` is then zero). In these cases, or
    when the model neither interpolates nor is a least-squares solution,
    ``converged_`` is False and a
    :class:`~sklearn.exceptions.ConvergenceWarning` says what happened.

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

    _parameter_constraints: dict = {
        "fit_intercept": ["boolean"],
        "working_set": ["boolean"],
        "solver_options": [dict, None],
    }

    def __init__(self, *, fit_intercept=True, working_set=True, solver_options=None):
        self.fit_intercept = fit_intercept
        self.working_set = working_set
        self.solver_options = solver_options

    @_fit_context(prefer_skip_nested_validation=True)
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
        data = self._validate_and_centre(X, y, sample_weight)
        options = dict(self.solver_options or {})
        deadline = None
        if options.get("time_limit") is not None:
            deadline = time.perf_counter() + float(options.pop("time_limit"))
        n, d = data.X.shape
        self.n_iter_ = 0
        # The LPs are solved on data of unit size (X, y and the weights divided
        # by powers of two): HiGHS drops matrix entries below 1e-9, rejects
        # entries above 1e15, and its tolerances are absolute.
        scaled, x_exp, y_exp = scale_data(data, fit_intercept=self.fit_intercept)
        reference = {}  # the least relative MSE, computed once if needed
        # The rotated LP's rank cutoff: float32 data are known to float32 only.
        eps = np.finfo(data.X.dtype).eps
        what_to_try = (
            "The design is too ill-conditioned for the linear program; "
            "standardise or decorrelate the features."
        )
        failure = None
        if _max_abs(scaled.y) == 0:  # b = 0 interpolates
            coef, nu = np.zeros(d), np.zeros(n)
            outcome = self._outcome(data, coef, reference)
        else:
            wide = n <= d + self.fit_intercept
            programs = ["basis_pursuit"] if wide else []
            programs.append("least_squares" if sp.issparse(data.X) else "rotated")
            for program in programs:
                coef, nu, status, message = self._solve(
                    program, scaled, options, deadline, eps
                )
                if coef is not None:
                    coef = np.ldexp(coef, y_exp - x_exp)
                    nu = np.ldexp(nu, -x_exp)  # the dual of X, not of X / 2**x_exp
                if status == 1:  # iteration or time limit: the user's choice
                    failure = (
                        "HiGHS stopped before solving the linear program "
                        f"(status 1): {message} "
                        + (
                            "coef_ is its last point."
                            if coef is not None
                            else "It returned no point; coef_ is zero."
                        )
                    )
                    what_to_try = (
                        "Increase 'maxiter' or 'time_limit' in solver_options."
                    )
                    if coef is None:
                        coef, nu = np.zeros(d), np.zeros(n)
                    outcome = self._outcome(data, coef, reference)
                    break
                if status == 0:
                    outcome = self._outcome(data, coef, reference)
                    if outcome.status != "not_converged":
                        failure = None
                        break
                    failure = (
                        f"The solution of the {program} linear program does not "
                        "meet its constraints once unscaled."
                    )
                elif status == 2 and program == "basis_pursuit":
                    failure = None  # no interpolant (or numerics): next program
                else:
                    failure = (
                        f"HiGHS failed on the {program} linear program "
                        f"(status {status}): {message}"
                    )
            else:  # no program succeeded (ill-conditioned design)
                coef, _ = solve_min_l2(data, fit_intercept=self.fit_intercept)
                nu = np.zeros(n)
                outcome = self._outcome(data, coef, reference)
                failure = (failure or "") + (
                    " coef_ is the minimum-l2-norm solution instead, which is not "
                    "of minimum l1 norm; dual_coef_ is zero."
                )

        self.dual_coef_ = nu
        if data.kept_rows is not None:
            self.dual_coef_ = np.zeros(data.kept_rows.shape[0])
            self.dual_coef_[data.kept_rows] = nu
        self._set_intercept(coef, data)
        self._check_representable(data)
        self._report_outcome(outcome, what_to_try=what_to_try, solver_failure=failure)
        return self

    def _outcome(self, data, coef, reference):
        """:func:`fit_outcome`, against the least MSE if it does not interpolate.

        A linear program meets its constraints to an absolute tolerance, so
        the normal-equation test is not enough on ill-conditioned designs: a
        point that is not a least-squares solution is recognised by comparing
        its training MSE with that of the minimum-l2 solution (computed once,
        in ``reference``, only for a point that does not interpolate).
        """
        outcome = fit_outcome(data, coef, tol=INTERPOLATION_TOL)
        if outcome.status == "interpolated":
            return outcome
        if "mse" not in reference:
            reference["mse"] = least_squares_relative_mse(
                data, fit_intercept=self.fit_intercept
            )
        return fit_outcome(
            data, coef, tol=INTERPOLATION_TOL, min_relative_mse=reference["mse"]
        )

    def _solve(self, program, data, options, deadline, eps):
        """Solve one of the linear programs on scaled data; add to ``n_iter_``.

        ``program`` is "basis_pursuit", "least_squares" (the residual LP of
        the module docstring) or "rotated" (:func:`_solve_l1_preconditioned`,
        dense ``X`` only, with singular values below ``max(n, d) * eps *
        s_max`` treated as zero). Returns ``(coef, nu, status, message)``; ``coef``
        and ``nu`` are ``None`` if HiGHS returned no point.
        """
        X, y = data.X, data.y
        fit_intercept = bool(self.fit_intercept)
        n, d = X.shape
        if program == "rotated":
            coef, nu, status, message, nit = _solve_l1_preconditioned(
                data, fit_intercept, eps, self.working_set, options, deadline
            )
        elif program == "basis_pursuit":
            A = _csc(X)
            if self.working_set and d > _WORKING_SET_MIN_RATIO * n:
                coef, nu, status, message, nit = _solve_bp_working_set(
                    X, A, y, fit_intercept, options, deadline
                )
            else:
                coef, nu, res = _solve_bp(A, y, fit_intercept, options, deadline)
                status, message, nit = res.status, res.message, res.nit
        else:
            coef, nu, res = _solve_l1_least_squares(
                _csc(X), y, data.sample_weight, fit_intercept, options, deadline
            )
            status, message, nit = res.status, res.message, res.nit
        self.n_iter_ += nit
        if coef is not None and nu is None:
            nu = np.zeros(n)
        return coef, nu, status, message
