"""Fit time of ImplicitRegInterpolator against LassoCV, on dense data.

Measured in the same run, on ``make_sparse_regression(n, d, 5, noise=0.5)``
(the paper's setting at larger ``d``): median wall-clock time over
``--repeats`` fits of ``ImplicitRegInterpolator()`` (defaults: the dense-part
switch time chosen by internal 5-fold cross-validation) and of
``LassoCV(cv=5)``, their ratio, the exact excess risk ``||coef_ - coef*||^2``
of each, the relative training MSE, and the implicit model's ``n_iter_``,
``dense_start_`` and ``converged_``. Run::

    python benchmarks/bench_implicit.py                  # n=200, d=2000,20000,100000
    python benchmarks/bench_implicit.py --d 2000 20000
    python benchmarks/bench_implicit.py --n 50 --d 300 --repeats 1

By default ``--repeats`` is 3 for ``d <= 2000`` and 1 above (a single fit at
``d=100000`` takes minutes).
"""

import argparse
import sys
import warnings

import numpy as np
from _timing import median_time  # benchmarks/_timing.py
from sklearn.linear_model import LassoCV

from sk_implicit import ImplicitRegInterpolator
from sk_implicit.datasets import excess_risk, make_sparse_regression


def _relative_mse(model, X, y):
    return float(np.mean((y - model.predict(X)) ** 2) / np.var(y))


def run_one(n, d, repeats, seed=0, noise=0.5):
    """Time both estimators at one size; print one block and return it."""
    X, y, coef = make_sparse_regression(n, d, 5, noise=noise, random_state=seed)
    print(f"[n={n} d={d}] ImplicitRegInterpolator ...", file=sys.stderr, flush=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t_imp, imp = median_time(lambda: ImplicitRegInterpolator().fit(X, y), repeats)
        print(f"[n={n} d={d}] LassoCV ...", file=sys.stderr, flush=True)
        t_lasso, lasso = median_time(lambda: LassoCV(cv=5).fit(X, y), repeats)
    for w in caught:
        print(f"[n={n} d={d}] {w.category.__name__}: {w.message}", file=sys.stderr)
    out = {
        "n": n,
        "d": d,
        "repeats": repeats,
        "time_implicit": t_imp,
        "time_lasso": t_lasso,
        "time_ratio": t_imp / t_lasso,
        "risk_implicit": excess_risk(imp.coef_, coef),
        "risk_lasso": excess_risk(lasso.coef_, coef),
        "rel_mse_implicit": _relative_mse(imp, X, y),
        "rel_mse_lasso": _relative_mse(lasso, X, y),
        "n_iter": int(imp.n_iter_),
        "dense_start": float(imp.dense_start_),
        "converged": bool(imp.converged_),
        "warnings": [str(w.message) for w in caught],
    }
    print(
        f"n={n} d={d} repeats={repeats} X={X.nbytes / 1e6:.1f} MB "
        "(median wall-clock seconds)"
    )
    print(
        f"  ImplicitRegInterpolator() {t_imp:9.2f} s  risk {out['risk_implicit']:.4f}"
        f"  rel train MSE {out['rel_mse_implicit']:.1e}  n_iter_={out['n_iter']}"
        f"  dense_start_={out['dense_start']:.3g}  converged_={out['converged']}"
    )
    print(
        f"  LassoCV(cv=5)             {t_lasso:9.2f} s  risk {out['risk_lasso']:.4f}"
        f"  rel train MSE {out['rel_mse_lasso']:.1e}  alpha_={lasso.alpha_:.3g}"
    )
    print(
        f"  time ratio implicit/LassoCV {out['time_ratio']:.2f}   "
        f"risk ratio implicit/LassoCV "
        f"{out['risk_implicit'] / out['risk_lasso']:.3f}",
        flush=True,
    )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="number of samples")
    parser.add_argument(
        "--d",
        type=int,
        nargs="+",
        default=[2000, 20000, 100000],
        help="numbers of features",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed repeats (default: 3 for d <= 2000, else 1)",
    )
    parser.add_argument("--seed", type=int, default=0, help="data seed")
    args = parser.parse_args(argv)
    results = []
    for d in args.d:
        repeats = args.repeats or (3 if d <= 2000 else 1)
        results.append(run_one(args.n, d, repeats, seed=args.seed))
    return results


if __name__ == "__main__":
    main()
