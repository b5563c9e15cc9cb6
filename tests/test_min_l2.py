"""Exact answers of MinL2Interpolator: it is ``pinv`` of the centred data."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sk_implicit._min_l2 import MinL2Interpolator
from sk_implicit._validation import InvalidParameterError

SOLVERS = ["auto", "gram", "svd", "lsmr"]


def _svd_data(n, d, rank=None, seed=0):
    """``X = U diag(s) V^T`` with known singular values (some zero if rank)."""
    rng = np.random.RandomState(seed)
    k = min(n, d)
    U, _ = np.linalg.qr(rng.randn(n, k))
    V, _ = np.linalg.qr(rng.randn(d, k))
    s = np.linspace(1.0, 10.0, k)
    if rank is not None:
        s[rank:] = 0.0
    X = (U * s) @ V.T
    y = rng.randn(n)
    return X, y


def _reference(X, y, fit_intercept, sample_weight=None):
    """Explicit ``pinv(W^1/2 X_c) W^1/2 y_c`` and its intercept."""
    w = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    if fit_intercept:
        x_mean, y_mean = w @ X / w.sum(), w @ y / w.sum()
    else:
        x_mean, y_mean = np.zeros(X.shape[1]), 0.0
    sw = np.sqrt(w)
    coef = np.linalg.pinv(sw[:, None] * (X - x_mean)) @ (sw * (y - y_mean))
    return coef, y_mean - x_mean @ coef


def _fit_params(solver, sparse):
    return dict(solver=solver)


# Every solver on dense X, all but "svd" on sparse X ("svd" rejects it: see
# the test of bad solver/input pairs).
SOLVER_INPUTS = [
    (solver, sparse)
    for solver in SOLVERS
    for sparse in (False, True)
    if not (solver == "svd" and sparse)
]


@pytest.mark.parametrize("solver, sparse", SOLVER_INPUTS)
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize(
    "n, d, rank", [(20, 60, None), (60, 20, None), (20, 60, 12), (60, 20, 12)]
)
def test_equals_pinv(n, d, rank, fit_intercept, solver, sparse):
    X, y = _svd_data(n, d, rank)
    model = MinL2Interpolator(
        fit_intercept=fit_intercept, **_fit_params(solver, sparse)
    )
    model.fit(sp.csr_array(X) if sparse else X, y)
    coef, intercept = _reference(X, y, fit_intercept)
    # The conditioning of the problems is <= 10 (or rank-deficient with a
    # clear gap): all routes agree with pinv to ~1e-12; LSMR stops at 1e-12.
    assert_allclose(model.coef_, coef, rtol=1e-9, atol=1e-10)
    assert_allclose(model.intercept_, intercept, rtol=1e-9, atol=1e-10)
    if rank is None and n < d:  # full row rank: it interpolates
        assert_allclose(model.predict(X), y, atol=1e-10)


@pytest.mark.parametrize("solver, sparse", SOLVER_INPUTS)
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("rank", [None, 10])
def test_weighted_least_squares_tall(rank, fit_intercept, solver, sparse):
    X, y = _svd_data(50, 20, rank, seed=1)
    w = np.random.RandomState(2).uniform(0.1, 3.0, size=50)
    model = MinL2Interpolator(
        fit_intercept=fit_intercept, **_fit_params(solver, sparse)
    )
    model.fit(sp.csr_array(X) if sparse else X, y, sample_weight=w)
    coef, intercept = _reference(X, y, fit_intercept, w)
    assert_allclose(model.coef_, coef, rtol=1e-9, atol=1e-10)
    assert_allclose(model.intercept_, intercept, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_integer_weights_are_repeated_rows(fit_intercept):
    X, y = _svd_data(40, 15, seed=3)
    w = np.random.RandomState(4).randint(0, 4, size=40)
    weighted = MinL2Interpolator(fit_intercept=fit_intercept).fit(X, y, w)
    repeated = MinL2Interpolator(fit_intercept=fit_intercept).fit(
        np.repeat(X, w, axis=0), np.repeat(y, w)
    )
    assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-10)
    assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-10)


@pytest.mark.parametrize("sparse", [False, True])
def test_weights_do_not_matter_when_interpolating(sparse):
    X, y = _svd_data(15, 40, seed=5)
    w = np.random.RandomState(6).uniform(0.5, 2.0, size=15)
    Xin = sp.csr_array(X) if sparse else X
    unweighted = MinL2Interpolator().fit(Xin, y)
    weighted = MinL2Interpolator().fit(Xin, y, sample_weight=w)
    assert_allclose(weighted.coef_, unweighted.coef_, rtol=1e-10)
    assert_allclose(weighted.intercept_, unweighted.intercept_, rtol=1e-10)
    # Minimum norm with a free intercept: coef is orthogonal to the
    # null space of [X, 1], i.e. coef = X^T a with sum(a) = 0.
    a, *_ = np.linalg.lstsq(X.T, weighted.coef_, rcond=None)
    assert_allclose(X.T @ a, weighted.coef_, atol=1e-10)
    assert abs(a.sum()) < 1e-10


@pytest.mark.parametrize("sparse", [False, True])
def test_gram_falls_back_when_singular(sparse):
    X, y = _svd_data(20, 60, rank=12, seed=7)
    model = MinL2Interpolator(solver="gram").fit(sp.csr_array(X) if sparse else X, y)
    assert model.solver_ == ("lsmr" if sparse else "svd")
    well_posed = MinL2Interpolator(solver="gram").fit(_svd_data(20, 60)[0], y)
    assert well_posed.solver_ == "gram"


@pytest.mark.parametrize("solver", ["gram", "svd", "lsmr"])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("n, d", [(20, 60), (60, 20)])
def test_fit_leaves_x_as_it_was(n, d, fit_intercept, solver):
    # A dense float64 X of moderate size is not copied for the solvers
    # (scale_data(share_x=True)): without an intercept they see the caller's
    # array, which the SVD (gelsd overwrites its input, weighted in place)
    # must get a copy of. A rank-deficient X sends "gram" to the SVD too.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    X[:, 0] = X[:, 1]
    X[0] = X[1]
    y = rng.standard_normal(n)
    before = X.copy()
    MinL2Interpolator(solver=solver, fit_intercept=fit_intercept).fit(
        X, y, sample_weight=rng.uniform(0.5, 2.0, n)
    )
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize("n, d", [(20, 60), (60, 20)])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_sparse_equals_dense(n, d, fit_intercept):
    X, y = _svd_data(n, d, seed=8)
    X[np.abs(X) < 0.05] = 0.0  # some structural zeros
    dense = MinL2Interpolator(fit_intercept=fit_intercept).fit(X, y)
    for fmt in (sp.csr_array, sp.csc_matrix, sp.coo_array):
        sparse = MinL2Interpolator(fit_intercept=fit_intercept).fit(fmt(X), y)
        assert_allclose(sparse.coef_, dense.coef_, rtol=1e-9, atol=1e-12)
        assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-9, atol=1e-12)
        assert_allclose(sparse.predict(fmt(X)), dense.predict(X), rtol=1e-9)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n, d", [(20, 60), (60, 20)])
def test_float32_in_float32_out(n, d, sparse):
    X, y = _svd_data(n, d, seed=9)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    model = MinL2Interpolator().fit(sp.csr_array(X32) if sparse else X32, y32)
    assert model.coef_.dtype == np.float32
    assert np.asarray(model.intercept_).dtype == np.float32
    assert model.predict(X32).dtype == np.float32
    coef, _ = _reference(X32.astype(np.float64), y32.astype(np.float64), True)
    # Solved in float64 from the float32 data: only the final cast rounds.
    assert_allclose(model.coef_, coef, rtol=1e-6, atol=1e-7)


def test_interpolates_paper_setting():
    from sk_implicit.datasets import make_sparse_regression

    X, y, _ = make_sparse_regression(50, 1000, 5, noise=0.5, random_state=0)
    model = MinL2Interpolator().fit(X, y)
    assert model.solver_ == "gram"
    assert_allclose(model.predict(X), y, atol=1e-10)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"solver": "cholesky"}, "'solver' parameter"),
        ({"fit_intercept": "yes"}, "'fit_intercept' parameter"),
        ({"fit_intercept": "no"}, "'fit_intercept' parameter"),
    ],
)
def test_bad_parameters(params, match):
    X, y = _svd_data(10, 20)
    with pytest.raises(InvalidParameterError, match=match):
        MinL2Interpolator(**params).fit(X, y)


def test_svd_rejects_sparse():
    X, y = _svd_data(10, 20)
    with pytest.raises(ValueError, match="does not support sparse"):
        MinL2Interpolator(solver="svd").fit(sp.csr_array(X), y)


def test_solve_min_l2_is_the_fit():
    # The function the other estimators call is the estimator's computation.
    from sk_implicit._min_l2 import solve_min_l2

    X, y = _svd_data(20, 60, seed=10)
    for sparse in (False, True):
        model = MinL2Interpolator()
        Xin = sp.csr_array(X) if sparse else X
        model.fit(Xin, y)
        data = model._validate_and_centre(Xin, y, None)
        coef, solver = solve_min_l2(data, fit_intercept=True)
        assert coef.dtype == np.float64
        assert solver == model.solver_ == "gram"
        assert_array_equal(coef, model.coef_)


# --- Defects of issue 11 (reproducers from rng = RandomState(0)) -------------


def _issue_data():
    rng = np.random.RandomState(0)
    return rng.randn(20, 100), rng.randn(20)


def _assert_scaled(coef, reference, factor, rtol):
    """``coef == factor * reference``, relative to the largest coefficient."""
    atol = rtol * np.abs(reference).max()
    assert_allclose(np.asarray(coef) / factor, reference, rtol=rtol, atol=atol)


def test_defect2_min_l2_tiny_x_large_y_dense():
    # Was: NaN coef_, no warning (the Gram matrix of X * 1e-150 underflows).
    X, y = _issue_data()
    X, y = X[:5, :10], y[:5]
    reference = MinL2Interpolator().fit(X, y).coef_
    model = MinL2Interpolator().fit(X * 1e-150, y * 1e12)
    assert model.converged_
    # Decimal factors round each entry by 1e-16; the problem's condition
    # number is ~10, so 1e-12 is a wide margin.
    _assert_scaled(model.coef_, reference, 1e162, rtol=1e-12)
    assert_allclose(model.predict(X * 1e-150), y * 1e12, rtol=1e-10)


def test_defect2_min_l2_lsmr_large_y():
    # Was: NaN coef_ from LSMR (norms of y * 1e156 overflow), dense finite.
    X, y = _issue_data()
    X = X[:, :20]
    reference = MinL2Interpolator(solver="svd").fit(X, y).coef_
    model = MinL2Interpolator().fit(sp.csr_array(X), y * 1e156)
    assert model.solver_ == "lsmr"  # centred n == d: the Gram route is singular
    assert model.converged_
    # LSMR stops at 1e-12 relative on a problem with condition number ~100.
    _assert_scaled(model.coef_, reference, 1e156, rtol=1e-8)


@pytest.mark.parametrize("scale", [1e-18, 1e150])
@pytest.mark.parametrize("solver", ["auto", "lsmr"])
def test_defect3_lsmr_extreme_scale(solver, scale):
    # Was: LSMR stopped after one iteration (its condition estimate is not
    # scale-free), relative training error 0.17 to 0.33, no warning.
    X, y = _issue_data()
    reference = MinL2Interpolator(fit_intercept=False).fit(X, y).coef_
    model = MinL2Interpolator(fit_intercept=False, solver=solver)
    model.fit(sp.csr_array(X * scale), y)
    assert model.converged_
    _assert_scaled(model.coef_, reference, 1 / scale, rtol=1e-8)
    assert_allclose(model.predict(sp.csr_array(X * scale)), y, atol=1e-9)


@pytest.mark.parametrize("solver, sparse", SOLVER_INPUTS)
def test_defect3_duplicated_rows_are_least_squares(solver, sparse):
    # Duplicated rows with different targets: no interpolant exists, and the
    # least-squares solution (relative training MSE 0.61) is the right
    # answer, reported as converged with no warning.
    X, y = _issue_data()
    X = np.vstack([X[:10], X[:10]])
    model = MinL2Interpolator(solver=solver)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(sp.csr_array(X) if sparse else X, y)
    assert model.converged_
    coef, intercept = _reference(X, y, True)
    assert_allclose(model.coef_, coef, rtol=1e-8, atol=1e-10)


def test_defect3_lsmr_stop_is_reported(monkeypatch):
    # LSMR stopped before convergence (here: 10 iterations on a problem with
    # singular values spread over 1 to 1e-6) neither interpolates nor is a
    # least-squares solution.
    monkeypatch.setattr("sk_implicit._min_l2._LSMR_MAX_ITER_FACTOR", 0)
    rng = np.random.RandomState(13)
    U, _ = np.linalg.qr(rng.randn(20, 20))
    V, _ = np.linalg.qr(rng.randn(100, 20))
    X = (U * np.logspace(0, -6, 20)) @ V.T
    y = rng.randn(20)
    model = MinL2Interpolator(solver="lsmr")
    with pytest.warns(ConvergenceWarning, match="does not interpolate.*solver="):
        model.fit(sp.csr_array(X), y)
    assert not model.converged_


@pytest.mark.parametrize("solver", ["auto", "gram", "lsmr"])
@pytest.mark.parametrize("sparse", [False, True])
def test_defect5_float32_with_intercept(sparse, solver):
    # Was: 107% off on the LSMR route (taken by "auto" for sparse n == d):
    # the centred operator was built with float32 offsets, so the direction
    # of the constant, which centring removes, came back with a singular
    # value of eps_32 |X| and was fitted with a huge coefficient.
    X, y = _svd_data(20, 20, seed=11)  # condition number 10
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    model = MinL2Interpolator(solver=solver)
    model.fit(sp.csr_array(X32) if sparse else X32, y32)
    assert model.converged_
    coef, _ = _reference(X32.astype(np.float64), y32.astype(np.float64), True)
    # Centring y in float32 rounds each y_c by eps_32 |y| ~ 6e-8, amplified
    # by the condition number 10: 1e-6; 1e-5 leaves a margin.
    _assert_scaled(model.coef_, coef, 1.0, rtol=1e-5)


@pytest.mark.parametrize("n, d", [(20, 60), (60, 20)])
def test_defect12_converged_attribute(n, d):
    X, y = _svd_data(n, d, seed=12)
    assert MinL2Interpolator().fit(X, y).converged_ is True


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_float32_rank_deficient_sparse_equals_dense(fit_intercept):
    # Rank 2 in float64, full rank once rounded to float32, with 6 singular
    # values at the rounding level. The "svd" cutoff (max(n, d) eps_32) treats
    # them as zero; LSMR's condition limit (its inverse) must too, or it fits
    # them with coefficients ~1e7 times larger.
    rng = np.random.RandomState(14)
    X = (rng.randn(30, 2) @ rng.randn(2, 8)).astype(np.float32)
    y = rng.randn(30).astype(np.float32)
    dense = MinL2Interpolator(fit_intercept=fit_intercept).fit(X, y)
    sparse = MinL2Interpolator(fit_intercept=fit_intercept).fit(sp.csr_array(X), y)
    assert (dense.solver_, sparse.solver_) == ("svd", "lsmr")
    assert dense.converged_ and sparse.converged_
    # The two truncations differ by float32 rounding noise: 4e-6 measured.
    _assert_scaled(sparse.coef_, dense.coef_, 1.0, rtol=1e-4)
