"""Excess risk of ImplicitRegInterpolator against its peers, on the grid of issue 9.

For every setting and seed, all estimators are fitted on the same draw and
scored by the exact excess risk ``(b - b*)^T Sigma (b - b*)`` (no test set,
no Monte-Carlo noise): ``||b - b*||^2`` on isotropic designs,
``sk_implicit.datasets.excess_risk(..., correlation=rho)`` on AR(1) designs
and ``_designs.block_excess_risk`` on block-correlated ones.

Estimators (``--estimators`` picks a subset, by these names):

- ``oracle``: least squares with intercept on the true support;
- ``limit``: the **interpolation limit**, the oracle plus the minimum-l2
  interpolant of its residual (the best an interpolator can do with an
  oracle);
- ``LassoCV``: ``sklearn.linear_model.LassoCV(cv=5)``;
- ``MCP-CV``: skglm's MCP (gamma=3) with skglm's own 5-fold CV over 100
  penalties (``benchmarks/_peers.py`` says exactly how);
- ``abess-CV``: ``abess.LinearRegression(cv=5)``, best subset with the
  support size chosen by CV;
- ``MinL1``, ``MinL2``: ``MinL1Interpolator()``, ``MinL2Interpolator()``;
- ``LassoCV+l2``, ``MCP-CV+l2``, ``abess-CV+l2``: ``ResidualInterpolator``
  around that estimator (the estimator plus the minimum-l2 interpolant of its
  residual; the estimator's fit is reused and its time counted);
- ``implicit``: ``ImplicitRegInterpolator()`` with its defaults, and one row
  per ``--implicit-variant KEY=VALUE[,KEY=VALUE...]`` (constructor keywords,
  values read as Python literals, ``inf`` allowed);
- ``implicit@best-time``: **not an estimator** but a bound on the default's
  path. The default fit's path (its chosen ``init_scale_``) is finished (the
  minimum-l2 interpolant of its residual added, as the estimator does) at
  each of ``BEST_TIME_GRID`` geometric times from the first to 4x the last
  time of its cross-validation grid, then as many between the best one's
  neighbours, and the time of least *true* excess risk is kept. No choice of
  the switch time, by cross-validation or otherwise, does better on that
  path (up to that grid): where this row misses the goal, the
  path is what misses it, not the time chosen on it.

abess and skglm come from the optional ``bench`` extra; a missing one is
skipped with a printed note.

Per setting the table gives, per estimator: the mean excess risk over the
seeds and its std, the ratios of mean risks to the interpolation limit and to
LassoCV, the largest relative training MSE ``mean((y - pred)^2) / var(y)``
over the seeds, whether it interpolates (that maximum <= 1e-6), the mean
number of non-zero coefficients and the mean fit time. The final summary
checks the goal of issue 9 for each implicit row: mean risk <= 2x the
interpolation limit and <= LassoCV's, and interpolation. ``--json PATH``
writes everything, per seed, for before/after comparisons.

Run::

    python benchmarks/bench_risk.py                               # the grid, 5 seeds
    python benchmarks/bench_risk.py --settings paper --seeds 2
    python benchmarks/bench_risk.py --settings n=200,d=2000,sigma=1,design=ar1,rho=0.5
    python benchmarks/bench_risk.py --estimators oracle limit LassoCV implicit \\
        --implicit-variant init_scale=1e-20 --jobs 2 --json after.json
    python benchmarks/bench_risk.py --row-order 0                  # other folds
    python benchmarks/bench_risk.py --quick                        # tiny, for tests
"""

import argparse
import ast
import contextlib
import functools
import json
import re
import sys
import time
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, fields, replace

import numpy as np
from _designs import block_excess_risk, make_block_regression
from _designs import row_order as row_order_of
from _peers import (
    FixedLinear,
    abess_cv,
    lasso_cv,
    linear_parts,
    mcp_cv,
    missing_package,
    oracle_ls,
    residual_interpolator,
    warm_up,
)
from _timing import environment, timed
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from sk_implicit import (
    ImplicitRegInterpolator,
    MinL1Interpolator,
    MinL2Interpolator,
    implicit_path,
)
from sk_implicit.datasets import excess_risk, make_sparse_regression

INTERPOLATION_TOL = 1e-6
# The goal of issue 9, for the implicit model on every setting.
GOAL_VS_LIMIT = 2.0
GOAL_VS_LASSO = 1.0
BEST_TIME_GRID = 100  # times on the path searched by implicit@best-time


# --------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class Setting:
    """One data-generating setting: sizes, noise, signal and design."""

    n: int = 100
    d: int = 4000
    s: int = 5
    sigma: float = 0.5
    signal: str = "sign"  # "sign" (+-1) or "gaussian"
    design: str = "iid"  # "iid", "ar1" or "block"
    rho: float = 0.0
    block: int = 10  # block size of design="block"

    def __post_init__(self):
        if self.design not in ("iid", "ar1", "block"):
            raise ValueError(f"design must be iid, ar1 or block, got {self.design!r}")
        if self.signal not in ("sign", "gaussian"):
            raise ValueError(f"signal must be sign or gaussian, got {self.signal!r}")
        if self.design == "iid" and self.rho != 0:
            raise ValueError("rho needs design=ar1 or design=block")

    def describe(self):
        text = (
            f"n={self.n} d={self.d} s={self.s} sigma={self.sigma:g} "
            f"signal={self.signal} design={self.design}"
        )
        if self.design != "iid":
            text += f" rho={self.rho:g}"
        if self.design == "block":
            text += f" block={self.block}"
        return text

    def draw(self, seed):
        """``X, y, coef`` of one seeded draw."""
        if self.design == "block":
            return make_block_regression(
                self.n,
                self.d,
                self.s,
                noise=self.sigma,
                correlation=self.rho,
                block_size=self.block,
                signal=self.signal,
                random_state=seed,
            )
        return make_sparse_regression(
            self.n,
            self.d,
            self.s,
            noise=self.sigma,
            correlation=self.rho,
            signal=self.signal,
            random_state=seed,
        )

    def risk(self, coef, true_coef):
        """Exact excess risk ``(b - b*)^T Sigma (b - b*)`` of this design."""
        if self.design == "block":
            return block_excess_risk(
                coef, true_coef, correlation=self.rho, block_size=self.block
            )
        return excess_risk(coef, true_coef, correlation=self.rho)

    def quick(self):
        """A tiny version (n=30) with the same shape, for smoke tests."""
        n = 30
        return replace(
            self,
            n=n,
            d=min(600, max(4 * n, round(self.d * n / self.n))),
            s=max(1, round(self.s * n / self.n)),
        )


# The grid of issue 9 (n=100, d=4000, s=5, sigma=0.5, +-1 signal and isotropic
# Gaussian rows unless said: the paper's design).
SETTINGS = {
    # The paper's design across noise levels.
    "paper-0.25": Setting(sigma=0.25),
    "paper-0.5": Setting(sigma=0.5),
    "paper-1": Setting(sigma=1.0),
    "paper-2": Setting(sigma=2.0),
    # Gaussian signal values (some small, hard to detect).
    "gauss-0.5": Setting(sigma=0.5, signal="gaussian"),
    "gauss-1": Setting(sigma=1.0, signal="gaussian"),
    # Denser signals, s/n = 0.10 and 0.15, at n=200: at n=100 (d=1000 or 4000)
    # no peer recovers s=15 (LassoCV, MCP-CV and abess-CV all above 5).
    "s20-1": Setting(n=200, d=2000, s=20, sigma=1.0),
    "s30-0.5": Setting(n=200, d=1000, s=30, sigma=0.5),
    "s30-1": Setting(n=200, d=1000, s=30, sigma=1.0),
    # Correlated designs.
    "ar1-0.5": Setting(design="ar1", rho=0.5),
    "ar1-0.8": Setting(design="ar1", rho=0.8),
    "block-0.5": Setting(design="block", rho=0.5),
    "block-0.8": Setting(design="block", rho=0.8),
    # Narrower and wider designs: n/d = 1/4, 1/10, 1/100.
    "d400": Setting(d=400),
    "d1000": Setting(d=1000),
    "d10000": Setting(d=10000),
}
GROUPS = {
    "paper": ["paper-0.25", "paper-0.5", "paper-1", "paper-2"],
    "gauss": ["gauss-0.5", "gauss-1"],
    "dense": ["s20-1", "s30-0.5", "s30-1"],
    "corr": ["ar1-0.5", "ar1-0.8", "block-0.5", "block-0.8"],
    "shape": ["d400", "d1000", "d10000"],
    "all": list(SETTINGS),
    "quick": ["paper-0.5", "ar1-0.5", "block-0.5"],
}
_FIELD_TYPES = {f.name: f.type for f in fields(Setting)}


def _parse_custom(spec):
    """``KEY=VALUE,...`` (fields of :class:`Setting`) or the old ``N,D,SIGMA``."""
    parts = spec.split(",")
    if all("=" not in p for p in parts):
        n, d, sigma = parts  # ValueError unless exactly three
        return Setting(n=int(n), d=int(d), sigma=float(sigma))
    kwargs = {}
    for part in parts:
        key, value = part.split("=")
        kwargs[key] = _FIELD_TYPES[key](value)  # int, float or str
    return Setting(**kwargs)


def parse_settings(names, quick=False):
    """Expand names, groups and custom specs into ``{name: Setting}``, in order."""
    out = {}
    for name in names:
        if name in GROUPS:
            for key in GROUPS[name]:
                out[key] = SETTINGS[key]
        elif name in SETTINGS:
            out[name] = SETTINGS[name]
        else:
            try:
                out[name] = _parse_custom(name)
            except (ValueError, KeyError, TypeError) as exc:
                raise SystemExit(
                    f"bad setting {name!r} ({exc}): use one of {list(GROUPS)}, "
                    f"{list(SETTINGS)}, KEY=VALUE,... with keys "
                    f"{list(_FIELD_TYPES)}, or N,D,SIGMA"
                ) from None
    if quick:
        out = {name: setting.quick() for name, setting in out.items()}
    return out


# --------------------------------------------------------------------------
# Estimators: one function per family, ``fit(X, y, true_coef, base)`` returns
# a fitted linear model (``coef_``, ``intercept_``).


def fit_oracle(X, y, true_coef, base):
    return oracle_ls(X, y, true_coef)


def fit_lasso(X, y, true_coef, base):
    return lasso_cv().fit(X, y)


def fit_mcp(X, y, true_coef, base):
    return mcp_cv().fit(X, y)


def fit_abess(X, y, true_coef, base):
    return abess_cv().fit(X, y)


def fit_min_l1(X, y, true_coef, base):
    return MinL1Interpolator().fit(X, y)


def fit_min_l2(X, y, true_coef, base):
    return MinL2Interpolator().fit(X, y)


def fit_residual(X, y, true_coef, base):
    """The base estimator's fit plus the minimum-l2 interpolant of its residual."""
    if base is None:
        raise RuntimeError("its base estimator failed on this draw")
    return residual_interpolator(X, y, base)


def fit_implicit(X, y, true_coef, base, params=()):
    return ImplicitRegInterpolator(**dict(params)).fit(X, y)


def fit_best_time(X, y, true_coef, base, risk):
    """The fitted default's path, finished at its time of least true risk.

    A diagnostic, not an estimator (it reads the true coefficients through
    ``risk``): the best any switch time can do on that path. Each candidate
    is the path's coefficients plus the minimum-l2 interpolant of their
    residual, by ``residual_interpolator`` (the same finish as the ``limit``
    row and, up to round-off, as the estimator's). The time is searched on
    ``BEST_TIME_GRID`` geometric times, then again on as many between the
    best one's neighbours (the risk is smooth in the time between two
    arrivals: the refinement moved it by up to 6% where one grid did not).
    """
    grid = np.ravel(base.cv_time_grid_)
    grid = grid[np.isfinite(grid)]
    times = np.union1d(
        np.geomspace(grid[0], 4.0 * grid[-1], BEST_TIME_GRID), [base.dense_start_]
    )
    best = _best_on(X, y, base.init_scale_, times, risk)
    k = int(np.searchsorted(times, best.dense_start_))
    finer = np.geomspace(
        times[max(k - 1, 0)], times[min(k + 1, times.size - 1)], BEST_TIME_GRID
    )
    refined = _best_on(X, y, base.init_scale_, finer, risk)
    return refined if risk(refined.coef_) < risk(best.coef_) else best


def _best_on(X, y, init_scale, times, risk):
    """The finished model of least ``risk`` over ``times`` on the path."""
    _, path = implicit_path(
        X, y, init_scale=init_scale, times=times, fit_intercept=True
    )
    best_risk, best = np.inf, None
    for k in range(times.size):
        coef = path[:, k]
        intercept = float(np.mean(y - X @ coef))
        model = residual_interpolator(X, y, FixedLinear(coef, intercept).fit(X, y))
        value = risk(model.coef_)
        if value < best_risk:
            best_risk, best = value, model
            # Reported in the table's extras, beside the default's choice.
            best.dense_start_ = float(times[k])
    return best


@dataclass(frozen=True)
class Row:
    """An estimator of the table: how to fit it and what it needs."""

    name: str
    fit: object
    package: str = None  # optional peer package it needs
    base: str = None  # row whose fitted model it wraps (time added)
    reads_truth: bool = False  # a diagnostic: fit gets risk(coef) of the draw


ROWS = [
    Row("oracle", fit_oracle),
    Row("limit", fit_residual, base="oracle"),
    Row("LassoCV", fit_lasso),
    Row("MCP-CV", fit_mcp, package="skglm"),
    Row("abess-CV", fit_abess, package="abess"),
    Row("MinL1", fit_min_l1),
    Row("MinL2", fit_min_l2),
    Row("LassoCV+l2", fit_residual, base="LassoCV"),
    Row("MCP-CV+l2", fit_residual, package="skglm", base="MCP-CV"),
    Row("abess-CV+l2", fit_residual, package="abess", base="abess-CV"),
    Row("implicit", fit_implicit),
    Row("implicit@best-time", fit_best_time, base="implicit", reads_truth=True),
]
ESTIMATORS = [row.name for row in ROWS]


def _literal(value):
    if value in ("inf", "-inf", "nan"):
        return float(value)
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value  # a string option, e.g. dense_start=cv


def parse_variant(spec):
    """``"init_scale=1e-20,cv=3"`` -> ``(("init_scale", 1e-20), ("cv", 3))``.

    A value may be a list (``init_scale=[1e-30,1e-3]``): commas inside
    brackets do not separate keywords; lists become tuples (hashable).
    """
    try:
        parts = re.split(r",(?![^\[]*\])", spec)
        params = tuple(
            (key.strip(), _literal(value.strip()))
            for key, value in (part.split("=", 1) for part in parts)
        )
        params = tuple(
            (key, tuple(value) if isinstance(value, list) else value)
            for key, value in params
        )
        ImplicitRegInterpolator(**dict(params))  # unknown keywords fail here
    except (ValueError, TypeError) as exc:
        raise SystemExit(f"bad --implicit-variant {spec!r}: {exc}") from None
    return params


def variant_name(params):
    return "implicit[" + ",".join(f"{key}={value!r}" for key, value in params) + "]"


def select_rows(names, variants):
    """The rows to run, in table order, with the bases they need; and skip notes."""
    wanted = set(names)
    unknown = wanted - set(ESTIMATORS)
    if unknown:
        raise SystemExit(f"unknown estimators {sorted(unknown)}: use {ESTIMATORS}")
    for row in ROWS:
        if row.name in wanted and row.base:
            wanted.add(row.base)
    rows, notes = [], []
    for row in ROWS:
        if row.name not in wanted:
            continue
        note = missing_package(row.package)
        if note:
            notes.append(f"note: {row.name} skipped: {note}")
        else:
            rows.append(row)
    for params in variants:
        rows.append(
            Row(variant_name(params), functools.partial(fit_implicit, params=params))
        )
    return rows, notes


# --------------------------------------------------------------------------
# Running


_EXTRAS = ("alpha_", "dense_start_", "n_iter_", "converged_")


def _extras(model):
    """Scalar diagnostics a model exposes (penalty, switch time, steps)."""
    # skglm's CV keeps alpha_ on itself and n_iter_ on its refit.
    models = [model, getattr(model, "best_estimator_", None)]
    out = {}
    for attr in _EXTRAS:
        value = next(
            (getattr(m, attr) for m in models if getattr(m, attr, None) is not None),
            None,
        )
        if isinstance(value, (bool, np.bool_)):
            out[attr] = bool(value)
        elif isinstance(value, (int, float, np.number)):
            out[attr] = float(value)
    return out


def run_draw(setting, seed, rows, one_thread=False, row_order=None):
    """Fit every row on one draw: ``{name: {risk, rel_mse, time, ...}}``.

    ``row_order``: None, the rows as drawn; an int ``k``, the rows in the
    ``k``-th random order of this draw (other folds for the estimators that
    cross-validate with unshuffled ``KFold``; the same data).
    """
    limits = threadpool_limits(1) if one_thread else contextlib.nullcontext()
    start = time.perf_counter()
    with limits:
        X, y, coef = setting.draw(seed)
        if row_order is not None:
            order = row_order_of(seed, row_order, len(y))
            X, y = X[order], y[order]
        var_y = float(np.var(y))
        fitted, out = {}, {}
        for row in rows:
            warm_up(row.package)
            base = fitted.get(row.base)
            extra = {}
            if row.reads_truth:
                extra["risk"] = functools.partial(setting.risk, true_coef=coef)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    model, seconds = timed(
                        lambda row=row, base=base, extra=extra: row.fit(
                            X, y, coef, base, **extra
                        )
                    )
                except Exception as exc:  # reported in the table, not hidden
                    out[row.name] = {"error": f"{type(exc).__name__}: {exc}"}
                    continue
            if row.base:
                seconds += out[row.base]["time"]
            fitted[row.name] = model
            b, b0 = linear_parts(model)
            out[row.name] = {
                "risk": setting.risk(b, coef),
                "rel_mse": float(np.mean((y - X @ b - b0) ** 2) / var_y),
                "time": seconds,
                "nnz": int(np.count_nonzero(b)),
                "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
                **_extras(model),
            }
    out["_seconds"] = time.perf_counter() - start
    return out


def _ratio(a, b):
    return a / b if b else float("nan")


def aggregate(per_seed, names):
    """Per-estimator statistics over the seeds of one setting."""
    table = {}
    for name in names:
        runs = [draw[name] for draw in per_seed]
        ok = [r for r in runs if "error" not in r]
        entry = {"errors": [r["error"] for r in runs if "error" in r]}
        if ok:
            risks = np.array([r["risk"] for r in ok])
            entry.update(
                risks=risks.tolist(),
                risk=float(risks.mean()),
                risk_std=float(risks.std()),
                max_rel_mse=max(r["rel_mse"] for r in ok),
                times=[r["time"] for r in ok],
                time=float(np.mean([r["time"] for r in ok])),
                nnz=float(np.mean([r["nnz"] for r in ok])),
                warnings=dict(Counter(w for r in ok for w in r["warnings"])),
            )
            entry["interpolates"] = entry["max_rel_mse"] <= INTERPOLATION_TOL
            for attr in _EXTRAS:
                if any(attr in r for r in ok):
                    entry[attr] = [r.get(attr) for r in ok]
        table[name] = entry
    for ref, key in (("limit", "vs_limit"), ("LassoCV", "vs_lasso")):
        ref_risk = table.get(ref, {}).get("risk")
        for entry in table.values():
            if "risk" in entry and ref_risk is not None:
                entry[key] = _ratio(entry["risk"], ref_risk)
    return table


def _fmt_ratio(entry, key):
    return f"{entry[key]:8.3g}x" if key in entry else f"{'-':>9s}"


def print_setting(name, setting, seeds, table):
    print(
        f"\n== {name}: {setting.describe()} ({len(seeds)} seeds; mean over seeds, "
        "ratios of mean risks) =="
    )
    print(
        f"{'estimator':26s} {'risk':>9s} {'(std)':>9s} {'/limit':>9s} "
        f"{'/LassoCV':>9s} {'max relMSE':>10s} {'interp':>6s} {'nnz':>7s} "
        f"{'time s':>8s}"
    )
    for est, entry in table.items():
        if "risk" not in entry:
            print(f"{est:26s} ERROR on every seed: {entry['errors'][0]}")
            continue
        print(
            f"{est:26s} {entry['risk']:9.4f} {entry['risk_std']:9.4f} "
            f"{_fmt_ratio(entry, 'vs_limit')} {_fmt_ratio(entry, 'vs_lasso')} "
            f"{entry['max_rel_mse']:10.1e} "
            f"{'yes' if entry['interpolates'] else 'no':>6s} "
            f"{entry['nnz']:7.0f} {entry['time']:8.2f}"
        )
    for est, entry in table.items():
        if entry["errors"] and "risk" in entry:
            print(
                f"  {est}: ERROR on {len(entry['errors'])} seed(s): "
                f"{entry['errors'][0]}"
            )
        for message, count in entry.get("warnings", {}).items():
            print(f"  {est}: {count} x {message[:150]}")
    sys.stdout.flush()


def goal(table, est):
    """Issue 9's goal for one implicit row: ``(ratio to limit, to LassoCV, ok)``."""
    entry = table.get(est, {})
    if "vs_limit" not in entry or "vs_lasso" not in entry:
        return None
    ok = (
        entry["vs_limit"] <= GOAL_VS_LIMIT
        and entry["vs_lasso"] <= GOAL_VS_LASSO
        and entry["interpolates"]
    )
    return entry["vs_limit"], entry["vs_lasso"], ok


def print_summary(results, implicit_rows):
    print(
        f"\n== SUMMARY: issue 9 goal = mean risk <= {GOAL_VS_LIMIT:g}x the "
        f"interpolation limit and <= {GOAL_VS_LASSO:g}x LassoCV, and interpolates "
        f"(max rel. training MSE <= {INTERPOLATION_TOL:g}) =="
    )
    print(
        f"{'setting':14s} {'estimator':26s} {'limit':>8s} {'LassoCV':>8s} "
        f"{'risk':>8s} {'/limit':>8s} {'/LassoCV':>8s} {'interp':>6s} goal"
    )
    summary = {}
    for est in implicit_rows:
        passed = total = 0
        for name, result in results.items():
            table = result["estimators"]
            verdict = goal(table, est)
            if verdict is None:
                print(f"{name:14s} {est:26s} (needs limit, LassoCV and {est})")
                continue
            vs_limit, vs_lasso, ok = verdict
            entry = table[est]
            print(
                f"{name:14s} {est:26s} {table['limit']['risk']:8.4f} "
                f"{table['LassoCV']['risk']:8.4f} {entry['risk']:8.4f} "
                f"{vs_limit:7.2f}x {vs_lasso:7.2f}x "
                f"{'yes' if entry['interpolates'] else 'no':>6s} "
                f"{'PASS' if ok else 'FAIL'}"
            )
            result.setdefault("goal", {})[est] = {
                "vs_limit": vs_limit,
                "vs_lasso": vs_lasso,
                "pass": ok,
            }
            passed += ok
            total += 1
        summary[est] = {"passed": passed, "settings": total}
        bound = " (a bound, not an estimator)" if est.endswith("@best-time") else ""
        print(f"{'':14s} {est}: goal met on {passed}/{total} settings{bound}")
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--settings",
        nargs="+",
        default=None,
        help=f"names {list(SETTINGS)}, groups {list(GROUPS)}, KEY=VALUE,... specs "
        f"(keys {list(_FIELD_TYPES)}) or N,D,SIGMA (default: all; quick with --quick)",
    )
    parser.add_argument(
        "--seeds", type=int, default=None, help="draws per setting (default 5; 2 quick)"
    )
    parser.add_argument(
        "--estimators",
        nargs="+",
        default=ESTIMATORS,
        help=f"subset of {ESTIMATORS} (default: all)",
    )
    parser.add_argument(
        "--implicit-variant",
        action="append",
        default=[],
        metavar="KEY=VALUE[,KEY=VALUE...]",
        help="an extra ImplicitRegInterpolator row with these constructor keywords "
        "(repeatable)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes (n=30, d <= 600) for smoke tests",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="processes over (setting, seed) pairs; > 1 limits BLAS to one thread "
        "per process (times are then contended)",
    )
    parser.add_argument(
        "--row-order",
        type=int,
        default=None,
        metavar="K",
        help="fit on each draw's rows in their K-th random order: the same data, "
        "other folds for the estimators that cross-validate with unshuffled "
        "KFold (default: the rows as drawn)",
    )
    parser.add_argument("--json", default=None, help="write the results to this file")
    args = parser.parse_args(argv)
    if args.row_order is not None and args.row_order < 0:
        parser.error("--row-order must be a non-negative integer")

    settings = parse_settings(
        args.settings or (["quick"] if args.quick else ["all"]), quick=args.quick
    )
    seeds = list(range(args.seeds or (2 if args.quick else 5)))
    variants = [parse_variant(spec) for spec in args.implicit_variant]
    rows, notes = select_rows(args.estimators, variants)
    for note in notes:
        print(note, flush=True)
    names = [row.name for row in rows]
    implicit_rows = [name for name in names if name.startswith("implicit")]

    tasks = [(name, seed) for name in settings for seed in seeds]
    draws = Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(run_draw)(settings[name], seed, rows, args.jobs > 1, args.row_order)
        for name, seed in tasks
    )
    output = {
        "environment": environment(sys.argv if argv is None else argv),
        "jobs": args.jobs,
        "row_order": args.row_order,
        "notes": notes,
        "variants": {variant_name(params): dict(params) for params in variants},
        "complete": False,
        "settings": {},
    }
    results, per_seed = output["settings"], []
    for (name, seed), draw in zip(tasks, draws):
        print(
            f"[{name}] seed {seed} done in {draw.pop('_seconds'):.1f} s",
            file=sys.stderr,
            flush=True,
        )
        per_seed.append(draw)
        if seed == seeds[-1]:
            table = aggregate(per_seed, names)
            print_setting(name, settings[name], seeds, table)
            results[name] = {
                "setting": asdict(settings[name]),
                "seeds": seeds,
                "estimators": table,
            }
            per_seed = []
            if args.json:  # after every setting: a stopped run keeps what it did
                _write_json(args.json, output)
    output["summary"] = print_summary(results, implicit_rows)
    output["complete"] = True
    if args.json:
        _write_json(args.json, output)
        print(f"\nwrote {args.json}")
    return {"settings": results, "summary": output["summary"], "notes": notes}


def _write_json(path, output):
    with open(path, "w") as f:
        json.dump(output, f, indent=1, default=_json_default)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


if __name__ == "__main__":
    main()
