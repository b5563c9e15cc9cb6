"""
=============================================
Training dynamics: signal first, noise later
=============================================

:class:`~sk_implicit.ImplicitRegInterpolator` trains ``coef = w*w - u*u + v``
from ``w = u = init_scale`` and ``v = 0``. The coordinates of the sparse
(Hadamard) part ``w*w - u*u`` grow exponentially at a rate set by their
gradient, so the coordinates most correlated with the residual are learned
first, one plateau at a time; the noise coordinates grow much later. At the
gradient-flow time ``dense_start_``, chosen by cross-validation along the
path, the dense part ``v`` is switched on and absorbs the rest of the
residual as the minimum-l2 interpolant: many small coefficients that fit the
noise, and the training data are fitted exactly.

This example records the sparse part with the ``callback`` parameter (called
after every integration step with the time, the coefficients and the training
loss), continues the path past ``dense_start_`` with
:func:`~sk_implicit.implicit_path` to show what the switch avoids, and plots
the cross-validation curve that chose the time. See Zhou & Ge, "Implicit
Regularization Leads to Benign Overfitting for Sparse Linear Regression"
(ICML 2023).
"""

# %%
# Fit and record
# --------------
import os

import matplotlib.pyplot as plt
import numpy as np

from sk_implicit import ImplicitRegInterpolator, implicit_path
from sk_implicit.datasets import excess_risk, make_sparse_regression

SMALL = os.environ.get("SK_IMPLICIT_EXAMPLE_SIZE") == "small"
n_samples, n_features = (40, 150) if SMALL else (100, 1000)
X, y, true_coef = make_sparse_regression(
    n_samples, n_features, n_informative=5, noise=0.5, random_state=0
)

history = {"time": [], "sparse": [], "loss": []}


def record(info):
    # Copy: the callback may receive arrays that change at the next step.
    history["time"].append(info["time"])
    history["sparse"].append(np.array(info["sparse_coef"], copy=True))
    history["loss"].append(info["loss"])


model = ImplicitRegInterpolator(callback=record).fit(X, y)
times, sparse = np.array(history["time"]), np.array(history["sparse"])
print(f"{model.n_iter_} steps to dense_start_ = {model.dense_start_:.3g}")
print(
    f"excess risk: {excess_risk(model.coef_, true_coef):.3f} (interpolator), "
    f"{excess_risk(model.sparse_coef_, true_coef):.3f} (its sparse part alone)"
)

# What the sparse part would do without the switch: the same path, run on.
later = np.geomspace(model.dense_start_, 2.5 * model.dense_start_, 40)
_, beyond = implicit_path(X, y, init_scale=model.init_scale_, times=later)
risk_beyond = [excess_risk(beyond[:, k], true_coef) for k in range(later.size)]
print(
    f"sparse part at 2.5 x dense_start_: excess risk {risk_beyond[-1]:.3f}, "
    f"{np.sum(np.abs(beyond[:, -1]) > 0.05)} coordinates above 0.05"
)

# %%
# The figure
# ----------
# Left: the sparse part against time; the true support (coloured, one colour
# per coordinate) escapes the noise coordinates (grey) one plateau after the
# other. Past ``dense_start_`` (dotted, what the switch avoids) noise
# coordinates start to grow. Middle: the cross-validation's mean validation
# error (each fold in grey) and its minimum, the chosen time. Right: the two
# parts of the fitted interpolator: a few large sparse coefficients, and a
# dense part that is small and spread over all coordinates.
support = np.flatnonzero(true_coef)
noise_coords = np.setdiff1d(np.arange(n_features), support)
colours = [f"C{k}" for k in range(len(support))]
labels = [f"coef[{j}] (true {true_coef[j]:+g})" for j in support]
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")

ax = axes[0]
ax.plot(times, sparse[:, noise_coords], color="0.7", lw=0.5)
ax.plot(later, beyond[noise_coords].T, color="0.7", lw=0.5, ls=":")
for j, colour, label in zip(support, colours, labels):
    ax.plot(times, sparse[:, j], color=colour, lw=2, label=label)
    ax.plot(later, beyond[j], color=colour, lw=1, ls=":")
ax.set(title="sparse part w*w - u*u", xlabel="gradient-flow time t")
ax.set(ylabel="coefficient")

ax = axes[1]
grid, folds = model.cv_time_grid_, model.cv_mse_path_[0]
ax.plot(grid, folds, color="0.75", lw=0.8)
ax.plot(grid, folds.mean(axis=1), color="k", lw=2, label="mean over folds")
ax.set(title="cross-validation", xlabel="gradient-flow time t", yscale="log")
ax.set(ylabel="validation MSE (y scaled to unit RMS)")

for ax in axes[:2]:
    ax.axvline(model.dense_start_, color="k", ls="--", lw=1)

ax = axes[2]
ax.plot(model.dense_coef_, ".", color="0.5", ms=3, label="dense part v")
ax.plot(support, model.sparse_coef_[support], "o", color="C3", label="sparse part")
ax.set(title="the interpolator's two parts", xlabel="feature")
ax.legend(loc="center left", fontsize="small")
for ax in axes:
    ax.grid(alpha=0.3)

handles, _ = axes[0].get_legend_handles_labels()
handles += [
    plt.Line2D([], [], color="0.7", lw=0.5),
    plt.Line2D([], [], color="k", ls="--", lw=1),
]
labels += ["the other coordinates (noise)", "dense_start_ (dense part on)"]
fig.legend(handles, labels, loc="outside right upper", fontsize="small")
fig.savefig("training_dynamics.png", dpi=120)
plt.show()
