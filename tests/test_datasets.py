"""The data generator and the exact excess risk."""

import numpy as np
import pytest

from sk_implicit.datasets import excess_risk, make_sparse_regression


def test_shapes_support_and_noise():
    X, y, coef = make_sparse_regression(200, 50, 4, noise=0.3, random_state=0)
    assert X.shape == (200, 50) and y.shape == (200,) and coef.shape == (50,)
    assert np.count_nonzero(coef) == 4
    np.testing.assert_array_equal(np.abs(coef[coef != 0]), 1.0)
    # The residual of the true model is the noise: its variance is noise^2
    # (chi-square with 200 degrees of freedom: +-10% is about 2 sd).
    assert np.std(y - X @ coef) == pytest.approx(0.3, rel=0.1)


def test_seed_reproducible_and_gaussian_signal():
    first = make_sparse_regression(20, 30, 3, signal="gaussian", random_state=3)
    second = make_sparse_regression(20, 30, 3, signal="gaussian", random_state=3)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.all(np.abs(first[2][first[2] != 0]) == 1.0)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_ar1_covariance(rho):
    X, _, _ = make_sparse_regression(40_000, 6, 1, correlation=rho, random_state=0)
    empirical = X.T @ X / X.shape[0]
    lags = np.abs(np.subtract.outer(np.arange(6), np.arange(6)))
    # Monte-Carlo error of a covariance entry: about sqrt(2 / n) = 0.007.
    np.testing.assert_allclose(empirical, rho**lags, atol=0.03)


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.8])
def test_excess_risk_matches_the_quadratic_form(rho):
    rng = np.random.default_rng(0)
    coef, true = rng.standard_normal(50), rng.standard_normal(50)
    lags = np.abs(np.subtract.outer(np.arange(50), np.arange(50)))
    delta = coef - true
    expected = delta @ (rho**lags) @ delta
    assert excess_risk(coef, true, correlation=rho) == pytest.approx(expected)


def test_excess_risk_is_the_test_error_minus_the_noise():
    # E[(y - b^T x)^2] = sigma^2 + risk: check on a large test sample.
    X, y, coef = make_sparse_regression(200_000, 8, 3, noise=0.5, random_state=1)
    estimate = coef + 0.1
    test_mse = np.mean((y - X @ estimate) ** 2)
    assert test_mse - 0.25 == pytest.approx(excess_risk(estimate, coef), abs=0.01)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples == 0, must be >= 1"),
        ({"n_informative": 10, "n_features": 5}, "n_informative == 10"),
        ({"noise": -1.0}, "noise == -1.0, must be >= 0.0"),
        ({"correlation": 1.0}, "correlation == 1.0, must be < 1.0"),
        ({"signal": "uniform"}, "signal must be"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_sparse_regression(**kwargs)
