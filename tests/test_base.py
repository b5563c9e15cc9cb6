"""The shared pieces of _base: the outcome report and the power-of-two scaling."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sk_implicit._base import (
    BaseInterpolator,
    FitOutcome,
    centre_data,
    fit_outcome,
    pow2_exponent,
    scale_data,
)

TOL = 1e-6


def _data(n, d, seed=0, fit_intercept=True, sparse=False, weights=False):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    X[rng.rand(n, d) < 0.3] = 0.0  # structural zeros for the sparse case
    X += 2.0  # non-zero column means: the implicit offsets matter
    y = rng.randn(n) + 3.0
    w = rng.uniform(0.2, 3.0, size=n) if weights else None
    Xin = sp.csr_array(X) if sparse else X
    return X, y, w, centre_data(Xin, y, w, fit_intercept)


def _least_squares(X, y, w, fit_intercept):
    """Reference weighted least squares on the centred data (numpy lstsq)."""
    w = np.ones(len(y)) if w is None else w
    if fit_intercept:
        X = X - w @ X / w.sum()
        y = y - w @ y / w.sum()
    sw = np.sqrt(w)
    return np.linalg.lstsq(sw[:, None] * X, sw * y, rcond=None)[0], X, y


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_outcome_statuses(fit_intercept, weights, sparse):
    # Wide: the minimum-norm solution interpolates.
    X, y, w, data = _data(10, 30, 0, fit_intercept, sparse, weights)
    coef, _, _ = _least_squares(X, y, w, fit_intercept)
    outcome = fit_outcome(data, coef, tol=TOL)
    assert outcome.status == "interpolated"
    assert outcome.relative_mse < 1e-24  # lstsq is exact to rounding

    # Tall: the least-squares solution does not interpolate, but its residual
    # satisfies the normal equations to rounding (~1e-16, far below 1e-9).
    X, y, w, data = _data(40, 8, 1, fit_intercept, sparse, weights)
    coef, _, _ = _least_squares(X, y, w, fit_intercept)
    outcome = fit_outcome(data, coef, tol=TOL)
    assert outcome.status == "least_squares"
    assert outcome.relative_mse > 0.01
    assert outcome.normal_residual < 1e-13

    # A perturbed solution is neither: a 10% change of the coefficients
    # leaves a normal-equation residual of order 0.1.
    rng = np.random.RandomState(2)
    perturbed = coef + 0.1 * np.abs(coef).max() * rng.randn(coef.size)
    outcome = fit_outcome(data, perturbed, tol=TOL)
    assert outcome.status == "not_converged"
    assert outcome.normal_residual > 1e-3


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_sparse_and_dense_outcomes_agree(fit_intercept):
    # The sparse route centres implicitly and computes the Frobenius norm of
    # the centred matrix without densifying it: same numbers as dense.
    for n, d, seed in [(10, 30, 3), (40, 8, 4)]:
        X, y, w, dense = _data(n, d, seed, fit_intercept, False, True)
        *_, sparse = _data(n, d, seed, fit_intercept, True, True)
        coef = np.random.RandomState(seed).randn(d) * 0.1
        a, b = fit_outcome(dense, coef, tol=TOL), fit_outcome(sparse, coef, tol=TOL)
        assert_allclose(a.relative_mse, b.relative_mse, rtol=1e-12)
        assert_allclose(a.normal_residual, b.normal_residual, rtol=1e-10)


def test_defect13_tolerance_applies_to_weighted_error():
    # The documented relative MSE is sum(w r^2) / sum(w y_c^2): the weights
    # count, for the residual and for the reference.
    X, y, w, data = _data(12, 4, 5, True, False, True)
    coef = np.zeros(4)
    coef[0] = 0.3
    outcome = fit_outcome(data, coef, tol=TOL)
    y_c = y - w @ y / w.sum()
    X_c = X - w @ X / w.sum()
    r = y_c - X_c @ coef
    assert_allclose(outcome.relative_mse, (w @ r**2) / (w @ y_c**2), rtol=1e-12)
    unweighted = np.mean(r**2) / np.mean((y - y.mean()) ** 2)
    assert abs(outcome.relative_mse - unweighted) > 0.01 * unweighted


def test_min_relative_mse_catches_what_the_normal_equations_miss():
    # A design with a singular value of 1e-12: a residual along its left
    # singular vector is invisible to the normal equations (X^T r ~ 1e-12 |r|)
    # although an exact solution fits it. Only the comparison with the least
    # MSE (0 here: the design is square and invertible) tells them apart.
    rng = np.random.RandomState(6)
    U, _ = np.linalg.qr(rng.randn(8, 8))
    V, _ = np.linalg.qr(rng.randn(8, 8))
    s = np.array([1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 1e-12])
    X = (U * s) @ V.T
    y = U @ rng.randn(8)
    data = centre_data(X, y, None, False)
    exact = V @ ((U.T @ y) / s)
    wrong = V[:, :-1] @ ((U[:, :-1].T @ y) / s[:-1])  # drops that direction
    assert fit_outcome(data, exact, tol=TOL).status == "interpolated"
    fooled = fit_outcome(data, wrong, tol=TOL)
    assert fooled.relative_mse > 1e-3
    assert fooled.status == "least_squares"  # the documented limitation
    honest = fit_outcome(data, wrong, tol=TOL, min_relative_mse=0.0)
    assert honest.status == "not_converged"
    assert honest.min_relative_mse == 0.0


def test_constant_target():
    # y constant: its centred values are rounding noise (4.2 is not a binary
    # number), and the constant model interpolates it; a model that moves by
    # 1e-2 does not (relative MSE ~ (1e-2 / 4.2)^2 = 6e-6 > 1e-6).
    X, _, _, _ = _data(20, 50, 7)
    y = np.full(20, 4.2)
    data = centre_data(X, y, None, True)
    assert fit_outcome(data, np.zeros(50), tol=TOL).status == "interpolated"
    coef = np.zeros(50)
    coef[0] = 1e-2 / np.abs(data.X[:, 0]).mean()
    assert fit_outcome(data, coef, tol=TOL).status != "interpolated"
    # y = 0 without an intercept: 0 for an exact fit, infinite otherwise.
    data = centre_data(X, np.zeros(20), None, False)
    assert fit_outcome(data, np.zeros(50), tol=TOL).relative_mse == 0.0
    assert fit_outcome(data, coef, tol=TOL).relative_mse == np.inf


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("scale", [1e-150, 1e150])
def test_outcome_at_extreme_scales(scale, sparse):
    # X and y of size 1e±150: squares of entries would overflow or underflow
    # float64; the report is computed on scaled data and does not change.
    X, y, _, data = _data(40, 8, 8, True, sparse, False)
    coef, _, _ = _least_squares(X, y, None, True)
    base = fit_outcome(data, coef, tol=TOL)
    Xs = X * scale
    data_s = centre_data(sp.csr_array(Xs) if sparse else Xs, y * scale, None, True)
    scaled = fit_outcome(data_s, coef, tol=TOL)  # coef(aX, ay) = coef(X, y)
    assert scaled.status == base.status == "least_squares"
    assert_allclose(scaled.relative_mse, base.relative_mse, rtol=1e-12)
    assert scaled.normal_residual < 1e-13


def test_outcome_of_float32_data():
    # Float32 X is converted by blocks; the report is computed in float64.
    X, y, _, _ = _data(40, 8, 9)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    data = centre_data(X32, y32, None, True)
    coef, _, _ = _least_squares(data.X.astype(np.float64), data.y, None, False)
    outcome = fit_outcome(data, coef, tol=TOL)
    assert outcome.status == "least_squares"
    assert outcome.normal_residual < 1e-12


def test_non_finite_coefficients_are_not_converged():
    _, _, _, data = _data(10, 30, 10)
    coef = np.full(30, np.nan)
    outcome = fit_outcome(data, coef, tol=TOL)
    assert outcome.status == "not_converged"


class _Model(BaseInterpolator):
    def __init__(self, fit_intercept=True):
        self.fit_intercept = fit_intercept


def _outcome(status, relative_mse=0.5):
    return FitOutcome(
        status=status,
        relative_mse=relative_mse,
        normal_residual=0.25,
        tol=1e-6,
        normal_tol=1e-9,
    )


def test_report_outcome():
    model = _Model()
    for status in ("interpolated", "least_squares"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model._report_outcome(_outcome(status), what_to_try="Try this.")
        assert model.converged_ is True
    with pytest.warns(ConvergenceWarning) as record:
        model._report_outcome(_outcome("not_converged"), what_to_try="Try this.")
    assert model.converged_ is False
    message = str(record[0].message)
    assert message.startswith("_Model:")
    assert "does not interpolate" in message
    assert "relative training MSE 0.5 > tol=1e-06" in message
    assert "not the least-squares solution" in message
    assert "normal-equation residual 0.25 > 1e-09" in message
    assert message.endswith("Try this.")
    # A solver failure is reported even if the point happens to interpolate.
    with pytest.warns(ConvergenceWarning, match="HiGHS gave up.*interpolates"):
        model._report_outcome(
            _outcome("interpolated", 1e-9),
            what_to_try="Try that.",
            solver_failure="HiGHS gave up.",
        )
    assert model.converged_ is False


def test_pow2_exponent():
    for value in [1e-300, 3e-150, 0.3, 1.0, 7.0, 1e150, 1.7e308]:
        e = pow2_exponent(value)
        assert 0.5 <= np.ldexp(value, -e) < 1.0
    assert pow2_exponent(0.0) == 0


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_scale_data_is_exact_for_powers_of_two(fit_intercept, sparse):
    # Multiplying X and y by powers of two changes only the exponents.
    X, y, w, data = _data(10, 30, 11, fit_intercept, sparse, True)
    a, b = 2.0**-600, 2.0**700
    Xa = sp.csr_array(X * a) if sparse else X * a
    other = centre_data(Xa, y * b, w, fit_intercept)
    s1, x1, y1 = scale_data(data, fit_intercept=fit_intercept)
    s2, x2, y2 = scale_data(other, fit_intercept=fit_intercept)
    assert (x2 - x1, y2 - y1) == (-600, 700)
    if sparse:
        assert_array_equal(s1.X.toarray(), s2.X.toarray())
    else:
        assert_array_equal(s1.X, s2.X)
        assert 0.5 <= np.abs(s1.X).max() < 1.0
    assert_array_equal(s1.y, s2.y)
    assert 0.5 <= np.abs(s1.y).max() < 1.0
    assert 0.5 <= s1.sample_weight.max() < 1.0


def test_scale_data_recentres_float32_in_float64():
    # Float32 centring leaves column means of order eps_32 |X|; the scaled
    # float64 copy is centred to float64 precision (what LSMR needs).
    rng = np.random.RandomState(12)
    X = (rng.randn(30, 10) + 5.0).astype(np.float32)
    y = rng.randn(30).astype(np.float32)
    data = centre_data(X, y, None, True)
    assert np.abs(data.X.astype(np.float64).mean(axis=0)).max() > 1e-9
    scaled, _, _ = scale_data(data, fit_intercept=True)
    assert scaled.X.dtype == np.float64
    assert np.abs(scaled.X.mean(axis=0)).max() < 1e-15
    sparse = centre_data(sp.csr_array(X), y, None, True)
    scaled, x_exp, _ = scale_data(sparse, fit_intercept=True)
    exact = np.ldexp(X.astype(np.float64).mean(axis=0), -x_exp)
    assert_allclose(scaled.implicit_offset, exact, rtol=1e-15)
