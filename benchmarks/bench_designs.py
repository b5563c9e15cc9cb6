"""ImplicitRegInterpolator on designs, signals and targets the risk grid lacks.

``bench_risk.py`` measures the settings the issues name; this sweep measures
the ones no issue names, to catch a change that wins there and loses here.
Three blocks, each configuration drawn twice (``--seeds``):

- ``A``, design x shape: nine designs (Gaussian; Student-t with 3 degrees of
  freedom; columns scaled by ``10**U(-3, 3)``, the signal set on the
  standardised columns; Bernoulli(0.3); half the columns duplicates; 5
  constant columns, one all zero; sparse CSR at 1% density; equicorrelated
  0.95; Toeplitz 0.9) at n in {50, 150, 300} and d in {n/2, n+1, 5n, 20n}
  (at most 5000), 10 coefficients of +-1, noise 1;
- ``B``, design x signal x noise at n = 150, d = 750: 1, 10 or 30
  coefficients of +-1, a mixed signal (5 of +-10 and 5 of +-0.01) or a dense
  one (every coefficient 0.05), noise 0, 0.1, 1 or 3;
- ``C``, the target: an offset of 1e4 with and without an intercept, and
  ``y`` times 1e-8 or 1e8, at four shapes.

Each fit records its excess test risk (mean squared distance to the
noise-free target on 2000 fresh rows), fit time, training residual,
warnings, ``converged_`` and ``stop_reason_``; the peers ``LassoCV(cv=5)``
and, if installed, abess's ``LinearRegression(cv=5)`` are fitted beside it
(abess refuses constant columns: it is then refitted without them). Records
go to a JSON-lines file, one per fit, and a run resumes where it stopped.
``--compare BEFORE.jsonl`` compares the implicit estimator of this run with
that of an earlier one, fit by fit, against the earlier run's peers (so
``--estimators implicit`` measures a change in half the time). Run::

    python benchmarks/bench_designs.py --out results/designs.jsonl
    python benchmarks/bench_designs.py --estimators implicit \\
        --out after.jsonl --compare results/designs.jsonl
    python benchmarks/bench_designs.py --quick      # a smoke test, seconds

(About 17 minutes with the peers on 2 cores, 6 without.)
"""

import argparse
import contextlib
import json
import os
import sys
import time
import warnings
import zlib
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import scipy.sparse as sp
from scipy.signal import lfilter

N_TEST = 2000
DESIGNS = ["gauss", "t3", "scales", "bern", "dup", "const", "csr", "equi95", "toep09"]
ESTIMATORS = ["implicit", "lassocv", "abess"]


def design_state(design, d, rng):
    """What a design fixes for its training and test rows alike."""
    state = {}
    if design == "scales":
        state["scales"] = 10.0 ** rng.uniform(-3, 3, size=d)
    if design == "dup":
        k = max(1, d // 2)
        state["n_unique"] = k
        state["dup_index"] = np.concatenate(
            [np.arange(k), rng.integers(0, k, size=d - k)]
        )
    if design == "const":
        nc = min(5, d)
        state["const_cols"] = rng.choice(d, size=nc, replace=False)
        values = np.full(nc, 3.0)
        values[0] = 0.0  # one all-zero column
        state["const_vals"] = values
    return state


def draw_X(design, n, d, rng, state):
    if design == "gauss":
        return rng.standard_normal((n, d))
    if design == "t3":
        return rng.standard_t(3, size=(n, d))
    if design == "scales":
        return rng.standard_normal((n, d)) * state["scales"]
    if design == "bern":
        return (rng.random((n, d)) < 0.3).astype(float)
    if design == "dup":
        return rng.standard_normal((n, state["n_unique"]))[:, state["dup_index"]]
    if design == "const":
        X = rng.standard_normal((n, d))
        X[:, state["const_cols"]] = state["const_vals"]
        return X
    if design == "csr":
        return sp.random(
            n,
            d,
            density=0.01,
            format="csr",
            random_state=rng,
            data_rvs=rng.standard_normal,
        )
    if design == "equi95":
        rho = 0.95
        own = np.sqrt(1 - rho) * rng.standard_normal((n, d))
        return own + np.sqrt(rho) * rng.standard_normal((n, 1))  # + common
    if design == "toep09":
        rho = 0.9
        X = rng.standard_normal((n, d))
        X[:, 1:] *= np.sqrt(1 - rho**2)
        return lfilter([1.0], [1.0, -rho], X, axis=1)  # AR(1) along the columns
    raise ValueError(design)


def make_coef(signal, d, rng, state, design):
    coef = np.zeros(d)
    if signal.startswith("s"):  # s1, s10, s30: +-1 on a random support
        if design == "const":  # not only on the constant columns
            pool = np.setdiff1d(np.arange(d), state["const_cols"])
        elif design == "dup":
            pool = np.arange(state["n_unique"])
        else:
            pool = np.arange(d)
        s = min(int(signal[1:]), d, pool.size)
        support = rng.choice(pool, size=s, replace=False)
        coef[support] = rng.choice([-1.0, 1.0], size=s)
    elif signal == "mixed":  # 5 of +-10, 5 of +-0.01
        s = min(10, d)
        pool = np.arange(state["n_unique"]) if design == "dup" else np.arange(d)
        support = rng.choice(pool, size=s, replace=False)
        size = np.array([10.0] * 5 + [0.01] * 5)[:s]
        coef[support] = size * rng.choice([-1.0, 1.0], size=s)
    elif signal == "dense":
        coef[:] = 0.05
    else:
        raise ValueError(signal)
    if design == "scales":  # the signal is on the standardised columns
        coef = coef / state["scales"]
    return coef


def make_estimator(name, fit_intercept):
    if name == "implicit":
        from sk_implicit import ImplicitRegInterpolator

        return ImplicitRegInterpolator(fit_intercept=fit_intercept)
    if name == "lassocv":
        from sklearn.linear_model import LassoCV

        return LassoCV(cv=5, fit_intercept=fit_intercept)
    from abess import LinearRegression

    return LinearRegression(cv=5, fit_intercept=fit_intercept)


def _dense(X):
    return X.toarray() if sp.issparse(X) else X


def _fit(name, cfg, X, y, Xt, ft, coef):
    """One estimator's record on one configuration."""
    record = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = make_estimator(name, cfg["fit_intercept"])
        start = time.perf_counter()
        try:
            model.fit(X, y)
        except Exception as error:
            if name != "abess":
                record["error"] = f"{type(error).__name__}: {error}"
                return record
            # abess refuses constant columns: fit without them.
            record["note"] = f"refitted without constant columns ({error})"[:120]
            dense = _dense(X)
            keep = np.ptp(dense, axis=0) > 0
            model = make_estimator(name, cfg["fit_intercept"])
            start = time.perf_counter()
            model.fit(dense[:, keep], y)
            fitted, model.coef_ = np.ravel(model.coef_), np.zeros(X.shape[1])
            model.coef_[keep] = fitted
        record["time"] = time.perf_counter() - start
    c = np.asarray(model.coef_, dtype=float).ravel()
    b = float(np.ravel(getattr(model, "intercept_", 0.0))[0])
    record["excess"] = float(np.mean((np.asarray(Xt @ c).ravel() + b - ft) ** 2))
    record["est_err"] = float(np.sum((c - coef) ** 2))
    yc = y - y.mean() if cfg["fit_intercept"] else y
    train = np.asarray(X @ c).ravel() + b
    record["resid"] = float(np.linalg.norm(y - train) / np.linalg.norm(yc))
    for name_ in ("converged_", "stop_reason_", "n_iter_", "dense_start_"):
        if hasattr(model, name_):
            value = getattr(model, name_)
            record[name_] = value.item() if isinstance(value, np.generic) else value
    record["warnings"] = {}
    for w in caught:
        count, _ = record["warnings"].get(w.category.__name__, (0, ""))
        record["warnings"][w.category.__name__] = (count + 1, str(w.message)[:200])
    return record


def run_config(cfg, estimators):
    """Draw one configuration's data and fit every estimator on it."""
    rng = np.random.default_rng([cfg["seed"], zlib.crc32(cfg["key"].encode())])
    n, d = cfg["n"], cfg["d"]
    state = design_state(cfg["design"], d, rng)
    coef = make_coef(cfg["signal"], d, rng, state, cfg["design"])
    X = draw_X(cfg["design"], n, d, rng, state)
    Xt = draw_X(cfg["design"], N_TEST, d, rng, state)
    f, ft = np.asarray(X @ coef).ravel(), np.asarray(Xt @ coef).ravel()
    y = f + cfg["sigma"] * rng.standard_normal(n)
    y = cfg["yscale"] * y + cfg["yoffset"]
    ft = cfg["yscale"] * ft + cfg["yoffset"]
    out = dict(cfg, results={})
    for name in estimators:
        out["results"][name] = _fit(name, cfg, X, y, Xt, ft, cfg["yscale"] * coef)
    return out


def configs(blocks, seeds, quick=False):
    cfgs = []

    def add(block, design, n, d, signal, sigma, yscale=1.0, yoffset=0.0, fi=True):
        key = (
            f"{block}|{design}|n={n}|d={d}|{signal}|sig={sigma}|ys={yscale:g}"
            f"|yo={yoffset:g}|fi={fi}"
        )
        for seed in seeds:
            cfgs.append(
                dict(
                    key=key,
                    block=block,
                    design=design,
                    n=n,
                    d=d,
                    signal=signal,
                    sigma=sigma,
                    yscale=yscale,
                    yoffset=yoffset,
                    fit_intercept=fi,
                    seed=seed,
                )
            )

    if quick:
        for design in DESIGNS:
            add("Q", design, 30, 120, "s10", 0.1)
        return cfgs
    shapes = [(n, min(d, 5000)) for n in (50, 150, 300) for d in (n // 2, n + 1)]
    shapes += [(n, min(d, 5000)) for n in (50, 150, 300) for d in (5 * n, 20 * n)]
    shapes.sort(key=lambda s: (s[0], s[1]))
    for design in DESIGNS if "A" in blocks else []:
        for n, d in shapes:
            add("A", design, n, d, "s10", 1.0)
    for design in DESIGNS if "B" in blocks else []:
        for signal in ("s1", "s10", "s30", "mixed", "dense"):
            for sigma in (0.0, 0.1, 1.0, 3.0):
                add("B", design, 150, 750, signal, sigma)
    for design in DESIGNS if "C" in blocks else []:
        for n, d in ((150, 151), (150, 750), (50, 1000), (150, 75)):
            add("C", design, n, d, "s10", 1.0, yoffset=1e4, fi=True)
            add("C", design, n, d, "s10", 1.0, yoffset=1e4, fi=False)
            add("C", design, n, d, "s10", 1.0, yscale=1e-8)
            add("C", design, n, d, "s10", 1.0, yscale=1e8)
    return cfgs


def _worker(args):
    return run_config(*args)


def summary(records, before=None):
    """Lines summarising a run, or comparing it with ``before`` (by fit)."""
    lines = [f"{len(records)} fits"]
    peers_of = before if before is not None else records
    rows = []
    for key, rec in records.items():
        mine = rec["results"].get("implicit", {})
        old = peers_of.get(key, {}).get("results", {})
        peers = [
            old[p]["excess"] for p in ("lassocv", "abess") if "excess" in old.get(p, {})
        ]
        if "excess" not in mine or not peers:
            continue
        was = old.get("implicit", {}).get("excess", np.nan) if before else np.nan
        lasso = old.get("lassocv", {}).get("excess", np.nan)
        rows.append((key, mine, was, min(peers), lasso))
    errors = [
        k for k, r in records.items() if "error" in r["results"].get("implicit", {})
    ]
    lines.append(f"errors: {len(errors)} {errors[:5]}")
    warned = [
        k
        for k, r in records.items()
        if r["results"].get("implicit", {}).get("warnings")
    ]
    lines.append(f"fits with warnings: {len(warned)} {warned[:5]}")
    if not rows:
        return lines + ["no peer's fit to compare with (--compare a run with peers)"]
    wide = [r for r in rows if records[r[0]]["d"] > records[r[0]]["n"]]
    not_exact = [r[0] for r in wide if r[1]["resid"] > 1e-6]
    lines.append(
        f"d > n, training residual above 1e-6 of |y|: {len(not_exact)} of {len(wide)}"
        " (rank-deficient designs have no interpolant: compare with least squares)"
    )
    mine = np.array([r[1]["excess"] for r in rows])
    best = np.array([r[3] for r in rows])
    lasso = np.array([r[4] for r in rows])
    tiny = 1e-300
    to_best = np.median(mine / np.maximum(best, tiny))
    lines.append(
        f"excess risk / best peer: median {to_best:.3g};"
        f" / LassoCV: median {np.median(mine / lasso):.3g};"
        f" above 1.5x the best peer: {np.sum(mine > 1.5 * best)},"
        f" above 1.5x LassoCV: {np.sum(mine > 1.5 * lasso)}"
    )
    lines.append(
        f"geometric mean excess risk: {np.exp(np.mean(np.log(mine + tiny))):.4g}"
    )
    times = np.array([r[1]["time"] for r in rows])
    lines.append(f"fit time: total {times.sum():.1f} s, largest {times.max():.2f} s")
    if before is None:
        return lines
    was = np.array([r[2] for r in rows])
    ratio = (mine + 1e-12) / (was + 1e-12)
    lines.append(
        f"against before: identical {np.sum(mine == was)}, within 1% "
        f"{np.sum(np.abs(ratio - 1) < 0.01)}, better by >10% {np.sum(ratio < 0.9)},"
        f" worse by >10% {np.sum(ratio > 1.1)}; geometric mean excess before "
        f"{np.exp(np.mean(np.log(was + tiny))):.4g}; above 1.5x LassoCV before "
        f"{np.sum(was > 1.5 * lasso)}"
    )
    old_times = np.array([before[r[0]]["results"]["implicit"]["time"] for r in rows])
    lines.append(
        f"fit time before: total {old_times.sum():.1f} s; median ratio after/before "
        f"{np.median(times / old_times):.2f}, largest {np.max(times / old_times):.1f}"
    )
    order = np.argsort(ratio)
    for label, picks in (("better", order[:15]), ("worse", order[::-1][:15])):
        lines.append(f"most {label}:")
        for i in picks:
            if (label == "better") == (ratio[i] < 0.9) and abs(ratio[i] - 1) > 0.1:
                r = rows[i]
                lines.append(
                    f"  {r[0][0]} seed {r[0][1]}: {r[2]:.4g} -> {r[1]['excess']:.4g}"
                    f" (best peer {r[3]:.4g}), stop {r[1].get('stop_reason_')},"
                    f" {old_times[i]:.2f} s -> {times[i]:.2f} s"
                )
    return lines


def _load(path):
    if not path or not os.path.exists(path):
        return {}
    records = {}
    for line in open(path):
        r = json.loads(line)
        records[(r["key"], r["seed"])] = r
    return records


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="designs.jsonl", help="JSON-lines records")
    parser.add_argument("--blocks", default="A,B,C")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--estimators", nargs="+", default=ESTIMATORS)
    parser.add_argument("--jobs", type=int, default=2, help="processes")
    parser.add_argument("--compare", help="an earlier run's records")
    parser.add_argument(
        "--quick", action="store_true", help="the 9 designs, tiny: a smoke test"
    )
    args = parser.parse_args(argv)
    estimators = list(args.estimators)
    if "abess" in estimators:
        try:
            import abess  # noqa: F401
        except ImportError:
            print("abess is not installed: no abess peer", file=sys.stderr)
            estimators.remove("abess")
    seeds = [int(s) for s in args.seeds.split(",")]
    cfgs = configs(args.blocks.split(","), seeds, args.quick)
    done = _load(args.out)
    todo = [c for c in cfgs if (c["key"], c["seed"]) not in done]
    print(f"{len(todo)} of {len(cfgs)} fits to run", file=sys.stderr)
    start = time.time()
    jobs = [(c, estimators) for c in todo]
    # (One job runs in this process: no pickling, no start-up.)
    pool = ProcessPoolExecutor(args.jobs) if args.jobs > 1 else None
    with pool or contextlib.nullcontext(), open(args.out, "a") as out:
        fits = pool.map(_worker, jobs) if pool else map(_worker, jobs)
        for i, record in enumerate(fits):
            out.write(json.dumps(record, default=str) + "\n")
            out.flush()
            if i % 50 == 49:
                print(
                    f"{i + 1}/{len(todo)} {time.time() - start:.0f} s", file=sys.stderr
                )
    records = _load(args.out)
    records = {(c["key"], c["seed"]): records[(c["key"], c["seed"])] for c in cfgs}
    print("\n".join(summary(records, _load(args.compare) or None)))


if __name__ == "__main__":
    main()
