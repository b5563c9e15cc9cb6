"""How fit time and memory of the three interpolators scale with n and d.

Four parts, each runnable alone with ``--part``:

- ``d``: median wall-clock time per fit against ``d`` (n=100,
  d=1000,4000,16000) of ``ImplicitRegInterpolator()``,
  ``MinL1Interpolator()`` and ``MinL2Interpolator()``, and the log-log slope
  ``np.polyfit(log d, log time, 1)`` (time ~ d^slope);
- ``n``: the same against ``n`` (d=4000, n=50,100,200,400);
- ``memory``: peak memory of one fit relative to ``X.nbytes``, as seen by
  :mod:`tracemalloc` (which sees numpy's allocations, not those of compiled
  libraries such as HiGHS or BLAS workspaces) and as the increase of the
  process's resident set size sampled every 2 ms from ``/proc/self/statm``
  (sees everything, but a freed-then-reused block is not counted twice);
- ``sparse``: a ``scipy.sparse`` CSR design, n=1000, d=1,000,000, density
  0.001 (built directly with a seeded rng: exactly ``density * d`` standard
  Gaussian entries per row, a 5-sparse ``+-1`` coef, noise 0.5), fitting the
  three estimators with time, relative training MSE, ``||coef_ - coef*||^2``
  and peak memory against ``X_bytes = data + indices + indptr`` bytes and the
  bound ``peak <= 3 * X_bytes + c * d * 8`` (``c`` = ``--mem-c``, default 64).
  ``MinL1Interpolator`` gets ``solver_options={"time_limit": --l1-time-limit}``
  and is skipped above ``--l1-max-d``; ``--time-limit`` interrupts any fit
  (by ``SIGALRM``) and reports the time and memory reached. With this
  density a column has about ``n * density = 1`` non-zero, so the signal is a
  small fraction of the variance of ``y``: this part measures scale, not
  accuracy.

Run::

    python benchmarks/bench_scaling.py                    # all parts, full sizes
    python benchmarks/bench_scaling.py --part sparse
    python benchmarks/bench_scaling.py --part d --n 50 --d 200 400 800
    python benchmarks/bench_scaling.py --part sparse --sparse-n 50 --sparse-d 20000
"""

import argparse
import ctypes
import gc
import signal
import sys
import threading
import time
import tracemalloc
import warnings

import numpy as np
import scipy.sparse as sp
from _timing import median_time  # benchmarks/_timing.py

from sk_implicit import ImplicitRegInterpolator, MinL1Interpolator, MinL2Interpolator
from sk_implicit.datasets import make_sparse_regression

ESTIMATORS = {
    "ImplicitRegInterpolator": ImplicitRegInterpolator,
    "MinL1Interpolator": MinL1Interpolator,
    "MinL2Interpolator": MinL2Interpolator,
}
_PAGE = 4096


def _rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:  # not Linux
        return 0


class _RSSSampler:
    """Peak resident set size, sampled in a thread while a block runs."""

    def __init__(self, interval=0.002):
        self.interval = interval

    def __enter__(self):
        self.start = self.peak = _rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, _rss_bytes())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())
        self.increase = self.peak - self.start


def _malloc_trim():
    """Return freed heap memory to the OS (glibc), so RSS starts clean."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class FitTimeout(Exception):
    """A fit ran past ``--time-limit``."""


def _alarm(signum, frame):
    raise FitTimeout


def _measure_rss(func, time_limit=None):
    """``func()`` timed, with the RSS sampler: ``(result, seconds, rss_increase)``.

    With ``time_limit`` (seconds, main thread, Unix), the fit is interrupted by
    ``SIGALRM`` and ``result`` is ``None``; the time and the RSS peak are those
    reached so far.
    """
    gc.collect()
    _malloc_trim()
    result = None
    use_alarm = time_limit is not None and hasattr(signal, "SIGALRM")
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, time_limit)
    try:
        with _RSSSampler() as rss:
            start = time.perf_counter()
            # (The timer is disarmed as soon as the fit returns, and an alarm
            # that fires on the way is caught too: one that fired later, in
            # the sampler's exit, used to escape when a fit took just under
            # the limit.)
            try:
                try:
                    result = func()
                finally:
                    if use_alarm:
                        signal.setitimer(signal.ITIMER_REAL, 0)
            except FitTimeout:
                pass
            seconds = time.perf_counter() - start
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return result, seconds, rss.increase


def _measure_tracemalloc(func):
    """Peak bytes allocated (as tracemalloc sees them) while ``func()`` runs.

    tracemalloc slows Python-heavy code several times: do not time this run.
    """
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _fit_quietly(make, X, y, label):
    """Fit, printing any warning to stderr (prefixed by ``label``)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = make().fit(X, y)
    for w in caught:
        print(f"[{label}] {w.category.__name__}: {w.message}", file=sys.stderr)
    return model


def _relative_mse(model, X, y):
    return float(np.mean((y - model.predict(X)) ** 2) / np.var(y))


def _slope(sizes, times):
    return float(np.polyfit(np.log(sizes), np.log(times), 1)[0])


def run_sweep(kind, sizes, fixed, repeats, seed=0):
    """Time the three estimators over ``d`` (``kind="d"``) or ``n``."""
    print(
        f"\n== time per fit vs {kind} ("
        + ("n" if kind == "d" else "d")
        + f"={fixed}, repeats={repeats}, median wall-clock seconds) =="
    )
    times = {name: [] for name in ESTIMATORS}
    for size in sizes:
        n, d = (fixed, size) if kind == "d" else (size, fixed)
        X, y, _ = make_sparse_regression(n, d, 5, noise=0.5, random_state=seed)
        for name, cls in ESTIMATORS.items():
            print(f"[{kind}] n={n} d={d} {name} ...", file=sys.stderr, flush=True)
            t, _ = median_time(
                lambda cls=cls: _fit_quietly(cls, X, y, f"n={n} d={d} {name}"),
                repeats,
            )
            times[name].append(t)
    header = f"{'estimator':24s}" + "".join(f"{kind}={s:<9d}" for s in sizes)
    print(header + "  log-log slope")
    slopes = {}
    for name, ts in times.items():
        slopes[name] = _slope(sizes, ts) if len(sizes) > 1 else float("nan")
        print(
            f"{name:24s}"
            + "".join(f"{t:<11.3f}" for t in ts)
            + f"  {slopes[name]:.2f}",
            flush=True,
        )
    return {"sizes": list(sizes), "times": times, "slopes": slopes}


def run_memory(n, d, seed=0):
    """Peak memory of one fit of each estimator relative to ``X.nbytes``."""
    X, y, _ = make_sparse_regression(n, d, 5, noise=0.5, random_state=seed)
    print(
        f"\n== peak memory of one fit, n={n} d={d}, X.nbytes={X.nbytes / 1e6:.1f} MB "
        "(tracemalloc: numpy allocations; RSS: whole process, sampled) =="
    )
    print(
        f"{'estimator':24s} {'tracemalloc MB':>14s} {'/X.nbytes':>9s} "
        f"{'RSS incr. MB':>12s} {'/X.nbytes':>9s}"
    )
    out = {}
    for name, cls in ESTIMATORS.items():
        print(f"[memory] {name} ...", file=sys.stderr, flush=True)
        _, _, rss = _measure_rss(lambda cls=cls: _fit_quietly(cls, X, y, name))
        peak = _measure_tracemalloc(lambda cls=cls: _fit_quietly(cls, X, y, name))
        out[name] = {"peak": peak, "peak_ratio": peak / X.nbytes, "rss": rss}
        print(
            f"{name:24s} {peak / 1e6:14.1f} {peak / X.nbytes:8.2f}x "
            f"{rss / 1e6:12.1f} {rss / X.nbytes:8.2f}x",
            flush=True,
        )
    return out


def make_sparse_csr(n, d, density, n_informative=5, noise=0.5, seed=0):
    """CSR ``X`` with ``round(density * d)`` Gaussian entries per row, and ``y``."""
    rng = np.random.default_rng(seed)
    per_row = max(1, int(round(density * d)))
    indices = np.empty(n * per_row, dtype=np.int32)
    for i in range(n):
        indices[i * per_row : (i + 1) * per_row] = np.sort(
            rng.choice(d, size=per_row, replace=False)
        )
    data = rng.standard_normal(n * per_row)
    indptr = np.arange(0, n * per_row + 1, per_row, dtype=np.int32)
    X = sp.csr_array((data, indices, indptr), shape=(n, d))
    coef = np.zeros(d)
    support = rng.choice(d, size=n_informative, replace=False)
    coef[support] = rng.choice([-1.0, 1.0], size=n_informative)
    y = X @ coef + noise * rng.standard_normal(n)
    return X, y, coef


def run_sparse(
    n, d, density, c, l1_time_limit, l1_max_d, trace=False, time_limit=None, seed=0
):
    """Fit the three estimators on a large sparse CSR design."""
    print(f"[sparse] building CSR n={n} d={d} ...", file=sys.stderr, flush=True)
    X, y, coef = make_sparse_csr(n, d, density, seed=seed)
    x_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    bound = 3 * x_bytes + c * d * 8
    print(
        f"\n== scipy.sparse CSR: n={n} d={d} density={density} nnz={X.nnz} "
        f"X_bytes={x_bytes / 1e6:.1f} MB; bound 3*X_bytes + c*d*8 with c={c:g}: "
        f"{bound / 1e6:.1f} MB =="
    )
    print(
        "(RSS incr. = peak resident set size during the fit minus before it; "
        "tracemalloc = peak numpy/Python allocations, from a second, untimed fit"
        + ("" if trace else ", skipped: pass --sparse-tracemalloc")
        + f"; coef err = ||coef_ - coef*||^2, ||coef*||^2 = {coef @ coef:.0f})"
    )
    print(
        f"{'estimator':24s} {'time s':>8s} {'rel MSE':>9s} {'coef err':>9s} "
        f"{'RSS incr. MB':>12s} {'/X_bytes':>9s} {'<= bound':>8s} "
        f"{'tracemalloc MB':>14s} {'/X_bytes':>9s} {'<= bound':>8s}"
    )
    out = {"x_bytes": x_bytes, "bound": bound, "c": c}
    for name, cls in ESTIMATORS.items():
        if name == "MinL1Interpolator":
            if d > l1_max_d:
                print(f"{name:24s} skipped (d={d} > --l1-max-d={l1_max_d})")
                out[name] = None
                continue

            def make():
                return MinL1Interpolator(solver_options={"time_limit": l1_time_limit})

        else:
            make = cls
        print(f"[sparse] {name} ...", file=sys.stderr, flush=True)
        fit = lambda make=make: _fit_quietly(make, X, y, f"sparse {name}")  # noqa: E731
        try:
            model, t, rss = _measure_rss(fit, time_limit)
            peak = _measure_tracemalloc(fit) if trace and model is not None else None
        except Exception as exc:  # report, do not hide, a failure
            print(f"{name:24s} FAILED: {type(exc).__name__}: {exc}")
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        if model is None:
            print(
                f"{name:24s} DID NOT FINISH within --time-limit={time_limit:g} s "
                f"(stopped at {t:.0f} s); RSS incr. so far {rss / 1e6:.1f} MB = "
                f"{rss / x_bytes:.2f}x X_bytes, "
                + ("<=" if rss <= bound else ">")
                + " bound",
                flush=True,
            )
            out[name] = {"timeout": t, "rss": rss, "rss_within_bound": rss <= bound}
            continue
        row = {
            "time": t,
            "rel_mse": _relative_mse(model, X, y),
            "coef_err": float((model.coef_ - coef) @ (model.coef_ - coef)),
            "rss": rss,
            "rss_within_bound": rss <= bound,
            "peak": peak,
            "within_bound": None if peak is None else peak <= bound,
        }
        out[name] = row
        traced = (
            f"{'-':>14s} {'-':>9s} {'-':>8s}"
            if peak is None
            else f"{peak / 1e6:14.1f} {peak / x_bytes:8.2f}x "
            f"{'yes' if row['within_bound'] else 'NO':>8s}"
        )
        extra = ""
        if name == "ImplicitRegInterpolator":
            extra = f"  n_iter_={model.n_iter_} converged_={model.converged_}"
        elif name == "MinL1Interpolator":
            extra = f"  n_iter_={model.n_iter_} (time_limit={l1_time_limit:g} s)"
        print(
            f"{name:24s} {t:8.2f} {row['rel_mse']:9.1e} {row['coef_err']:9.3f} "
            f"{rss / 1e6:12.1f} {rss / x_bytes:8.2f}x "
            f"{'yes' if row['rss_within_bound'] else 'NO':>8s} {traced}{extra}",
            flush=True,
        )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part",
        nargs="+",
        choices=["d", "n", "memory", "sparse"],
        default=["d", "n", "memory", "sparse"],
        help="parts to run (default: all)",
    )
    parser.add_argument("--repeats", type=int, default=1, help="timed repeats")
    parser.add_argument("--seed", type=int, default=0, help="data seed")
    parser.add_argument(
        "--n", type=int, default=100, help="n of the d sweep and of --part memory"
    )
    parser.add_argument(
        "--d", type=int, nargs="+", default=[1000, 4000, 16000], help="d sweep"
    )
    parser.add_argument(
        "--n-sweep", type=int, nargs="+", default=[50, 100, 200, 400], help="n sweep"
    )
    parser.add_argument(
        "--d-fixed", type=int, default=4000, help="d of the n sweep and of memory"
    )
    parser.add_argument("--sparse-n", type=int, default=1000)
    parser.add_argument("--sparse-d", type=int, default=1_000_000)
    parser.add_argument("--density", type=float, default=0.001)
    parser.add_argument(
        "--mem-c", type=float, default=64, help="c of the bound 3*X_bytes + c*d*8"
    )
    parser.add_argument(
        "--l1-time-limit",
        type=float,
        default=300.0,
        help="HiGHS time_limit (s) of MinL1Interpolator in --part sparse",
    )
    parser.add_argument(
        "--l1-max-d",
        type=int,
        default=10_000_000,
        help="skip MinL1Interpolator in --part sparse above this d",
    )
    parser.add_argument(
        "--sparse-tracemalloc",
        action="store_true",
        help="in --part sparse, also measure tracemalloc's peak (a second fit)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="in --part sparse, interrupt a fit after this many seconds (SIGALRM)",
    )
    args = parser.parse_args(argv)
    out = {}
    if "d" in args.part:
        out["d"] = run_sweep("d", args.d, args.n, args.repeats, args.seed)
    if "n" in args.part:
        out["n"] = run_sweep("n", args.n_sweep, args.d_fixed, args.repeats, args.seed)
    if "memory" in args.part:
        out["memory"] = run_memory(args.n, args.d_fixed, args.seed)
    if "sparse" in args.part:
        out["sparse"] = run_sparse(
            args.sparse_n,
            args.sparse_d,
            args.density,
            args.mem_c,
            args.l1_time_limit,
            args.l1_max_d,
            trace=args.sparse_tracemalloc,
            time_limit=args.time_limit,
            seed=args.seed,
        )
    return out


if __name__ == "__main__":
    main()
