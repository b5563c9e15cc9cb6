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
"""

import argparse
import sys
import time
from unittest import mock

import numpy as np

import sk_implicit._path as path_module
import sk_implicit._stopping as stopping
from sk_implicit import ImplicitRegInterpolator, implicit_path
from sk_implicit.datasets import excess_risk, make_sparse_regression


def _full_length_check(self, curves, train_losses):
    """The policy with only its end-of-path rule: a full-length run."""
    return "interpolated" if np.all(np.asarray(train_losses) <= self.floor) else None


def fit_counting_steps(X, y, **kwargs):
    """``(model, cross-validation steps)`` of one fit."""
    counts = []
    run = path_module._Integrator.run

    def counting_run(self, **run_kwargs):
        result = run(self, **run_kwargs)
        counts.append(int(result["n_iter"].max()))
        return result

    with mock.patch.object(path_module._Integrator, "run", counting_run):
        model = ImplicitRegInterpolator(**kwargs).fit(X, y)
    return model, counts[0] if len(counts) > 1 else 0


def best_time_risk(X, y, coef, model, n_times=400):
    """Best excess risk of the sparse part along the full path, and its time."""
    grid = model.cv_time_grid_
    times = np.geomspace(grid[0], 4 * grid[-1], n_times)
    times = np.union1d(times, [model.dense_start_])
    _, coefs = implicit_path(X, y, init_scale=model.init_scale_, times=times)
    risks = np.array([excess_risk(coefs[:, k], coef) for k in range(times.size)])
    k = int(np.argmin(risks))
    return risks[k], times[k]


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
    parser.add_argument("--quick", action="store_true", help="tiny sizes")
    args = parser.parse_args(argv)
    if args.quick:
        args.noise, args.seeds, args.n, args.d = [0.5], 2, 40, 200
    results = {}
    for noise in args.noise:
        rows = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            X, y, coef = make_sparse_regression(
                args.n, args.d, 5, noise=noise, random_state=seed
            )
            start = time.perf_counter()
            model, steps = fit_counting_steps(X, y)
            best, best_time = best_time_risk(X, y, coef, model)
            row = {
                "seed": seed,
                "chosen_time": model.dense_start_,
                "chosen_risk": excess_risk(model.sparse_coef_, coef),
                "best_time": best_time,
                "best_risk": best,
                "steps": steps,
                "stop_reason": model.stop_reason_,
            }
            if not args.skip_full_length:
                with mock.patch.object(
                    stopping.StoppingPolicy, "check", _full_length_check
                ):
                    full, full_steps = fit_counting_steps(X, y, max_iter=100_000)
                row["full_time"] = full.dense_start_
                row["full_steps"] = full_steps
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
    return results


if __name__ == "__main__":
    main()
