"""The folds' finished models (sk_implicit._cv_finish) against MinL2Interpolator.

Cross-validation must judge the model the estimator returns: the path plus
the minimum-l2 (weighted least-squares) fit of its residual. For any path
coefficients ``b``, the held-out residual that FoldFinish computes from the
path's residual must equal that of the fold's path plus
``MinL2Interpolator`` fitted to the fold's training residual, on every route
(wide and well-conditioned, wide and rank-deficient, tall, sparse, weighted).
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.model_selection import KFold

from sk_implicit import MinL2Interpolator
from sk_implicit._base import centre_data
from sk_implicit._cv_finish import FoldFinish


def _designs():
    rng = np.random.RandomState(0)
    wide = rng.randn(30, 80)
    low_rank = rng.randn(30, 6) @ rng.randn(6, 80)  # rank 6 < 24 training rows
    tall = rng.randn(60, 8)
    tall[:, 3] = tall[:, 2]  # rank deficient: least squares, not interpolation
    shifted = rng.randn(30, 80)
    shifted[:, 1] += 1e6  # a column with a mean far above its spread
    return {"wide": wide, "low_rank": low_rank, "tall": tall, "shifted": shifted}


@pytest.mark.parametrize("design", ["wide", "low_rank", "tall", "shifted"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_validation_residual_is_that_of_the_finished_model(
    design, sparse, weighted, fit_intercept
):
    X = _designs()[design]
    rng = np.random.RandomState(1)
    n, d = X.shape
    y = X[:, :3] @ np.array([1.0, -2.0, 0.5]) + rng.randn(n)
    weight = rng.uniform(0.5, 2.0, n) if weighted else None
    Xin = sp.csr_array(X) if sparse else X
    data = centre_data(Xin, y, weight, fit_intercept)
    folds = list(KFold(5).split(X))
    finish = FoldFinish(data, folds, fit_intercept)
    b = rng.randn(d) * 0.1  # some path coefficients
    w = np.ones(n) if weight is None else weight
    for k, (train, test) in enumerate(folds):
        # The fold's problem: centred by its weighted training means.
        if fit_intercept:
            o = w[train] @ X[train] / w[train].sum()
            c = w[train] @ y[train] / w[train].sum()
        else:
            o, c = np.zeros(d), 0.0
        residual = (X - o) @ b - (y - c)
        out = finish.validation_residual(k, residual)
        assert out.shape == test.shape
        error = finish.validation_error(k, residual)
        assert error == pytest.approx(w[test] @ out**2 / w[test].sum(), rel=1e-12)
        dense = MinL2Interpolator(fit_intercept=fit_intercept).fit(
            X[train],
            -residual[train],
            sample_weight=None if weight is None else weight[train],
        )
        expected = residual[test] + dense.predict(X[test])
        scale = np.abs(expected).max()
        # Two pseudo-inverses by different routes (Cholesky, SVD or eigh
        # against MinL2's Gram, SVD or LSMR): they agree to round-off
        # amplified by the conditioning, 1e-6 of the scale leaves room.
        # Except sparse X left uncentred with a column of mean 1e6: the
        # design's condition number is ~6e5 and a sparse fold goes through
        # the Gram matrix (its eigenvalues' error, eps * cond^2 ~ 1e-4
        # relative; measured 4e-5 of the scale).
        hard = sparse and design == "shifted" and not fit_intercept
        atol = (1e-3 if hard else 1e-6) * scale
        np.testing.assert_allclose(out, expected, rtol=0, atol=atol)


@pytest.mark.parametrize("dense_maps", [True, False])
@pytest.mark.parametrize("design", ["wide", "tall"])
def test_batched_validation_errors_are_the_folds_own(design, dense_maps, monkeypatch):
    # All folds' errors at once (dense maps on small data, else fold by
    # fold), with folds repeated as for several init scales and out of order.
    if not dense_maps:
        monkeypatch.setattr("sk_implicit._cv_finish._DENSE_MAPS", 0)
    X = _designs()[design]
    rng = np.random.RandomState(3)
    n = X.shape[0]
    weight = rng.uniform(0.5, 2.0, n)
    data = centre_data(X, rng.randn(n), weight, True)
    folds = list(KFold(4, shuffle=True, random_state=0).split(X))
    # A bootstrap-like fold: repeated training rows, held-out rows among them.
    folds[1] = (np.sort(rng.randint(0, n, n)), folds[1][1])
    finish = FoldFinish(data, folds, True)
    assert (finish._dense is not None) == dense_maps
    ids = np.array([0, 0, 1, 1, 3, 2, 3])
    residuals = rng.randn(ids.size, n)
    out = finish.validation_errors(ids, residuals)
    expected = [finish.validation_error(k, r) for k, r in zip(ids, residuals)]
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_floors_are_the_least_squares_losses():
    rng = np.random.RandomState(2)
    X = rng.randn(50, 6)
    y = X @ rng.randn(6) + rng.randn(50)
    X_wide = rng.randn(20, 40)
    for Xd, yd in ((X, y), (X_wide, rng.randn(20))):
        data = centre_data(Xd, yd, None, True)
        folds = list(KFold(4).split(Xd))
        finish = FoldFinish(data, folds, True)
        for k, (train, _) in enumerate(folds):
            Xc = Xd[train] - Xd[train].mean(axis=0)
            yc = yd[train] - yd[train].mean()
            fit = np.linalg.lstsq(Xc, yc, rcond=None)[0]
            expected = np.sum((yc - Xc @ fit) ** 2) / np.sum(yc**2)
            assert finish.floors[k] == pytest.approx(expected, abs=1e-10)


def test_a_fold_of_identical_rows_has_nothing_to_fit():
    # Centring identical rows leaves round-off: it must count as rank zero
    # (floor 1, a zero fit), not as a tiny design fitted with huge weights.
    rng = np.random.RandomState(0)
    X, y = rng.randn(6, 3), rng.randn(6)
    X[:4] = X[0]
    data = centre_data(X, y, None, True)
    folds = list(KFold(3).split(X))
    finish = FoldFinish(data, folds, True)
    assert finish.floors[2] == pytest.approx(1.0)
    residual = rng.randn(6)
    out = finish.validation_residual(2, residual)  # on the held-out rows 4, 5
    np.testing.assert_allclose(out, residual[4:])
