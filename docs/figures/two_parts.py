"""The two parts of a fitted ImplicitRegInterpolator, next to the truth."""

import matplotlib.pyplot as plt
import numpy as np

from sk_implicit import ImplicitRegInterpolator
from sk_implicit.datasets import make_sparse_regression

X, y, true_coef = make_sparse_regression(100, 1000, 5, noise=0.5, random_state=0)
model = ImplicitRegInterpolator().fit(X, y)
support = np.flatnonzero(true_coef)
index = np.arange(X.shape[1])

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
left.vlines(index, 0, model.sparse_coef_, color="C0", lw=1)
left.plot(support, true_coef[support], "o", mfc="none", color="k", label="true coef")
left.set(title="sparse part (w*w - u*u): the signal", xlabel="feature")
left.legend(fontsize="small", loc="upper right")
right.vlines(index, 0, model.dense_coef_, color="C1", lw=0.6)
right.set(title="dense part (v): the noise, spread thin", xlabel="feature")
# Its own scale: on the left's, the dense part would be a flat line.
right.set_ylim(np.array([-1.1, 1.1]) * np.abs(model.dense_coef_).max())
for ax in (left, right):
    ax.axhline(0, color="0.5", lw=0.5)
    ax.set_ylabel("coefficient")
    ax.grid(alpha=0.3)
