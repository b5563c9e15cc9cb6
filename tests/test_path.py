"""implicit_path and its integrator: against the ODE, gradient descent and theory."""

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.integrate import solve_ivp
from sklearn.exceptions import ConvergenceWarning

import sk_implicit._path as path_module
from sk_implicit import MinL1Interpolator, implicit_path
from sk_implicit._path import PathState
from sk_implicit.datasets import make_sparse_regression


def orthogonal_problem(n=8, d=4, seed=0):
    # X^T X / n = I: every coordinate follows its own ODE (see below).
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, d)))
    X = np.sqrt(n) * q
    b = np.array([1.0, -0.5, 0.25, 0.0])[:d]
    return X, X @ b, b


def test_follows_the_ode_on_an_orthogonal_design():
    # With X^T X / n = I and no intercept, g = beta - b, so each coordinate
    # follows theta' = -4 (2 a^2 sinh(theta) - b_j), beta = 2 a^2 sinh(theta)
    # (module docstring of sk_implicit._path), in the units where y has unit
    # root mean square.
    X, y, b = orthogonal_problem()
    alpha = 1e-3
    scale = np.sqrt(np.mean(y**2))
    b_scaled = b / scale

    def flow(t, theta):
        return -4.0 * (2 * alpha**2 * np.sinh(theta) - b_scaled)

    times = np.array([1.0, 3.0, 6.0, 10.0, 20.0])
    ode = solve_ivp(flow, (0, times[-1]), np.zeros(4), t_eval=times, rtol=1e-11)
    expected = 2 * alpha**2 * np.sinh(ode.y) * scale
    _, coefs = implicit_path(X, y, init_scale=alpha, times=times, fit_intercept=False)
    # The default path_tol=0.05 (local error per step): measured largest
    # error 5.4e-3 (coefficients up to 1; 2.7e-3 at path_tol=0.02), during
    # the growth of the third coordinate at t = 20.
    assert np.max(np.abs(coefs - expected)) < 1e-2


def test_error_shrinks_with_the_step():
    X, y, b = orthogonal_problem()
    alpha = 1e-3
    scale = np.sqrt(np.mean(y**2))
    tolerances = np.array([0.08, 0.04, 0.02, 0.01, 0.005, 0.0025])
    for t in (3.0, 6.0, 10.0):  # during the growth of the first coordinates
        ode = solve_ivp(
            lambda _, th: -4.0 * (2 * alpha**2 * np.sinh(th) - b / scale),
            (0, t),
            np.zeros(4),
            rtol=1e-11,
            atol=1e-14,
        )
        exact = 2 * alpha**2 * np.sinh(ode.y[:, -1]) * scale
        errors = [
            np.max(np.abs(_path_at(X, y, alpha, t, tol) - exact)) for tol in tolerances
        ]
        # The error follows the tolerance. A local error tol per step of a
        # second-order method takes steps ~ tol^(1/2), each erring by
        # ~ tol^(3/2): the global error is ~ tol, a slope of 1 in logarithms.
        # The slope is fitted over a 32-fold range, since the ratio of two
        # neighbouring tolerances moves with where the steps fall (measured
        # from 1.2 to 3.3); measured slopes 0.73-0.96.
        slope = np.polyfit(np.log(tolerances), np.log(errors), 1)[0]
        assert 0.6 < slope < 1.4, (t, slope)


def _path_at(X, y, alpha, t, delta):
    data = path_module.validate_path_input(X, y, None, False)
    problems, y_scale, scale = path_module.build_problems(
        data, np.array([alpha]), fit_intercept=False
    )
    integrator = path_module._Integrator(problems, scale, tolerance=delta)
    result = integrator.run(t_end=np.array([t]), max_iter=100_000)
    return result["coef"][0] * y_scale


def test_matches_plain_gradient_descent():
    # Gradient descent on (w, u) with a small step follows the same flow: on
    # a wide random problem its iterate at time T = steps * step agrees with
    # the path at T.
    X, y, _ = make_sparse_regression(20, 60, 2, noise=0.1, random_state=0)
    # The path's units: y and the columns of X (without intercept: their
    # root mean squares) of unit root mean square.
    y = y / np.sqrt(np.mean(y**2))
    X = X / np.sqrt(np.mean(X**2))
    n = X.shape[0]
    alpha, step, n_steps = 1e-3, 2e-3, 3000
    w = np.full(X.shape[1], alpha)
    u = w.copy()
    for _ in range(n_steps):
        g = X.T @ (X @ (w * w - u * u) - y) / n
        w, u = w * (1 - 2 * step * g), u * (1 + 2 * step * g)
    gd = w * w - u * u
    errors = []
    for path_tol in (0.05, 0.01):
        _, coefs = implicit_path(
            X,
            y,
            init_scale=alpha,
            times=[step * n_steps],
            fit_intercept=False,
            path_tol=path_tol,
        )
        errors.append(np.max(np.abs(coefs[:, 0] - gd)) / np.abs(gd).max())
    # Relative to the coefficients' scale, measured 1.4% at the default
    # path_tol=0.05 and 0.16% at 0.01 (gradient descent's own discretisation
    # error, O(step), is 0.06%: measured at path_tol=1e-3).
    assert errors[0] < 0.03
    assert errors[1] < 0.004


def test_tiny_init_scale_ends_near_the_min_l1_interpolator():
    # Woodworth et al.: as t -> inf the flow reaches the interpolator of least
    # hypentropy potential, the minimum-l1 one as init_scale -> 0.
    X, y, _ = make_sparse_regression(30, 80, 3, noise=0.1, random_state=1)
    bp = MinL1Interpolator().fit(X, y)
    gaps = []
    for alpha in (1e-2, 1e-8, 1e-30):
        times, coefs = implicit_path(X, y, init_scale=alpha, n_times=2)
        end = implicit_path(X, y, init_scale=alpha, times=[times[0] * 1e3])[1][:, 0]
        gaps.append(abs(np.abs(end).sum() / np.abs(bp.coef_).sum() - 1))
    assert gaps[-1] < 1e-3
    assert gaps[0] > gaps[-1]


def test_large_init_scale_ends_near_the_min_l2_interpolator():
    X, y, _ = make_sparse_regression(30, 80, 3, noise=0.1, random_state=2)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    min_l2 = np.linalg.pinv(Xc) @ yc
    _, coefs = implicit_path(X, y, init_scale=1e2, times=[1e-2, 1.0])
    # With w = u = 100 the flow is gradient descent on beta (a linear flow
    # from zero, which stays in the row space) at rate 8 * 100^2 per unit
    # time: measured relative error 5e-4 at t = 1e-2, 4e-10 at t = 1.
    error = np.abs(coefs - min_l2[:, None]).max(axis=0) / np.abs(min_l2).max()
    assert error[0] < 1e-2
    assert error[1] < 1e-8


def test_extreme_init_scales_are_finite():
    X, y, _ = make_sparse_regression(20, 50, 2, noise=0.1, random_state=0)
    for alpha in (1e-300, 1e-100, 1e20, 1e50):
        _, coefs = implicit_path(X, y, init_scale=alpha, n_times=3)
        assert np.all(np.isfinite(coefs))


def test_step_factor_closed_forms():
    factor = path_module.step_factor
    none, no = np.zeros(1), np.zeros(1, dtype=bool)
    # Without history: the classic 0.9 / sqrt(error), within [0.2, 2].
    for error, expected in [(0.5, 0.9 / np.sqrt(0.5)), (4.0, 0.45), (0.01, 2.0)]:
        got = factor(np.array([error]), np.ones(1), none, np.ones(1), no)
        np.testing.assert_allclose(got, expected, rtol=1e-15)
    # Not finite (a trial step that overflowed): the largest shrink.
    got = factor(np.array([np.inf, np.nan]), np.ones(2), np.zeros(2), np.ones(2), no)
    np.testing.assert_array_equal(got, [0.2, 0.2])
    # An error that grew faster than eta^2 since the last accepted step
    # (0.1 at eta = 1, 0.5 at eta = 2: the classic factor would predict 0.4):
    # the predictive factor 0.9 (2 / 1) sqrt(0.1) / 0.5 is smaller and wins.
    got = factor(np.array([0.5]), np.array([2.0]), np.ones(1), np.array([0.1]), no)
    np.testing.assert_allclose(got, 0.9 * 2.0 * np.sqrt(0.1) / 0.5, rtol=1e-15)
    # An error exactly c eta^2 makes the two factors equal.
    c, eta, last = 1.5, np.array([0.7]), np.array([0.5])
    both = factor(c * eta**2, eta, last, c * last**2, no)
    np.testing.assert_allclose(both, 0.9 / np.sqrt(c * eta**2), rtol=1e-14)
    # A rejected step is judged by its error alone; after a rejection, an
    # accepted step does not grow.
    got = factor(np.array([4.0]), np.ones(1), np.ones(1), np.array([1e-2]), no)
    np.testing.assert_allclose(got, 0.45, rtol=1e-15)
    after = np.ones(1, dtype=bool)
    got = factor(np.array([0.01]), np.ones(1), none, np.ones(1), after)
    np.testing.assert_array_equal(got, [1.0])


def _split_by_brute_force(row, budget, max_size):
    # The fewest columns of largest load whose removal leaves <= budget.
    order = np.argsort(-row, kind="stable")
    for size in range(row.size + 1):
        rest = row[order[size:]].sum()
        if rest <= budget:
            break
    if size <= max_size:
        return set(order[:size].tolist()), 1.0
    return set(order[:max_size].tolist()), budget / row[order[max_size:]].sum()


def test_implicit_split_matches_brute_force():
    rng = np.random.default_rng(0)
    budget = 0.5
    for trial in range(200):
        n_rows, n_cols = rng.integers(1, 5), rng.integers(1, 40)
        # Loads over many scales, some rows all zero (a step of 0), some
        # with a long tail of columns below the candidate threshold.
        load = np.exp(rng.uniform(-12, 3, (n_rows, n_cols)))
        if trial % 2:  # a few distinct values: many equal loads at the cut
            load = rng.integers(0, 5, (n_rows, n_cols)) * 0.03
        load[rng.random(n_rows) < 0.2] = 0.0
        max_size = int(rng.integers(1, 10))
        ranked, size, shrink = path_module.implicit_split(load, budget, max_size)
        for k in range(n_rows):
            expected, factor = _split_by_brute_force(load[k], budget, max_size)
            # (Equal loads go by index, whatever the other rows: the same
            # columns as the stable sort of the row alone.)
            assert set(ranked[k, : size[k]].tolist()) == expected
            # The chosen columns come first, by decreasing load.
            assert np.all(np.diff(load[k, ranked[k, : size[k]]]) <= 0)
            np.testing.assert_allclose(shrink[k], factor, rtol=1e-12)
            if factor < 1:  # the cut step leaves exactly the budget
                rest = np.delete(load[k], ranked[k, : size[k]]).sum()
                np.testing.assert_allclose(rest * shrink[k], budget, rtol=1e-12)


@pytest.mark.parametrize("shape", [(30, 6), (6, 30)])  # the primal and kernel forms
@pytest.mark.parametrize("given_gram", [False, True])
def test_shifted_gram_solver_matches_a_dense_solve(shape, given_gram):
    # A stack of problems as the integrator builds it, B = diag(row) A
    # diag(col): held-out rows and padded columns (past each problem's size,
    # left out of its factorisation) have zero scale, one problem has no
    # block at all (c = 0), one is stiff (c ||B||^2 > 1e6: the SVD form, from
    # B even when its Gram matrix is given).
    rng = np.random.default_rng(0)
    n_rows, n_cols = shape
    A = rng.standard_normal((5, n_rows, n_cols))
    row = rng.uniform(0.5, 2.0, (5, n_rows))
    col = rng.uniform(0.5, 2.0, (5, n_cols))
    row[2, : n_rows // 3] = 0.0  # held-out rows
    col[1, n_cols // 2 :] = 0.0  # padding
    col[4] = 0.0  # no block
    size = np.array([n_cols, n_cols // 2, n_cols, n_cols, 0])
    c = np.array([0.3, 2.0, 1e-2, 1e6, 0.0])
    B = row[:, :, None] * A * col[:, None, :]
    gram = None
    if given_gram:
        gram = B.transpose(0, 2, 1) @ B
        # Round-off can make a given Gram matrix indefinite: Cholesky then
        # fails, and the solve falls back to the SVD of B itself.
        gram[0] -= 10.0 / c[0] * np.eye(n_cols)
    r = rng.standard_normal((5, n_cols))
    r[1, n_cols // 2 :] = 0.0  # (the integrator's right-hand side: 0 there)
    z = path_module._ShiftedGramSolver(A, row, col, c, gram, size).solve(r)
    for k in range(4):
        # The reference in a form well conditioned for these B (a solve of
        # I + c B^T B itself loses cond = 1 + c ||B||^2 ~ 1e8 digits):
        # (I + c B^T B)^-1 = (I/c + B^T B)^-1 / c = I - B^T (I/c + B B^T)^-1 B.
        I_rows, I_cols = np.eye(n_rows) / c[k], np.eye(n_cols) / c[k]
        if n_rows >= n_cols:
            expected = np.linalg.solve(I_cols + B[k].T @ B[k], r[k]) / c[k]
        else:
            inner = np.linalg.solve(I_rows + B[k] @ B[k].T, B[k] @ r[k])
            expected = r[k] - B[k].T @ inner
        # The step needs z to round-off of the right-hand side (its explicit
        # counterpart), which even the stiff problem's SVD form gives (z = r -
        # V diag(shrink) V^T r, a difference of terms the size of r).
        # Measured: at most 3e-15 of max |r|.
        error = np.abs(z[k] - expected).max()
        assert error <= 1e-13 * np.abs(r[k]).max()
    np.testing.assert_array_equal(z[4], r[4])
    np.testing.assert_array_equal(z[1, n_cols // 2 :], 0.0)


def test_sparse_gram_matches_the_dense_centred_product():
    # Sparse columns of 3 problems side by side, with offsets, weights that
    # vanish on some rows (held-out) and scales that vanish (padding).
    rng = np.random.default_rng(1)
    n, K, s = 40, 3, 7
    X = sp.random(n, K * s, density=0.1, random_state=rng, format="lil")
    # A dense column of mean 1e5 and variance about 1 in problem 1 (dense
    # data stored as sparse; exact in floating point once centred, with a
    # scale of 1): the uncentred formula would lose 10 of its digits.
    X[:, s + 2] = 1e5 + rng.integers(-8, 9, (n, 1)) / 8
    X = sp.csr_array(X)
    offset = rng.standard_normal((K, s))
    offset[1, 2] = 1e5
    weight = rng.uniform(0.0, 2.0, (K, n)) * (rng.random((K, n)) < 0.8)
    v = weight / weight.sum(axis=1, keepdims=True)
    scale = rng.uniform(0.0, 3.0, (K, s)) * (rng.random((K, s)) < 0.8)
    scale[1, 2] = 1.0
    for with_offset in (True, False):
        o = offset if with_offset else None
        gram = path_module._sparse_gram(X, o, v, scale)
        dense = X.toarray()
        for k in range(K):
            Xk = dense[:, k * s : (k + 1) * s] - (o[k] if with_offset else 0.0)
            B = np.sqrt(v[k])[:, None] * Xk * scale[k]
            # To round-off of the centred entries. Measured: at most 5e-16
            # of the largest; without its guard, problem 1 is off by 4e-7.
            bound = 1e-13 * np.abs(B.T @ B).max()
            np.testing.assert_allclose(gram[k], B.T @ B, rtol=0, atol=bound)


@pytest.mark.parametrize("fmt", ["csc", "csr"])
def test_sparse_products_by_blocks_match_the_dense_product(fmt):
    # CSC X is multiplied by blocks of columns (views of X.T's rows), here
    # blocks of 7 columns of 50 (the last one short); CSR X in one product.
    X = sp.random_array((30, 50), density=0.2, format=fmt, random_state=0)
    E = np.random.default_rng(0).standard_normal((4, 30))
    out = path_module._sparse_products(X, E, rows=7)
    assert out.flags.c_contiguous
    np.testing.assert_allclose(out, E @ X.toarray(), rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("case", ["least_squares", "large_init"])
def test_the_implicit_cap_does_not_cut_the_steps_on_small_rows(case, monkeypatch):
    # Over 256 coordinates carry curvature, and with n = 40 rows the
    # row-space solve is cheap: all of them are stepped implicitly and no
    # step is cut. "least_squares": duplicated rows with other targets, whose
    # solution spreads over groups of near-identical columns, as on
    # fingerprint data (a cap of 256 cut 845 of 1184 steps; 388 steps
    # without). "large_init": every coordinate of a large init_scale.
    rng = np.random.RandomState(0)
    if case == "least_squares":
        X = np.repeat(rng.randn(30, 80), 10, axis=1) + 1e-3 * rng.randn(30, 800)
        X = np.vstack([X, X[:10]])
        init_scale, times = 1e-30, [1e2, 1e3, 1e4]
    else:
        X, init_scale, times = rng.randn(40, 800), 1.0, [1e-2, 1.0]
    y = rng.randn(40)
    widths, shrinks = [], []
    split = path_module.implicit_split

    def recording_split(load, budget, max_size):
        ranked, size, shrink = split(load, budget, max_size)
        widths.append(size.max(initial=0))
        shrinks.append(shrink.min(initial=1.0))
        return ranked, size, shrink

    monkeypatch.setattr(path_module, "implicit_split", recording_split)
    implicit_path(X, y, init_scale=init_scale, times=times)
    assert max(widths) > 256
    assert min(shrinks) == 1.0


def test_sparse_and_dense_input_give_the_same_path():
    X, y, _ = make_sparse_regression(40, 120, 3, noise=0.2, random_state=3)
    X[np.abs(X) < 1.0] = 0.0
    times = [5.0, 20.0, 60.0]
    # The same flow. Round-off in the sparse products can flip an
    # accept/reject decision of the step control, after which the two
    # integrations take different steps: they agree to the integration
    # accuracy, not to round-off. So each is checked against a fine
    # integration, and the two against each other at a fine tolerance, where
    # the integration error is far below the bound.
    fine = implicit_path(X, y, times=times, path_tol=1e-4)[1]
    scale = np.abs(fine).max()
    fine_sparse = implicit_path(sp.csr_array(X), y, times=times, path_tol=1e-4)[1]
    # Measured: 6e-8 of the largest coefficient.
    np.testing.assert_allclose(fine_sparse, fine, rtol=0, atol=1e-5 * scale)
    dense = implicit_path(X, y, times=times)[1]
    sparse = implicit_path(sp.csr_array(X), y, times=times)[1]
    # Measured at the default path_tol: 1.9e-2 (dense) and 1.6e-2 (sparse)
    # of the largest coefficient.
    np.testing.assert_allclose(dense, fine, rtol=0, atol=3e-2 * scale)
    np.testing.assert_allclose(sparse, fine, rtol=0, atol=3e-2 * scale)


def test_intercept_removes_shifts():
    X, y, _ = make_sparse_regression(40, 120, 3, noise=0.2, random_state=4)
    # The default times span the path from its first activation: the
    # coefficients are of order one there (not the untouched start).
    times, base = implicit_path(X, y, n_times=10)
    assert np.abs(base[:, -1]).max() > 0.5
    shifted = implicit_path(X + 3.0, y - 7.0, times=times)[1]
    # Centring removes the shift to round-off (measured 1e-16 relative).
    np.testing.assert_allclose(shifted, base, rtol=0, atol=1e-9)


def test_weight_two_equals_a_duplicated_row():
    X, y, _ = make_sparse_regression(30, 90, 3, noise=0.2, random_state=5)
    weight = np.ones(30)
    weight[0] = 2.0
    times, weighted = implicit_path(X, y, sample_weight=weight, n_times=10)
    assert np.abs(weighted[:, -1]).max() > 0.5
    duplicated = implicit_path(np.vstack([X, X[:1]]), np.r_[y, y[:1]], times=times)
    # The same flow; the two integrations differ by round-off, which can
    # tip an accept/reject decision of the error control: they agree to far
    # better than path_tol (measured 1.4e-4 of the coefficients' scale).
    scale = np.abs(weighted).max()
    np.testing.assert_allclose(duplicated[1], weighted, rtol=0, atol=1e-3 * scale)


def test_left_out_coordinates_stay_negligible(monkeypatch):
    # The certificate: between two refreshes of the working set, no left-out
    # coordinate may reach LOG_NEGLIGIBLE. At each refresh, the coordinates
    # that were left out are brought up to date exactly: check their size.
    X, y, _ = make_sparse_regression(40, 400, 4, noise=0.5, random_state=6)
    refresh = path_module._Integrator._refresh
    worst = []

    def checked_refresh(self, state, sub, weighted):
        if hasattr(self, "columns"):
            outside = np.ones(state.theta.shape[1], dtype=bool)
            outside[self.columns.index] = False
            theta = state.theta.copy()
            update = sub.column_products(state.accumulated)
            size = sub.log_init[:, None] + np.abs(theta - 4.0 * update)
            size += self.log_scale
            worst.append(size[:, outside & np.isfinite(self.log_scale)].max())
        refresh(self, state, sub, weighted)

    monkeypatch.setattr(path_module._Integrator, "_refresh", checked_refresh)
    implicit_path(X, y, times=[20.0, 60.0, 150.0])
    assert len(worst) > 3
    # The step may use the certificate to the last bit: round-off only.
    assert max(worst) <= path_module.LOG_NEGLIGIBLE + 1e-9


def _snapshots_along_a_path(X, y, tolerance=path_module.TOLERANCE):
    """Integrator, problems, every iterate's snapshot and coefficients, and the end."""
    data = path_module.validate_path_input(X, y, None, True)
    problems, _, scale = path_module.build_problems(
        data, np.array([1e-30]), fit_intercept=True
    )
    snapshots, coefs = [], []

    def observe(record):
        snapshots.append(record.snapshot(0))
        coefs.append(record.coef(0))
        return np.array([False])

    end = 4 * path_module.first_activation_time(problems, scale)[0]
    integrator = path_module._Integrator(problems, scale, tolerance=tolerance)
    result = integrator.run(t_end=np.array([end]), max_iter=10_000, observer=observe)
    return problems, scale, snapshots, coefs, end, result


@pytest.mark.parametrize("sparse", [False, True])
def test_a_path_resumes_exactly_from_its_snapshots(sparse):
    # A snapshot holds theta with the lazy update of the left-out columns
    # still pending (a copy, no product); resuming applies it. At the
    # snapshot's own time the resumed path must give exactly the
    # coefficients the run reported there, and its step count.
    X, y, _ = make_sparse_regression(40, 300, 4, noise=0.3, random_state=3)
    X = sp.csr_array(np.where(np.abs(X) > 1.0, X, 0.0)) if sparse else X
    problems, scale, snapshots, coefs, _, _ = _snapshots_along_a_path(X, y)
    pending = [i for i, s in enumerate(snapshots) if np.any(s.accumulated)]
    assert len(pending) > len(snapshots) // 2  # the lazy update is exercised
    for i in pending[::5]:
        snapshot = snapshots[i]
        integrator = path_module._Integrator(problems, scale)
        result = integrator.run(
            t_end=np.array([snapshot.time]), max_iter=10, start=[snapshot]
        )
        assert result["n_iter"][0] == snapshot.n_steps
        assert result["time"][0] == snapshot.time
        # Measured: equal to the last bit.
        np.testing.assert_allclose(result["coef"][0], coefs[i], rtol=1e-12, atol=0)


def test_a_resumed_path_continues_within_the_integration_error():
    # From a snapshot a quarter, half and three quarters of the way, the
    # resumed path reaches the end as close to a fine integration
    # (path_tol=1e-4) as the uninterrupted one: it takes other steps after
    # the resume (its working set is chosen anew), so the two agree to the
    # integration error, here bounded by 1% of the coefficients (measured
    # 1.2e-4 resumed and 5.2e-5 uninterrupted, at TOLERANCE = 0.02).
    X, y, _ = make_sparse_regression(40, 300, 4, noise=0.3, random_state=3)
    problems, scale, snapshots, _, end, result = _snapshots_along_a_path(X, y)
    fine = _snapshots_along_a_path(X, y, tolerance=1e-4)[-1]["coef"][0]
    size = np.abs(fine).max()
    assert np.abs(result["coef"][0] - fine).max() < 1e-2 * size
    for i in (len(snapshots) // 4, len(snapshots) // 2, 3 * len(snapshots) // 4):
        integrator = path_module._Integrator(problems, scale)
        resumed = integrator.run(
            t_end=np.array([end]), max_iter=10_000, start=[snapshots[i]]
        )
        assert resumed["time"][0] == pytest.approx(end, rel=1e-12)
        assert np.abs(resumed["coef"][0] - fine).max() < 1e-2 * size


def test_every_array_of_the_state_is_compacted():
    # A per-problem array that compact() forgot would silently mix problems.
    declared = {
        f.name for f in dataclasses.fields(PathState) if f.metadata.get("per_path")
    }
    assert declared == {f.name for f in dataclasses.fields(PathState)}


def test_several_init_scales_in_one_call():
    X, y, _ = make_sparse_regression(30, 90, 3, noise=0.2, random_state=7)
    times, coefs = implicit_path(X, y, init_scale=[1e-10, 1e-30], n_times=4)
    assert times.shape == (2, 4) and coefs.shape == (2, 90, 4)
    single = implicit_path(X, y, init_scale=1e-30, times=times[1])[1]
    # Two integrations of the same flow whose step sequences differ (the
    # working set's refreshes are shared by a batch): they agree to the
    # integration error (measured 5e-4 of the largest coefficient).
    assert np.abs(coefs[1] - single).max() < 1e-2 * np.abs(single).max()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"init_scale": 0.0}, "init_scale"),
        ({"init_scale": np.nan}, "init_scale"),
        ({"init_scale": 1e51}, "init_scale"),
        ({"n_times": 0}, "n_times"),
        ({"times": [2.0, 1.0]}, "times"),
    ],
)
def test_bad_parameters(kwargs, match):
    X, y, _ = make_sparse_regression(10, 20, 2, random_state=0)
    with pytest.raises(ValueError, match=match):
        implicit_path(X, y, **kwargs)


def test_path_tol_holds_for_large_init_scales():
    # With init_scale >~ 1 the flow is near its linear (ridge-like) regime:
    # theta barely moves while beta does, so the error is measured in beta.
    # Against a path 5000 times more accurate: measured 0.1% of the
    # coefficients at init_scale=1 (it was 9% when the error was measured in
    # theta alone).
    X, y, _ = make_sparse_regression(40, 200, 3, noise=0.5, random_state=0)
    times = [0.01, 0.1, 1.0, 10.0]
    for alpha in (1.0, 10.0):
        _, coarse = implicit_path(X, y, init_scale=alpha, times=times)
        _, fine = implicit_path(X, y, init_scale=alpha, times=times, path_tol=1e-5)
        error = np.linalg.norm(coarse - fine, axis=0) / np.linalg.norm(fine, axis=0)
        assert error.max() < 0.01


@pytest.mark.parametrize(
    "params, message",
    [
        ({"init_scale": []}, "init_scale"),
        ({"init_scale": np.nan}, "init_scale"),
        ({"init_scale": "big"}, "init_scale"),
        ({"times": []}, "times"),
        ({"times": [1.0, np.inf]}, "times"),
        ({"times": [2.0, 1.0]}, "times"),
        ({"max_iter": 0}, "max_iter"),
        ({"max_iter": True}, "max_iter"),
        ({"max_iter": 2.5}, "max_iter"),
        ({"n_times": True}, "n_times"),
        ({"n_times": 0}, "n_times"),
        ({"path_tol": 0.0}, "path_tol"),
        ({"path_tol": 2.0}, "path_tol"),
    ],
)
def test_path_rejects_bad_parameters(params, message):
    X, y, _ = make_sparse_regression(10, 20, 2, random_state=0)
    with pytest.raises(ValueError, match=message):
        implicit_path(X, y, **params)


def test_path_warns_when_max_iter_stops_it():
    X, y, _ = make_sparse_regression(30, 90, 3, noise=0.2, random_state=5)
    times = implicit_path(X, y, n_times=5)[0]
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        _, coefs = implicit_path(X, y, times=times, max_iter=3)
    # Times not reached are NaN, never the coefficients of another time.
    assert np.isnan(coefs[:, -1]).all()


def test_column_with_a_large_mean_keeps_its_scale():
    # E[x^2] - mean^2 cancels for a column of mean 1e9 and spread 1: the
    # scale must come from the deviations, for dense and sparse X alike.
    rng = np.random.RandomState(0)
    X = rng.randn(30, 4)
    X[:, 1] += 1e9
    X[:, 2] = 3.0
    weight = rng.rand(30)
    offset = weight @ X / weight.sum()
    expected = np.sqrt(weight @ (X - offset) ** 2 / weight.sum())
    for Z in (X, sp.csr_array(X)):
        scale = path_module.column_scale(Z, weight, offset)
        np.testing.assert_allclose(scale[[0, 1, 3]], expected[[0, 1, 3]], rtol=1e-6)
        assert scale[2] == 0.0  # constant: frozen


def test_constant_columns_stay_at_zero_on_sparse_input():
    # A constant column's centred gradient is round-off; with a large value
    # it must not be moved by the lazy updates of the working set.
    rng = np.random.RandomState(1)
    X = rng.randn(25, 60)
    X[:, 5] = 1e8
    y = X[:, 0] - X[:, 1] + 0.1 * rng.randn(25)
    _, coefs = implicit_path(sp.csr_array(X), y, n_times=5)
    assert not coefs[5].any()
