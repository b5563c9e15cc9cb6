"""
==========================================================
Benign overfitting: excess risk against d and against n
==========================================================

The experiment of J. Zhou and R. Ge, "Implicit Regularization Leads to Benign
Overfitting for Sparse Linear Regression" (ICML 2023,
https://arxiv.org/abs/2302.00257). The data are sparse and linear,
``y = X @ coef + noise`` with a Gaussian design, ``s = 5`` informative
features, noise standard deviation 0.5, and many more features than samples.
For an isotropic design the excess test risk of an estimate is exactly
``||coef_ - coef||^2`` (:func:`sk_implicit.datasets.excess_risk`), so no test
set is needed.

Three interpolators (zero training error) are compared with a
cross-validated Lasso, which does not interpolate:

- :class:`~sk_implicit.MinL2Interpolator` spreads the fit over all
  directions and loses the signal when ``d >> n``;
- :class:`~sk_implicit.MinL1Interpolator` finds the signal but fits the noise
  with a few large spurious coefficients;
- :class:`~sk_implicit.ImplicitRegInterpolator` learns the signal with a
  sparse part first, then absorbs the noise with a dense part: it interpolates
  and still predicts about as well as the Lasso.
"""

# %%
# Setting
# -------
# ``SK_IMPLICIT_EXAMPLE_SIZE=small`` (used by the test suite) runs a tiny
# version of the same code.
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator
from sklearn.linear_model import LassoCV

from sk_implicit import ImplicitRegInterpolator, MinL1Interpolator, MinL2Interpolator
from sk_implicit.datasets import excess_risk, make_sparse_regression

SMALL = os.environ.get("SK_IMPLICIT_EXAMPLE_SIZE") == "small"
if SMALL:
    n_features_grid, n_fixed = [100, 200], 40
    n_samples_grid, d_fixed = [30, 60], 150
    seeds = [0]
else:
    n_features_grid, n_fixed = [250, 500, 1000, 2000], 100
    n_samples_grid, d_fixed = [50, 100, 200], 1000
    seeds = [0, 1]


def make_estimators():
    return {
        "ImplicitRegInterpolator": ImplicitRegInterpolator(),
        "MinL1Interpolator": MinL1Interpolator(),
        "MinL2Interpolator": MinL2Interpolator(),
        "LassoCV": LassoCV(cv=5),
    }


def excess_risks(n_samples, n_features):
    """Excess risk of every estimator, one row per seed."""
    risks = {name: [] for name in make_estimators()}
    for seed in seeds:
        X, y, coef = make_sparse_regression(
            n_samples, n_features, n_informative=5, noise=0.5, random_state=seed
        )
        for name, estimator in make_estimators().items():
            estimator.fit(X, y)
            risks[name].append(excess_risk(estimator.coef_, coef))
    return risks


# %%
# Excess risk against the number of features, then of samples
# ------------------------------------------------------------
start = time.perf_counter()
by_d = [excess_risks(n_fixed, d) for d in n_features_grid]
by_n = [excess_risks(n, d_fixed) for n in n_samples_grid]
print(
    f"{len(seeds) * (len(by_d) + len(by_n)) * 4} fits in "
    f"{time.perf_counter() - start:.0f}s"
)
for d, risks in zip(n_features_grid, by_d):
    summary = ", ".join(f"{k} {np.mean(v):.3f}" for k, v in risks.items())
    print(f"n={n_fixed}, d={d}: {summary}")

# %%
# The figure
# ----------
# Lines are means over the seeds, bands span their minimum and maximum. The
# minimum-l2 interpolator's risk approaches ``||coef||^2 = 5`` (it learns
# nothing) as ``d`` grows; the minimum-l1 interpolator's decays only slowly;
# the implicit-regularization interpolator stays close to the Lasso.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
for ax, grid, results, xlabel, fixed in [
    (axes[0], n_features_grid, by_d, "number of features d", f"n = {n_fixed}"),
    (axes[1], n_samples_grid, by_n, "number of samples n", f"d = {d_fixed}"),
]:
    for name in results[0]:
        values = np.array([r[name] for r in results])
        (line,) = ax.plot(grid, values.mean(axis=1), marker="o", label=name)
        ax.fill_between(
            grid,
            values.min(axis=1),
            values.max(axis=1),
            alpha=0.15,
            color=line.get_color(),
        )
    ax.set(xscale="log", yscale="log", xlabel=xlabel, title=fixed)
    ax.set_xticks(grid, [str(v) for v in grid])
    ax.minorticks_off()
    # Label 1, 2 and 5 times each power of ten, as plain numbers: the default
    # labels only the powers of ten, one or two on these ranges.
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_ylabel(r"excess risk $\|\hat\beta - \beta^*\|^2$")
    ax.grid(alpha=0.3)
axes[0].legend(fontsize="small")
fig.suptitle("Sparse linear regression, s = 5, noise = 0.5")
fig.savefig("paper_figure.png", dpi=120)
plt.show()
