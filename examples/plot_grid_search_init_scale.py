"""
=======================================
Choosing ``init_scale`` by grid search
=======================================

The initial scale of the sparse part of
:class:`~sk_implicit.ImplicitRegInterpolator` moves it between two classic
interpolators: a tiny ``init_scale`` makes the sparse part behave like the
minimum-l1 interpolator, a large one like the minimum-l2 interpolator
(Woodworth et al. 2020, "Kernel and Rich Regimes in Overparametrized Models").
Its default, 1e-30, is in the first regime: the path moves from plateau to
plateau, least-squares fits on the coordinates learned so far. Being a
regular scikit-learn estimator, the interpolator goes into a ``Pipeline`` and
a ``GridSearchCV`` as usual; it also takes a list of init scales itself and
then chooses the init scale together with its switch time in one
cross-validation (as ``ElasticNetCV`` chooses ``l1_ratio``), which costs one
batch of paths instead of a fit per candidate and fold.
"""

# %%
# Data and grid search
# --------------------
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_implicit import ImplicitRegInterpolator
from sk_implicit.datasets import make_sparse_regression

SMALL = os.environ.get("SK_IMPLICIT_EXAMPLE_SIZE") == "small"
n_samples, n_features = (40, 120) if SMALL else (100, 1000)
init_scales = np.logspace(-30, 0, 4 if SMALL else 7)

X, y, true_coef = make_sparse_regression(
    n_samples, n_features, n_informative=5, noise=0.5, random_state=0
)
pipeline = make_pipeline(StandardScaler(), ImplicitRegInterpolator())
search = GridSearchCV(
    pipeline,
    {"implicitreginterpolator__init_scale": init_scales},
    cv=3,
    scoring="neg_mean_squared_error",
    return_train_score=True,
).fit(X, y)
print("best init_scale:", search.best_params_["implicitreginterpolator__init_scale"])
# The same choice inside one estimator, with its own 5-fold cross-validation:
joint = make_pipeline(StandardScaler(), ImplicitRegInterpolator(init_scale=init_scales))
print("chosen by the estimator itself:", joint.fit(X, y)[-1].init_scale_)

# %%
# Cross-validated error against ``init_scale``
# ---------------------------------------------
# The training error stays at zero (every candidate interpolates); the
# validation error shows which ``init_scale`` interpolates benignly.
results = search.cv_results_
test_mse = -results["mean_test_score"]
fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
ax.errorbar(
    init_scales,
    test_mse,
    yerr=results["std_test_score"],
    marker="o",
    capsize=3,
    label="validation MSE (mean +- std over folds)",
)
ax.plot(init_scales, -results["mean_train_score"], marker="s", label="training MSE")
ax.axhline(0.5**2, color="k", ls=":", lw=1, label="noise variance")
ax.set(xscale="log", xlabel="init_scale", ylabel="mean squared error")
ax.set_yscale("symlog", linthresh=1e-2)
ax.set_ylim(bottom=0)  # MSEs: no negative half
ax.grid(alpha=0.3)
ax.legend(fontsize="small")
fig.savefig("grid_search_init_scale.png", dpi=120)
plt.show()
