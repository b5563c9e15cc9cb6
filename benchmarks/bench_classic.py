"""Speed of the classic interpolators against the direct computations.

Measured in the same run, on the paper's setting (Gaussian ``X``, sparse
signal), median wall-clock time over ``--repeats`` fits:

- ``MinL2Interpolator.fit`` against ``numpy.linalg.pinv(X) @ y`` (target:
  ratio <= 0.5);
- ``MinL1Interpolator.fit`` against one direct HiGHS basis-pursuit call,
  ``linprog(1, A_eq=[X, -X], b_eq=y, bounds=(0, None), method="highs")``
  (target: ratio <= 1.2), both without intercept; also with
  ``working_set=False`` (one LP on all columns, like the direct call) and with
  ``fit_intercept=True``;

plus the agreement of the solutions. Run::

    python benchmarks/bench_classic.py            # n=200, d=20000
    python benchmarks/bench_classic.py --n 50 --d 500 --repeats 1
"""

import argparse

import numpy as np
from _timing import median_time  # benchmarks/_timing.py
from scipy.optimize import linprog

from sk_implicit._min_l1 import MinL1Interpolator
from sk_implicit._min_l2 import MinL2Interpolator
from sk_implicit.datasets import make_sparse_regression


def _direct_pinv(X, y):
    return np.linalg.pinv(X) @ y


def _direct_basis_pursuit(X, y):
    d = X.shape[1]
    res = linprog(
        np.ones(2 * d),
        A_eq=np.hstack([X, -X]),
        b_eq=y,
        bounds=(0, None),
        method="highs",
    )
    return res.x[:d] - res.x[d:]


def run(n=200, d=20000, repeats=3, seed=0, full_lp=True):
    """Run the benchmark, print it and return the measurements as a dict."""
    X, y, _ = make_sparse_regression(n, d, 5, noise=0.5, random_state=seed)
    out = {"n": n, "d": d, "repeats": repeats}
    print(f"n={n} d={d} repeats={repeats} (median wall-clock seconds)")

    t_pinv, coef_pinv = median_time(lambda: _direct_pinv(X, y), repeats)
    t_l2, l2 = median_time(
        lambda: MinL2Interpolator(fit_intercept=False).fit(X, y), repeats
    )
    t_l2i, _ = median_time(lambda: MinL2Interpolator().fit(X, y), repeats)
    out["l2_ratio"] = t_l2 / t_pinv
    out["l2_max_abs_diff"] = float(np.abs(l2.coef_ - coef_pinv).max())
    print(f"pinv(X) @ y                      {t_pinv:8.3f}")
    print(
        f"MinL2Interpolator (no intercept) {t_l2:8.3f}  "
        f"ratio {out['l2_ratio']:.3f} (target <= 0.5)  solver_={l2.solver_}  "
        f"max|diff coef| {out['l2_max_abs_diff']:.1e}"
    )
    print(f"MinL2Interpolator (intercept)    {t_l2i:8.3f}")

    t_lp, coef_lp = median_time(lambda: _direct_basis_pursuit(X, y), repeats)
    t_l1, l1 = median_time(
        lambda: MinL1Interpolator(fit_intercept=False).fit(X, y), repeats
    )
    out["l1_ratio"] = t_l1 / t_lp
    out["l1_max_abs_diff"] = float(np.abs(l1.coef_ - coef_lp).max())
    out["l1_norm_rel_diff"] = float(
        abs(np.abs(l1.coef_).sum() - np.abs(coef_lp).sum()) / np.abs(coef_lp).sum()
    )
    print(f"direct HiGHS linprog (BP)        {t_lp:8.3f}")
    print(
        f"MinL1Interpolator (no intercept) {t_l1:8.3f}  "
        f"ratio {out['l1_ratio']:.3f} (target <= 1.2)  n_iter_={l1.n_iter_}  "
        f"max|diff coef| {out['l1_max_abs_diff']:.1e}  "
        f"rel diff l1 norm {out['l1_norm_rel_diff']:.1e}"
    )
    if full_lp:
        t_full, full = median_time(
            lambda: MinL1Interpolator(fit_intercept=False, working_set=False).fit(X, y),
            repeats,
        )
        out["l1_full_lp_ratio"] = t_full / t_lp
        diff = np.abs(full.coef_ - coef_lp).max()
        print(
            f"  same, working_set=False        {t_full:8.3f}  "
            f"ratio {out['l1_full_lp_ratio']:.3f}  max|diff coef| {diff:.1e}"
        )
    t_l1i, l1i = median_time(lambda: MinL1Interpolator().fit(X, y), repeats)
    out["l1_intercept_ratio"] = t_l1i / t_lp
    print(
        f"MinL1Interpolator (intercept)    {t_l1i:8.3f}  "
        f"ratio {out['l1_intercept_ratio']:.3f}  "
        f"max|residual| {np.abs(l1i.predict(X) - y).max():.1e}"
    )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="number of samples")
    parser.add_argument("--d", type=int, default=20000, help="number of features")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats")
    parser.add_argument("--seed", type=int, default=0, help="data seed")
    parser.add_argument(
        "--no-full-lp",
        action="store_true",
        help="skip MinL1Interpolator(working_set=False), as slow as the direct LP",
    )
    args = parser.parse_args(argv)
    return run(args.n, args.d, args.repeats, args.seed, full_lp=not args.no_full_lp)


if __name__ == "__main__":
    main()
