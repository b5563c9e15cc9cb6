"""scikit-learn's API checks on every estimator of the package."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_implicit._min_l1 import MinL1Interpolator
from sk_implicit._min_l2 import MinL2Interpolator

# Every public estimator, with its default parameters. To add one, append it
# here (one line); all checks must pass with no expected failures.
ESTIMATORS = [
    MinL1Interpolator(),
    MinL2Interpolator(),
    MinL1Interpolator(fit_intercept=False),
    MinL2Interpolator(fit_intercept=False),
    MinL2Interpolator(solver="lsmr"),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
