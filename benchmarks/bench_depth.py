"""Issue 9's depth lead, measured: ``beta = w^N - u^N`` with N > 2, at its best time.

Li, Nguyen, Hegde & Wong ("Implicit Sparse Regularization: the Impact of
Depth and Early Stopping", NeurIPS 2021) train ``beta = w^N - u^N`` from
``w = u = init_scale``. The library integrates N = 2 only. This script
measures, before anything is built, what depth could give on the grid of
``bench_risk.py``: for each setting, seed and ``(depth, init_scale)``, the
excess risk of the path finished at its **best time** (the time of least true
risk, the minimum-l2 interpolant of the residual added as the estimator
does). That is a bound on any choice of time, the same as bench_risk's
``implicit@best-time`` row, not an estimator.

The flow, on centred data scaled to unit RMS as the library does: ``w' =
-N w^(N-1) g`` and ``u' = N u^(N-1) g`` with ``g = X^T (X beta - y) / n``.
For N > 2 it conserves ``w^(2-N) + u^(2-N)``, so each coordinate moves on a
curve, and ``w`` blows up once ``N (N-2) init_scale^(N-2) * integral(-g)``
reaches 1: a coordinate is selected when its integrated gradient reaches a
threshold, as for N = 2, but it stays within a factor of ``init_scale`` until
it is close, where N = 2 lets it grow like ``exp(4 integral(-g))``.

Integrator (a prototype, dense ``X``): linearly implicit Euler in ``beta``,
``(I + eta D H) dbeta = -eta D g`` with ``D = N^2 (w^(2N-2) + u^(2N-2))`` and
``H = X^T X / n``, implicit on the coordinates where ``eta D_j H_jj`` is not
small (the others, still near ``init_scale``, step explicitly), the step
capped so that no ``log w`` or ``log u`` moves by more than ``--dlog`` by the
explicit rate. At N = 2 it converges to ``implicit_path``: the tests compare
them.

    python benchmarks/bench_depth.py                  # all settings, 5 seeds
    python benchmarks/bench_depth.py --settings paper-1 ar1-0.5 --seeds 2
    python benchmarks/bench_depth.py --configs 2:1e-30 3:1e-3 3:1e-4
    python benchmarks/bench_depth.py --quick          # tiny, for the tests
"""

import argparse
import json
import sys
import time
import warnings

import numpy as np
import scipy.linalg as sla
from _peers import oracle_ls, residual_interpolator
from _timing import environment
from bench_risk import SETTINGS, parse_settings
from sklearn.model_selection import KFold

DEFAULT_CONFIGS = ["2:1e-30", "3:1e-3", "3:1e-4"]


def depth_path(
    X, y, depth, init_scale, *, dlog=0.03, loss_floor=1e-4, max_steps=50_000
):
    """Times and coefficients of the depth-``depth`` flow, from 0 to interpolation.

    ``X`` and ``y`` centred. Returns ``(times, coefs)``, ``coefs`` of shape
    (n_features, n_records), recorded at every step (every other one, then
    every fourth... once there are more than 1000), until the relative
    training loss is below ``loss_floor``.
    """
    n, d = X.shape
    N = depth
    log_w = np.full(d, np.log(init_scale))
    log_u = log_w.copy()
    t, stride, times, coefs = 0.0, 1, [], []
    y_norm2 = y @ y
    col_norm2 = np.einsum("ij,ij->j", X, X) / n
    for step in range(max_steps):
        wN, uN = np.exp(N * log_w), np.exp(N * log_u)
        beta = wN - uN
        r = X @ beta - y
        if step % stride == 0:
            times.append(t)
            coefs.append(beta)
            if len(times) > 1000:  # keep memory bounded: thin out
                times, coefs, stride = times[::2], coefs[::2], 2 * stride
        if r @ r <= loss_floor * y_norm2:
            break
        g = X.T @ r / n
        dw = N * N * np.exp((2 * N - 2) * log_w)
        du = N * N * np.exp((2 * N - 2) * log_u)
        D = dw + du
        rate = N * np.maximum(np.exp((N - 2) * log_w), np.exp((N - 2) * log_u))
        eta = dlog / max(float(np.max(rate * np.abs(g))), 1e-300)
        eta = min(eta, max(t, 1.0))  # at most double the time
        # Implicit only where it is needed (eta D_j H_jj not small): the
        # coordinates still near init_scale move explicitly, stably.
        dbeta = -eta * D * g
        S = np.flatnonzero(eta * D * col_norm2 > 1e-3)
        if S.size:
            XS, DS = X[:, S], D[S]
            if S.size < n:  # (I + eta D_S H_SS) in the S space
                A = np.eye(S.size) + (eta / n) * DS[:, None] * (XS.T @ XS)
                dbeta[S] = np.linalg.solve(A, dbeta[S])
            else:  # Woodbury, in the n x n space
                M = n * np.eye(n) + eta * (XS * DS) @ XS.T
                rhs = dbeta[S]
                dbeta[S] = rhs - eta * DS * (
                    XS.T @ sla.solve(M, XS @ rhs, assume_a="pos")
                )
        # The w and u parts of the step, then their logs (capped: a step that
        # would empty w or u is the explicit rate's job to prevent).
        step_w = np.log1p(np.maximum(dbeta * dw / D / wN, -0.999)) / N
        step_u = np.log1p(np.maximum(-dbeta * du / D / uN, -0.999)) / N
        log_w += np.clip(step_w, -5 * dlog, 5 * dlog)
        log_u += np.clip(step_u, -5 * dlog, 5 * dlog)
        t += eta
    else:
        warnings.warn(
            f"depth {N}, init_scale {init_scale:g}: {max_steps} steps before "
            f"the training loss reached {loss_floor:g}; the path is cut short",
            RuntimeWarning,
            stacklevel=2,
        )
    times.append(t)
    coefs.append(beta)
    return np.array(times), np.array(coefs).T


def finished_path(X, y, rows, scales, depth, init_scale, dlog):
    """The depth path trained on ``rows``, finished at every record.

    ``X`` and ``y`` are centred on the training rows and divided by the full
    data's ``scales = (x_rms, y_rms)``, as the library scales all of its
    cross-validation problems (the time and init_scale are then in the
    library's units). Returns ``(times, coefs, intercepts)``, the finished
    models (path plus the minimum-l2 interpolant of its centred training
    residual, for all times at once through one pseudo-inverse) in the units
    of ``y``.
    """
    x_rms, y_rms = scales
    x_mean, y_mean = X[rows].mean(axis=0), y[rows].mean()
    Xc, yc = X[rows] - x_mean, y[rows] - y_mean
    times, coefs = depth_path(Xc / x_rms, yc / y_rms, depth, init_scale, dlog=dlog)
    coefs = coefs * (y_rms / x_rms)
    coefs = coefs + sla.pinv(Xc) @ (yc[:, None] - Xc @ coefs)
    return times, coefs, y_mean - x_mean @ coefs


def _scales(X, y):
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    return np.sqrt(np.mean(Xc**2)), np.sqrt(np.mean(yc**2))


def cv_time(X, y, depth, init_scale, dlog, n_folds=5, n_grid=300):
    """The cross-validated time on the depth path.

    The estimator's rule, without its early stop: ``KFold(n_folds)`` (the
    estimator's default ``cv=5``), each fold's finished model validated on
    its held-out rows on one geometric grid of times (coefficients linear
    between records), and the argmin of the mean over the folds. Without the
    early stop the argmin can be a later minimum than the estimator's.
    """
    scales = _scales(X, y)
    folds = [
        (finished_path(X, y, train, scales, depth, init_scale, dlog), test)
        for train, test in KFold(n_folds).split(X)
    ]
    end = min(times[-1] for (times, _, _), _ in folds)
    start = min(times[times > 0][0] for (times, _, _), _ in folds)
    grid = np.geomspace(start, end, n_grid)
    mean = np.zeros(n_grid)
    for (times, coefs, intercepts), test in folds:
        at = np.array([np.interp(grid, times, row) for row in coefs])
        b0 = np.interp(grid, times, intercepts)
        mean += np.mean((y[test, None] - X[test] @ at - b0) ** 2, axis=0)
    return grid[int(np.argmin(mean))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settings", nargs="+", default=None)
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument(
        "--configs",
        nargs="+",
        default=DEFAULT_CONFIGS,
        help="DEPTH:INIT_SCALE pairs (default: %(default)s)",
    )
    parser.add_argument("--dlog", type=float, default=0.03)
    parser.add_argument(
        "--cv",
        action="store_true",
        help="also the risk at the 5-fold cross-validated time (full length)",
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    settings = parse_settings(
        args.settings or (["quick"] if args.quick else list(SETTINGS)), quick=args.quick
    )
    configs = [(int(c.split(":")[0]), float(c.split(":")[1])) for c in args.configs]
    seeds = range(args.seeds or (2 if args.quick else 5))
    results = {}
    for name, setting in settings.items():
        rows = []
        for seed in seeds:
            X, y, coef = setting.draw(seed)
            limit = residual_interpolator(X, y, oracle_ls(X, y, coef))
            row = {"seed": seed, "limit": setting.risk(limit.coef_, coef)}
            for depth, scale in configs:
                start = time.perf_counter()
                times, coefs, _ = finished_path(
                    X, y, np.arange(X.shape[0]), _scales(X, y), depth, scale, args.dlog
                )
                risks = [setting.risk(coefs[:, k], coef) for k in range(times.size)]
                k = int(np.argmin(risks))
                row[f"{depth}:{scale:g}"] = risks[k]
                text = (
                    f"best risk {risks[k]:.4f} at t={times[k]:.4g}, "
                    f"{times.size} records"
                )
                if args.cv:
                    # The full path's record nearest the CV's time (records
                    # are dense): one of the models the best time ranges over.
                    t_cv = cv_time(X, y, depth, scale, args.dlog)
                    k = int(np.argmin(np.abs(times - t_cv)))
                    row[f"{depth}:{scale:g}@cv"] = risks[k]
                    text += f"; CV: risk {risks[k]:.4f} at t={times[k]:.4g}"
                print(
                    f"[{name} seed {seed} N={depth} init_scale={scale:g}] {text}, "
                    f"{time.perf_counter() - start:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
            rows.append(row)
        limit = np.mean([r["limit"] for r in rows])
        means = {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}
        results[name] = {"setting": setting.describe(), "rows": rows, "mean": means}
        cells = "  ".join(
            f"N={key.split(':')[0]},{key.split(':')[1]}: {means[key]:.4f} "
            f"({means[key] / limit:.2f}x)"
            for key in means
            if ":" in key
        )
        print(f"{name:11s} limit {limit:.4f}  {cells}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"environment": environment(argv or sys.argv), "settings": results},
                f,
                indent=1,
            )
    return results


if __name__ == "__main__":
    main()
