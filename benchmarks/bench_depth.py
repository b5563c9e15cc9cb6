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

``--support`` adds issue 9's other path lead, "the sparse part once its
support is found": the sparse part is run on its support only, to its limit
(least squares on the coordinates the path has learned), then the minimum-l2
interpolant of the residual takes the rest. It removes the Lasso-like
shrinkage of the learned coordinates; the path still chooses which they are.
Its best time, and with ``--cv`` its cross-validated time, are measured on
the same paths. ``--step-growth`` measures the third lead, growing step
sizes for the coordinates not yet learned (Vaskevicius, Kanade & Rebeschini,
2019), at the best time on depth-2 paths.

    python benchmarks/bench_depth.py                  # all settings, 5 seeds
    python benchmarks/bench_depth.py --settings paper-1 ar1-0.5 --seeds 2
    python benchmarks/bench_depth.py --configs 2:1e-30 3:1e-3 3:1e-4
    python benchmarks/bench_depth.py --configs 2:1e-30 --support --cv
    python benchmarks/bench_depth.py --configs 2:1e-30 --step-growth 1 4
    python benchmarks/bench_depth.py --quick          # tiny, for the tests
"""

import argparse
import json
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from _peers import oracle_ls, residual_interpolator
from _timing import environment
from bench_risk import SETTINGS, parse_settings
from sklearn.model_selection import KFold

DEFAULT_CONFIGS = ["2:1e-30", "3:1e-3", "3:1e-4"]


# A coordinate is in the path's support once its size, in the units in which
# the centred y and X have unit RMS, is above this (the library's significance
# size). On a small-init_scale path a coordinate not yet learned is many
# orders of magnitude smaller.
SUPPORT_SIZE = 1e-3


def depth_path(
    X,
    y,
    depth,
    init_scale,
    *,
    dlog=0.03,
    loss_floor=1e-4,
    max_steps=50_000,
    growth_period=None,
):
    """Times and coefficients of the depth-``depth`` flow, from 0 to interpolation.

    ``X`` and ``y`` centred. Returns ``(times, coefs)``, ``coefs`` of shape
    (n_features, n_records), recorded at every step (every other one, then
    every fourth... once there are more than 1000), until the relative
    training loss is below ``loss_floor``.

    ``growth_period``: issue 9's step-size lead (Vaskevicius et al., 2019):
    the rate of every coordinate not yet learned (``|beta_j|`` below
    ``SUPPORT_SIZE``) is multiplied by ``2^(t / growth_period)``, as growing
    per-coordinate step sizes would, in the flow's time; learned coordinates
    keep rate 1. None: the plain flow.
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
        boost = 1.0
        if growth_period is not None:
            # (Capped at 2^60: far beyond any step the log cap allows.)
            factor = 2.0 ** min(t / growth_period, 60.0)
            boost = np.where(np.abs(beta) < SUPPORT_SIZE, factor, 1.0)
        dw = N * N * np.exp((2 * N - 2) * log_w) * boost
        du = N * N * np.exp((2 * N - 2) * log_u) * boost
        D = dw + du
        rate = N * np.maximum(np.exp((N - 2) * log_w), np.exp((N - 2) * log_u))
        rate = rate * boost
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


@dataclass(frozen=True)
class FoldPath:
    """The depth path trained on some rows, with what finishing it needs.

    ``coefs`` are in the units of ``y``, ``scaled`` in the units of the path
    (``X`` and ``y`` divided by the full data's RMS); ``Xc``, ``yc`` are the
    training rows centred by their means, and ``pinv`` the pseudo-inverse of
    ``Xc`` (the minimum-l2 interpolant of a training residual ``e`` is
    ``pinv @ e``).
    """

    times: np.ndarray
    coefs: np.ndarray
    scaled: np.ndarray
    Xc: np.ndarray
    yc: np.ndarray
    x_mean: np.ndarray
    y_mean: float
    pinv: np.ndarray

    def finished(self):
        """Every record's finished model: ``(coefs, intercepts)``, units of ``y``.

        The path plus the minimum-l2 interpolant of its centred training
        residual, as the estimator finishes it.
        """
        coefs = self.coefs + self.pinv @ (self.yc[:, None] - self.Xc @ self.coefs)
        return coefs, self.y_mean - self.x_mean @ coefs

    def support_finished(self):
        """Every record's model under issue 9's support lead, or None.

        The sparse part is run on its support only, to its limit: least
        squares on the record's support (coordinates above ``SUPPORT_SIZE``),
        then the minimum-l2 interpolant of the residual. A support of more
        than half the training rows is not a candidate (None): least squares
        on it nearly interpolates the noise. Returns a list over the records
        of ``(coef, intercept)`` or None, one model per distinct support.
        """
        n_train = self.Xc.shape[0]
        models, out = {}, []
        for k in range(self.times.size):
            support = np.flatnonzero(np.abs(self.scaled[:, k]) > SUPPORT_SIZE)
            if support.size > n_train // 2:
                out.append(None)
                continue
            key = support.tobytes()
            if key not in models:
                coef = np.zeros(self.Xc.shape[1])
                if support.size:
                    coef[support] = np.linalg.lstsq(
                        self.Xc[:, support], self.yc, rcond=None
                    )[0]
                coef += self.pinv @ (self.yc - self.Xc @ coef)
                models[key] = (coef, self.y_mean - self.x_mean @ coef)
            out.append(models[key])
        return out


def fold_path(X, y, rows, scales, depth, init_scale, dlog, growth_period=None):
    """The depth path trained on ``rows``, as a :class:`FoldPath`.

    ``X`` and ``y`` are centred on the training rows and divided by the full
    data's ``scales = (x_rms, y_rms)``, as the library scales all of its
    cross-validation problems (the time and init_scale are then in the
    library's units). ``growth_period``: see :func:`depth_path`.
    """
    x_rms, y_rms = scales
    x_mean, y_mean = X[rows].mean(axis=0), y[rows].mean()
    Xc, yc = X[rows] - x_mean, y[rows] - y_mean
    times, scaled = depth_path(
        Xc / x_rms,
        yc / y_rms,
        depth,
        init_scale,
        dlog=dlog,
        growth_period=growth_period,
    )
    return FoldPath(
        times=times,
        coefs=scaled * (y_rms / x_rms),
        scaled=scaled,
        Xc=Xc,
        yc=yc,
        x_mean=x_mean,
        y_mean=y_mean,
        pinv=sla.pinv(Xc),
    )


def _scales(X, y):
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    return np.sqrt(np.mean(Xc**2)), np.sqrt(np.mean(yc**2))


def first_arrival_time(X, y, init_scale):
    """When the first coordinate of the depth-2 path arrives, from its start.

    With ``w^2 = init_scale^2 e^theta`` and ``theta' = -4 g``, a coordinate
    is of order one when ``theta`` reaches ``2 log(1 / init_scale)``, at
    ``t = log(1 / init_scale) / (2 |g_j|)`` for the largest initial gradient
    (the time unit of ``--step-growth``).
    """
    x_rms, y_rms = _scales(X, y)
    Xc, yc = (X - X.mean(axis=0)) / x_rms, (y - y.mean()) / y_rms
    return np.log(1.0 / init_scale) / (2.0 * np.abs(Xc.T @ yc).max() / X.shape[0])


def _record_at(times, t):
    """The last record at or before time ``t`` (a piecewise-constant model)."""
    return int(np.clip(np.searchsorted(times, t, side="right") - 1, 0, times.size - 1))


def cv_times(X, y, depth, init_scale, dlog, n_folds=5, n_grid=300, support=False):
    """The cross-validated time on the depth path: ``{"path": t, "support": t}``.

    The estimator's rule, without its early stop: ``KFold(n_folds)`` (the
    estimator's default ``cv=5``), each fold's finished model validated on
    its held-out rows on one geometric grid of times, and the argmin of the
    mean over the folds. Without the early stop the argmin can be a later
    minimum than the estimator's. The path's finished models are linear
    between records; with ``support=True`` the support lead's models (see
    :meth:`FoldPath.support_finished`) are validated too, each record's
    model held until the next record. The folds' paths are integrated once
    for both.
    """
    scales = _scales(X, y)
    folds = [
        (fold_path(X, y, train, scales, depth, init_scale, dlog), test)
        for train, test in KFold(n_folds).split(X)
    ]
    end = min(path.times[-1] for path, _ in folds)
    start = min(path.times[path.times > 0][0] for path, _ in folds)
    grid = np.geomspace(start, end, n_grid)
    mean = {"path": np.zeros(n_grid), "support": np.zeros(n_grid)}
    for path, test in folds:
        coefs, intercepts = path.finished()
        at = np.array([np.interp(grid, path.times, row) for row in coefs])
        b0 = np.interp(grid, path.times, intercepts)
        mean["path"] += np.mean((y[test, None] - X[test] @ at - b0) ** 2, axis=0)
        if support:
            models = path.support_finished()
            errors = {}  # one validation per distinct model
            for g, t in enumerate(grid):
                model = models[_record_at(path.times, t)]
                if model is None:
                    mean["support"][g] = np.inf
                    continue
                if id(model) not in errors:
                    residual = y[test] - X[test] @ model[0] - model[1]
                    errors[id(model)] = np.mean(residual**2)
                mean["support"][g] += errors[id(model)]
    keys = ["path", "support"] if support else ["path"]
    # No candidate anywhere (every support too large on some fold): no time.
    return {
        key: grid[int(np.argmin(mean[key]))] if np.isfinite(mean[key]).any() else np.nan
        for key in keys
    }


def _risks(models, setting, true_coef):
    """Risk of each record's model, computed once per distinct model."""
    risks, out = {}, []
    for model in models:
        if model is None:
            out.append(np.inf)
            continue
        if id(model) not in risks:
            risks[id(model)] = setting.risk(model[0], true_coef)
        out.append(risks[id(model)])
    return np.array(out)


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
    parser.add_argument(
        "--support",
        action="store_true",
        help="also issue 9's support lead: least squares on the path's support, "
        "then the min-l2 interpolant of the residual (best time, and CV with --cv)",
    )
    parser.add_argument(
        "--step-growth",
        nargs="+",
        type=float,
        default=[],
        metavar="FACTOR",
        help="also issue 9's step-size lead on the depth-2 paths, at the best time: "
        "the rate of the coordinates not yet learned doubles every FACTOR times "
        "the first arrival time",
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
            # The full data, trained on all of its rows (a fold of one).
            every_row, scales = np.arange(X.shape[0]), _scales(X, y)
            for depth, scale in configs:
                start = time.perf_counter()
                path = fold_path(X, y, every_row, scales, depth, scale, args.dlog)
                coefs, _ = path.finished()
                risks = [setting.risk(c, coef) for c in coefs.T]
                key = f"{depth}:{scale:g}"
                k = int(np.argmin(risks))
                row[key] = risks[k]
                text = f"best risk {risks[k]:.4f} at t={path.times[k]:.4g}"
                if args.support:
                    # One risk per distinct support; inf where not a candidate.
                    support_risks = _risks(path.support_finished(), setting, coef)
                    j = int(np.argmin(support_risks))
                    row[key + "+support"] = support_risks[j]
                    text += (
                        f"; support lead {support_risks[j]:.4f} "
                        f"at t={path.times[j]:.4g}"
                    )
                for factor in args.step_growth if depth == 2 else ():
                    period = factor * first_arrival_time(X, y, scale)
                    grown, _ = fold_path(
                        X, y, every_row, scales, depth, scale, args.dlog, period
                    ).finished()
                    growth_risk = min(setting.risk(c, coef) for c in grown.T)
                    row[f"{key}+growth{factor:g}"] = growth_risk
                    text += f"; step growth {factor:g}: {growth_risk:.4f}"
                if args.cv:
                    t_cv = cv_times(X, y, depth, scale, args.dlog, support=args.support)
                    # The full path's record nearest the CV's time (records
                    # are dense): one of the models the best time ranges over.
                    k = int(np.argmin(np.abs(path.times - t_cv["path"])))
                    row[key + "@cv"] = risks[k]
                    text += f"; CV: risk {risks[k]:.4f} at t={path.times[k]:.4g}"
                    if args.support:
                        t = t_cv["support"]
                        # The full path's support at the CV's time can be too
                        # large (its cap is half of all rows, the folds' half of
                        # theirs): inf, said here and seen in the means.
                        value = (
                            np.nan
                            if np.isnan(t)
                            else support_risks[_record_at(path.times, t)]
                        )
                        row[key + "+support@cv"] = value
                        text += f"; support lead CV {value:.4f}"
                        if not np.isfinite(value):
                            text += " (no candidate support at the CV's time)"
                print(
                    f"[{name} seed {seed} N={depth} init_scale={scale:g}] {text}, "
                    f"{path.times.size} records, {time.perf_counter() - start:.1f} s",
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
