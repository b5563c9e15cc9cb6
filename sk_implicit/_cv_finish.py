"""The cross-validation folds' finished models, as linear maps of the residual.

The estimator's final model is its path's coefficients plus the minimum-l2
(weighted least-squares) fit of the path's training residual
(:func:`~sk_implicit._min_l2.solve_min_l2`). Cross-validation must judge that
same finished model on each fold's held-out rows. For fold ``k``, with
``B = W^1/2 X_tr`` (both centred by the fold's weighted training means), the
fit of a training residual ``e_tr`` predicts ``Q e_tr`` on the held-out rows,

    Q = X_val B^+ W^1/2,

so the finished model's held-out residual is ``e_val - Q e_tr``: one small
matrix product per fold and step. ``Q`` is kept as ``A @ Bt`` with
``A`` (n_val, r) and ``Bt`` (r, n_tr), ``r`` the rank, never as an
``n_tr x n_tr`` matrix on tall data.

``B^+`` uses :func:`~sk_implicit._min_l2.solve_min_l2`'s cutoff: singular
values below ``max(n_tr, d) eps`` times the norm of the *uncentred* block
count as zero (centring cannot create a direction larger than its own
round-off, so a fold whose training rows are identical has rank zero, not a
rank made of round-off). The route follows the shape and conditioning:

- wide fold, well-conditioned Gram matrix ``B B^T`` (every fold of the
  paper's setting): a Cholesky solve, the rows' Gram matrix ``X X^T``
  computed once for all folds;
- wide fold, ill-conditioned: dense ``X``, an SVD of ``B`` (the Gram matrix
  squares the condition number and loses the small singular values);
  sparse ``X``, an eigendecomposition of the Gram matrix, which resolves
  singular values only down to ``sqrt(max(n_tr, d) eps)`` of the largest;
- tall fold (``n_tr > d``): an SVD of ``B`` (densified if sparse: it has
  fewer columns than rows), ``O(n_tr d^2)``.

Each fold also gets its **least-squares floor**: the smallest relative
training loss any linear model reaches on its training rows (zero where it
can interpolate). The stopping policy measures a fold's progress against it,
so a fold that cannot learn (its centred design is zero) or that converges
to a least-squares fit does not hold the others back.
"""

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from ._base import (
    _max_abs,
    centred_gram,
    float64_times_pow2,
    pow2_exponent,
    shareable,
    times_pow2,
    unit_weights,
)
from ._min_l2 import _GRAM_MIN_RCOND
from ._threads import BlasThreads

# Largest number of entries (2 MB) of the folds' maps held as dense matrices,
# and gathered at each step (one per running fold and init scale: a copy,
# cheap at this size; beyond it, the folds' factored maps one by one).
_DENSE_MAPS = 2**18


class FoldFinish:
    """The finished models of the folds ``[(train, test), ...]`` of ``data``.

    Parameters
    ----------
    data : CentredData
        The estimator's training problem (dense ``X`` centred, sparse ``X``
        with its offsets implicit; centring by the folds' own means below
        makes either right).
    folds : list of (ndarray, ndarray)
        Training and held-out row positions of each fold.
    fit_intercept : bool
        Whether each fold is centred by its weighted training means.

    Attributes
    ----------
    floors : ndarray of shape (n_folds,)
        Least relative training loss of each fold (see module docstring).
    """

    def __init__(self, data, folds, fit_intercept):
        # Divided by a power of two (exact: Q and the floors do not change)
        # so that the Gram matrices neither overflow nor underflow; a
        # shareable X needs no copy for that (160 MB at n = 200, d = 1e5).
        centre = data.implicit_offset
        e = pow2_exponent(
            max(_max_abs(data.X), 0.0 if centre is None else _max_abs(centre))
        )
        X = data.X
        if shareable(X, e):
            e = 0
        else:
            X = float64_times_pow2(sp.csr_array(X) if sp.issparse(X) else X, -e)
        n, d = X.shape
        weight = unit_weights(data.sample_weight, n)  # (only their ratios count)
        y = data.y.astype(np.float64)
        self.eps = np.finfo(data.X.dtype).eps
        self.weight = weight
        self.maps, floors = [], []
        # The rows' Gram matrix, centred once by the global offset (the
        # folds' offsets differ from it by about the columns' spread).
        centre = np.zeros(d) if centre is None else times_pow2(centre, -e)
        offsets = _training_means(X, folds, weight) if fit_intercept else None
        gram = None
        for f, (train, test) in enumerate(folds):
            w = weight[train]
            sqrt_w = np.sqrt(w)
            if fit_intercept:
                offset = offsets[f]
                targets = y[train] - w @ y[train] / w.sum()
            else:
                offset, targets = np.zeros(d), y[train]
            fold = _Fold(X, train, test, offset, sqrt_w, centre)
            if train.size <= d:
                if gram is None:
                    with BlasThreads().for_product(n * n * d):
                        gram = centred_gram(X, centre)
                A, Bt = self._wide(fold, gram, fit_intercept)
            else:
                A, Bt = self._svd(fold)
            self.maps.append((train, test, A, Bt))
            floors.append(_floor(Bt, targets, sqrt_w * targets))
        self.floors = np.array(floors)
        self._dense = self._dense_maps(n)

    def _dense_maps(self, n):
        """Each fold's map ``e -> e_val - Q e_tr`` as a dense (n_val, n) matrix.

        With the held-out rows' weights over their sum, zero-padded to the
        largest fold; None beyond ``_DENSE_MAPS`` entries in all (the
        factored maps then serve, fold by fold).
        """
        width = max((test.size for _, test, _, _ in self.maps), default=0)
        if len(self.maps) * width * n > _DENSE_MAPS:
            return None
        maps = np.zeros((len(self.maps), width, n))
        weight = np.zeros((len(self.maps), width))
        for f, (train, test, A, Bt) in enumerate(self.maps):
            rows = maps[f, : test.size]
            rows[np.arange(test.size), test] = 1.0
            # (Unbuffered: a splitter may repeat a training row, whose
            # columns of Q then all count.)
            np.subtract.at(rows, (slice(None), train), A if Bt is None else A @ Bt)
            w = self.weight[test]
            weight[f, : test.size] = w / w.sum()
        return maps, weight

    def _cutoff(self, fold, largest):
        """Singular values of ``B`` at or below this count as zero."""
        # ||W^1/2 X_tr||_2 <= sqrt(||B||^2 + m ||o||^2): the uncentred norm.
        reference = np.sqrt(largest**2 + fold.weight_sum * (fold.offset @ fold.offset))
        return max(fold.n_train, fold.n_features) * self.eps * reference

    def _gram_resolution(self, fold, largest):
        """Eigenvalues of a Gram matrix below this are round-off."""
        return max(fold.n_train, fold.n_features) * self.eps * largest**2

    def _wide(self, fold, gram, fit_intercept):
        train, test, sqrt_w = fold.train, fold.test, fold.sqrt_w
        # From the global centre to the fold's: rank-one corrections.
        o = fold.offset - fold.centre
        a = np.asarray(fold.X @ o).ravel() - fold.centre @ o
        rows = np.concatenate([train, test])
        Gc = gram[np.ix_(rows, train)] - a[rows, None] - a[None, train] + o @ o
        K = Gc[: train.size] * np.outer(sqrt_w, sqrt_w)  # B B^T
        cross = Gc[train.size :] * sqrt_w  # X_val B^T
        if fit_intercept:
            # B B^T is singular along sqrt(w), to which every centred residual
            # is orthogonal: adding t sqrt(w) sqrt(w)^T leaves the solution.
            t = max(np.trace(K) / train.size, np.finfo(float).tiny)
            K_full = K + t / (sqrt_w @ sqrt_w) * np.outer(sqrt_w, sqrt_w)
        else:
            K_full = K.copy()
        anorm = np.abs(K_full).sum(axis=0).max()
        factor, info = scipy.linalg.lapack.dpotrf(K_full, lower=False, clean=True)
        if info == 0 and np.isfinite(anorm) and anorm > 0:
            rcond, info = scipy.linalg.lapack.dpocon(factor, anorm, uplo="U")
            if info == 0 and rcond >= _GRAM_MIN_RCOND:
                Q = scipy.linalg.cho_solve((factor, False), cross.T).T * sqrt_w
                return Q, None
        if sp.issparse(fold.X):
            values, vectors = scipy.linalg.eigh(K)
            largest = np.sqrt(max(values[-1], 0.0))
            cut = max(
                self._cutoff(fold, largest) ** 2, self._gram_resolution(fold, largest)
            )
            keep = values > cut
            U, s2 = vectors[:, keep], values[keep]
            return (cross @ U) / s2, U.T * sqrt_w
        return self._svd(fold)

    def _svd(self, fold):
        """The map from an SVD of the dense, centred block ``B``.

        (Sparse X too, for a tall fold: its block has fewer columns than rows.)
        """
        train, test, sqrt_w = fold.train, fold.test, fold.sqrt_w
        B = fold.centred(train) * sqrt_w[:, None]
        with BlasThreads().for_product(B.shape[0] * B.shape[1] * min(B.shape)):
            U, s, Vt = scipy.linalg.svd(B, full_matrices=False, check_finite=False)
        keep = s > self._cutoff(fold, s[0] if s.size else 0.0)
        return fold.centred(test) @ (Vt[keep].T / s[keep]), U[:, keep].T * sqrt_w

    def validation_residual(self, fold, residual):
        """Residual of the fold's finished model on its held-out rows.

        ``residual`` is the fold's path residual (predictions minus targets)
        on all rows; the result is on the fold's ``test`` rows, in order.
        """
        train, test, A, Bt = self.maps[fold]
        fitted = A @ residual[train] if Bt is None else A @ (Bt @ residual[train])
        return residual[test] - fitted

    def validation_error(self, fold, residual):
        """Weighted mean square of :meth:`validation_residual`."""
        e = self.validation_residual(fold, residual)
        w = self.weight[self.maps[fold][1]]
        return float((w * e) @ e / w.sum())

    def validation_errors(self, folds, residuals):
        """:meth:`validation_error` of fold ``folds[i]`` at ``residuals[i]``.

        On small data, one batched product with the folds' dense maps: the
        fold-by-fold route costs a few numpy calls per fold, and a step of
        the paper's design (n = 100) costs only a hundred or so.
        """
        if self._dense is not None:
            maps, weight = self._dense
            if len(folds) * maps[0].size <= _DENSE_MAPS:  # the gathered maps
                e = (maps[folds] @ residuals[:, :, None])[:, :, 0]
                return np.einsum("fv,fv->f", weight[folds] * e, e)
        return np.array([self.validation_error(f, r) for f, r in zip(folds, residuals)])


def _training_means(X, folds, weight):
    """Each fold's weighted means of the columns over its training rows.

    One product with ``X`` for all folds (a fold's rows gathered from ``X``
    would be a copy of most of it, per fold). A training row repeated by the
    splitter counts once per repeat, as in the fold's fit. Returns an array
    of shape (n_folds, d).
    """
    n = X.shape[0]
    W = np.zeros((n, len(folds)))
    for f, (train, _) in enumerate(folds):
        W[:, f] = np.bincount(train, weights=weight[train], minlength=n)
    return np.asarray(X.T @ W).T / W.sum(axis=0)[:, None]


class _Fold:
    """A fold's rows, offset and weights, and its centred blocks of ``X``."""

    def __init__(self, X, train, test, offset, sqrt_w, centre):
        self.X, self.train, self.test, self.centre = X, train, test, centre
        self.offset, self.sqrt_w = offset, sqrt_w
        self.weight_sum = sqrt_w @ sqrt_w
        self.n_train, self.n_features = train.size, X.shape[1]

    def centred(self, rows):
        """``X[rows] - offset`` as a dense array."""
        block = self.X[rows]
        block = block.toarray() if sp.issparse(block) else np.array(block)
        return block - self.offset


def _floor(Bt, targets, weighted_targets):
    """Least relative training loss: the part of ``W^1/2 t`` outside range(B).

    ``Bt = U^T W^1/2`` with ``U`` an orthonormal basis of the range of ``B``
    (``None``: ``B`` has full row rank, the floor is 0), so ``Bt @ t`` holds
    the coordinates of the part a linear model fits.
    """
    size = np.abs(targets).max(initial=0.0)
    if Bt is None or size == 0:
        return 0.0
    energy = (weighted_targets / size) @ (weighted_targets / size)
    fitted = Bt @ (targets / size)
    return float(np.clip(1.0 - (fitted @ fitted) / energy, 0.0, 1.0))
