"""scikit-learn's API checks on every estimator of the package."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_implicit import ImplicitRegInterpolator, MinL1Interpolator, MinL2Interpolator

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
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
