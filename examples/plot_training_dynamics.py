"""
=============================================
Training dynamics: signal first, noise later
=============================================

:class:`~sk_implicit.ImplicitRegInterpolator` runs gradient descent on
``coef = w*w - u*u + v``, from ``w = u = init_scale`` and ``v = 0``. The
coordinates of the sparse (Hadamard) part ``w*w - u*u`` grow exponentially at
a rate set by their gradient, so the few true signal coordinates grow first,
while the noise coordinates stay tiny. At gradient-flow time ``dense_start_``
(chosen by cross-validation along the path) the dense part ``v`` is switched
on: it absorbs the remaining noise with many small coefficients, until the
training data are fitted exactly.

This example records the path with the ``callback`` parameter, which receives
a dict with the iteration, the gradient-flow time, both parts of the
coefficients and the training loss after every step. See Zhou & Ge,
"Implicit Regularization Leads to Benign Overfitting for Sparse Linear
Regression" (ICML 2023).
"""

# %%
# Fit and record
# --------------
import os

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from sk_implicit import ImplicitRegInterpolator
from sk_implicit.datasets import excess_risk, make_sparse_regression

SMALL = os.environ.get("SK_IMPLICIT_EXAMPLE_SIZE") == "small"
n_samples, n_features = (40, 150) if SMALL else (100, 1000)
X, y, true_coef = make_sparse_regression(
    n_samples, n_features, n_informative=5, noise=0.5, random_state=0
)

history = {"iteration": [], "time": [], "sparse": [], "dense": [], "loss": []}


def record(info):
    # The solver may reuse its arrays from one step to the next: copy them.
    # (A few hundred steps of 1000 coefficients: keeping them all is cheap.)
    history["iteration"].append(info["iteration"])
    history["time"].append(info["time"])
    history["sparse"].append(np.array(info["sparse_coef"], copy=True))
    history["dense"].append(np.array(info["dense_coef"], copy=True))
    history["loss"].append(info["loss"])


model = ImplicitRegInterpolator(callback=record).fit(X, y)
iteration, times, loss = (
    np.array(history[key]) for key in ("iteration", "time", "loss")
)
sparse, dense = np.array(history["sparse"]), np.array(history["dense"])
switch = np.searchsorted(times, model.dense_start_)  # first step of the dense part
print(
    f"{model.n_iter_} steps; dense part on from t = {model.dense_start_:.3g} "
    f"(step {iteration[min(switch, len(iteration) - 1)]})"
)
print(f"final training loss (MSE / var(y)): {loss[-1]:.2e}")
print(
    f"excess risk: {excess_risk(model.coef_, true_coef):.3f} (interpolator), "
    f"{excess_risk(model.sparse_coef_, true_coef):.3f} (its sparse part alone)"
)

# %%
# The figure
# ----------
# Left: the sparse part against gradient-flow time; the true support
# (coloured, one colour per coordinate, the same in every panel) escapes the
# noise coordinates (grey) one coordinate after the other, while the
# training loss (middle) falls to about the noise level. Right: the dense
# part, zero until ``dense_start_`` and then, over the last steps, many small
# coefficients that fit the noise: the training loss drops to zero, the
# sparse part barely moves.
support = np.flatnonzero(true_coef)
noise_coords = np.setdiff1d(np.arange(n_features), support)
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")
colours = [f"C{k}" for k in range(len(support))]
labels = [f"coef[{j}] (true {true_coef[j]:+g})" for j in support]

axes[0].plot(times, sparse[:, noise_coords], color="0.7", lw=0.5)
for j, colour, label in zip(support, colours, labels):
    axes[0].plot(times, sparse[:, j], color=colour, lw=2, label=label)
axes[0].set(title="sparse part w*w - u*u", ylabel="coefficient")

axes[1].plot(times, loss, color="k")
axes[1].set(title="training loss", ylabel="MSE / var(y)", yscale="log")

for ax in axes[:2]:
    ax.axvline(model.dense_start_, color="k", ls="--", lw=1)
    ax.set(xlabel="gradient-flow time t")

# The dense part needs few steps once on: zoom on them, by step number.
zoom = slice(max(switch - 5, 0), None)
axes[2].plot(iteration[zoom], dense[zoom][:, noise_coords], color="0.7", lw=0.5)
for j, colour in zip(support, colours):
    axes[2].plot(iteration[zoom], dense[zoom][:, j], color=colour, lw=2)
axes[2].set(title="dense part v (last steps)", xlabel="step")
axes[2].xaxis.set_major_locator(MaxNLocator(integer=True))  # whole steps only
for ax in axes:
    ax.grid(alpha=0.3)

# One legend for the three panels: the coloured lines are the same
# coordinates everywhere.
handles, _ = axes[0].get_legend_handles_labels()
handles += [
    plt.Line2D([], [], color="0.7", lw=0.5),
    plt.Line2D([], [], color="k", ls="--", lw=1),
]
labels += ["the other coordinates (noise)", "dense_start_ (dense part on)"]
fig.legend(handles, labels, loc="outside right upper", fontsize="small")
fig.savefig("training_dynamics.png", dpi=120)
plt.show()
