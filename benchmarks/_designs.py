"""Designs of the benchmarks beyond ``make_sparse_regression``: block correlation.

``make_sparse_regression`` (in ``sk_implicit.datasets``) draws isotropic and
AR(1) Gaussian designs; here the block-correlated one: features come in
consecutive blocks of ``block_size``, unit variances, correlation ``rho``
inside a block and 0 across blocks,

    Sigma = (1 - rho) I + rho * blockdiag(1 1^T, ..., 1 1^T),

drawn as ``x_j = sqrt(1 - rho) e_j + sqrt(rho) z_{block(j)}`` with independent
standard Gaussians ``e`` and ``z``. Every true feature then has
``block_size - 1`` decoys correlated with it at ``rho``. The exact excess risk
``(b - b*)^T Sigma (b - b*)`` is computed in O(d) from the block sums of
``b - b*``, without forming ``Sigma``.
"""

import numpy as np
from sklearn.utils import check_random_state

from sk_implicit.datasets import _sparse_target


def row_order(seed, k, n_samples):
    """The ``k``-th random order of the rows of draw ``seed``.

    The same data with other folds for estimators that cross-validate with
    an unshuffled ``KFold``; ``bench_risk --row-order`` and ``bench_cv
    --row-orders`` share it, so that their orders are the same.
    """
    return np.random.default_rng([seed, k]).permutation(n_samples)


def _check_block(correlation, block_size):
    if not 0.0 <= correlation < 1.0:
        raise ValueError(f"correlation must be in [0, 1), got {correlation!r}.")
    if int(block_size) != block_size or block_size < 1:
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}.")


def make_block_regression(
    n_samples,
    n_features,
    n_informative=5,
    noise=0.5,
    *,
    correlation=0.5,
    block_size=10,
    signal="sign",
    random_state=None,
):
    """``y = X @ coef + noise`` with block-equicorrelated Gaussian rows of ``X``.

    Same conventions as ``sk_implicit.datasets.make_sparse_regression``: a
    uniformly random support of ``n_informative`` coordinates carrying ``+-1``
    (``signal="sign"``) or standard Gaussian (``signal="gaussian"``) values,
    and ``N(0, noise^2)`` noise. Returns ``X, y, coef``.
    """
    _check_block(correlation, block_size)
    if signal not in ("sign", "gaussian"):
        raise ValueError(f"signal must be 'sign' or 'gaussian', got {signal!r}.")
    rng = check_random_state(random_state)
    n_blocks = -(-n_features // block_size)
    block_of = np.arange(n_features) // block_size
    X = rng.standard_normal((n_samples, n_features))
    X *= np.sqrt(1.0 - correlation)
    X += np.sqrt(correlation) * rng.standard_normal((n_samples, n_blocks))[:, block_of]

    coef, y = _sparse_target(rng, X, n_informative, noise, signal)
    return X, y, coef


def block_excess_risk(coef, true_coef, *, correlation, block_size):
    """Exact ``(b - b*)^T Sigma (b - b*)`` for :func:`make_block_regression`.

    ``Sigma = (1 - rho) I + rho * (block sums)``, so the quadratic form is
    ``(1 - rho) ||delta||^2 + rho * sum_blocks (sum of delta over the block)^2``.
    """
    _check_block(correlation, block_size)
    delta = (
        np.asarray(coef, dtype=np.float64).ravel()
        - np.asarray(true_coef, dtype=np.float64).ravel()
    )
    sums = np.bincount(np.arange(delta.size) // block_size, weights=delta)
    return float((1.0 - correlation) * (delta @ delta) + correlation * (sums @ sums))
