"""When interpolating the noise is harmless, and when it is not.

Three Gaussian designs with n = 100 samples and d = 500 features: isotropic,
AR(1) with correlation 0.9, and "spectra" (smooth curves: a squared-exponential
covariance over the feature index, plus a little measurement noise). The same
5-sparse +-1 signal, noise 0.5, 3 draws. The excess risk is exact for a known
covariance, ``(coef_ - coef)^T Sigma (coef_ - coef)``, shown relative to the
noise variance.

Two pairs: ridge and the minimum-l2 interpolator (which is exactly ridge plus
the minimum-l2 interpolant of ridge's residual), and the Lasso and the Lasso
plus the minimum-l2 interpolant of its residual. In each pair, the gap is the
price of fitting the residual exactly.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LassoLarsCV, RidgeCV

from sk_implicit import MinL2Interpolator

n_samples, n_features, noise, seeds = 100, 500, 0.5, range(3)
index = np.arange(n_features)
distance = np.abs(index[:, None] - index[None, :])
designs = {
    "isotropic": np.eye(n_features),
    "AR(1), correlation 0.9": 0.9**distance,
    "spectra (smooth curves)": np.exp(-0.5 * (distance / 10.0) ** 2)
    + 1e-4 * np.eye(n_features),
}
MODELS = ["RidgeCV", "MinL2Interpolator", "LassoLarsCV", "LassoLarsCV + min-l2 fix"]


def fits(X, y):
    """Coefficients of the four models on one draw."""
    lasso = LassoLarsCV().fit(X, y)
    residual = y - lasso.predict(X)
    fix = MinL2Interpolator().fit(X, residual).coef_
    return {
        "RidgeCV": RidgeCV(alphas=np.logspace(-6, 4, 41)).fit(X, y).coef_,
        "MinL2Interpolator": MinL2Interpolator().fit(X, y).coef_,
        "LassoLarsCV": lasso.coef_,
        "LassoLarsCV + min-l2 fix": lasso.coef_ + fix,
    }


risks = {name: {model: [] for model in MODELS} for name in designs}
spectra = {}
for name, cov in designs.items():
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    eigenvalues = np.clip(eigenvalues, 0, None)
    spectra[name] = eigenvalues[::-1]
    root = (eigenvectors * np.sqrt(eigenvalues)).T  # root.T @ root == cov
    for seed in seeds:
        rng = np.random.default_rng(seed)
        coef = np.zeros(n_features)
        coef[rng.choice(n_features, 5, replace=False)] = rng.choice([-1.0, 1.0], 5)
        X = rng.standard_normal((n_samples, n_features)) @ root
        y = X @ coef + noise * rng.standard_normal(n_samples)
        for model, fitted in fits(X, y).items():
            error = fitted - coef
            risks[name][model].append(error @ cov @ error / noise**2)
mean = {name: {m: np.mean(v) for m, v in r.items()} for name, r in risks.items()}

fig, (left, right) = plt.subplots(
    2, 1, figsize=(8, 8), layout="constrained", gridspec_kw={"height_ratios": [2, 3]}
)
for name, eigenvalues in spectra.items():
    left.plot(np.arange(1, n_features + 1), eigenvalues, label=name)
left.axvline(n_samples, color="k", ls=":", lw=1, label=f"n = {n_samples}")
left.set(
    xscale="log",
    yscale="log",
    ylim=(1e-5, None),
    xlabel="rank i",
    ylabel="i-th eigenvalue of the covariance",
    title="the designs' spectra",
)
left.legend(fontsize="small")

width = 0.2
colors = ["#74c476", "#de2d26", "#6baed6", "#fd8d3c"]
for k, (model, color) in enumerate(zip(MODELS, colors)):
    values = [mean[name][model] for name in designs]
    bars = right.bar(
        np.arange(len(designs)) + (k - 1.5) * width,
        values,
        width,
        color=color,
        label=model,
    )
    right.bar_label(bars, fmt="%.2f", fontsize="x-small")
labels = []
for name in designs:
    l2_ratio = mean[name]["MinL2Interpolator"] / mean[name]["RidgeCV"]
    lasso_ratio = mean[name]["LassoLarsCV + min-l2 fix"] / mean[name]["LassoLarsCV"]
    labels.append(
        f"{name}\nmin-l2 / ridge: {l2_ratio:.1f}x\nfixed / Lasso: {lasso_ratio:.1f}x"
    )
right.set_xticks(range(len(designs)), labels)
right.set(
    yscale="log",
    ylabel="excess risk / noise variance",
    title="the price of fitting the residual exactly",
)
right.legend(fontsize="small", ncols=2)
