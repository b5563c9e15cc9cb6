"""The gradient flow of the Hadamard part ``w*w - u*u``, integrated on a working set.

The flow. Gradient descent with small steps on ``beta = w*w - u*u`` from
``w = u = alpha`` follows the gradient flow ``w' = -2 w g``, ``u' = 2 u g``
(``g`` the gradient of the loss in ``beta``). It conserves ``w u = alpha^2``,
so one number per coordinate describes it: ``theta = log(w^2 / alpha^2)``,
with

    beta = 2 alpha^2 sinh(theta),        theta' = -4 g(beta),

a mirror flow with the hypentropy potential (Woodworth et al., 2020). Its
time ``t`` is the gradient-flow time: the sum of the step sizes of gradient
descent on ``(w, u)``. We integrate ``theta``, in logarithms, so any
``alpha`` from 1e-300 to 1e50 is safe, and a coordinate's exponential growth
under a constant gradient is integrated exactly by any step.

Each problem ``k`` of a batch is a weighted, centred least-squares problem on
a shared ``X`` (cross-validation folds are the full data with weight zero off
their training rows):

    L_k(beta) = 1 / (2 m_k) sum_i W_ik (y_i - c_k - (x_i - o_k)^T beta)^2,
    g_k = X_k^T (W_k e_k) / m_k,   e_k the residuals, X_k the centred design.

Three ideas make the integration cheap (``_Integrator``):

- A working set. A coordinate far from mattering (``|beta_j|`` times its
  column scale below 1e-10 of the scale of ``y``) is left out of the
  residual. Its ``theta_j`` changes by ``-4 x_j^T R / m`` where ``R`` is the
  sum over steps of ``eta W e``, so it is brought up to date exactly by one
  product ``X^T R`` when the working set is refreshed. Between refreshes, a
  bound on the left-out coordinates' growth (their gradient at the refresh,
  plus Cauchy-Schwarz ``|x_j^T (e - e_r)| <= ||x_j|| ||e - e_r||`` for its
  change) says when one of them could have started to matter, and the
  working set is refreshed then. The bound is a heuristic, not a proof: the
  change of the residual over a step is estimated from its end points (a
  step's error control keeps it smooth), and a refresh that finds a
  coordinate already past its margin simply takes it in.
- Linearly implicit steps. The coordinates whose curvature would limit an
  explicit step are advanced by a linearly implicit (Rosenbrock-Euler) step,
  ``(I + 4 eta H D) dtheta = -4 eta g`` with ``D = dbeta/dtheta``, which is
  stable for any step: long plateaus of the flow, where the learned
  coordinates sit at a least-squares solution while the next ones grow, are
  crossed in a few steps.
- Steps chosen by accuracy, not stability: ROS2, a second-order, L-stable
  Rosenbrock (W-)method, with the difference of its first- and second-order
  solutions as the local error estimate (relative, in ``beta``) and
  Gustafsson's predictive controller on the step (:func:`step_factor`); a
  small coordinate may grow in one step only to just past significance (so
  its arrival is seen by the error estimate), and a step whose loss went up
  anyway is undone and retried 4 times shorter.

:func:`implicit_path` is the public entry point; the estimator
(:mod:`._implicit`) runs its cross-validation folds and its final fit
through the same :class:`_Integrator`.
"""

import numbers
import warnings
from dataclasses import dataclass, field, fields

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_X_y

from ._base import (
    _max_abs,
    float64_times_pow2,
    pow2_exponent,
    prepare_data,
    shareable,
    times_pow2,
    unit_weights,
)
from ._threads import BlasThreads

# Log of the contribution |beta_j| * scale_j (relative to the root mean square
# of y) below which a coordinate is negligible and left out of the residual.
LOG_NEGLIGIBLE = np.log(1e-10)
# ... and above which it is significant (its arrival limits the step, and
# below it the step's error is measured in absolute terms: _error_weight).
LOG_SIGNIFICANT = np.log(1e-3)
# Largest local error of one step (relative, in beta): the default of
# ImplicitRegInterpolator's path_tol is 0.05.
TOLERANCE = 0.02
# ROS2, the second-order, L-stable Rosenbrock method of Verwer et al. (1999).
_GAMMA = 1.0 + 1.0 / np.sqrt(2.0)
# Bounds on the change of the step from one step to the next, and the safety
# factor of the error controller (step_factor).
_MAX_GROWTH = 2.0
_MAX_SHRINK = 0.2
_SAFETY = 0.9
# A problem stops when its time exceeds this (it doubles at most per step).
_TIME_LIMIT = 1e250
# LAPACK's Cholesky factorisation and solve, without scipy's input checks
# (they cost more than the solve on these small systems).
_potrf, _potrs = scipy.linalg.lapack.dpotrf, scipy.linalg.lapack.dpotrs
# Coordinates within this many e-folds of LOG_NEGLIGIBLE join the working set.
WORKING_SET_MARGIN = 10.0
# The explicitly stepped coordinates satisfy 4 eta trace(D H) <= this.
EXPLICIT_TRACE = 0.5
# At most this many coordinates per problem are stepped implicitly, or the
# number of rows if larger, or as many as IMPLICIT_WORK multiply-adds per
# problem and IMPLICIT_ENTRIES entries of the batch's columns (a few dense
# (K, n, w) arrays are held at once) allow. The implicit system is
# solved in the smaller of coordinate and row space: up to n coordinates cost
# at most an n x n factorisation, w > n cost n^2 w to form the rows' Gram
# matrix and that factorisation. A cap below the number of coordinates
# carrying curvature cuts every step (implicit_split), and the error
# controller can only double it back. Measured: capping at n rather than at
# the coordinates fitting the rows (features seen on one row each: 1800 for
# n = 1000) cut the steps 10-fold (287 s against 24 s, the sparse benchmark's
# fit); capping at 256 took 9800 steps to t = 1e4 on a least-squares fold of
# the permeability data (n = 132, about 470 coordinates in the working set),
# against 920 uncapped; with a large init_scale every coordinate carries
# curvature, and at n = 100, d = 4000 a cap of 256 took 2300 steps (11 s),
# one of 1677 still 1340 (13 s: each step costs more, and the cap still cuts
# it), the whole working set 21 (0.9 s).
MAX_IMPLICIT = 256
IMPLICIT_WORK = 2**27
IMPLICIT_ENTRIES = 2**23


def _beta(theta, log_init):
    """``2 alpha^2 sinh(theta)`` computed from ``log_init = log(alpha^2)``."""
    a = np.abs(theta)
    return np.sign(theta) * np.exp(log_init + a) * -np.expm1(-2.0 * a)


def _dbeta(theta, log_init):
    """``dbeta / dtheta = 2 alpha^2 cosh(theta)``."""
    a = np.abs(theta)
    return np.exp(log_init + a) * (1.0 + np.exp(-2.0 * a))


def step_factor(error, eta, accepted_eta, accepted_error, after_rejection):
    """The error controller: the next step over this one, per problem.

    ``error`` is the local error of the step ``eta`` over the tolerance (the
    step is accepted when it is at most 1). ROS2's error estimate is
    ``O(eta^2)``, whence the classic factor ``0.9 / sqrt(error)``. But while a
    coordinate grows exponentially the error grows much faster than
    ``eta^2`` with the step, and that factor alternates between a step too
    long (rejected, a whole iteration lost) and one too short. So, as in
    Hairer's RODAS, an accepted step also takes Gustafsson's predictive factor
    ``0.9 (eta / eta_acc) sqrt(error_acc) / error``, which follows the error's
    observed growth from the last accepted step (``accepted_eta``,
    ``accepted_error``; ``accepted_eta = 0`` before the first), if it is
    smaller; and the step after a rejection does not grow. (Measured over 20
    fits in five settings: 15% fewer iterations, and the same chosen time in
    19; on the paper's design, 8% of the steps tried are rejected, not 23%.)

    References: K. Gustafsson, "Control-theoretic techniques for stepsize
    selection in implicit Runge-Kutta methods", ACM TOMS 20 (1994); E. Hairer
    and G. Wanner, "Solving Ordinary Differential Equations II", Section IV.8.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = _SAFETY / np.sqrt(error)
        predictive = _SAFETY * (eta / accepted_eta) * np.sqrt(accepted_error) / error
    accept = error <= 1.0
    factor = np.where(
        accept & (accepted_eta > 0), np.minimum(factor, predictive), factor
    )
    factor = np.where(accept & after_rejection, np.minimum(factor, 1.0), factor)
    # (error = 0: inf, clipped to the largest growth; inf or nan: the smallest.)
    factor = np.where(np.isnan(factor), _MAX_SHRINK, factor)
    return np.clip(factor, _MAX_SHRINK, _MAX_GROWTH)


def implicit_split(load, budget, max_size):
    """Per row, the fewest columns of largest load leaving ``budget`` to the rest.

    ``load`` (K, a) is non-negative (``4 eta D_j H_jj``: the implicit block's
    share of the trace). Returns ``(ranked, size, shrink)``: ``ranked`` (K, w)
    holds distinct column indices, first by decreasing load (equal loads by
    index), of which the first ``size[k]`` make the block ``S`` of row ``k``
    (past the row's candidates, any columns); where more than ``max_size`` would be
    needed, ``size`` is ``max_size`` and ``shrink`` < 1 the factor that cuts
    the step (and so every load) until the rest fits the budget; else 1.
    """
    n_rows, n_cols = load.shape
    # A column below half the budget spread over all of them is never needed
    # in S: only the others (the candidates) are sorted, all rows at once,
    # each padded to the longest row's count with small columns, which sort
    # last and count zero in the cumulative sum (adding 0 is exact: the sums
    # are those of each row's candidates alone).
    small = load <= 0.5 * budget / max(n_cols, 1)
    small_trace = np.where(small, load, 0.0).sum(axis=1)
    width = int((~small).sum(axis=1).max(initial=0))
    if width == 0:
        return np.zeros((n_rows, 0), dtype=int), np.zeros(n_rows, int), np.ones(n_rows)
    key = np.where(small, np.inf, -load)
    row = np.arange(n_rows)[:, None]  # (fancy indexing: cheaper than take_along_axis)
    # (Sorted by index first: equal loads then rank by index, as in a stable
    # sort of the row alone, not by where the partition left them.)
    top = np.sort(np.argpartition(key, width - 1, axis=1)[:, :width], axis=1)
    ranked = top[row, np.argsort(key[row, top], axis=1, kind="stable")]
    sorted_load = np.where(small[row, ranked], 0.0, load[row, ranked])
    # rest[:, i]: the trace left to the explicit part if S = ranked[:, :i].
    rest = np.empty((n_rows, width + 1))
    rest[:, :-1] = np.cumsum(sorted_load[:, ::-1], axis=1)[:, ::-1]
    rest[:, -1] = 0.0
    rest += small_trace[:, None]
    size = (rest > budget).sum(axis=1)
    shrink = np.ones(n_rows)
    over = np.flatnonzero(size > max_size)
    if over.size:
        shrink[over] = budget / rest[over, max_size]
    return ranked, np.minimum(size, max_size), shrink


@dataclass
class Problems:
    """``K`` weighted, centred least-squares problems sharing ``X``.

    ``X`` is dense or CSC, of shape (n, d), and the problems' columns are
    ``x_factor`` times its columns (a dense ``X`` is shared with the caller,
    not copied into the problems' units); ``targets`` (K, n) are
    ``y - c_k``; ``weight`` (K, n) the non-negative training weights;
    ``offset`` (K, d) the column offsets ``o_k`` (``None``: no centring), in
    the problems' units. ``log_init`` (K,) is ``log(alpha_k^2)``.
    """

    X: object
    targets: np.ndarray
    weight: np.ndarray
    log_init: np.ndarray
    offset: np.ndarray | None = None
    x_factor: float = 1.0

    def __post_init__(self):
        self.n_problems, self.n_samples = self.weight.shape
        self.n_features = self.X.shape[1]
        self.weight_sum = self.weight.sum(axis=1)
        # sqrt(w / m): the rows' scaling in each problem's Gram matrix.
        tiny = np.finfo(float).tiny
        self.sqrt_weight = np.sqrt(
            self.weight / np.maximum(self.weight_sum, tiny)[:, None]
        )

    def subset(self, rows):
        """The problems ``rows`` (an index array), on the same ``X``."""
        return Problems(
            self.X,
            self.targets[rows],
            self.weight[rows],
            self.log_init[rows],
            None if self.offset is None else self.offset[rows],
            self.x_factor,
        )

    def column_products(self, E, columns=None):
        """``(E @ X[:, columns] - sum(E) o) / m`` for rows ``E``.

        ``E`` has ``K`` rows, or a multiple of ``K`` (blocks of ``K`` rows
        stacked: one pass over ``X`` for all of them).
        """
        X = self.X if columns is None else columns.X
        out = _sparse_products(X, E) if sp.issparse(X) else E @ X
        if columns is None and self.x_factor != 1.0:
            out *= self.x_factor  # (the working set's columns are in units)
        blocks = E.shape[0] // self.n_problems
        view = out.reshape(blocks, self.n_problems, -1)
        if self.offset is not None:
            offset = self.offset if columns is None else columns.offset
            totals = E.sum(axis=1).reshape(blocks, -1)
            for b in range(blocks):  # in place: these arrays can be large
                view[b] -= offset * totals[b][:, None]
        view /= self.weight_sum[:, None]
        return out


def _sparse_products(X, E, rows=32768):
    """``E @ X`` for sparse ``X``, as a C-ordered (m, d) array.

    scipy computes it as ``X.T @ E.T``, a (d, m) array to transpose. For CSC
    ``X`` (``X.T`` is CSR, whose blocks of rows are views of its arrays),
    that is done by blocks of ``rows`` columns of ``X``, so the (d, m) array
    is never whole: at d = 1e6 and m = 12 (a refresh of 6 problems) it would
    be 96 MB besides the result. (Measured: 44 ms against 49 ms whole.)
    """
    XT, ET = X.T, np.ascontiguousarray(E.T)
    if XT.format != "csr" or XT.shape[0] <= rows:
        return _transpose(np.asarray(XT @ ET))
    out = np.empty((E.shape[0], XT.shape[0]))
    indptr = XT.indptr
    for start in range(0, XT.shape[0], rows):
        stop = min(start + rows, XT.shape[0])
        first, last = indptr[start], indptr[stop]
        block = sp.csr_array(
            (
                XT.data[first:last],
                XT.indices[first:last],
                indptr[start : stop + 1] - first,
            ),
            shape=(stop - start, XT.shape[1]),
            copy=False,
        )
        out[:, start:stop] = _transpose(block @ ET)
    return out


def _transpose(A, rows=2048):
    """``A.T`` as a C-ordered array, copied by blocks of ``rows`` rows.

    (numpy's copy of a tall, thin ``A.T`` strides through memory: at
    d = 1e6 rows of 12 columns it costs 6 times this, and 15 times the
    sparse product that made ``A``.)
    """
    out = np.empty(A.shape[::-1], dtype=A.dtype)
    for start in range(0, A.shape[0], rows):
        out[:, start : start + rows] = A[start : start + rows].T
    return out


@dataclass
class _Columns:
    """The working set: column indices, ``X[:, index]`` and offsets, in the
    problems' units (times ``factor``, where ``X`` is :class:`Problems`' own)."""

    index: np.ndarray
    X: object
    offset: np.ndarray | None
    factor: float = 1.0

    @classmethod
    def take(cls, problems, index):
        X = problems.X[:, index]
        if sp.issparse(X):
            X = sp.csr_array(X)
        if problems.x_factor != 1.0:
            X *= problems.x_factor  # (a copy of the columns: in place)
        offset = None if problems.offset is None else problems.offset[:, index]
        return cls(index, X, offset)

    def predict(self, B):
        """Centred predictions ``(X_k B_k^T)`` of each problem, (K, n)."""
        out = np.asarray(self.X @ B.T).T
        if self.factor != 1.0:
            out = out * self.factor
        if self.offset is not None:
            out = out - np.einsum("kj,kj->k", self.offset, B)[:, None]
        return out


def _per_path(**kwargs):
    return field(metadata={"per_path": True}, **kwargs)


@dataclass
class PathState:
    """The state of the running problems; every per-problem array is marked.

    :meth:`compact` keeps a subset of the problems. It slices exactly the
    fields declared with ``_per_path``, so a new per-problem array cannot be
    forgotten (``tests/test_path.py`` checks that every array field is
    declared).
    """

    ids: np.ndarray = _per_path()  # positions in the original batch
    theta: np.ndarray = _per_path()  # (K, d)
    time: np.ndarray = _per_path()  # (K,)
    t_end: np.ndarray = _per_path()  # (K,) stop at this time
    n_steps: np.ndarray = _per_path()  # (K,) accepted steps
    next_capture: np.ndarray = _per_path()  # (K,) index into capture times
    initial_gradient: np.ndarray = _per_path()  # (K,) ||g(0)||_inf
    # Step control: a step whose loss went up is undone, the next one 4x shorter.
    proposal: np.ndarray = _per_path()  # (K,) the error controller's next step
    accepted_eta: np.ndarray = _per_path()  # (K,) the last accepted step (or 0)
    accepted_error: np.ndarray = _per_path()  # (K,) its error over the tolerance
    after_rejection: np.ndarray = _per_path()  # (K,) the last step tried failed
    last_loss: np.ndarray = _per_path()  # (K,) loss before the last step
    last_eta: np.ndarray = _per_path()  # (K,)
    last_theta_step: np.ndarray = _per_path()  # (K, |A|)
    last_accumulated_step: np.ndarray = _per_path()  # (K, n)
    # Working set: R = sum of eta W e since the refresh, and the certificate
    # that no left-out coordinate has become non-negligible since then.
    accumulated: np.ndarray = _per_path()  # (K, n)
    refresh_residual: np.ndarray = _per_path()  # (K, n) W e at the refresh
    rate_bound: np.ndarray = _per_path()  # (K,) a = max |g_j| / margin_j
    drift_bound: np.ndarray = _per_path()  # (K,) b = max c_j / margin_j
    elapsed: np.ndarray = _per_path()  # (K,) time since the refresh
    drift: np.ndarray = _per_path()  # (K,) integral of ||W (e - e_r)||
    last_change: np.ndarray = _per_path()  # (K,) ||W (e - e_r)|| now
    outside_gradient: np.ndarray = _per_path()  # (K,) max |g_j| left out

    def compact(self, keep):
        for f in fields(self):
            if f.metadata.get("per_path"):
                setattr(self, f.name, getattr(self, f.name)[keep])

    def certified(self):
        """Can no left-out coordinate have become non-negligible yet?"""
        return 4.0 * (self.rate_bound * self.elapsed + self.drift_bound * self.drift)


@dataclass
class StepRecord:
    """What the integrator reports to its observer at each iterate.

    Arrays are over the running problems (``ids`` gives their positions in
    the batch): ``time``, relative training ``loss`` (training MSE over the
    weighted mean square of the targets), ``residuals`` (K, n) on all rows,
    ``gradient_norm`` (``||g||_inf``: on the working set now, on the other
    columns at the last refresh of the working set) and
    ``initial_gradient``; ``coef(row)`` gives a problem's coefficients on all
    columns; ``snapshot(row)`` a :class:`Snapshot` of a problem's state.
    """

    ids: np.ndarray
    time: np.ndarray
    loss: np.ndarray
    residuals: np.ndarray
    gradient_norm: np.ndarray
    initial_gradient: np.ndarray
    n_iter: int
    coef: object = None
    snapshot: object = None


# The step controller's state, carried by a snapshot (so a resumed path takes
# the step it would have taken).
_CONTROL = ("proposal", "accepted_eta", "accepted_error", "after_rejection")


@dataclass
class Snapshot:
    """A problem's state at one iterate, from which its path can be resumed.

    ``theta`` (d,) is current on the columns ``current`` (the working set);
    the others lag by the lazy update ``X^T accumulated`` (see
    :meth:`_Integrator._refresh`), applied only if the path is resumed:
    ``run(start=...)`` of an integrator whose problem at the same position
    (or the problem given to ``run``) is this one. Costs a copy of
    ``theta``, not a product with ``X``.
    """

    time: float
    n_steps: int
    theta: np.ndarray
    accumulated: np.ndarray
    current: np.ndarray
    control: dict


class DivergenceError(FloatingPointError):
    """The integration produced non-finite values (extreme input)."""


class _ShiftedGramSolver:
    """Solves ``(I + c_k B_k^T B_k) z_k = r_k`` for a stack of small ``B_k``.

    ``B_k = diag(row_k) A_k diag(col_k)``, with ``A`` (K, rows, cols), ``row``
    (K, rows), ``col`` (K, cols) and ``c`` (K,). Cholesky of the smaller of
    ``I + c B^T B`` and ``I + c B B^T`` (with Woodbury's identity
    ``(I + c B^T B)^-1 = I - c B^T (I + c B B^T)^-1 B``) while ``c ||B||^2``
    is moderate. Beyond ``1e6`` the matrix is too stiff for a Cholesky
    factorisation in floating point (its rounding errors, ``eps c ||B||^2``,
    exceed its smallest eigenvalue 1): an SVD of ``B_k`` itself, whose
    singular values are accurate, gives
    ``z = r - V diag(c s^2 / (1 + c s^2)) V^T r``. ``gram``, if given, is
    ``B^T B``, computed by the caller (:func:`_sparse_gram`; it is
    overwritten); ``B`` is then formed only for an SVD. ``size``, if given,
    (K,): problem ``k``'s columns past ``size[k]`` are padding (``col = 0``).
    The products are batched; LAPACK factorises and solves each problem (as
    fast as numpy's batched routines on small systems, and it keeps
    Cholesky's cost on large ones).
    """

    def __init__(self, A, row, col, c, gram=None, size=None):
        self.c = c
        self.kernel = gram is None and A.shape[2] > A.shape[1]
        self.B = None
        if gram is None:
            self.B = row[:, :, None] * A * col[:, None, :]
            Bt = self.B.transpose(0, 2, 1)
            gram = self.B @ Bt if self.kernel else Bt @ self.B
        M = gram
        M *= c[:, None, None]
        # Its largest diagonal entry is within a factor of the size of the
        # largest eigenvalue (to the number of rows or columns).
        diagonal = np.einsum("kii->ki", M)  # (a writable view)
        stiff = diagonal.max(axis=1, initial=0.0) > 1e6
        diagonal += 1.0
        # The padding (col = 0 past size[k]) is identity rows: only the
        # leading block is factorised (the widest problem sets the stack's
        # width, not every problem's cost).
        full = size is None or self.kernel
        self.sizes = np.full(len(c), M.shape[1]) if full else np.asarray(size)
        self.factors = []
        for k, (Mk, stiff_k, m) in enumerate(zip(M, stiff, self.sizes)):
            if m == 0:
                self.factors.append(None)
                continue
            if not stiff_k:
                factor, info = _potrf(
                    Mk[:m, :m], lower=False, clean=False, overwrite_a=True
                )
                if info == 0:
                    self.factors.append(factor)
                    continue
            Bk = row[k][:, None] * A[k] * col[k] if self.B is None else self.B[k]
            _, s, vt = scipy.linalg.svd(Bk, full_matrices=False, check_finite=False)
            self.factors.append((vt.T, c[k] * s**2 / (1.0 + c[k] * s**2)))

    def solve(self, r):
        """``z`` (K, cols) for right-hand sides ``r`` (K, cols)."""
        z = np.empty_like(r)
        inner = _batch_matvec(self.B, r) if self.kernel else r
        for k, (factor, m) in enumerate(zip(self.factors, self.sizes)):
            if factor is None:  # no block: the identity
                z[k] = r[k]
            elif isinstance(factor, tuple):  # stiff: the SVD form
                V, shrink = factor
                z[k] = r[k] - V @ (shrink * (V.T @ r[k]))
            elif self.kernel:
                u = _potrs(factor, inner[k], lower=False)[0]
                z[k] = r[k] - self.c[k] * (self.B[k].T @ u)
            else:
                z[k, :m] = _potrs(factor, r[k, :m], lower=False)[0]
                z[k, m:] = r[k, m:]
        return z


def _sparse_gram(columns, offset, v, scale):
    """``B_k^T B_k`` of each problem from sparse columns, never centred.

    ``columns`` (n, K s) holds the K problems' blocks side by side;
    ``B_k = diag(sqrt(v_k)) (X_k - 1 o_k^T) diag(scale_k)`` with ``v_k`` the
    weights over the weight sum. Centring makes the columns dense, so
    ``(X - 1 o^T)^T V (X - 1 o^T) = X^T V X - a o^T - o a^T + o o^T`` with
    ``a = X^T v`` (``sum(v) = 1``) takes sparse products and rank-one terms:
    at n = 1000 with 1 non-zero in 1000, 100 times cheaper than the dense
    product. It loses ``eps`` relative to the columns' mean squares, not
    their variances: negligible for sparse columns, whose means are small;
    a problem where a column's mean square exceeds its variance 1e8-fold
    (dense data stored as sparse) gets the dense product instead. (Below
    that, the error is at most about 1e8 eps relative: harmless in the
    Jacobian of a W-method, and it keeps ``I + c B^T B`` positive definite.)
    """
    K, s = scale.shape
    columns = sp.csc_array(columns)
    # Each stored entry scaled by its column's scale (in place of dense passes).
    entry_column = np.repeat(np.arange(K * s), np.diff(columns.indptr))
    columns.data = columns.data * scale.ravel()[entry_column]
    gram = np.empty((K, s, s))
    for k in range(K):
        X = columns[:, k * s : (k + 1) * s]
        weighted = X.copy()
        weighted.data *= v[k][X.indices]
        gram[k] = (X.T @ weighted).toarray()
        if offset is not None:
            a, o = X.T @ v[k], offset[k] * scale[k]
            mean_square = gram[k].diagonal().copy()
            gram[k] -= np.outer(a, o)
            gram[k] -= np.outer(o, a - v[k].sum() * o)
            if np.any(gram[k].diagonal() < 1e-8 * mean_square):
                B = np.sqrt(v[k])[:, None] * (X.toarray() - o)
                gram[k] = B.T @ B
    return gram


def _batch_matvec(A, v):
    """``A_k @ v_k`` for a stack of matrices (K, p, q) and vectors (K, q)."""
    return (A @ v[:, :, None])[:, :, 0]


@dataclass
class _ImplicitBlocks:
    """The implicit blocks of a step, stacked over the problems (padded)."""

    S: np.ndarray  # (K, s) positions in the working set
    XS: np.ndarray  # (K, n, s) their centred columns
    sqrt_d: np.ndarray  # (K, s) sqrt(dbeta/dtheta), 0 on the padding
    solver: _ShiftedGramSolver


@dataclass
class _Evaluation:
    """Quantities at the current iterate of the running problems."""

    theta: np.ndarray  # (K, |A|) theta on the working set
    residuals: np.ndarray  # (K, n) predictions - targets
    weighted: np.ndarray  # (K, n) W e
    loss: np.ndarray  # (K,) relative training loss
    gradient: np.ndarray  # (K, |A|)


class _Integrator:
    """Integrates the flow of a batch of :class:`Problems` (module docstring).

    Parameters
    ----------
    problems : Problems
    column_scale : ndarray of shape (d,)
        Weighted standard deviation of each column (the scale in which a
        coordinate's size is judged); zero for constant columns, which the
        flow never moves.
    tolerance : float or ndarray of shape (K,)
        Largest local error of a step in any ``beta_j``: relative, or
        absolute below its significance size (:meth:`_error_weight`); one
        value per problem, or one for all.
    """

    def __init__(self, problems, column_scale, *, tolerance=TOLERANCE):
        self.problems = problems
        self.tolerance = np.broadcast_to(
            np.asarray(tolerance, dtype=float), (problems.n_problems,)
        )
        self.log_scale = np.full(problems.n_features, -np.inf)
        moving = column_scale > 0
        self.log_scale[moving] = np.log(column_scale[moving])
        # Constant columns: their gradient is round-off, their theta stays 0.
        self.frozen = ~moving
        n, K = max(problems.n_samples, 1), problems.n_problems
        affordable = min(IMPLICIT_WORK // n**2, IMPLICIT_ENTRIES // (K * n))
        self.max_implicit = max(MAX_IMPLICIT, n, affordable)
        self.curvature_diag = column_scale**2  # H_jj
        X = problems.X
        squares = (
            np.asarray(X.multiply(X).sum(axis=0)).ravel()
            if sp.issparse(X)
            else np.einsum("ij,ij->j", X, X)
        )
        self.column_norm = np.sqrt(squares) * problems.x_factor
        energy = np.einsum("ki,ki->k", problems.weight, problems.targets**2)
        energy /= np.maximum(problems.weight_sum, np.finfo(float).tiny)
        self.target_energy = np.where(energy > 0, energy, 1.0)

    def _subproblems(self, rows):
        """The problems of the running rows."""
        p = self.problems
        return p if rows.size == p.n_problems else p.subset(rows)

    # -- the working set -------------------------------------------------------

    def _refresh(self, state, sub, weighted):
        """Bring every ``theta`` up to date; choose the working set anew.

        ``weighted`` is ``W e`` at the current iterate. One product with the
        whole ``X`` gives both the lazy update ``X^T R`` and the current
        gradient of every column, from which the certificate is built: a
        left-out coordinate ``j`` with ``margin_j`` e-folds to go before it
        matters has ``|theta_j|`` grow at rate at most
        ``4 (|g_j(t_r)| + c_j ||W (e - e_r)||)``, ``c_j = ||x_j - o_j|| / m``.
        """
        K = state.ids.size
        work = 2 * K * sub.n_samples * sub.n_features
        with self.threads.for_product(work):
            both = sub.column_products(np.vstack([state.accumulated, weighted]))
        update, gradient = both[:K], both[K:]
        if hasattr(self, "columns"):
            update[:, self.columns.index] = 0.0  # the working set is current
        update[:, self.frozen] = 0.0
        update *= 4.0
        state.theta -= update
        state.accumulated[:] = 0.0
        state.refresh_residual = weighted.copy()
        state.elapsed[:] = 0.0
        state.drift[:] = 0.0
        state.last_change[:] = 0.0
        # Per column, the worst case over the problems: one certificate for
        # all of them (each pass over a (K, d) array counts when d is large).
        size = np.abs(state.theta, out=update)
        size += sub.log_init[:, None]
        largest = size.max(axis=0, initial=-np.inf) + self.log_scale
        index = np.flatnonzero(largest >= LOG_NEGLIGIBLE - WORKING_SET_MARGIN)
        self.columns = _Columns.take(sub, index)
        outside = self.log_scale > -np.inf
        outside[index] = False
        if not outside.any():
            state.rate_bound[:] = 0.0
            state.drift_bound[:] = 0.0
            state.outside_gradient[:] = 0.0
            return
        margin = LOG_NEGLIGIBLE - largest[outside]
        rate = np.abs(gradient, out=gradient).max(axis=0)[outside]
        state.outside_gradient[:] = rate.max()
        state.rate_bound[:] = (rate / margin).max()
        drift = (self._centred_norm(sub)[outside] / margin).max()
        state.drift_bound = drift / sub.weight_sum

    def _centred_norm(self, sub):
        """A bound on ``max_k ||x_j - o_kj 1||_2``, per column (cached).

        ``||x_j|| + sqrt(n) max_k |o_kj|``, by the triangle inequality.
        """
        if sub.offset is None:
            return self.column_norm
        if getattr(self, "_norm_for", None) is not sub.offset:
            offset = np.abs(sub.offset[0])  # (row by row: no (K, d) temporary)
            for row in sub.offset[1:]:
                np.maximum(offset, np.abs(row), out=offset)
            self._norm_cache = self.column_norm + np.sqrt(sub.n_samples) * offset
            self._norm_for = sub.offset
        return self._norm_cache

    # -- one iterate -------------------------------------------------------------

    def _evaluate(self, state, sub):
        cols = self.columns
        theta = state.theta[:, cols.index]
        beta = _beta(theta, sub.log_init[:, None])
        residuals = cols.predict(beta) - sub.targets
        weighted = sub.weight * residuals
        loss = np.einsum("ki,ki->k", weighted, residuals) / sub.weight_sum
        gradient = sub.column_products(weighted, cols)
        if not (np.all(np.isfinite(loss)) and np.all(np.isfinite(gradient))):
            raise DivergenceError(
                "The gradient flow produced non-finite values; the input has "
                "extreme values for this init_scale."
            )
        return _Evaluation(
            theta, residuals, weighted, loss / self.target_energy[state.ids], gradient
        )

    def _undo_worse_steps(self, state, sub, ev):
        """Undo the last step of problems whose loss went up (a safety net:
        the error control makes it rare); their next step is 4 times shorter."""
        # (Relative 1e-6: near a least-squares solution, round-off moves the
        # loss by more than 1e-9 when the steps are long.)
        worse = ev.loss > state.last_loss * (1.0 + 1e-6) + 1e-12
        if not worse.any():
            return ev
        cols = self.columns.index
        state.theta[np.ix_(worse, cols)] -= state.last_theta_step[worse]
        state.accumulated[worse] -= state.last_accumulated_step[worse]
        state.time[worse] -= state.last_eta[worse]
        state.elapsed[worse] -= state.last_eta[worse]
        state.n_steps[worse] -= 1
        state.proposal[worse] = 0.25 * state.last_eta[worse]
        state.after_rejection[worse] = True
        # (The undone step's error estimate was wrong: the controller forgets
        # it, and its next factor is the classic one.)
        state.accepted_eta[worse] = 0.0
        state.last_loss[worse] = np.inf
        return self._evaluate(state, sub)

    def _step_sizes(self, state, sub, ev):
        """The step of each problem: the error controller's proposal, capped.

        Caps: the end time; a small coordinate may not grow past one e-fold
        beyond significance in one step (so that a coordinate's arrival is
        resolved by the error estimate, not skipped over); at most double the
        time. Returns ``(eta, room)``, ``room`` the step the working-set
        certificate allows.
        """
        cols = self.columns
        log_init = sub.log_init[:, None]
        size = log_init + np.abs(ev.theta) + self.log_scale[cols.index]
        rate = 4.0 * np.abs(ev.gradient)
        growing = (ev.gradient * ev.theta <= 0.0) & (size < LOG_SIGNIFICANT)
        arrival = np.where(growing, (LOG_SIGNIFICANT - size + 1.0) / rate, np.inf)
        eta = np.minimum(state.proposal, arrival.min(axis=1, initial=np.inf))
        unit = 1.0 / np.maximum(rate.max(axis=1, initial=0.0), 1e-300)
        eta = np.minimum(eta, np.maximum(state.time, unit))
        eta = np.maximum(np.minimum(eta, state.t_end - state.time), 0.0)
        # Nothing moves (no gradient on the working set, none outside): the
        # path is stationary; jump to its end.
        still = (rate.max(axis=1, initial=0.0) == 0) & (state.rate_bound == 0)
        eta = np.where(
            still, np.minimum(state.t_end, 2 * _TIME_LIMIT) - state.time, eta
        )
        # The certificate must still hold at the end of the step: the residual
        # may move by about as much again as it has since the refresh.
        speed = 4.0 * (state.rate_bound + state.drift_bound * 2.0 * state.last_change)
        room = np.where(speed > 0, (1.0 - state.certified()) / speed, np.inf)
        return eta, room

    def _implicit_blocks(self, sub, theta, eta):
        """Factorised ``I + 4 gamma eta D_S^1/2 H_SS D_S^1/2`` of each problem.

        ``S`` holds the coordinates of largest curvature ``D_j H_jj``: the
        fewest that leave ``4 eta trace(D H) <= EXPLICIT_TRACE`` to the
        explicitly treated rest (at most ``max_implicit``, else
        ``eta`` is reduced). The problems' blocks are stacked, padded to the
        largest with coordinates of ``D = 0``: these add identity rows to the
        system, so they get ``z = 0`` and leave the rest as it was (and a
        problem without a block gets ``z = 0`` throughout). Returns an
        :class:`_ImplicitBlocks` (None if no problem has a block) and ``eta``.
        """
        cols = self.columns
        if theta.shape[1] == 0:
            return None, eta
        dbeta = _dbeta(theta, sub.log_init[:, None])
        load = 4.0 * eta[:, None] * dbeta * self.curvature_diag[cols.index]
        ranked, size, shrink = implicit_split(load, EXPLICIT_TRACE, self.max_implicit)
        eta *= shrink
        size = np.where(eta > 0, size, 0)
        width = int(size.max(initial=0))
        if width == 0:
            return None, eta
        S = ranked[:, :width]
        row = np.arange(sub.n_problems)[:, None]
        inside = np.arange(width) < size[:, None]
        sqrt_d = np.where(inside, np.sqrt(dbeta[row, S]), 0.0)
        offset = None if cols.offset is None else cols.offset[row, S]
        columns = cols.X[:, S.ravel()]
        gram = None
        if sp.issparse(columns):
            if width <= sub.n_samples:
                gram = _sparse_gram(columns, offset, sub.sqrt_weight**2, sqrt_d)
            columns = columns.toarray()
        XS = columns.reshape(sub.n_samples, sub.n_problems, width).transpose(1, 0, 2)
        if offset is not None:
            XS = XS - offset[:, None, :]
        c = np.where(size > 0, 4.0 * _GAMMA * eta, 0.0)
        solver = _ShiftedGramSolver(XS, sub.sqrt_weight, sqrt_d, c, gram, size)
        return _ImplicitBlocks(S, XS, sqrt_d, solver), eta

    def _stage(self, sub, blocks, weighted, eta, gradient=None):
        """One stage of the Rosenbrock method: solve ``W k = F``.

        ``F = -4 X^T weighted / m`` on every column (``gradient``, if given,
        is ``X^T weighted / m`` on the working set, already computed). The
        implicit block gives ``k_S``; every column, working set or not, then
        has ``k_j = -4 x_j^T r / m`` with the effective weighted residual
        ``r = weighted + gamma eta W X_S D_S k_S``. Returns ``(k, r)``, ``k``
        on the working set: one product with the working set's columns.
        """
        r = weighted
        if blocks is not None:
            S, XS, sqrt_d = blocks.S, blocks.XS, blocks.sqrt_d
            if gradient is None:
                F = _batch_matvec(XS.transpose(0, 2, 1), weighted)
                F /= sub.weight_sum[:, None]
            else:
                F = gradient[np.arange(S.shape[0])[:, None], S]
            z = blocks.solver.solve(-4.0 * sqrt_d * F)
            shift = _batch_matvec(XS, sqrt_d * z)
            r = weighted + (_GAMMA * eta)[:, None] * sub.weight * shift
        return -4.0 * sub.column_products(r, self.columns), r

    def _error_weight(self, theta, log_init):
        """Converts an error in ``theta_j`` into a relative error in ``beta_j``.

        An error ``e`` in ``theta_j`` moves ``beta_j`` by ``e D_j``
        (``D_j = dbeta/dtheta``). It is measured against
        ``max(|beta_j|, min(D_j, atol_j))``, ``atol_j`` the size at which the
        coordinate becomes significant (``LOG_SIGNIFICANT``): in the
        exponential regime (``|theta_j|`` large) ``D_j ~ |beta_j|`` and the
        weight is 1, the error in ``theta`` itself; near ``theta_j = 0`` with
        a large ``init_scale`` (the linear, ridge-like regime, where ``theta``
        barely moves while ``beta`` does) it is a relative error in
        ``beta_j``, or an absolute one below ``atol_j``. The weight is >= 1.
        """
        a = np.abs(theta)
        log_d = log_init + a + np.log1p(np.exp(-2.0 * a))
        log_beta = log_init + a + np.log(-np.expm1(-2.0 * a))
        log_atol = LOG_SIGNIFICANT - self.log_scale[self.columns.index]
        return np.exp(log_d - np.maximum(log_beta, np.minimum(log_d, log_atol)))

    def _ros2(self, sub, blocks, ev, eta):
        """ROS2's step from the iterate ``ev``: ``(theta_step, accumulated_step,
        error)``, the last the local error estimate in ``theta`` (K, |A|).

        In the form of Verwer et al. (1999), whose stages need no product
        with the implicit block: each stage is ``k = -4 X^T r / m`` for an
        effective residual ``r`` (:meth:`_stage`), so the step of ``R``, the
        lazy update of the columns outside the working set, is the same
        combination of the stages' ``r``. The error estimate is the
        difference of the second- and first-order solutions.
        (``benchmarks/bench_integrator.py`` measured third-order W-methods in
        its place.)
        """
        # A trial step far too long can overflow (the loop ignores it): it is
        # then rejected (its error is not finite), the next one five times
        # shorter.
        k1, r1 = self._stage(sub, blocks, ev.weighted, eta, ev.gradient)
        theta_mid = ev.theta + eta[:, None] * k1
        beta_mid = _beta(theta_mid, sub.log_init[:, None])
        residual_mid = self.columns.predict(beta_mid) - sub.targets
        k2, r2 = self._stage(sub, blocks, sub.weight * residual_mid - 2.0 * r1, eta)
        theta_step = eta[:, None] * (1.5 * k1 + 0.5 * k2)
        accumulated_step = eta[:, None] * (1.5 * r1 + 0.5 * r2)
        return theta_step, accumulated_step, eta[:, None] * 0.5 * (k1 + k2)

    def _advance(self, state, sub, ev, eta):
        """One step of ROS2, with its error estimate (module docstring).

        Problems whose local error (relative, in ``beta``: see
        :meth:`_error_weight`) exceeds the tolerance do not move; the
        controller proposes their next step.
        """
        blocks, eta = self._implicit_blocks(sub, ev.theta, eta)
        theta_step, accumulated_step, error = self._ros2(sub, blocks, ev, eta)
        # The local error, measured in beta (see _error_weight).
        error = np.abs(error)
        error *= self._error_weight(ev.theta, sub.log_init[:, None])
        error = error.max(axis=1, initial=0.0)
        finite = np.isfinite(theta_step).all(axis=1) & np.isfinite(
            accumulated_step
        ).all(axis=1)
        error = np.where(finite & np.isfinite(error), error, np.inf)
        error /= self.tolerance[state.ids]
        accept = error <= 1.0
        tried = eta > 0
        factor = step_factor(
            error, eta, state.accepted_eta, state.accepted_error, state.after_rejection
        )
        state.proposal = np.where(tried, eta * factor, state.proposal)
        done = accept & tried
        state.accepted_eta = np.where(done, eta, state.accepted_eta)
        # (Floored as in RODAS: a tiny error would inflate the next factor.)
        state.accepted_error = np.where(
            done, np.maximum(error, 1e-2), state.accepted_error
        )
        state.after_rejection = np.where(tried, ~accept, state.after_rejection)
        theta_step[~accept] = 0.0
        accumulated_step[~accept] = 0.0
        eta = np.where(accept, eta, 0.0)
        state.theta[:, self.columns.index] += theta_step
        state.accumulated += accumulated_step
        state.time += eta
        state.elapsed += eta
        state.n_steps += accept
        state.last_loss = np.where(accept, ev.loss, state.last_loss)
        state.last_eta = eta
        state.last_theta_step = theta_step
        state.last_accumulated_step = accumulated_step

    # -- the loop ----------------------------------------------------------------

    def run(self, *, t_end, max_iter, observer=None, capture_times=None, start=None):
        """Integrate every problem from ``theta = 0`` (or ``start``) up to ``t_end``.

        Parameters
        ----------
        t_end : ndarray of shape (K,)
            Time at which each problem stops (``inf``: when the observer says
            so, or at ``max_iter``).
        max_iter : int
            Maximum number of steps (counted over the batch).
        observer : callable, optional
            Called at each iterate with a :class:`StepRecord`; returns a
            boolean array over its ``ids``: True stops that problem.
        capture_times : list of ndarray, optional
            Per problem, sorted times at which to return the coefficients
            (the steps land on them).
        start : list of Snapshot or None, optional
            Per problem, the state to resume its path from (its time, steps
            and step control), or None to start at ``theta = 0``.

        Returns
        -------
        result : dict
            ``"time"``, ``"n_iter"`` (K,: steps since ``theta = 0``, those
            before a resumed state included) and ``"coef"`` (K, d) at the end,
            ``"captured"`` (list per problem of (n_times, d) arrays) and
            ``"max_iter"`` (True if ``max_iter`` stopped a running problem).
        """
        p = self.problems
        K, n, d = p.n_problems, p.n_samples, p.n_features
        captures = capture_times or [np.empty(0)] * K
        state = PathState(
            ids=np.arange(K),
            theta=np.zeros((K, d)),
            time=np.zeros(K),
            t_end=np.asarray(t_end, dtype=float).copy(),
            n_steps=np.zeros(K, dtype=int),
            next_capture=np.zeros(K, dtype=int),
            initial_gradient=np.full(K, np.nan),
            proposal=np.full(K, np.inf),
            accepted_eta=np.zeros(K),
            accepted_error=np.ones(K),
            after_rejection=np.zeros(K, dtype=bool),
            last_loss=np.full(K, np.inf),
            last_eta=np.zeros(K),
            last_theta_step=np.zeros((K, 0)),
            last_accumulated_step=np.zeros((K, n)),
            accumulated=np.zeros((K, n)),
            refresh_residual=np.zeros((K, n)),
            rate_bound=np.zeros(K),
            drift_bound=np.zeros(K),
            elapsed=np.zeros(K),
            drift=np.zeros(K),
            last_change=np.zeros(K),
            outside_gradient=np.zeros(K),
        )
        for k, snapshot in enumerate(start or []):
            if snapshot is not None:
                state.theta[k] = self._complete_theta(
                    k, snapshot.theta, snapshot.accumulated, snapshot.current
                )
                state.time[k] = snapshot.time
                state.n_steps[k] = snapshot.n_steps
                for name, value in snapshot.control.items():
                    getattr(state, name)[k] = value
        result = {
            "time": np.zeros(K),
            "n_iter": np.zeros(K, dtype=int),
            "coef": np.zeros((K, d)),
            "captured": [np.zeros((c.size, d)) for c in captures],
            "max_iter": False,
        }
        self.threads = BlasThreads()
        # Overflow and invalid values are expected (a trial step far too long)
        # and handled: such a step is rejected, and non-finite values at an
        # iterate raise DivergenceError. (One context for the whole loop: a
        # context per step costs more than many of its array operations. The
        # observer runs under the caller's settings.)
        self._caller_errstate = np.geterr()
        with (
            self.threads.single(),
            np.errstate(divide="ignore", invalid="ignore", over="ignore"),
        ):
            self._loop(state, result, captures, t_end, max_iter, observer)
        return result

    def _loop(self, state, result, captures, t_end, max_iter, observer):
        """The integration loop of :meth:`run`."""
        p = self.problems
        # The residual at the start: -targets at theta = 0 (time 0), else
        # from all columns of the resumed problems.
        fitted = 0.0
        if np.any(state.time > 0):
            beta = _beta(state.theta, p.log_init[:, None])
            every = np.arange(p.n_features)
            fitted = _Columns(every, p.X, p.offset, p.x_factor).predict(beta)
        self._refresh(state, p, p.weight * (fitted - p.targets))
        sub = p
        for n_iter in range(max_iter + 1):
            ev = self._evaluate(state, sub)
            ev = self._undo_worse_steps(state, sub, ev)
            # The certificate: integrate ||W (e - e_r)|| over the last step.
            change = np.linalg.norm(ev.weighted - state.refresh_residual, axis=1)
            state.drift += state.last_eta * np.maximum(change, state.last_change)
            state.last_change = change
            first = np.isnan(state.initial_gradient)
            if first.any():
                full = np.abs(sub.column_products(ev.weighted)).max(axis=1, initial=0)
                state.initial_gradient[first] = full[first]
            self._capture(state, captures, result)

            # Done: at the end time. Stalled: nothing can move any more (no
            # gradient anywhere), or the time has run away (a least-squares
            # solution, approached ever more slowly).
            stop = (state.time >= state.t_end * (1 - 1e-12)) | (
                state.time > _TIME_LIMIT
            )
            if observer is not None:
                record = StepRecord(
                    ids=state.ids,
                    time=state.time.copy(),
                    loss=ev.loss,
                    residuals=ev.residuals,
                    gradient_norm=np.maximum(
                        np.abs(ev.gradient).max(axis=1, initial=0.0),
                        state.outside_gradient,
                    ),
                    initial_gradient=state.initial_gradient,
                    n_iter=n_iter,
                    coef=lambda row, state=state: self._full_coef(state, row),
                    snapshot=lambda row, state=state: self._snapshot(state, row),
                )
                with np.errstate(**self._caller_errstate):
                    stop = stop | np.asarray(observer(record), dtype=bool)
            if n_iter == max_iter:
                result["max_iter"] = not stop.all()
                stop[:] = True
            if stop.any():
                for row in np.flatnonzero(stop):
                    k = state.ids[row]
                    result["time"][k] = state.time[row]
                    result["n_iter"][k] = state.n_steps[row]
                    result["coef"][k] = self._full_coef(state, row)
                keep = ~stop
                if not keep.any():
                    break
                state.compact(keep)
                if self.columns.offset is not None:
                    self.columns.offset = self.columns.offset[keep]
                sub = self._subproblems(state.ids)
                ev = _Evaluation(
                    ev.theta[keep],
                    ev.residuals[keep],
                    ev.weighted[keep],
                    ev.loss[keep],
                    ev.gradient[keep],
                )
            # Requested capture times cap the step so that it lands on them.
            saved = state.t_end.copy()
            for row, k in enumerate(state.ids):
                c = captures[k]
                if state.next_capture[row] < c.size:
                    nxt = c[state.next_capture[row]]
                    state.t_end[row] = min(state.t_end[row], nxt)
            eta, room = self._step_sizes(state, sub, ev)
            # Refresh the working set when the certificate has run out or
            # would cut the step to less than half of what accuracy allows.
            # (Right after a refresh, another one cannot help.)
            if np.any(state.certified() > 1.0) or np.any(
                (room < 0.5 * eta) & (state.elapsed > 0)
            ):
                self._refresh(state, sub, ev.weighted)
                ev = self._evaluate(state, sub)
                eta, room = self._step_sizes(state, sub, ev)
            self._advance(state, sub, ev, np.minimum(eta, np.maximum(room, 0.0)))
            state.t_end = saved

    def _capture(self, state, captures, result):
        """Store the coefficients of problems whose time landed on a capture."""
        for row, k in enumerate(state.ids):
            c = captures[k]
            while state.next_capture[row] < c.size and (
                state.time[row] >= c[state.next_capture[row]] * (1 - 1e-12)
            ):
                result["captured"][k][state.next_capture[row]] = self._full_coef(
                    state, row
                )
                state.next_capture[row] += 1

    def _full_coef(self, state, row):
        """``beta`` of one running problem on all columns (lazy part applied)."""
        k = state.ids[row]
        theta = self._complete_theta(
            k, state.theta[row], state.accumulated[row], self.columns.index
        )
        return _beta(theta, self.problems.log_init[k])

    def _complete_theta(self, k, theta, accumulated, current):
        """Problem ``k``'s ``theta`` with the lazy update applied off ``current``."""
        theta = theta.copy()
        if np.any(accumulated):
            sub = self._subproblems(np.array([k]))
            update = sub.column_products(accumulated[None, :])[0]
            update[current] = 0.0
            update[self.frozen] = 0.0
            theta -= 4.0 * update
        return theta

    def _snapshot(self, state, row):
        """A :class:`Snapshot` of one running problem (copies, no product)."""
        return Snapshot(
            time=float(state.time[row]),
            n_steps=int(state.n_steps[row]),
            theta=state.theta[row].copy(),
            accumulated=state.accumulated[row].copy(),
            current=self.columns.index,
            control={name: getattr(state, name)[row] for name in _CONTROL},
        )


def column_scale(X, weight, offset, origin=None, *, eps=np.finfo(np.float64).eps):
    """Weighted standard deviation of each column (``offset``: its centre).

    Computed from the deviations themselves, not as ``E[x^2] - mean^2``,
    which cancels catastrophically for a column with a large mean. A column
    whose spread is round-off of its size is constant (scale 0); ``origin``
    is the offset that centring already removed from ``X`` (dense ``X``), so
    that its size is that of the caller's column; ``eps`` that of the
    caller's dtype.
    """
    m = weight.sum()
    centre = np.zeros(X.shape[1]) if offset is None else offset
    if sp.issparse(X):
        X = sp.csr_array(X)
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        cols, w = X.indices, weight[rows]
        mean = np.bincount(cols, weights=w * X.data, minlength=X.shape[1]) / m
        # Deviations from the mean on the non-zeros, and of the zeros.
        dev = X.data - mean[cols]
        on_zeros = m - np.bincount(cols, weights=w, minlength=X.shape[1])
        full = np.bincount(cols, minlength=X.shape[1]) == X.shape[0]
        on_zeros = np.where(full, 0.0, np.maximum(on_zeros, 0.0))
        var = np.bincount(cols, weights=w * dev * dev, minlength=X.shape[1])
        var = (var + on_zeros * mean**2) / m + (mean - centre) ** 2
        size = np.sqrt(
            np.bincount(cols, weights=w * X.data**2, minlength=X.shape[1]) / m
        )
    elif not np.any(centre):  # dense X arrives centred: no copy needed
        # (einsum: no (n, d) temporary, whose first touch costs more than the
        # sum: 0.4 s at n = 200, d = 1e5.)
        var = np.einsum("i,ij,ij->j", weight, X, X) / m
        size = np.sqrt(var)
    else:
        dev = X - centre
        var = np.einsum("i,ij,ij->j", weight, dev, dev) / m
        size = np.sqrt(np.einsum("i,ij,ij->j", weight, X, X) / m)
    if origin is not None:
        size = np.sqrt(size**2 + origin**2)
    scale = np.sqrt(np.maximum(var, 0.0))
    # Columns that are constant to rounding do not move the flow.
    scale[scale <= 64 * eps * size] = 0.0
    return scale


def implicit_path(
    X,
    y,
    *,
    init_scale=1e-30,
    times=None,
    n_times=50,
    sample_weight=None,
    fit_intercept=True,
    max_iter=10_000,
    path_tol=0.05,
):
    """Coefficients of the Hadamard part ``w*w - u*u`` along its gradient flow.

    The sparse part of :class:`ImplicitRegInterpolator` on its own: gradient
    descent with small steps on ``beta = w * w - u * u`` from
    ``w = u = init_scale``, for the (weighted, centred) squared loss, follows
    the gradient flow that this function integrates. Small coordinates grow
    like ``init_scale^2 exp(4 |g_j| t)``: the coordinates most correlated with
    the residual are learned first, one plateau at a time (with a tiny
    ``init_scale``, each plateau is a least-squares fit on the coordinates
    learned so far [1]_). As ``t -> inf`` it tends to an interpolator, the
    minimum-l1-norm one as ``init_scale -> 0`` [2]_.

    As with :func:`sklearn.linear_model.lasso_path`, the data are centred (with
    ``fit_intercept``) and the path is returned on a grid; ``y`` is scaled to
    unit root mean square during the integration, so ``init_scale`` and
    ``times`` are relative to that scale, and the coefficients are returned in
    the units of ``y``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Target values.
    init_scale : float or array-like of shape (n_init_scales,), default=1e-30
        Initial value of every ``w_j`` and ``u_j``, relative to the root mean
        square of the centred ``y``; several values give several paths.
    times : array-like of shape (n_times,), default=None
        Gradient-flow times at which to return the coefficients (of the
        problem with ``y`` scaled to unit root mean square). ``None``:
        ``n_times`` times, geometrically spaced from the time at which the
        first coordinate becomes significant to ten times that, which covers
        a path of a few hundred coordinates; the steps land exactly on them.
    n_times : int, default=50
        Number of times when ``times`` is None.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples in the squared loss.
    fit_intercept : bool, default=True
        Whether to centre ``X`` and ``y`` by their weighted means.
    max_iter : int, default=10000
        Maximum number of integration steps (for all paths together). If it
        stops the integration before the last time, a
        :class:`~sklearn.exceptions.ConvergenceWarning` says so and the
        coefficients at the times not reached are NaN.
    path_tol : float, default=0.05
        Accuracy of the integration: the largest local error of a step,
        relative, in any coefficient (absolute, in units of ``1e-3`` of the
        root mean square of ``y`` over the column's scale, for coefficients
        below that size). As :class:`ImplicitRegInterpolator`'s ``path_tol``.

    Returns
    -------
    times : ndarray of shape (n_times,) or (n_init_scales, n_times)
        The gradient-flow times.
    coefs : ndarray of shape (n_features, n_times) or \
            (n_init_scales, n_features, n_times)
        The Hadamard part ``w * w - u * u`` at those times, in the units of
        ``y``.

    See Also
    --------
    ImplicitRegInterpolator : Chooses a time on this path by cross-validation
        and adds the minimum-l2 interpolant of the residual.
    sklearn.linear_model.lasso_path : The Lasso's path, indexed by its penalty.

    Notes
    -----
    The integrator (module ``sk_implicit._path``) works in
    ``theta = log(w^2 / init_scale^2)``, in which exponential growth is exact,
    with linearly implicit steps for the learned coordinates and a working
    set for the others; it is checked against a fine-step solution of the
    ODE and against plain gradient descent in ``tests/test_path.py``.

    References
    ----------
    .. [1] S. Pesme and N. Flammarion, "Saddle-to-Saddle Dynamics in Diagonal
       Linear Networks", NeurIPS 2023. https://arxiv.org/abs/2304.00488
    .. [2] B. Woodworth, S. Gunasekar, J. D. Lee, E. Moroshko, P. Savarese,
       I. Golan, D. Soudry and N. Srebro, "Kernel and Rich Regimes in
       Overparametrized Models", COLT 2020. https://arxiv.org/abs/2002.09277

    Examples
    --------
    >>> import numpy as np
    >>> from sk_implicit import implicit_path
    >>> from sk_implicit.datasets import make_sparse_regression
    >>> X, y, coef = make_sparse_regression(50, 200, 3, noise=0.1, random_state=0)
    >>> times, coefs = implicit_path(X, y, n_times=20)
    >>> coefs.shape
    (200, 20)
    >>> learned = np.abs(coefs[:, -1]) > 0.1
    >>> bool(np.all(learned[coef != 0]))
    True
    """
    scales = check_init_scales(init_scale)
    _check_positive_int(n_times, "n_times")
    _check_positive_int(max_iter, "max_iter")
    if not (isinstance(path_tol, numbers.Real) and 0 < path_tol <= 1):
        raise ValueError(f"path_tol must be a number in (0, 1], got {path_tol!r}.")
    if times is not None:
        times = np.asarray(times, dtype=float)
        if (
            times.ndim != 1
            or times.size == 0
            or not np.all(np.isfinite(times))
            or np.any(times < 0)
            or np.any(np.diff(times) < 0)
        ):
            raise ValueError(
                "times must be a non-empty, non-decreasing 1d array of finite "
                f"times >= 0; got {times!r}."
            )
    data = validate_path_input(X, y, sample_weight, fit_intercept)
    problems, coef_scale, scale = build_problems(
        data, scales, fit_intercept=fit_intercept
    )
    integrator = _Integrator(problems, scale, tolerance=path_tol)
    if times is None:
        start = first_activation_time(problems, scale)
        grid = np.geomspace(1.0, 10.0, n_times)
        capture = [start[k] * grid for k in range(scales.size)]
    else:
        capture = [times] * scales.size
    result = integrator.run(
        t_end=np.array([c[-1] for c in capture]),
        max_iter=max_iter,
        capture_times=capture,
    )
    coefs = np.stack([c.T for c in result["captured"]]) * coef_scale
    if result["max_iter"]:
        # The captures past the time reached were never computed.
        for k, c in enumerate(capture):
            coefs[k][:, c > result["time"][k] * (1 + 1e-12)] = np.nan
        reached = ", ".join(f"{t:.3g}" for t in result["time"])
        warnings.warn(
            f"implicit_path stopped after max_iter={max_iter} steps at time "
            f"{reached}, before the last time requested; the coefficients at "
            "later times are NaN. Increase max_iter.",
            ConvergenceWarning,
            stacklevel=2,
        )
    times_out = np.stack(capture)
    if np.ndim(init_scale) == 0:
        return times_out[0], coefs[0]
    return times_out, coefs


def check_init_scales(init_scale):
    """``init_scale`` as a non-empty 1d array of values in (0, 1e50]."""
    try:
        scales = np.atleast_1d(np.asarray(init_scale, dtype=float))
    except (TypeError, ValueError):
        scales = np.empty(0)
    if (
        scales.ndim != 1
        or scales.size == 0
        or not np.all((scales > 0) & (scales <= 1e50))
    ):
        raise ValueError(
            "init_scale must be a positive number at most 1e50, or a non-empty "
            f"array of them; got {init_scale!r}."
        )
    return scales


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")


def validate_path_input(X, y, sample_weight, fit_intercept):
    """Checked, centred :class:`~sk_implicit._base.CentredData` for a path."""
    X, y = check_X_y(
        X,
        y,
        accept_sparse=("csr", "csc", "coo"),
        dtype=(np.float64, np.float32),
        y_numeric=True,
    )
    return prepare_data(X, y, sample_weight, fit_intercept)


def build_problems(data, scales, *, fit_intercept, folds=None):
    """:class:`Problems` for the full data, or for cross-validation folds.

    ``data`` is a :class:`~sk_implicit._base.CentredData` (dense ``X``
    centred, sparse ``X`` with its offsets in ``implicit_offset``);
    ``scales`` the init scales. Without ``folds``: one problem per init
    scale, on all rows. With ``folds``, a list of ``(train, test)`` row-index
    arrays: one problem per fold and init scale (fold-major), centred by its
    own training means (its held-out rows have weight zero), and after them
    the full data's problem of each init scale (the final path, integrated
    alongside the folds).

    The problems are in units where ``y`` has unit root mean square and the
    columns of ``X`` unit root mean square (over columns) of their standard
    deviations: ``X`` is divided by ``x_scale`` (a float64 copy, CSC when
    sparse, for column slices; a dense float64 ``X`` of moderate size is
    shared, with ``Problems.x_factor``) and ``y`` by ``y_scale``. So
    ``init_scale`` and the times do not depend on the units of ``X`` and
    ``y``, and the model is equivariant to them. Returns ``(problems,
    coef_scale, column_scale)``: coefficients in the units of the data are
    ``coef_scale`` times those of the problems; ``column_scale`` is the
    weighted standard deviation of each (scaled) column on all rows.
    """
    X = data.X
    n, d = X.shape
    weight = unit_weights(data.sample_weight, n)  # (w x^2 stays in range)
    full_offset = (
        np.zeros(d)
        if data.implicit_offset is None
        else data.implicit_offset.astype(np.float64)
    )
    eps = np.finfo(X.dtype).eps
    # A power of two (exact) to divide X by, so that the squares below can
    # neither overflow nor underflow, whatever the scale of X. A dense float64
    # X of moderate size is used as it is, in its own units (the products
    # are scaled, exactly as far as the power of two goes): its copy would
    # cost as much memory, and its first touch more time than the fit's
    # products at large d (160 MB and 0.4 s at n = 200, d = 1e5).
    e = pow2_exponent(max(_max_abs(X), np.abs(data.X_offset).max(initial=0.0)))
    shared = shareable(X, e)
    if not shared:
        X = float64_times_pow2(sp.csc_array(X) if sp.issparse(X) else X, -e)
    stored_e = e if shared else 0  # X's entries are 2^stored_e of the scaled
    # (Dense X arrives centred: its removed means give the columns' sizes.)
    origin = (
        None
        if sp.issparse(X)
        else times_pow2(np.asarray(data.X_offset, float), stored_e - e)
    )
    centre = times_pow2(full_offset, stored_e - e) if fit_intercept else None
    scale = times_pow2(column_scale(X, weight, centre, origin, eps=eps), -stored_e)
    full_offset = times_pow2(full_offset, -e)
    moving = scale > 0
    x_scale = 1.0
    if moving.any():
        peak = scale[moving].max()  # (scale / peak)^2 cannot overflow
        x_scale = peak * float(np.sqrt(np.mean((scale[moving] / peak) ** 2)))
        if not shared:
            X = X / x_scale if sp.issparse(X) else np.divide(X, x_scale, out=X)
        scale = scale / x_scale
        full_offset = full_offset / x_scale
    x_factor = float(np.ldexp(1.0, -stored_e) / x_scale) if shared else 1.0
    y = data.y.astype(np.float64)
    peak = np.abs(y).max() if y.size else 0.0
    y_scale = 0.0
    if peak > 0:  # (y / peak)^2 cannot overflow
        y_scale = peak * float(np.sqrt(np.average((y / peak) ** 2, weights=weight)))
    # A centred y that is round-off of the caller's y (a constant y whose
    # mean is not exact in floating point) is zero: nothing to fit.
    if y_scale <= 64 * np.finfo(data.y.dtype).eps * abs(float(data.y_offset)):
        y, y_scale = np.zeros_like(y), 0.0
    if y_scale == 0:
        y_scale = 1.0  # constant y: beta = 0 interpolates
    y = y / y_scale
    if folds is None:
        train_w, offsets, y_offsets = [weight], [full_offset], [0.0]
    else:
        train_w, offsets, y_offsets = [], [], []
        for train, _ in folds:
            w = np.zeros(n)
            w[train] = weight[train]
            train_w.append(w)
            offset = np.asarray(X.T @ w).ravel() / w.sum()
            offsets.append(offset * x_factor if shared else offset)
            y_offsets.append(w @ y / w.sum())
        train_w.append(weight)
        offsets.append(full_offset)
        y_offsets.append(0.0)
    k = scales.size
    if not fit_intercept:
        offsets, y_offsets = None, np.zeros(len(train_w))
    targets = y[None, :] - np.asarray(y_offsets)[:, None]
    # A fold whose training targets are constant to rounding has nothing to
    # fit there (as for the whole y above); its held-out targets stay.
    y_eps = 64 * np.finfo(data.y.dtype).eps
    for f, w in enumerate(train_w):
        rms = np.sqrt(w @ targets[f] ** 2 / w.sum())
        if rms <= y_eps * (abs(float(data.y_offset)) / y_scale + abs(y_offsets[f])):
            targets[f, w > 0] = 0.0
    problems = Problems(
        X,
        np.repeat(targets, k, axis=0),
        np.repeat(np.array(train_w), k, axis=0),
        np.tile(2.0 * np.log(scales), len(train_w)),
        offset=None if offsets is None else np.repeat(np.array(offsets), k, axis=0),
        x_factor=x_factor,
    )
    return problems, float(np.ldexp(y_scale / x_scale, -e)), scale


def first_activation_time(problems, scale):
    """A time at which each problem's path starts to move.

    Under the initial gradient ``g_j`` (constant while nothing is learned), a
    coordinate reaches size ``exp(LOG_SIGNIFICANT)`` at
    ``(LOG_SIGNIFICANT - log_init - log scale_j) / (4 |g_j|)``. When a
    coordinate is significant from the start (a large ``init_scale``, or
    columns of huge scale), the flow is linear at first and moves on the time
    scale ``1 / (8 alpha^2 max_j H_jj)`` of its fastest mode; that is
    returned instead. Always positive and finite (1 when nothing can move).
    """
    weighted = problems.weight * problems.targets * -1.0
    gradient = np.abs(problems.column_products(weighted))
    moving = scale > 0
    if not moving.any():
        return np.ones(problems.n_problems)
    log_scale = np.full(scale.shape, -np.inf)
    log_scale[moving] = np.log(scale[moving])
    need = LOG_SIGNIFICANT - problems.log_init[:, None] - log_scale[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(gradient > 0, np.maximum(need, 0.0) / (4.0 * gradient), np.inf)
    out = t.min(axis=1)
    # The linear time scale, in logarithms (alpha^2 H_jj may overflow).
    log_linear = -np.log(8.0) - problems.log_init - 2.0 * log_scale[moving].max()
    linear = np.exp(np.clip(log_linear, -700.0, 700.0))
    out = np.where(out > 0, out, linear)
    return np.where(np.isfinite(out) & (out > 0), out, 1.0)
