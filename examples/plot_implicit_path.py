"""
====================================================
The implicit path against the Lasso path
====================================================

:func:`~sk_implicit.implicit_path` returns the sparse (Hadamard) part
``w*w - u*u`` of :class:`~sk_implicit.ImplicitRegInterpolator` along its
gradient flow, as :func:`~sklearn.linear_model.lasso_path` returns the Lasso
along its penalty. The two paths explore the same family of sparse models in
different ways:

- the Lasso shrinks: at every penalty its active coefficients are pulled
  towards zero by the same amount, the price it pays for keeping the noise
  coordinates out;
- the Hadamard part with a tiny ``init_scale`` moves from plateau to plateau:
  a coordinate stays negligible until its accumulated gradient lets it grow,
  exponentially fast, and on each plateau the coordinates learned so far are a
  least-squares fit, without shrinkage. A larger ``init_scale`` smooths the
  path towards the Lasso-like, and in the end the l2-like, regime.

The time axis of the implicit path plays the part of the inverse penalty: a
coordinate whose gradient is ``g`` becomes significant at a time of order
``log(1 / init_scale) / (2 |g|)``. The figure also shows the exact excess
risk of each point of each path (the data come from the paper's setting, whose
excess risk is ``||coef - coef*||^2``).
"""

# %%
# The paths
# ---------
import os

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter
from sklearn.linear_model import lasso_path

from sk_implicit import implicit_path
from sk_implicit.datasets import excess_risk, make_sparse_regression

SMALL = os.environ.get("SK_IMPLICIT_EXAMPLE_SIZE") == "small"
n_samples, n_features = (50, 300) if SMALL else (100, 2000)
X, y, true_coef = make_sparse_regression(
    n_samples, n_features, n_informative=5, noise=0.5, random_state=1
)
support = np.flatnonzero(true_coef)

paths = {}
for init_scale in (1e-30, 1e-3):
    times, coefs = implicit_path(X, y, init_scale=init_scale, n_times=120)
    paths[f"implicit, init_scale={init_scale:g}"] = (times, coefs)
# lasso_path works on centred data without intercept, as implicit_path does
# after centring; its penalties run from large to small.
Xc, yc = X - X.mean(axis=0), y - y.mean()
alphas, lasso_coefs, _ = lasso_path(Xc, yc, alphas=120)
for name, (_, coefs) in paths.items():
    best = min(excess_risk(coefs[:, k], true_coef) for k in range(coefs.shape[1]))
    print(f"{name}: best excess risk along the path {best:.4f}")
best = min(excess_risk(lasso_coefs[:, k], true_coef) for k in range(alphas.size))
print(f"Lasso path: best excess risk along the path {best:.4f}")

# %%
# The figure
# ----------
# Top: coefficients along each path (true support in colour, the other
# coordinates in grey). Bottom: the exact excess risk along each path. The
# Lasso's best point keeps a shrinkage bias; the implicit path with a tiny
# init scale reaches a plateau where the support is fitted by least squares.
fig, axes = plt.subplots(2, 3, figsize=(15, 7), layout="constrained")
panels = list(paths.items()) + [("Lasso", (1.0 / alphas, lasso_coefs))]
for column, (name, (x, coefs)) in enumerate(panels):
    ax = axes[0, column]
    others = np.setdiff1d(np.arange(n_features), support)
    ax.plot(x, coefs[others].T, color="0.75", lw=0.5)
    for k, j in enumerate(support):
        ax.plot(x, coefs[j], color=f"C{k}", lw=2, label=f"coef[{j}]")
    ax.set(title=name, xscale="log", ylabel="coefficient")
    risk = [excess_risk(coefs[:, k], true_coef) for k in range(coefs.shape[1])]
    axes[1, column].plot(x, risk, color="k")
    axes[1, column].set(xscale="log", yscale="log", ylabel="excess risk")
    xlabel = "1 / penalty" if name == "Lasso" else "gradient-flow time t"
    axes[1, column].set(xlabel=xlabel)
    for ax in axes[:, column]:
        ax.grid(alpha=0.3)
        ax.xaxis.set_minor_formatter(NullFormatter())  # decades only
axes[0, 0].legend(loc="upper left", fontsize="small")
fig.savefig("implicit_path.png", dpi=110)
plt.show()
