"""Fit time of ImplicitRegInterpolator against its peers, with the targets of issue 10.

All times are medians of ``--repeats`` wall-clock fits, measured in the same
run on the same data, and printed as ratios ``implicit / peer``; the exact
excess risk ``||coef_ - coef*||^2`` of every fit is printed beside them, so
that speed is never bought with accuracy. Data: the paper's setting at
several sizes, ``make_sparse_regression(n, d, 5, noise=0.5)`` (Gaussian
``X``, ``+-1`` signal on 5 coordinates). Every estimator is fitted once on
tiny data before timing (imports, numba's compilation of skglm).

Estimators: ``implicit`` = ``ImplicitRegInterpolator()`` with its defaults;
peers (``--peers``): ``LassoCV`` = ``sklearn.linear_model.LassoCV(cv=5)``,
``abess-CV`` = ``abess.LinearRegression(cv=5)``, ``MCP-CV`` = skglm's MCP with
skglm's own 5-fold CV over 100 penalties (``benchmarks/_peers.py``; slow, so
run only up to ``--mcp-max-d``). abess and skglm come from the optional
``bench`` extra and are skipped with a note when missing.

Cases (``--cases``) and the targets of issue 10:

- ``paper``: n=100, d=4000; target ``implicit <= 1.0x abess-CV``;
- ``lasso``: n=200, d=2000, 20000, 100000; target ``implicit <= 0.25x LassoCV``
  at each ``d``;
- ``sparse``: a CSR design, n=1000, d=1,000,000, density 0.001
  (``bench_scaling.make_sparse_csr``: exactly ``density * d`` Gaussian
  entries per row), implicit only; targets ``time <= 20 s`` and peak memory
  (increase of the resident set size during the fit, sampled as in
  ``bench_scaling.py``) ``<= 3 * X_bytes + c * (K + 1) * d * 8`` with
  ``X_bytes = data + indices + indptr``, ``K = 5`` folds plus the final fit
  and ``c = --mem-c`` (default 10) float64 vectors of length ``d`` per path.

Run::

    python benchmarks/bench_implicit.py                       # all, full sizes
    python benchmarks/bench_implicit.py --cases paper lasso --d 2000 20000
    python benchmarks/bench_implicit.py --cases sparse --time-limit 300
    python benchmarks/bench_implicit.py --quick               # tiny, for tests

By default ``--repeats`` is 3 for dense fits with ``d <= 4000`` and 1 above
and for the sparse case. Run on a quiet machine; set ``OMP_NUM_THREADS`` to
compare at a given number of BLAS threads (printed in the header).
"""

import argparse
import json
import sys
import warnings

import numpy as np
from _peers import abess_cv, lasso_cv, linear_parts, mcp_cv, missing_package, warm_up
from _timing import blas_threads, environment, median_time
from bench_scaling import _measure_rss, make_sparse_csr

from sk_implicit import ImplicitRegInterpolator
from sk_implicit.datasets import excess_risk, make_sparse_regression

IMPLICIT = "implicit"
# name -> (factory, optional package)
PEERS = {
    "abess-CV": (abess_cv, "abess"),
    "LassoCV": (lasso_cv, None),
    "MCP-CV": (mcp_cv, "skglm"),
}
# Targets of issue 10.
TARGET_VS_ABESS = 1.0
TARGET_VS_LASSO = 0.25
TARGET_SPARSE_SECONDS = 20.0
N_FOLDS = 5  # ImplicitRegInterpolator's default cv


def _warm(make):
    """Fit once on tiny data, untimed (imports, compilation, first-call costs)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 60))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make().fit(X, X[:, 0] + 0.1 * rng.standard_normal(30))


def _fit_record(make, X, y, coef, repeats, label):
    """Median time of ``make().fit(X, y)`` and what the last fit achieved."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seconds, model = median_time(lambda: make().fit(X, y), repeats)
    b, b0 = linear_parts(model)
    pred = np.asarray(X @ b).ravel() + b0
    record = {
        "time": seconds,
        "risk": excess_risk(b, coef),
        "rel_mse": float(np.mean((y - pred) ** 2) / np.var(y)),
        "warnings": sorted({f"{w.category.__name__}: {w.message}" for w in caught}),
    }
    for attr in ("n_iter_", "dense_start_", "converged_", "alpha_"):
        # skglm's CV keeps alpha_ on itself and n_iter_ on its refit.
        value = getattr(model, attr, None)
        if value is None:
            value = getattr(getattr(model, "best_estimator_", None), attr, None)
        if isinstance(value, (bool, int, float, np.number, np.bool_)):
            record[attr] = value.item() if hasattr(value, "item") else value
    for message in record["warnings"]:
        print(f"[{label}] {message[:200]}", file=sys.stderr)
    return record


def _describe(record):
    keys = ("n_iter_", "dense_start_", "converged_", "alpha_")
    return "  ".join(
        f"{key}={record[key]:.3g}"
        if isinstance(record[key], float)
        else f"{key}={record[key]}"
        for key in keys
        if key in record
    )


def run_dense(label, n, d, peers, target, repeats, seed, noise, mcp_max_d):
    """Time implicit and ``peers`` on one dense draw; ``target = (peer, ratio)``."""
    X, y, coef = make_sparse_regression(n, d, 5, noise=noise, random_state=seed)
    makers = {IMPLICIT: ImplicitRegInterpolator}
    notes = []
    for name in peers:
        make, package = PEERS[name]
        note = missing_package(package)
        if note is None and name == "MCP-CV" and d > mcp_max_d:
            note = f"d={d} > --mcp-max-d={mcp_max_d}"
        if note:
            notes.append(f"{name} skipped: {note}")
        else:
            warm_up(package)
            makers[name] = make
    rows = {}
    for name, make in makers.items():
        print(f"[{label} n={n} d={d}] {name} ...", file=sys.stderr, flush=True)
        _warm(make)
        rows[name] = _fit_record(make, X, y, coef, repeats, f"{label} {name}")
    imp = rows[IMPLICIT]
    print(
        f"\n== {label}: n={n} d={d} s=5 sigma={noise:g} dense X={X.nbytes / 1e6:.1f} "
        f"MB, repeats={repeats} (median wall-clock s; ratios implicit/peer) =="
    )
    print(
        f"{'estimator':10s} {'time s':>9s} {'implicit/':>10s} {'risk':>9s} "
        f"{'implicit/':>10s} {'rel MSE':>9s}"
    )
    print(f"{'':10s} {'':>9s} {'peer time':>10s} {'':>9s} {'peer risk':>10s}")
    for name, row in rows.items():
        row["time_ratio"] = imp["time"] / row["time"]
        row["risk_ratio"] = imp["risk"] / row["risk"] if row["risk"] else float("nan")
        print(
            f"{name:10s} {row['time']:9.3f} {row['time_ratio']:9.3g}x "
            f"{row['risk']:9.4f} {row['risk_ratio']:9.3g}x {row['rel_mse']:9.1e}  "
            + _describe(row)
        )
    for note in notes:
        print(f"  {note}")
    peer, limit = target
    checks = []
    if peer in rows:
        ratio = rows[peer]["time_ratio"]
        checks.append(
            {
                "target": f"{label} n={n} d={d}: implicit time <= {limit:g}x {peer}",
                "value": f"{ratio:.3g}x",
                "pass": ratio <= limit,
            }
        )
    else:
        checks.append(
            {
                "target": f"{label} n={n} d={d}: implicit time <= {limit:g}x {peer}",
                "value": f"{peer} not run",
                "pass": None,
            }
        )
    sys.stdout.flush()
    return {"n": n, "d": d, "repeats": repeats, "rows": rows, "notes": notes}, checks


def run_sparse(n, d, density, mem_c, repeats, seed, time_limit):
    """Time and peak memory of implicit on a large CSR design."""
    print(f"[sparse] building CSR n={n} d={d} ...", file=sys.stderr, flush=True)
    X, y, coef = make_sparse_csr(n, d, density, seed=seed)
    x_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    bound = 3 * x_bytes + mem_c * (N_FOLDS + 1) * d * 8
    _warm(ImplicitRegInterpolator)
    times, peaks, model = [], [], None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(repeats):
            print(f"[sparse n={n} d={d}] implicit ...", file=sys.stderr, flush=True)
            model, seconds, rss = _measure_rss(
                lambda: ImplicitRegInterpolator().fit(X, y), time_limit
            )
            times.append(seconds)
            peaks.append(rss)
            if model is None:
                break
    for w in caught:
        print(f"[sparse] {w.category.__name__}: {w.message}", file=sys.stderr)
    seconds, rss = float(np.median(times)), max(peaks)
    row = {
        "time": seconds,
        "rss": rss,
        "x_bytes": x_bytes,
        "bound": bound,
        "finished": model is not None,
    }
    print(
        f"\n== sparse: CSR n={n} d={d} density={density:g} nnz={X.nnz} "
        f"X_bytes={x_bytes / 1e6:.1f} MB, repeats={len(times)} (median s; RSS "
        f"increase = peak resident set size during the fit minus before it) =="
    )
    if model is None:
        print(
            f"implicit DID NOT FINISH within --time-limit={time_limit:g} s; RSS "
            f"increase so far {rss / 1e6:.1f} MB"
        )
    else:
        b, b0 = linear_parts(model)
        row["risk"] = excess_risk(b, coef)
        row["rel_mse"] = float(np.mean((y - X @ b - b0) ** 2) / np.var(y))
        row["n_iter_"] = int(model.n_iter_)
        row["converged_"] = bool(model.converged_)
        print(
            f"implicit {seconds:9.2f} s  risk {row['risk']:.4f}  rel MSE "
            f"{row['rel_mse']:.1e}  n_iter_={row['n_iter_']}  "
            f"converged_={row['converged_']}  RSS increase {rss / 1e6:.1f} MB = "
            f"{rss / x_bytes:.2f}x X_bytes; bound 3*X_bytes + c*(K+1)*d*8 with c="
            f"{mem_c:g}, K={N_FOLDS}: {bound / 1e6:.1f} MB"
        )
    sys.stdout.flush()
    checks = [
        {
            "target": f"sparse n={n} d={d}: implicit time <= "
            f"{TARGET_SPARSE_SECONDS:g} s",
            "value": f"{seconds:.1f} s" + ("" if model is not None else " (stopped)"),
            "pass": model is not None and seconds <= TARGET_SPARSE_SECONDS,
        },
        {
            "target": f"sparse n={n} d={d}: RSS increase <= 3*X_bytes + "
            f"{mem_c:g}*(K+1)*d*8 = {bound / 1e6:.0f} MB",
            "value": f"{rss / 1e6:.0f} MB",
            "pass": rss <= bound,
        },
    ]
    return row, checks


def _verdict(ok):
    return {True: "PASS", False: "FAIL", None: "n/a"}[ok]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=["paper", "lasso", "sparse"],
        default=["paper", "lasso", "sparse"],
    )
    parser.add_argument(
        "--peers",
        nargs="+",
        choices=list(PEERS),
        default=list(PEERS),
        help="peers timed in the dense cases (default: all)",
    )
    parser.add_argument("--paper-n", type=int, default=100)
    parser.add_argument("--paper-d", type=int, default=4000)
    parser.add_argument("--n", type=int, default=200, help="n of the lasso case")
    parser.add_argument(
        "--d", type=int, nargs="+", default=[2000, 20000, 100000], help="lasso case d"
    )
    parser.add_argument("--sparse-n", type=int, default=1000)
    parser.add_argument("--sparse-d", type=int, default=1_000_000)
    parser.add_argument("--density", type=float, default=0.001)
    parser.add_argument(
        "--mem-c",
        type=float,
        default=10.0,
        help="c of the sparse memory bound 3*X_bytes + c*(K+1)*d*8",
    )
    parser.add_argument(
        "--mcp-max-d", type=int, default=5000, help="run MCP-CV only up to this d"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed repeats (default: 3 for dense d <= 4000, else 1)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="interrupt the sparse fit after this many seconds (SIGALRM)",
    )
    parser.add_argument("--seed", type=int, default=0, help="data seed")
    parser.add_argument("--noise", type=float, default=0.5)
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, 1 repeat (smoke tests)"
    )
    parser.add_argument("--json", default=None, help="write the results to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.paper_n, args.paper_d, args.n, args.d = 40, 400, 40, [200]
        args.sparse_n, args.sparse_d, args.density = 50, 5000, 0.01
        args.repeats = args.repeats or 1

    def repeats(d, dense=True):
        return args.repeats or (3 if dense and d <= 4000 else 1)

    print(f"BLAS threads: {blas_threads()}")
    results, checks = {}, []
    if "paper" in args.cases:
        out, check = run_dense(
            "paper",
            args.paper_n,
            args.paper_d,
            args.peers,
            ("abess-CV", TARGET_VS_ABESS),
            repeats(args.paper_d),
            args.seed,
            args.noise,
            args.mcp_max_d,
        )
        results["paper"], checks = out, checks + check
    if "lasso" in args.cases:
        results["lasso"] = []
        for d in args.d:
            out, check = run_dense(
                "lasso",
                args.n,
                d,
                args.peers,
                ("LassoCV", TARGET_VS_LASSO),
                repeats(d),
                args.seed,
                args.noise,
                args.mcp_max_d,
            )
            results["lasso"].append(out)
            checks += check
    if "sparse" in args.cases:
        out, check = run_sparse(
            args.sparse_n,
            args.sparse_d,
            args.density,
            args.mem_c,
            repeats(args.sparse_d, dense=False),
            args.seed,
            args.time_limit,
        )
        results["sparse"], checks = out, checks + check

    print("\n== TARGETS (issue 10) ==")
    if args.quick:
        print("(--quick: sizes far too small for the targets to mean anything)")
    for check in checks:
        print(f"{_verdict(check['pass'])}  {check['target']}: {check['value']}")
    results["checks"] = checks
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"environment": environment(sys.argv if argv is None else argv)}
                | results,
                f,
                indent=1,
            )
        print(f"wrote {args.json}")
    return results


if __name__ == "__main__":
    main()
