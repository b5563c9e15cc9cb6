"""scikit-learn's API checks on every estimator of the package."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_implicit import (
    ImplicitRegInterpolator,
    MinL1Interpolator,
    MinL2Interpolator,
    ResidualInterpolator,
)

# Every public estimator, with its default parameters. To add one, append it
# here (one line); all checks must pass with no expected failures.
ESTIMATORS = [
    ImplicitRegInterpolator(),
    ImplicitRegInterpolator(fit_intercept=False, dense_start=1.0),
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
