"""Exact answers of MinL1Interpolator: LP optimality, certified by duality."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso

from sk_implicit._min_l1 import MinL1Interpolator
from sk_implicit._min_l2 import MinL2Interpolator
from sk_implicit._validation import InvalidParameterError
from sk_implicit.datasets import make_sparse_regression

# HiGHS certifies its solutions to its primal/dual feasibility tolerances
# (1e-7, on the problem scaled by max|y - mean|); the solution itself is a
# basic one, computed by an LU solve, accurate to ~1e-12 on these
# well-conditioned Gaussian designs. 1e-6 leaves a margin over 1e-7.
TOL = 1e-6


def _data(n=30, d=200, noise=0.5, seed=0):
    X, y, coef = make_sparse_regression(n, d, 4, noise=noise, random_state=seed)
    return X, y + 0.7, coef  # a non-zero intercept


def _l1(coef):
    return np.abs(coef).sum()


@pytest.mark.parametrize("working_set", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_interpolates_with_dual_certificate(fit_intercept, sparse, working_set):
    X, y, _ = _data()
    model = MinL1Interpolator(fit_intercept=fit_intercept, working_set=working_set)
    model.fit(sp.csr_array(X) if sparse else X, y)
    b, nu = model.coef_, model.dual_coef_
    # Primal feasibility: it interpolates.
    assert_allclose(model.predict(X), y, atol=1e-9)
    # Dual feasibility: ||X^T nu||_inf <= 1 (and 1^T nu = 0 with a free b0).
    g = X.T @ nu
    assert np.abs(g).max() <= 1 + TOL
    if fit_intercept:
        assert abs(nu.sum()) <= TOL
    # Complementary slackness: X^T nu = sign(b) on the support of b.
    support = np.abs(b) > 1e-8
    assert support.sum() <= X.shape[0]  # a basic solution
    assert_allclose(g[support], np.sign(b[support]), atol=TOL)
    # Strong duality: y^T nu = ||b||_1 (nu is that of y scaled by
    # max|y_c|; the scale cancels). Equal primal and dual objectives with
    # both feasible prove that b is optimal (weak duality).
    y_c = y - y.mean() if fit_intercept else y
    assert_allclose(y_c @ nu, _l1(b), rtol=TOL)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_matches_independent_lp(fit_intercept):
    # min 1^T t  s.t.  -t <= b <= t,  X b + b0 = y: another LP, by the
    # interior-point method, on dense matrices.
    X, y, _ = _data(n=25, d=120, seed=1)
    n, d = X.shape
    k = int(fit_intercept)
    c = np.concatenate([np.zeros(d + k), np.ones(d)])
    eye = np.eye(d)
    A_ub = np.block([[eye, np.zeros((d, k)), -eye], [-eye, np.zeros((d, k)), -eye]])
    A_eq = np.hstack([X, np.ones((n, k)), np.zeros((n, d))])
    res = linprog(
        c,
        A_ub=A_ub,
        b_ub=np.zeros(2 * d),
        A_eq=A_eq,
        b_eq=y,
        bounds=(None, None),
        method="highs-ipm",
    )
    assert res.status == 0
    model = MinL1Interpolator(fit_intercept=fit_intercept).fit(X, y)
    assert_allclose(_l1(model.coef_), res.fun, rtol=1e-7)
    # The minimiser is unique for a Gaussian design (with probability one).
    assert_allclose(model.coef_, res.x[:d], atol=1e-6)


def test_working_set_equals_full_lp():
    X, y, _ = _data(n=40, d=1500, seed=2)
    full = MinL1Interpolator(working_set=False).fit(X, y)
    fast = MinL1Interpolator(working_set=True).fit(X, y)
    assert_allclose(fast.coef_, full.coef_, atol=1e-8)
    assert_allclose(fast.intercept_, full.intercept_, atol=1e-8)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_l1_norm_below_other_interpolators(fit_intercept):
    X, y, _ = _data(n=40, d=300, seed=3)
    l1 = _l1(MinL1Interpolator(fit_intercept=fit_intercept).fit(X, y).coef_)
    l2_model = MinL2Interpolator(fit_intercept=fit_intercept).fit(X, y)
    assert l1 <= _l1(l2_model.coef_)
    for alpha in [0.01, 0.05, 0.2]:
        # Lasso + the minimum-l2 interpolator of its residual: an interpolant.
        lasso = Lasso(alpha=alpha, fit_intercept=fit_intercept).fit(X, y)
        fix = MinL2Interpolator(fit_intercept=fit_intercept)
        fix.fit(X, y - lasso.predict(X))
        hybrid = lasso.coef_ + fix.coef_
        assert_allclose(X @ hybrid + lasso.intercept_ + fix.intercept_, y, atol=1e-9)
        assert l1 <= _l1(hybrid) * (1 + TOL)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("n, d", [(30, 200), (60, 20)])
def test_sparse_equals_dense(n, d, fit_intercept):
    X, y, _ = _data(n=n, d=d, seed=4)
    X[np.abs(X) < 0.1] = 0.0  # some structural zeros
    dense = MinL1Interpolator(fit_intercept=fit_intercept).fit(X, y)
    for fmt in (sp.csr_array, sp.csc_matrix):
        sparse = MinL1Interpolator(fit_intercept=fit_intercept).fit(fmt(X), y)
        assert_allclose(sparse.coef_, dense.coef_, atol=1e-9)
        assert_allclose(sparse.intercept_, dense.intercept_, atol=1e-9)


def test_noiseless_recovery():
    X, y, coef = make_sparse_regression(60, 400, 5, noise=0.0, random_state=5)
    model = MinL1Interpolator().fit(X, y)
    assert_allclose(model.coef_, coef, atol=1e-8)
    assert abs(model.intercept_) < 1e-8


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_tall_is_weighted_least_squares(fit_intercept, sparse):
    # Full column rank: the least-squares solution is unique.
    X, y, _ = _data(n=60, d=15, seed=6)
    w = np.random.RandomState(0).uniform(0.2, 3.0, size=60)
    model = MinL1Interpolator(fit_intercept=fit_intercept)
    model.fit(sp.csr_array(X) if sparse else X, y, sample_weight=w)
    A = np.hstack([X, np.ones((60, 1))]) if fit_intercept else X
    sw = np.sqrt(w)
    theta = np.linalg.lstsq(sw[:, None] * A, sw * y, rcond=None)[0]
    assert_allclose(model.coef_, theta[:15], rtol=1e-7, atol=1e-9)
    if fit_intercept:
        assert_allclose(model.intercept_, theta[15], rtol=1e-7)
    assert np.abs(X.T @ model.dual_coef_).max() <= 1 + TOL


def test_integer_weights_are_repeated_rows():
    X, y, _ = _data(n=50, d=20, seed=7)
    w = np.random.RandomState(1).randint(0, 4, size=50)
    weighted = MinL1Interpolator().fit(X, y, sample_weight=w)
    repeated = MinL1Interpolator().fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-8, atol=1e-10)
    assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-8)
    assert weighted.dual_coef_.shape == (50,)
    assert np.all(weighted.dual_coef_[w == 0] == 0)


def test_infeasible_basis_pursuit_falls_back_to_least_squares():
    # Two identical rows with different targets: no interpolant exists.
    X, y, _ = _data(n=20, d=100, seed=8)
    X[1] = X[0]
    y[1] = y[0] + 1.0
    model = MinL1Interpolator().fit(X, y)
    r = y - model.predict(X)
    assert_allclose(r[:2], [-0.5, 0.5], atol=1e-8)  # the pair's mean is fitted
    assert_allclose(r[2:], 0.0, atol=1e-8)
    assert np.abs(X.T @ model.dual_coef_).max() <= 1 + TOL


def test_constant_target():
    X, _, _ = _data(n=10, d=30)
    model = MinL1Interpolator().fit(X, np.full(10, 3.0))
    assert_allclose(model.coef_, 0.0)
    assert_allclose(model.intercept_, 3.0)


@pytest.mark.parametrize("sparse", [False, True])
def test_float32_in_float32_out(sparse):
    X, y, _ = _data(n=20, d=60, seed=9)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    model = MinL1Interpolator().fit(sp.csr_array(X32) if sparse else X32, y32)
    assert model.coef_.dtype == np.float32
    assert np.asarray(model.intercept_).dtype == np.float32
    assert model.predict(X32).dtype == np.float32
    assert_allclose(model.predict(X32), y32, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("working_set", [True, False])
@pytest.mark.parametrize(
    "options, match",
    [({"maxiter": 1}, "Iteration limit"), ({"time_limit": 0.0}, "Time limit")],
)
def test_convergence_warning(options, match, working_set):
    X, y, _ = _data()
    model = MinL1Interpolator(solver_options=options, working_set=working_set)
    with pytest.warns(ConvergenceWarning, match=match):
        model.fit(X, y)
    assert not model.converged_
    assert model.coef_.shape == (X.shape[1],)
    assert np.all(np.isfinite(model.coef_))


def test_solver_options_passed_through():
    X, y, _ = _data()
    default = MinL1Interpolator().fit(X, y)
    presolved = MinL1Interpolator(solver_options={"presolve": True}).fit(X, y)
    assert_allclose(presolved.coef_, default.coef_, atol=1e-9)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"solver_options": "fast"}, "'solver_options' parameter"),
        ({"fit_intercept": 1}, "'fit_intercept' parameter"),
        ({"fit_intercept": "no"}, "'fit_intercept' parameter"),
        ({"working_set": None}, "'working_set' parameter"),
    ],
)
def test_bad_parameters(params, match):
    X, y, _ = _data(n=10, d=20)
    with pytest.raises(InvalidParameterError, match=match):
        MinL1Interpolator(**params).fit(X, y)


def test_bad_sample_weight():
    X, y, _ = _data(n=10, d=20)
    with pytest.raises(ValueError, match="Negative"):
        MinL1Interpolator().fit(X, y, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match="sample_weight.shape"):
        MinL1Interpolator().fit(X, y, sample_weight=np.ones(3))


def test_rotated_program_equals_basis_pursuit():
    # The rotated LP (dense fallback, and the least-squares program of dense
    # X) has the same solution and dual as basis pursuit on the rows of X.
    from sk_implicit._base import centre_data, scale_data
    from sk_implicit._min_l1 import _solve_l1_preconditioned

    X, y, _ = _data(n=30, d=200, seed=10)
    model = MinL1Interpolator().fit(X, y)
    scaled, x_exp, y_exp = scale_data(centre_data(X, y, None, True), fit_intercept=True)
    eps = np.finfo(np.float64).eps
    for working_set in (True, False):
        coef, nu, status, _, _ = _solve_l1_preconditioned(
            scaled, True, eps, working_set, {}, None
        )
        assert status == 0
        assert_allclose(np.ldexp(coef, y_exp - x_exp), model.coef_, atol=1e-9)
        assert_allclose(np.ldexp(nu, -x_exp), model.dual_coef_, atol=1e-7)


@pytest.mark.parametrize("sparse", [False, True])
def test_lp_failure_returns_min_l2_with_warning(monkeypatch, sparse):
    # HiGHS failing on every program (faked) never raises: the minimum-l2
    # solution is returned, with a warning and converged_ = False.
    from scipy.optimize import OptimizeResult

    def failing_linprog(*args, **kwargs):
        return OptimizeResult(x=None, status=4, message="Faked trouble.", nit=0)

    monkeypatch.setattr("sk_implicit._min_l1._linprog", failing_linprog)
    X, y, _ = _data(n=20, d=60, seed=11)
    model = MinL1Interpolator()
    with pytest.warns(ConvergenceWarning, match="Faked trouble.*minimum-l2-norm"):
        model.fit(sp.csr_array(X) if sparse else X, y)
    assert not model.converged_
    assert_allclose(model.coef_, MinL2Interpolator().fit(X, y).coef_, atol=1e-10)
    assert np.all(model.dual_coef_ == 0)


# --- Defects of issue 11 (reproducers from rng = RandomState(0)) -------------


def _issue_data():
    rng = np.random.RandomState(0)
    return rng.randn(20, 100), rng.randn(20)


def _assert_scaled(coef, reference, factor, rtol):
    """``coef == factor * reference``, relative to the largest coefficient."""
    atol = rtol * np.abs(reference).max()
    assert_allclose(np.asarray(coef) / factor, reference, rtol=rtol, atol=atol)


# The LP's solution is a basic one, computed by an LU solve of the same basis
# at every scale (the internal scaling is by powers of two); decimal factors
# round each entry by 1e-16 on well-conditioned Gaussian designs: 1e-9 is a
# wide margin.
SCALE_RTOL = 1e-9


def test_defect4_min_l1_tiny_scale():
    # Was: coef_ = 0, relative error 1.0, no warning (HiGHS dropped the
    # matrix entries below 1e-9).
    X, y = _issue_data()
    reference = MinL1Interpolator().fit(X, y)
    model = MinL1Interpolator().fit(X * 1e-10, y)
    assert model.converged_
    _assert_scaled(model.coef_, reference.coef_, 1e10, SCALE_RTOL)
    # The dual of a X is the dual of X divided by a.
    _assert_scaled(model.dual_coef_, reference.dual_coef_, 1e10, SCALE_RTOL)
    assert_allclose(model.predict(X * 1e-10), y, atol=1e-9)


@pytest.mark.parametrize("scale", [1e15, 1e16, 1e150])
def test_defect6_min_l1_huge_entries(scale):
    # Was: RuntimeError (HiGHS Status 2: Model error) for entries >= 1e15.
    X, y = _issue_data()
    reference = MinL1Interpolator().fit(X, y)
    model = MinL1Interpolator().fit(X * scale, y)
    assert model.converged_
    _assert_scaled(model.coef_, reference.coef_, 1 / scale, SCALE_RTOL)


def _ill_conditioned(seed, n=20, cond=1e12):
    """The issue's designs: n x n, singular values from 1 to 1 / cond."""
    rng = np.random.RandomState(seed)
    U, _ = np.linalg.qr(rng.randn(n, n))
    V, _ = np.linalg.qr(rng.randn(n, n))
    return (U * np.logspace(0, -np.log10(cond), n)) @ V.T, rng.randn(n)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_defect7_min_l1_ill_conditioned(fit_intercept):
    # Was: RuntimeError "The problem is infeasible" on 25 of 120 such fits:
    # the interpolants have coefficients ~1e12 |y| / |X|, and the residual
    # accuracy that needs is beyond HiGHS's absolute tolerances on the rows
    # of X. Seeds 0, 5, 8, 13 failed, seeds 7 and 12 also need the refinement
    # of the rotated program.
    for seed in range(14):
        X, y = _ill_conditioned(seed)
        model = MinL1Interpolator(fit_intercept=fit_intercept).fit(X, y)
        assert model.converged_
        y_c = y - y.mean() if fit_intercept else y
        X_c = X - X.mean(axis=0) if fit_intercept else X
        r = y - model.predict(X)
        assert np.mean(r**2) <= 1e-6 * np.mean(y_c**2)
        # Optimality certified by duality: |X_c^T nu| <= 1 + delta and
        # y_c^T nu = ||b||_1 (1 + delta) give ||b||_1 <= (1 + 2 delta) times
        # the least l1 norm of an interpolant. nu is of size 1 / s_min, so
        # these hold to eps |X| |nu| (2e-4 measured); delta = 1e-3.
        nu = model.dual_coef_
        assert np.abs(X_c.T @ nu).max() <= 1 + 1e-3
        assert_allclose(y_c @ nu, _l1(model.coef_), rtol=1e-3)
        if fit_intercept:
            assert abs(nu.sum()) <= 1e-9 * np.abs(nu).sum()
        l2 = MinL2Interpolator(fit_intercept=fit_intercept).fit(X, y)
        assert _l1(model.coef_) <= _l1(l2.coef_) * (1 + 1e-9)


def test_defect7_sparse_ill_conditioned_is_reported():
    # Sparse X is never densified, so the rotated program (an SVD) is not
    # available: HiGHS's failure is reported, and coef_ is the minimum-l2
    # solution of the sparse route (LSMR, which does not converge at
    # condition number 1e12 either, and says so). Never a RuntimeError.
    X, y = _ill_conditioned(0)
    model = MinL1Interpolator()
    with pytest.warns(ConvergenceWarning, match="minimum-l2-norm solution instead"):
        model.fit(sp.csr_array(X), y)
    assert not model.converged_
    with pytest.warns(ConvergenceWarning, match="does not interpolate"):
        l2 = MinL2Interpolator().fit(sp.csr_array(X), y)
    assert_allclose(model.coef_, l2.coef_)
    assert np.all(model.dual_coef_ == 0)


@pytest.mark.parametrize("n, d", [(20, 100), (60, 20)])
def test_defect12_converged_attribute(n, d):
    X, y, _ = _data(n=n, d=d, seed=12)
    assert MinL1Interpolator().fit(X, y).converged_ is True
