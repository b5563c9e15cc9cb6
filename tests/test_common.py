"""scikit-learn's API checks on every estimator of the package."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_implicit import (
    ImplicitRegInterpolator,
    MinL1Interpolator,
    MinL2Interpolator,
    ResidualInterpolator,
)
from sk_implicit._validation import InvalidParameterError

# Every public estimator, with its default parameters. To add one, append it
# here (one line); all checks must pass with no expected failures.
ESTIMATORS = [
    ImplicitRegInterpolator(),
    ImplicitRegInterpolator(fit_intercept=False, dense_start=1.0),
    ImplicitRegInterpolator(init_scale=[1e-2, 1e-30], dense_start="cv"),
    MinL1Interpolator(),
    MinL2Interpolator(),
    MinL1Interpolator(fit_intercept=False),
    MinL2Interpolator(fit_intercept=False),
    MinL2Interpolator(solver="lsmr"),
    ResidualInterpolator(),
    ResidualInterpolator(Ridge(alpha=1e-3), fit_intercept=False),
    ResidualInterpolator(DecisionTreeRegressor(max_depth=3, random_state=0)),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# Input validation is shared (sk_implicit._base): one table for all of them.
@pytest.mark.parametrize(
    "estimator",
    [ImplicitRegInterpolator(), MinL1Interpolator(), MinL2Interpolator()],
    ids=lambda est: type(est).__name__,
)
@pytest.mark.parametrize(
    "X, y, match",
    [
        ([[np.nan, 1.0], [1.0, 2.0]], [1.0, 2.0], "NaN"),
        ([[np.inf, 1.0], [1.0, 2.0]], [1.0, 2.0], "infinity"),
        ([[1.0, 1.0], [1.0, 2.0]], [1.0, np.inf], "infinity"),
        ([[1.0, 1.0], [1.0, 2.0]], [1.0, np.nan], "NaN"),
        ([[1.0, 1.0], [1.0, 2.0]], [1.0, 2.0, 3.0], "inconsistent numbers"),
        ([1.0, 2.0], [1.0, 2.0], "Expected 2D array"),
        ([["a", "b"], ["c", "d"]], [1.0, 2.0], "could not convert|dtype"),
        (np.empty((0, 3)), [], "0 sample"),
    ],
)
def test_bad_input(estimator, X, y, match):
    with pytest.raises(ValueError, match=match):
        clone(estimator).fit(X, y)


# Parameters are validated (scikit-learn's _parameter_constraints) before any
# data is touched: "not data" would raise another error if it were looked at.
@pytest.mark.parametrize(
    "estimator",
    [
        ImplicitRegInterpolator(),
        MinL1Interpolator(),
        MinL2Interpolator(),
        ResidualInterpolator(),
    ],
    ids=lambda est: type(est).__name__,
)
@pytest.mark.parametrize("value", ["no", 1, np.nan, None])
def test_fit_intercept_must_be_a_bool(estimator, value):
    with pytest.raises(InvalidParameterError, match="'fit_intercept' parameter"):
        clone(estimator).set_params(fit_intercept=value).fit("not data", None)


# Scale equivariance: coef(a X, b y) = (b / a) coef(X, y) and
# intercept(a X, b y) = b intercept(X, y), over the whole range of each dtype
# (all solvers run on data divided by powers of two).
SCALES = {np.float64: [1e-150, 1.0, 1e150], np.float32: [1e-18, 1.0, 1e18]}
# float64: decimal factors round each entry by 1.1e-16, and these Gaussian
# designs have condition numbers below ~10: 1e-9 is a wide margin. float32:
# rounding X and y to float32 (6e-8) and coef_ to float32, amplified by the
# same condition number: up to ~1e-6 (3e-7 measured); 1e-5.
SCALE_RTOL = {np.float64: 1e-9, np.float32: 1e-5}
SCALE_ESTIMATORS = [
    MinL1Interpolator(),
    MinL2Interpolator(),
    MinL2Interpolator(solver="lsmr"),
    ResidualInterpolator(MinL2Interpolator(fit_intercept=False)),
    # ImplicitRegInterpolator works in units where X and y have unit root mean
    # square: equivariant with its cross-validation too (measured 4.5e-15
    # float64, 1.7e-7 float32, within the same tolerances).
    ImplicitRegInterpolator(),
    ImplicitRegInterpolator(dense_start=30.0),
    ResidualInterpolator(LinearRegression()),
]
EXACT_SCALE_ESTIMATORS = SCALE_ESTIMATORS[:6]


def _scale_data(shape, dtype, sparse, a=1.0, b=1.0):
    rng = np.random.RandomState(sum(shape))
    X = rng.randn(*shape) + 1.0
    X[rng.rand(*shape) < 0.2] = 0.0
    y = rng.randn(shape[0]) + 2.0
    X, y = (a * X).astype(dtype), (b * y).astype(dtype)
    return (sp.csr_array(X) if sparse else X), y


@pytest.mark.parametrize(
    "estimator", SCALE_ESTIMATORS, ids=lambda est: str(est).replace(" ", "")
)
@pytest.mark.parametrize("shape", [(20, 60), (60, 20)], ids=["wide", "tall"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scale_equivariance(estimator, dtype, sparse, shape):
    if sparse and isinstance(getattr(estimator, "estimator", None), LinearRegression):
        pytest.skip("LinearRegression solves sparse X by LSQR to 1e-6 only")
    X, y = _scale_data(shape, dtype, sparse)
    reference = clone(estimator).fit(X, y)
    rtol = SCALE_RTOL[dtype]
    for a in SCALES[dtype]:
        for b in SCALES[dtype]:
            model = clone(estimator).fit(*_scale_data(shape, dtype, sparse, a, b))
            assert model.converged_
            assert model.coef_.dtype == dtype
            coef = model.coef_.astype(np.float64) / (b / a)
            ref = reference.coef_.astype(np.float64)
            assert_allclose(coef, ref, rtol=rtol, atol=rtol * np.abs(ref).max())
            # The intercept is y_offset - X_offset @ coef_: its error is
            # relative to the size of y (it can be rounding noise itself).
            atol = rtol * np.abs(y).max()
            assert_allclose(model.intercept_ / b, reference.intercept_, atol=atol)


@pytest.mark.parametrize(
    "estimator", EXACT_SCALE_ESTIMATORS, ids=lambda est: str(est).replace(" ", "")
)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_power_of_two_scales_are_exact(estimator, dtype, sparse):
    # Dividing by powers of two is exact: so is the equivariance.
    k = 500 if dtype == np.float64 else 60
    for shape in [(20, 60), (60, 20)]:
        reference = clone(estimator).fit(*_scale_data(shape, dtype, sparse))
        scaled = _scale_data(shape, dtype, sparse, 2.0**-k, 2.0**k)
        model = clone(estimator).fit(*scaled)
        assert_array_equal(model.coef_, np.ldexp(reference.coef_, 2 * k))
        assert_array_equal(model.intercept_, np.ldexp(reference.intercept_, k))


@pytest.mark.parametrize(
    "estimator",
    [
        MinL1Interpolator(),
        MinL2Interpolator(),
        ResidualInterpolator(MinL2Interpolator()),
    ],
    ids=lambda est: type(est).__name__,
)
def test_coefficients_beyond_the_dtype_raise(estimator):
    # Finite float32 inputs whose coefficients (~ max|y| / max|X| = 1e40)
    # exceed float32's range: a clear error, not an infinite model.
    X, y = _scale_data((20, 60), np.float32, False, a=1e-30, b=1e10)
    with pytest.raises(ValueError, match="do not fit in float32"):
        clone(estimator).fit(X, y)
