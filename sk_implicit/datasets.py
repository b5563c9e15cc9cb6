"""Data in the setting of the paper: sparse signal, Gaussian design, n << d."""

import numbers

import numpy as np
from scipy.signal import lfilter
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_scalar

__all__ = ["make_sparse_regression", "excess_risk"]


def _check_correlation(correlation):
    """The AR(1) correlation ``rho``: a real number in ``[0, 1)``."""
    check_scalar(
        correlation,
        "correlation",
        numbers.Real,
        min_val=0.0,
        max_val=1.0,
        include_boundaries="left",
    )


def make_sparse_regression(
    n_samples=100,
    n_features=4000,
    n_informative=5,
    noise=0.5,
    *,
    correlation=0.0,
    signal="sign",
    random_state=None,
):
    """Generate ``y = X @ coef + noise`` with a sparse ``coef`` and Gaussian ``X``.

    The rows of ``X`` are i.i.d. ``N(0, Sigma)`` with ``Sigma = I`` (the paper's
    isotropic setting) or, with ``correlation=rho``, the AR(1) covariance
    ``Sigma_ij = rho^|i - j|`` (unit variances). ``coef`` is zero outside a
    uniformly random support of ``n_informative`` coordinates, where it is
    ``+-1`` (``signal="sign"``) or standard Gaussian (``signal="gaussian"``).
    The noise is ``N(0, noise^2)``.

    Parameters
    ----------
    n_samples : int, default=100
        Number of samples ``n``.
    n_features : int, default=4000
        Number of features ``d``.
    n_informative : int, default=5
        Size ``s`` of the support of ``coef``.
    noise : float, default=0.5
        Standard deviation ``sigma`` of the Gaussian noise.
    correlation : float, default=0.0
        AR(1) correlation ``rho`` in ``[0, 1)`` between neighbouring features.
    signal : {"sign", "gaussian"}, default="sign"
        Distribution of the non-zero coefficients.
    random_state : int, RandomState instance or None, default=None
        Seed of the draw.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Design matrix.
    y : ndarray of shape (n_samples,)
        Noisy responses.
    coef : ndarray of shape (n_features,)
        The true sparse coefficients ``beta*``.

    See Also
    --------
    excess_risk : The exact excess test risk of an estimate of ``coef``.

    References
    ----------
    .. [1] J. Zhou and R. Ge, "Implicit Regularization Leads to Benign
       Overfitting for Sparse Linear Regression", ICML 2023.
       https://arxiv.org/abs/2302.00257

    Examples
    --------
    >>> from sk_implicit.datasets import make_sparse_regression
    >>> X, y, coef = make_sparse_regression(50, 200, 3, noise=0.1, random_state=0)
    >>> X.shape, y.shape, int((coef != 0).sum())
    ((50, 200), (50,), 3)
    """
    check_scalar(n_samples, "n_samples", numbers.Integral, min_val=1)
    check_scalar(n_features, "n_features", numbers.Integral, min_val=1)
    check_scalar(
        n_informative,
        "n_informative",
        numbers.Integral,
        min_val=0,
        max_val=n_features,
    )
    check_scalar(noise, "noise", numbers.Real, min_val=0.0)
    _check_correlation(correlation)
    if signal not in ("sign", "gaussian"):
        raise ValueError(f"signal must be 'sign' or 'gaussian', got {signal!r}.")
    rng = check_random_state(random_state)

    X = rng.standard_normal((n_samples, n_features))
    if correlation > 0:
        # x_j = rho x_{j-1} + sqrt(1 - rho^2) z_j keeps unit variances and
        # gives Cov(x_i, x_j) = rho^|i-j| (stationary start: x_0 = z_0).
        X[:, 1:] *= np.sqrt(1.0 - correlation**2)
        X = lfilter([1.0], [1.0, -correlation], X, axis=1)

    coef, y = _sparse_target(rng, X, n_informative, noise, signal)
    return X, y, coef


def _sparse_target(rng, X, n_informative, noise, signal):
    """A sparse ``coef`` on a random support and ``y = X @ coef + noise``.

    ``signal="sign"`` draws its values in ``{-1, 1}``, ``"gaussian"`` from
    a standard normal; ``rng`` is a ``RandomState``. Shared with the
    benchmarks' designs, so that a design changes only ``X``.
    """
    n_samples, n_features = X.shape
    coef = np.zeros(n_features)
    support = rng.choice(n_features, size=n_informative, replace=False)
    if signal == "sign":
        coef[support] = rng.choice([-1.0, 1.0], size=n_informative)
    else:
        coef[support] = rng.standard_normal(n_informative)
    y = X @ coef + noise * rng.standard_normal(n_samples)
    return coef, y


def excess_risk(coef, true_coef, *, correlation=0.0):
    """Excess test risk ``(b - b*)^T Sigma (b - b*)`` of a linear predictor.

    For the design of :func:`make_sparse_regression`, the test risk
    ``E[(y - b^T x)^2] = sigma^2 + (b - b*)^T Sigma (b - b*)``, so this is the
    exact excess risk, with no test set and no Monte-Carlo noise. With the
    isotropic design (``correlation=0``) it is ``||b - b*||^2``. (The paper's
    test loss carries a factor 1/2 on both terms.) It ignores the intercept,
    which is zero in the generating model.

    Parameters
    ----------
    coef : array-like of shape (n_features,)
        Estimated coefficients ``b``.
    true_coef : array-like of shape (n_features,)
        True coefficients ``b*``.
    correlation : float, default=0.0
        The AR(1) correlation ``rho`` the data were drawn with.

    Returns
    -------
    risk : float
        ``(b - b*)^T Sigma (b - b*)`` with ``Sigma_ij = rho^|i-j|``.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_implicit.datasets import excess_risk
    >>> excess_risk(np.array([1.0, 0.0]), np.array([0.0, 0.0]))
    1.0
    >>> excess_risk(np.array([1.0, 1.0]), np.zeros(2), correlation=0.5)
    3.0
    """
    delta = (
        np.asarray(coef, dtype=np.float64).ravel()
        - np.asarray(true_coef, dtype=np.float64).ravel()
    )
    _check_correlation(correlation)
    if correlation == 0:
        return float(delta @ delta)
    # Sigma @ delta in O(d): the Toeplitz kernel rho^|k| is the sum of a causal
    # and an anti-causal first-order filter, minus the double-counted diagonal.
    forward = lfilter([1.0], [1.0, -correlation], delta)
    backward = lfilter([1.0], [1.0, -correlation], delta[::-1])[::-1]
    return float(delta @ (forward + backward - delta))
