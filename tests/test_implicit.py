"""ImplicitRegInterpolator: dynamics against theory, limits, API behaviour."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.integrate import solve_ivp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LassoCV, LinearRegression

from sk_implicit import ImplicitRegInterpolator, MinL1Interpolator, MinL2Interpolator
from sk_implicit._gradient_descent import PathDesign, implicit_gradient_descent
from sk_implicit.datasets import excess_risk, make_sparse_regression


def relative_mse(model, X, y):
    return np.mean((model.predict(X) - y) ** 2) / np.var(y)


@pytest.fixture(scope="module")
def wide_problem():
    return make_sparse_regression(60, 400, 3, noise=0.3, random_state=0)


def test_interpolates_and_converges(wide_problem):
    X, y, _ = wide_problem
    model = ImplicitRegInterpolator().fit(X, y)
    assert model.converged_
    assert relative_mse(model, X, y) <= 1e-6
    assert model.loss_curve_[-1] <= model.tol
    np.testing.assert_allclose(model.coef_, model.sparse_coef_ + model.dense_coef_)
    # The dense part was switched on at the time chosen by cross-validation,
    # and the iterates land on that time exactly.
    assert model.dense_start_ in model.time_curve_
    assert model.cv_mse_path_.shape == (model.cv_time_grid_.size, 5)


def test_gradient_descent_follows_gradient_flow():
    # Orthogonal design with X^T X / n = I: every coordinate follows
    # theta' = -4 (2 alpha^2 sinh(theta) - b), beta = 2 alpha^2 sinh(theta),
    # since w u = alpha^2 is conserved and beta = w^2 - u^2 (module notes).
    rng = np.random.default_rng(0)
    n, d, alpha = 8, 4, 1e-3
    q, _ = np.linalg.qr(rng.standard_normal((n, d)))
    X = np.sqrt(n) * q
    b = np.array([1.0, -0.5, 0.25, 0.0])
    y = X @ b
    t_end = 3.0

    def flow(t, theta):
        return -4.0 * (2 * alpha**2 * np.sinh(theta) - b)

    ode = solve_ivp(flow, (0, t_end), np.zeros(d), rtol=1e-10, atol=1e-12)
    beta_flow = 2 * alpha**2 * np.sinh(ode.y[:, -1])

    errors = []
    for step_scale in (0.2, 0.1, 0.05):
        at_t_end = {}

        def capture(info):
            if info["time"] == t_end:  # the step shortened to land on it
                at_t_end["beta"] = info["sparse_coef"].copy()

        implicit_gradient_descent(
            PathDesign(X, y, np.ones((1, n))),
            init_scale=alpha,
            dense_start=t_end,
            dense_step=0.0,  # the dense part never moves
            step_scale=step_scale,
            tol=1e-10,
            callback=capture,
        )
        errors.append(np.max(np.abs(at_t_end["beta"] - beta_flow)))
    # A first-order method: the error halves with the step (measured ratios
    # 1.6 and 1.8 at t = 3, mid-growth of the first coordinate, where the
    # flow is most sensitive: beta_0 = 0.14 and GD lags it by 0.086 at
    # step_scale=0.2).
    assert errors[0] < 0.1
    for coarse, fine in zip(errors, errors[1:]):
        assert 1.5 < coarse / fine < 2.5


def test_halving_the_step_barely_changes_coef(wide_problem):
    X, y, _ = wide_problem
    model = ImplicitRegInterpolator().fit(X, y)
    half = ImplicitRegInterpolator(
        dense_start=model.dense_start_, step_scale=model.step_scale / 2
    ).fit(X, y)
    change = np.linalg.norm(half.coef_ - model.coef_) / np.linalg.norm(model.coef_)
    assert change < 0.02


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_dense_off_tiny_init_approaches_min_l1(fit_intercept):
    # Woodworth et al.: with the dense part off, gradient descent from
    # w = u = alpha converges to the minimiser of the hypentropy potential
    # among interpolators, which tends to the minimum-l1 one as alpha -> 0.
    X, y, _ = make_sparse_regression(30, 80, 3, noise=0.1, random_state=1)
    bp = MinL1Interpolator(fit_intercept=fit_intercept).fit(X, y)
    gaps = []
    for init_scale in (1e-1, 1e-6):
        gd = ImplicitRegInterpolator(
            init_scale=init_scale,
            dense_start=np.inf,
            fit_intercept=fit_intercept,
            max_iter=100_000,
        ).fit(X, y)
        assert gd.converged_
        np.testing.assert_array_equal(gd.dense_coef_, 0.0)
        gaps.append(np.abs(gd.coef_).sum() / np.abs(bp.coef_).sum() - 1)
    # Measured: +2e-4 at 1e-6. It can dip below 0 by about the interpolation
    # tolerance (relative MSE 1e-6 leaves residuals of 1e-3 std(y)).
    assert abs(gaps[1]) < 1e-2
    assert abs(gaps[1]) < abs(gaps[0])


def test_dense_off_large_init_approaches_min_l2():
    X, y, _ = make_sparse_regression(30, 80, 3, noise=0.1, random_state=2)
    l2 = MinL2Interpolator().fit(X, y)
    gd = ImplicitRegInterpolator(init_scale=1e2, dense_start=np.inf).fit(X, y)
    assert gd.converged_
    gap = np.linalg.norm(gd.coef_ - l2.coef_) / np.linalg.norm(l2.coef_)
    assert gap < 1e-2


def test_dense_part_alone_is_min_l2():
    # Switched on at t = 0 with a negligible Hadamard part, the dense part is
    # gradient descent on a linear model from zero: the minimum-l2 solution.
    X, y, _ = make_sparse_regression(30, 80, 3, noise=0.1, random_state=3)
    l2 = MinL2Interpolator().fit(X, y)
    gd = ImplicitRegInterpolator(init_scale=1e-12, dense_start=0.0).fit(X, y)
    assert gd.converged_
    np.testing.assert_allclose(gd.coef_, l2.coef_, rtol=0, atol=1e-3)
    # The Hadamard part barely leaves its tiny start before the dense part
    # has interpolated (measured: max |sparse_coef_| = 1e-4).
    assert np.linalg.norm(gd.sparse_coef_) < 1e-3 * np.linalg.norm(gd.coef_)


def test_paper_setting_beats_lasso_and_min_l1():
    # The paper's claim (science.md), n=100, d=4000, s=5, sigma=0.5, seeded.
    # Measured (benchmarks/bench_implicit.py, 5 seeds): about 0.2x LassoCV.
    # Two seeds here; the thresholds are the targets.
    risks = {"implicit": [], "lasso": [], "l1": []}
    for seed in (0, 1):
        X, y, coef = make_sparse_regression(100, 4000, 5, 0.5, random_state=seed)
        model = ImplicitRegInterpolator().fit(X, y)
        assert relative_mse(model, X, y) <= 1e-6
        risks["implicit"].append(excess_risk(model.coef_, coef))
        risks["lasso"].append(excess_risk(LassoCV(cv=5).fit(X, y).coef_, coef))
        risks["l1"].append(excess_risk(MinL1Interpolator().fit(X, y).coef_, coef))
    mean = {k: np.mean(v) for k, v in risks.items()}
    assert mean["implicit"] <= mean["lasso"]
    assert mean["implicit"] <= 0.5 * mean["l1"]


def test_tall_data_converges_to_least_squares():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 5))
    y = X @ rng.standard_normal(5) + 0.5 * rng.standard_normal(80) + 3.0
    model = ImplicitRegInterpolator().fit(X, y)
    assert model.converged_
    ols = LinearRegression().fit(X, y)
    np.testing.assert_allclose(model.coef_, ols.coef_, atol=1e-4)
    np.testing.assert_allclose(model.intercept_, ols.intercept_, atol=1e-4)


def test_max_iter_gives_convergence_warning(wide_problem):
    X, y, _ = wide_problem
    model = ImplicitRegInterpolator(dense_start=5.0, max_iter=10)
    with pytest.warns(ConvergenceWarning, match="max_iter=10"):
        model.fit(X, y)
    assert not model.converged_
    assert model.n_iter_ == 10


def test_equivariant_to_the_scale_of_y(wide_problem):
    X, y, _ = wide_problem
    model = ImplicitRegInterpolator().fit(X, y)
    scaled = ImplicitRegInterpolator().fit(X, 100.0 * y + 7.0)
    np.testing.assert_allclose(scaled.coef_, 100.0 * model.coef_, rtol=1e-6, atol=1e-9)
    assert scaled.dense_start_ == pytest.approx(model.dense_start_)


def test_sparse_input_gives_the_same_model(wide_problem):
    X, y, _ = wide_problem
    X = X.copy()
    X[np.abs(X) < 1.0] = 0.0  # about 30% density
    dense = ImplicitRegInterpolator().fit(X, y)
    sparse = ImplicitRegInterpolator().fit(sp.csr_array(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-6)


def test_float32_stays_float32(wide_problem):
    X, y, _ = wide_problem
    model = ImplicitRegInterpolator().fit(X.astype(np.float32), y.astype(np.float32))
    assert model.coef_.dtype == np.float32
    assert model.predict(X.astype(np.float32)).dtype == np.float32
    assert relative_mse(model, X, y) <= 1e-5  # float32 round-off
    model64 = ImplicitRegInterpolator().fit(X, y)
    gap = np.linalg.norm(model.coef_ - model64.coef_) / np.linalg.norm(model64.coef_)
    assert gap < 1e-2


def test_zero_weights_drop_samples(wide_problem):
    X, y, _ = wide_problem
    weights = np.ones(len(y))
    weights[::4] = 0.0
    kept = weights > 0
    with_zeros = ImplicitRegInterpolator(dense_start=20.0)
    with_zeros.fit(X, y, sample_weight=weights)
    dropped = ImplicitRegInterpolator(dense_start=20.0).fit(X[kept], y[kept])
    np.testing.assert_allclose(with_zeros.coef_, dropped.coef_, rtol=1e-9)


def test_callback_records_the_trajectory(wide_problem):
    X, y, _ = wide_problem
    trace = []

    def record(info):
        trace.append((info["time"], info["sparse_coef"].copy(), info["loss"]))

    model = ImplicitRegInterpolator(dense_start=20.0, callback=record).fit(X, y)
    assert len(trace) == model.n_iter_
    np.testing.assert_allclose(trace[-1][1], model.sparse_coef_, rtol=1e-6)
    np.testing.assert_allclose([t for t, _, _ in trace], model.time_curve_[1:])
    # Each loss is that of the coefficients it comes with.
    np.testing.assert_allclose([loss for _, _, loss in trace], model.loss_curve_[1:])
    # The training loss decreases along gradient descent with small steps.
    assert np.all(np.diff(model.loss_curve_) <= 1e-12)


def test_signal_is_learned_before_the_noise(wide_problem):
    # At the switch time, the sparse part holds the signal (its support is
    # among the largest coordinates) and the dense part then fits the rest
    # with a small norm.
    X, y, coef = wide_problem
    model = ImplicitRegInterpolator().fit(X, y)
    support = np.flatnonzero(coef)
    top = np.argsort(-np.abs(model.sparse_coef_))[: support.size]
    assert set(top) == set(support)
    assert np.linalg.norm(model.dense_coef_) < 0.2 * np.linalg.norm(coef)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"init_scale": 0.0}, ValueError, "init_scale == 0.0, must be > 0.0"),
        ({"init_scale": "big"}, TypeError, "init_scale must be an instance of"),
        ({"dense_start": "never"}, TypeError, "dense_start must be an instance"),
        ({"dense_start": -1.0}, ValueError, "dense_start == -1.0, must be >= 0.0"),
        ({"step_scale": 1.0}, ValueError, "step_scale == 1.0, must be < 1.0"),
        (
            {"step_scale": 0.9, "dense_step": 1.5},
            ValueError,
            "step_scale \\+ dense_step must be < 2",
        ),
        ({"dense_step": 2.0}, ValueError, "dense_step == 2.0, must be < 2.0"),
        ({"max_iter": 0}, ValueError, "max_iter == 0, must be >= 1"),
        ({"tol": -1e-3}, ValueError, "tol == -0.001, must be >= 0.0"),
        ({"callback": 3}, TypeError, "callback must be callable"),
    ],
)
def test_invalid_parameters(wide_problem, params, error, match):
    X, y, _ = wide_problem
    with pytest.raises(error, match=match):
        ImplicitRegInterpolator(**params).fit(X, y)


def test_divergence_is_retried_then_reported(monkeypatch, wide_problem):
    X, y, _ = wide_problem
    calls = []

    def diverging(design, **kwargs):
        calls.append(kwargs["step_scale"])
        raise FloatingPointError("non-finite")

    monkeypatch.setattr("sk_implicit._implicit.implicit_gradient_descent", diverging)
    with pytest.raises(ValueError, match="diverged"):
        ImplicitRegInterpolator(dense_start=1.0).fit(X, y)
    assert calls == [0.5, 0.25, 0.125, 0.0625]


def test_constant_target_gives_zero_coef(wide_problem):
    X, _, _ = wide_problem
    model = ImplicitRegInterpolator().fit(X, np.full(X.shape[0], 2.5))
    np.testing.assert_array_equal(model.coef_, 0.0)
    assert model.intercept_ == pytest.approx(2.5)


def test_dense_part_stays_zero_until_dense_start(wide_problem):
    X, y, _ = wide_problem
    dense_norms = []

    def record(info):
        dense_norms.append((info["time"], np.linalg.norm(info["dense_coef"])))

    ImplicitRegInterpolator(dense_start=8.0, callback=record).fit(X, y)
    before = [norm for time, norm in dense_norms if time <= 8.0]
    after = [norm for time, norm in dense_norms if time > 8.0]
    assert any(time == 8.0 for time, _ in dense_norms)
    assert max(before) == 0.0
    assert after[0] > 0.0


@pytest.mark.parametrize("init_scale", [1.0, 100.0])
def test_large_init_scale_descends_monotonically(init_scale):
    # The curvature at w = u = alpha is 8 alpha^2 lambda_max(H): the step
    # must respect it from the first iteration (gradient descent with a step
    # below the inverse curvature never increases the loss).
    X, y, _ = make_sparse_regression(30, 80, 3, noise=0.1, random_state=2)
    model = ImplicitRegInterpolator(init_scale=init_scale, dense_start=np.inf).fit(X, y)
    assert model.converged_
    assert np.all(np.diff(model.loss_curve_) <= 1e-12)


def test_batched_paths_match_single_paths():
    # Paths of one batch each land on dense_start and evolve as if alone.
    X, y, _ = make_sparse_regression(40, 120, 3, noise=0.3, random_state=4)
    X, y = X - X.mean(axis=0), y - y.mean()
    weights = np.ones((2, 40))
    weights[1, ::2] = 0.0
    kwargs = dict(init_scale=1e-6, dense_start=2.0, tol=1e-8)
    batched = implicit_gradient_descent(PathDesign(X, y, weights), **kwargs)
    for k in range(2):
        alone = implicit_gradient_descent(
            PathDesign(X, y, weights[k : k + 1]), **kwargs
        )
        assert 2.0 in batched[k].time_curve
        np.testing.assert_allclose(batched[k].coef, alone[0].coef, rtol=1e-10)
