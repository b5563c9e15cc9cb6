"""How well ImplicitRegInterpolator's cross-validation chooses its time.

Issue 8's target: on the paper's design at sigma = 0.5, 1 and 2, 5 seeds each,
the mean excess risk of the sparse part at the CV-chosen time
(``sparse_coef_`` at ``dense_start_``) within 1.3x of its mean risk at the
best time along the same path (known from the true coefficients: the path is
evaluated on a fine geometric grid of times with :func:`implicit_path`).

It also checks the stopping policy: the default fit against a full-length
cross-validation (the folds run to the end of their paths: every fold's
training loss at the policy's floor), which must choose the same time; and
the cost, in integration steps of the cross-validation, of both.

    python benchmarks/bench_cv.py                 # sigma 0.5 1 2, 5 seeds
    python benchmarks/bench_cv.py --first-seed 5  # seeds 5-9: how much 5 seeds vary
    python benchmarks/bench_cv.py --quick         # tiny, for the tests
    python benchmarks/bench_cv.py --seeds 10 --rules  # other rules for the time

``--rules`` also measures, on the full-length run's validation curves, the
rules for the time that were tried against the library's (the argmin of the
folds' mean curve), each by the same ratio: see :func:`alternative_times`.

``--row-orders P`` also fits the default on P random orders of each draw's
rows. The default ``cv=5`` (unshuffled ``KFold``) splits the rows in their
order, so a new order is a new, equally likely set of folds; the path and
its best time do not depend on it. The ratio is then printed per order and
over all of them: the ratio of the draws' own order is one sample of it.

    python benchmarks/bench_cv.py --seeds 10 --row-orders 5 --skip-full-length

``--holdout M ...`` measures how much information the time needs: the time
that a fresh validation set of ``M`` points (20 draws of it) picks on the full
path, by the validation error of the finished interpolator, as the CV's curves
judge it. It is a bound, not an estimator (see :func:`holdout_risks`); ``M =
n`` asks for as many new points as the fit has, ``M = n / 5`` for a fold's.

    python benchmarks/bench_cv.py --seeds 20 --holdout 20 100 1000 --skip-full-length
"""

import argparse
import sys
import time
from unittest import mock

import numpy as np
from _designs import row_order
from sklearn.model_selection import KFold

import sk_implicit._path as path_module
import sk_implicit._stopping as stopping
from sk_implicit import ImplicitRegInterpolator, implicit_path
from sk_implicit.datasets import excess_risk, make_sparse_regression


def _full_length_check(self, curves, train_losses):
    """The policy with only its end-of-path rule: a full-length run."""
    return "interpolated" if np.all(np.asarray(train_losses) <= self.floor) else None


def fit_counting_steps(X, y, **kwargs):
    """``(model, cross-validation steps)`` of one fit.

    The steps of the folds' paths: the cross-validation's batch also holds
    the final path of each init scale, its last problems, not counted.
    """
    counts = []
    run = path_module._Integrator.run
    n_scales = np.size(kwargs.get("init_scale", 1e-30))

    def counting_run(self, **run_kwargs):
        result = run(self, **run_kwargs)
        counts.append(result["n_iter"])
        return result

    with mock.patch.object(path_module._Integrator, "run", counting_run):
        model = ImplicitRegInterpolator(**kwargs).fit(X, y)
    if len(counts) < 2:  # no cross-validation (a least-squares fit)
        return model, 0
    return model, int(counts[0][:-n_scales].max())


def fine_path(X, y, model, n_times=400):
    """``(times, coefs)``: the sparse part along the full path of ``model``.

    Geometric times from the first to 4x the last of the CV's grid, and the
    chosen time; ``coefs`` is (d, n_times).
    """
    grid = model.cv_time_grid_
    times = np.geomspace(grid[0], 4 * grid[-1], n_times)
    times = np.union1d(times, [model.dense_start_])
    return implicit_path(X, y, init_scale=model.init_scale_, times=times)


def path_risks(coef, coefs):
    """The excess risk of each column of ``coefs`` (a path's coefficients)."""
    return np.array([excess_risk(coefs[:, k], coef) for k in range(coefs.shape[1])])


def holdout_risks(X, y, coef, coefs, risks, noise, sizes, *, draws=20, seed=0):
    """``{M: mean risk at the time a fresh validation set of M points picks}``.

    A bound, not an estimator: it reads data the fit never has. ``coefs``
    is the sparse part along the full path (:func:`fine_path`), ``risks``
    their excess risks (:func:`path_risks`). Each time's
    interpolator is the library's finished model, the sparse part plus the
    minimum-l2 interpolant of its residual (``lstsq`` of the centred design:
    its minimum-norm solution). ``draws`` validation sets of ``M`` new points
    from the same model (isotropic Gaussian rows, the same ``coef``, new
    noise) each pick the time of least validation error; the value is the
    mean excess risk of the sparse part at the picked times, the quantity the
    target is about.
    """
    x_mean, y_mean = X.mean(axis=0), y.mean()
    residuals = (y - y_mean)[:, None] - (X - x_mean) @ coefs
    finished = coefs + np.linalg.lstsq(X - x_mean, residuals, rcond=None)[0]
    intercepts = y_mean - x_mean @ finished
    rng = np.random.default_rng([seed, 8])
    picked = {}
    for size in sizes:
        chosen = []
        for _ in range(draws):
            X_new = rng.standard_normal((size, X.shape[1]))
            y_new = X_new @ coef + noise * rng.standard_normal(size)
            errors = ((y_new[:, None] - X_new @ finished - intercepts) ** 2).mean(0)
            chosen.append(risks[int(np.argmin(errors))])
        picked[size] = float(np.mean(chosen))
    return picked


def alternative_times(X, y, model):
    """The time chosen by each rule from a full-length run's validation curves.

    ``model`` was fitted with the default ``cv=5`` (unshuffled ``KFold``) and
    every fold run to the end of its path, so that each fold's own minimum
    is on its curve. The rules:

    - ``mean``: the argmin of the folds' mean curve (the library's rule);
    - ``log-mean``: the argmin of the mean of the log curves (their geometric
      mean: a fold whose curve is high and flat weighs less);
    - ``fold-median``, ``fold-gmean``: the median and the geometric mean of
      the folds' own argmin times;
    - ``aligned``: each fold's time axis rescaled by its first arrival time
      relative to the full data's (``max |X_c^T y_c| / m``, the speed of the
      first coordinate), then the argmin of the mean curve (a fold's curve
      is held at its ends where the rescaled time leaves its grid);
    - ``first-1%``, ``first-2%``, ``first-5%``: the earliest time at which the
      mean curve is within that fraction of its minimum (against the
      library's rule choosing late);
    - ``1-se``: the earliest time within one standard error (over the folds,
      at the minimum) of the minimum, the "one-standard-error rule";
    - ``mean*sqrt(4/5)``, ``mean*4/5``: the library's time scaled down by the
      square root of the folds' share of the rows, or by the share itself (a
      fixed correction for folds trained on fewer rows).
    """
    times, curves = model.cv_time_grid_, model.cv_mse_path_[0]
    reached = np.all(np.isfinite(curves), axis=1)
    times, curves = times[reached], curves[reached]
    fold_times = times[np.argmin(curves, axis=0)]

    def speed(rows):
        Xc, yc = X[rows] - X[rows].mean(axis=0), y[rows] - y[rows].mean()
        return np.abs(Xc.T @ yc).max() / rows.size

    full_speed = speed(np.arange(X.shape[0]))
    slowdown = [full_speed / speed(train) for train, _ in KFold(5).split(X)]
    log_times = np.log(times)
    grid = times[times * max(slowdown) <= times[-1]]
    aligned = np.mean(
        [
            np.interp(np.log(grid * r), log_times, curves[:, k])
            for k, r in enumerate(slowdown)
        ],
        axis=0,
    )
    mean = curves.mean(axis=1)
    i = int(np.argmin(mean))
    se = curves[i].std(ddof=1) / np.sqrt(curves.shape[1])

    def first_below(level):
        return times[int(np.flatnonzero(mean <= level)[0])]

    return {
        "mean": times[i],
        "log-mean": times[np.argmin(np.log(curves).mean(axis=1))],
        "fold-median": float(np.median(fold_times)),
        "fold-gmean": float(np.exp(np.mean(np.log(fold_times)))),
        "aligned": grid[np.argmin(aligned)],
        "first-1%": first_below(1.01 * mean[i]),
        "first-2%": first_below(1.02 * mean[i]),
        "first-5%": first_below(1.05 * mean[i]),
        "1-se": first_below(mean[i] + se),
        "mean*sqrt(4/5)": times[i] * np.sqrt(0.8),
        "mean*4/5": times[i] * 0.8,
    }


def rule_risks(X, y, coef, full):
    """``{rule: risk of the sparse part at its time}`` of a full-length fit."""
    rules = alternative_times(X, y, full)
    times = np.unique(list(rules.values()))
    _, coefs = implicit_path(X, y, init_scale=full.init_scale_, times=times)
    return {
        rule: excess_risk(coefs[:, int(np.searchsorted(times, t))], coef)
        for rule, t in rules.items()
    }


def fit_full_length(X, y):
    """``(model, steps)`` of a cross-validation run to the end of every path."""
    with mock.patch.object(stopping.StoppingPolicy, "check", _full_length_check):
        return fit_counting_steps(X, y, max_iter=100_000)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--noise", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--d", type=int, default=4000)
    parser.add_argument(
        "--skip-full-length", action="store_true", help="no full-length CV run"
    )
    parser.add_argument(
        "--rules",
        action="store_true",
        help="also other rules for the time, on the full-length run's curves",
    )
    parser.add_argument(
        "--row-orders",
        type=int,
        default=0,
        metavar="P",
        help="also the default fitted on P random orders of the rows (new folds)",
    )
    parser.add_argument(
        "--holdout",
        type=int,
        nargs="+",
        default=[],
        metavar="M",
        help="also the time a fresh validation set of M points picks on the full "
        "path (a bound: it reads new data)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes")
    args = parser.parse_args(argv)
    if args.quick:
        args.noise, args.seeds, args.n, args.d = [0.5], 2, 40, 200
    if args.rules and args.skip_full_length:
        parser.error("--rules needs the full-length run")
    if args.row_orders < 0:
        parser.error("--row-orders must be a non-negative integer")
    if any(size < 1 for size in args.holdout):
        parser.error("--holdout sizes must be positive integers")
    results = {}
    for noise in args.noise:
        rows = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            X, y, coef = make_sparse_regression(
                args.n, args.d, 5, noise=noise, random_state=seed
            )
            start = time.perf_counter()
            model, steps = fit_counting_steps(X, y)
            # The best time along the full path, known from the true coef.
            times, coefs = fine_path(X, y, model)
            risks = path_risks(coef, coefs)
            k = int(np.argmin(risks))
            best, best_time = risks[k], times[k]
            row = {
                "seed": seed,
                "chosen_time": model.dense_start_,
                "chosen_risk": excess_risk(model.sparse_coef_, coef),
                "best_time": best_time,
                "best_risk": best,
                "steps": steps,
                "stop_reason": model.stop_reason_,
            }
            if args.holdout:
                row["holdout"] = holdout_risks(
                    X, y, coef, coefs, risks, noise, args.holdout, seed=seed
                )
            # The same draw, its rows in other orders: other folds, same path.
            row["order_times"], row["order_risks"], row["order_rules"] = [], [], []
            for p in range(args.row_orders):
                order = row_order(seed, p, X.shape[0])
                other = ImplicitRegInterpolator().fit(X[order], y[order])
                row["order_times"].append(other.dense_start_)
                row["order_risks"].append(excess_risk(other.sparse_coef_, coef))
                if args.rules:
                    full, _ = fit_full_length(X[order], y[order])
                    row["order_rules"].append(
                        rule_risks(X[order], y[order], coef, full)
                    )
            if not args.skip_full_length:
                full, full_steps = fit_full_length(X, y)
                row["full_time"] = full.dense_start_
                row["full_steps"] = full_steps
                if args.rules:
                    row["rules"] = rule_risks(X, y, coef, full)
            rows.append(row)
            print(
                f"[sigma {noise} seed {seed}] {time.perf_counter() - start:.1f} s",
                file=sys.stderr,
            )
        results[noise] = rows
        print(f"\n== sigma={noise}: n={args.n} d={args.d} s=5 ==")
        header = "seed  chosen t  risk there  best t  best risk  CV steps  stop"
        if not args.skip_full_length:
            header += "          full-length t  steps"
        print(header)
        for r in rows:
            line = (
                f"{r['seed']:>4}  {r['chosen_time']:>8.1f}  {r['chosen_risk']:>10.4f}"
                f"  {r['best_time']:>6.1f}  {r['best_risk']:>9.4f}  {r['steps']:>8}"
                f"  {r['stop_reason']:<12}"
            )
            if not args.skip_full_length:
                same = "same" if r["full_time"] == r["chosen_time"] else "DIFFERS"
                line += f"  {r['full_time']:>8.1f} ({same})  {r['full_steps']:>5}"
            print(line)
        ratio = np.mean([r["chosen_risk"] for r in rows]) / np.mean(
            [r["best_risk"] for r in rows]
        )
        verdict = "PASS" if ratio <= 1.3 else "FAIL"
        print(
            f"mean risk at the CV-chosen time / at the best time: {ratio:.2f}x "
            f"(target <= 1.3x: {verdict})"
        )
        if not args.skip_full_length:
            n_same = sum(r["full_time"] == r["chosen_time"] for r in rows)
            steps = sum(r["steps"] for r in rows)
            full_steps = sum(r["full_steps"] for r in rows)
            print(
                f"early stopping: the same time as the full-length run on "
                f"{n_same}/{len(rows)} seeds; {steps} CV steps against "
                f"{full_steps} ({steps / full_steps:.2f}x)"
            )
        if args.row_orders:
            print("seed  other row orders: chosen t (risk there)")
            for r in rows:
                cells = "  ".join(
                    f"{t:7.1f} ({v:.4f})"
                    for t, v in zip(r["order_times"], r["order_risks"])
                )
                print(f"{r['seed']:>4}  {cells}")
            late = sum(t > r["best_time"] for r in rows for t in r["order_times"])
            print(
                f"later than the best time: {late} of {len(rows) * args.row_orders} "
                "(seed, order) pairs"
            )
            best = np.mean([r["best_risk"] for r in rows])
            per_order = np.mean([r["order_risks"] for r in rows], axis=0) / best
            print(
                f"other row orders (new folds), mean risk / at the best time: "
                f"{' '.join(f'{v:.2f}x' for v in per_order)}; over all "
                f"{args.row_orders} orders {per_order.mean():.2f}x"
            )
        if args.holdout:
            best = np.mean([r["best_risk"] for r in rows])
            ratios = "  ".join(
                f"M={size} {np.mean([r['holdout'][size] for r in rows]) / best:.2f}x"
                for size in args.holdout
            )
            print(
                "a fresh validation set of M points on the full path (a bound, "
                f"not an estimator), mean risk / at the best time: {ratios}"
            )
        if args.rules:
            best = np.mean([r["best_risk"] for r in rows])
            ratios = "  ".join(
                f"{rule} {np.mean([r['rules'][rule] for r in rows]) / best:.2f}x"
                for rule in rows[0]["rules"]
            )
            print(f"other rules, mean risk / at the best time: {ratios}")
            if args.row_orders:
                fits = [o for r in rows for o in r["order_rules"]]
                ratios = "  ".join(
                    f"{rule} {np.mean([o[rule] for o in fits]) / best:.2f}x"
                    for rule in rows[0]["rules"]
                )
                print(f"other rules over the {args.row_orders} row orders: {ratios}")
    return results


if __name__ == "__main__":
    main()
