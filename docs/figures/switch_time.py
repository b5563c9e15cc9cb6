"""The switch time: the sparse path, and the interpolator built from each point."""

import matplotlib.pyplot as plt
import numpy as np

from sk_implicit import ImplicitRegInterpolator, MinL2Interpolator, implicit_path
from sk_implicit.datasets import excess_risk, make_sparse_regression

noise = 0.5
X, y, true_coef = make_sparse_regression(100, 1000, 5, noise=noise, random_state=1)

# The chosen time, by the estimator's own cross-validation.
model = ImplicitRegInterpolator(fit_intercept=False).fit(X, y)

# The sparse path alone, on a fine grid of times up to three times the chosen
# one (the rest of the way to the minimum-l1 interpolator adds nothing here).
times = np.geomspace(model.cv_time_grid_[0], 3 * model.dense_start_, 120)
_, path = implicit_path(
    X, y, init_scale=model.init_scale_, times=times, fit_intercept=False
)
sparse = path.T
sparse_risk = [excess_risk(coef, true_coef) for coef in sparse]
train_mse = np.mean((y[None, :] - sparse @ X.T) ** 2, axis=1)

# Switching at time t: the sparse coefficients at t plus the minimum-l2
# interpolant of their residual (the limit of a fast dense part).
switch = np.arange(0, times.size, 4)
interp_risk = []
for i in switch:
    residual = y - X @ sparse[i]
    dense = MinL2Interpolator(fit_intercept=False).fit(X, residual).coef_
    interp_risk.append(excess_risk(sparse[i] + dense, true_coef))

fig, (top, bottom) = plt.subplots(
    2,
    1,
    figsize=(7, 5.6),
    sharex=True,
    layout="constrained",
    gridspec_kw={"height_ratios": [3, 2]},
)
top.plot(times, sparse_risk, label="sparse part at time t (not interpolating)")
top.plot(
    times[switch],
    interp_risk,
    "o--",
    ms=4,
    label="interpolator: switch at t, dense part fits the rest",
)
bottom.plot(times, train_mse / np.var(y), color="C2", label="sparse part")
bottom.axhline(noise**2 / np.var(y), color="k", ls=":", lw=1, label="noise level")
for ax in (top, bottom):
    ax.axvline(model.dense_start_, color="k", ls="--", lw=1, label="time chosen by CV")
    ax.grid(alpha=0.3)
top.set(yscale="log", ylabel=r"excess risk $\|\hat\beta - \beta^*\|^2$")
bottom.set(yscale="log", xlabel="gradient-flow time t", ylabel="training MSE / var(y)")
top.legend(fontsize="small")
bottom.legend(fontsize="small")
