"""Would a third-order Rosenbrock W-method take fewer steps than ROS2? (issue 10)

The integrator (``sk_implicit._path``) steps the flow with ROS2, a
second-order Rosenbrock W-method: its order holds for any matrix in the
implicit system, which is why only the working set's block of largest
curvature is treated implicitly. Its error estimate is that of the
first-order solution, so its steps grow like ``tol^(1/2)``. A third-order
W-method with an embedded second-order one takes steps growing like
``tol^(1/3)``, at the price of more stages per step. This script swaps the
integrator's step (``_Integrator._ros2``) for a tableau-driven one and
measures what that buys. Methods (``--methods``):

- ``ros2``: the library's own method written as a tableau (a check: its fits
  must be those of the library, bit for bit);
- ``ra3pw``: 3 stages, A-stable; third order with the exact Jacobian, but
  only second with another matrix (part 1 measures it), as in the
  integrator, whose implicit matrix is a block of it;
- ``ra34pw2``: 4 stages, third order for any matrix, L-stable and stiffly
  accurate (the default of PETSc's ``TSROSW``).

Both from J. Rang and L. Angermann, "New Rosenbrock W-methods of order 3 for
partial differential algebraic equations of index 1", BIT 45 (2005).

Three parts:

1. **order**: fixed steps on a linear problem ``y' = J y`` whose implicit
   matrix is only a block of ``J`` (as in the integrator): the observed
   order of the global error as the step halves (checks the tableaux).
2. **path**: ``implicit_path`` at several ``path_tol``: the steps, and the
   largest error of its coefficients at 30 times against a fine integration
   (ROS2 at ``path_tol=1e-7``), relative to the largest coefficient.
3. **fits**: ``ImplicitRegInterpolator()`` on the paper's design (n=100,
   d=4000, noise 0.5 and 1) and n=200, d=2000 (noise 0.5), seeds 0-2: the
   fit time (median of ``--repeats``), the batch's iterations and working-set
   refreshes, and the summed exact excess risk; each method at the default
   ``path_tol`` and at ``path_tol`` times each ``--tol-scales`` (the
   third-order methods' error estimate is of a second-order solution, so at
   the same ``path_tol`` their paths are not as accurate: part 2 says by
   how much).

Run (``OMP_NUM_THREADS=1`` to compare on one core)::

    python benchmarks/bench_integrator.py
    python benchmarks/bench_integrator.py --parts fits --tol-scales 0.5
    python benchmarks/bench_integrator.py --quick             # tiny, for tests
"""

import argparse
import contextlib
import warnings
from unittest import mock

import numpy as np
import scipy.linalg
from _timing import blas_threads, median_time

import sk_implicit._path as path
from sk_implicit import ImplicitRegInterpolator
from sk_implicit.datasets import excess_risk, make_sparse_regression


def eta_form(A, Gamma, b, b_embedded):
    """A W-method's tableau in the form the integrator's stages take.

    From Hairer and Wanner's form (``(I - h gamma W) k_i = h f(y + sum_j
    A_ij k_j) + h W sum_j Gamma_ij k_j``, ``Gamma`` with ``gamma`` on its
    diagonal) through ``u = Gamma k`` (Hairer and Wanner, "Solving ODEs II",
    IV.7), scaled so that each stage ``kappa_i`` solves ``(I - gamma eta W)
    kappa_i = f(y + eta sum_j alpha_ij kappa_j) + sum_j beta_ij kappa_j``,
    the step is ``eta sum_j mu_j kappa_j`` and the error estimate ``eta sum_j
    epsilon_j kappa_j``.
    """
    Gamma = np.asarray(Gamma, dtype=float)
    gamma = Gamma[0, 0]
    inverse = np.linalg.inv(Gamma)
    return {
        "gamma": gamma,
        "alpha": gamma * (np.asarray(A) @ inverse),
        "beta": gamma * (np.diag(1.0 / np.diag(Gamma)) - inverse),
        "mu": gamma * (np.asarray(b) @ inverse),
        "epsilon": gamma * ((np.asarray(b) - np.asarray(b_embedded)) @ inverse),
    }


_G3, _G34 = 7.8867513459481287e-01, 4.3586652150845900e-01
METHODS = {
    # The integrator's own ROS2 (Verwer et al., 1999), as _Integrator._ros2
    # computes it; error estimate of order 1 (local error O(eta^2)).
    "ros2": {
        "gamma": path._GAMMA,
        "alpha": np.array([[0.0, 0.0], [1.0, 0.0]]),
        "beta": np.array([[0.0, 0.0], [-2.0, 0.0]]),
        "mu": np.array([1.5, 0.5]),
        "epsilon": np.array([0.5, 0.5]),
        "error_order": 2,
    },
    "ra3pw": {
        **eta_form(
            [[0, 0, 0], [1.5773502691896257, 0, 0], [0.5, 0, 0]],
            [
                [_G3, 0, 0],
                [-1.5773502691896257, _G3, 0],
                [-0.6707531754730548, -0.17075317547305482, _G3],
            ],
            [0.10566243270259355, 0.049038105676657971, 0.84529946162074843],
            [-0.17863279495408180, 1.0 / 3.0, 0.84529946162074843],
        ),
        "error_order": 3,
    },
    "ra34pw2": {
        **eta_form(
            [
                [0, 0, 0, 0],
                [0.87173304301691801, 0, 0, 0],
                [0.84457060015369423, -0.11299064236484185, 0, 0],
                [0, 0, 1, 0],
            ],
            [
                [_G34, 0, 0, 0],
                [-0.87173304301691801, _G34, 0, 0],
                [-0.90338057013044082, 0.054180672388095326, _G34, 0],
                [0.24212380706095346, -1.2232505839045147, 0.54526025533510214, _G34],
            ],
            [0.24212380706095346, -1.2232505839045147, 1.5452602553351020, _G34],
            [0.37810903145819369, -0.096042292212423178, 0.5, 0.21793326075422950],
        ),
        "error_order": 3,
    },
}


def tableau_step(method):
    """A replacement for ``_Integrator._ros2`` stepping with ``method``."""
    alpha, beta, mu, epsilon = (method[k] for k in ("alpha", "beta", "mu", "epsilon"))

    def step(self, sub, blocks, ev, eta):
        eta_ = eta[:, None]
        ks, rs = [], []
        for i in range(mu.size):
            if i == 0:
                k, r = self._stage(sub, blocks, ev.weighted, eta, ev.gradient)
            else:
                theta = ev.theta + eta_ * sum(
                    alpha[i, j] * ks[j] for j in range(i) if alpha[i, j]
                )
                residual = self.columns.predict(
                    path._beta(theta, sub.log_init[:, None])
                )
                weighted = sub.weight * (residual - sub.targets)
                for j in range(i):
                    if beta[i, j]:
                        weighted = weighted + beta[i, j] * rs[j]
                k, r = self._stage(sub, blocks, weighted, eta)
            ks.append(k)
            rs.append(r)
        theta_step = eta_ * sum(m * k for m, k in zip(mu, ks))
        accumulated_step = eta_ * sum(m * r for m, r in zip(mu, rs))
        error = eta_ * sum(e * k for e, k in zip(epsilon, ks) if e)
        return theta_step, accumulated_step, error

    return step


@contextlib.contextmanager
def integrating_with(name):
    """The integrator steps with ``METHODS[name]`` inside this context.

    The step controller's factors are ROS2's for an error of order 2; an
    error of order ``q`` enters them as ``error^(2/q)`` (then
    ``0.9 / sqrt(error^(2/q)) = 0.9 error^(-1/q)``, and the same for
    Gustafsson's predictive factor).
    """
    method = METHODS[name]
    power = 2.0 / method["error_order"]
    factor = path.step_factor

    def step_factor(error, eta, accepted_eta, accepted_error, after_rejection):
        return factor(
            error**power, eta, accepted_eta, accepted_error**power, after_rejection
        )

    with (
        mock.patch.object(path._Integrator, "_ros2", tableau_step(method)),
        mock.patch.object(path, "_GAMMA", method["gamma"]),
        mock.patch.object(path, "step_factor", step_factor),
    ):
        yield


def _fixed_steps(method, J, W, y0, n_steps):
    """``y' = J y`` to ``t = 1`` in ``n_steps`` steps, ``W`` in the implicit system."""
    h = 1.0 / n_steps
    alpha, beta, mu = method["alpha"], method["beta"], method["mu"]
    solve = scipy.linalg.lu_factor(np.eye(len(y0)) - method["gamma"] * h * W)
    y = y0.copy()
    for _ in range(n_steps):
        ks = []
        for i in range(mu.size):
            Y = y + h * sum((alpha[i, j] * ks[j] for j in range(i)), 0.0 * y)
            rhs = J @ Y + sum((beta[i, j] * ks[j] for j in range(i)), 0.0 * y)
            ks.append(scipy.linalg.lu_solve(solve, rhs))
        y = y + h * sum(m * k for m, k in zip(mu, ks))
    return y


def observed_order(name, *, size=12, block=4, steps=(20, 40, 80), seed=0):
    """Observed orders ``(with W = J, with W a block of J)`` of the global error.

    ``y' = J y`` to ``t = 1``, ``J`` symmetric with eigenvalues from -0.5 to
    -5, ``W`` its leading ``block`` (the rest of ``J`` explicit, as in the
    integrator): the slope of log error against log step. A W-method keeps
    its order with any ``W``.
    """
    method = METHODS[name]
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((size, size)))
    J = -(Q * np.geomspace(0.5, 5.0, size)) @ Q.T
    W = np.zeros_like(J)
    W[:block, :block] = J[:block, :block]
    y0 = rng.standard_normal(size)
    exact = scipy.linalg.expm(J) @ y0
    log_h = np.log(1.0 / np.array(steps))
    orders = []
    for implicit in (J, W):
        errors = [
            np.linalg.norm(_fixed_steps(method, J, implicit, y0, n) - exact)
            for n in steps
        ]
        orders.append(float(np.polyfit(log_h, np.log(errors), 1)[0]))
    return tuple(orders)


def _counting():
    """Patches counting the batch's iterations and working-set refreshes."""
    counts = {"iterations": 0, "refreshes": 0}
    advance, refresh = path._Integrator._advance, path._Integrator._refresh

    def counted_advance(self, *args):
        counts["iterations"] += 1
        return advance(self, *args)

    def counted_refresh(self, *args):
        counts["refreshes"] += 1
        return refresh(self, *args)

    patches = contextlib.ExitStack()
    patches.enter_context(
        mock.patch.object(path._Integrator, "_advance", counted_advance)
    )
    patches.enter_context(
        mock.patch.object(path._Integrator, "_refresh", counted_refresh)
    )
    return counts, patches


def path_errors(methods, tolerances, *, n, d, noise, seed=1, n_times=30):
    """Part 2: ``{method: [(path_tol, steps, relative error), ...]}``."""
    X, y, _ = make_sparse_regression(n, d, 5, noise, random_state=seed)[:3]
    times, reference = path.implicit_path(
        X, y, n_times=n_times, path_tol=1e-7, max_iter=10**6
    )
    scale = np.abs(reference).max()
    out = {}
    for name in methods:
        rows = []
        for tol in tolerances:
            counts, patches = _counting()
            with integrating_with(name), patches:
                _, coefs = path.implicit_path(
                    X, y, times=times, path_tol=tol, max_iter=10**6
                )
            error = np.abs(coefs - reference).max() / scale
            rows.append((tol, counts["iterations"], float(error)))
        out[name] = rows
    return out


def fits(methods, tol_scales, cases, seeds, repeats):
    """Part 3: ``[(method, tol_scale, time, iterations, refreshes, risk, coefs)]``."""
    draws = [
        make_sparse_regression(n, d, 5, noise, random_state=seed)[:3]
        for n, d, noise in cases
        for seed in seeds
    ]
    base_tol = ImplicitRegInterpolator().path_tol
    out = []
    for name in methods:
        for scale in tol_scales:
            total_time, risk, coefs = 0.0, 0.0, []
            counts, patches = _counting()
            with integrating_with(name), patches, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for X, y, coef in draws:
                    model = ImplicitRegInterpolator(path_tol=base_tol * scale)
                    seconds, model = median_time(lambda: model.fit(X, y), repeats)
                    total_time += seconds
                    risk += excess_risk(model.coef_, coef)
                    coefs.append(model.coef_)
            per_fit = {k: v / repeats for k, v in counts.items()}
            out.append(
                (
                    name,
                    scale,
                    total_time,
                    per_fit["iterations"],
                    per_fit["refreshes"],
                    risk,
                    coefs,
                )
            )
    return out


def library_fits(cases, seeds):
    """The library's own fits (no patch), to check the ``ros2`` tableau."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            ImplicitRegInterpolator()
            .fit(*make_sparse_regression(n, d, 5, noise, random_state=seed)[:2])
            .coef_
            for n, d, noise in cases
            for seed in seeds
        ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["order", "path", "fits"],
        choices=["order", "path", "fits"],
    )
    parser.add_argument(
        "--tolerances",
        nargs="+",
        type=float,
        default=[0.2, 0.1, 0.05, 0.02, 0.005, 0.001],
        help="path_tol values of part 2",
    )
    parser.add_argument(
        "--tol-scales",
        nargs="+",
        type=float,
        default=[0.5],
        help="part 3 also runs each method at path_tol times these",
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for tests")
    args = parser.parse_args(argv)
    if args.quick:
        path_case = {"n": 30, "d": 200, "noise": 0.5}
        cases, args.seeds, args.repeats = [(30, 200, 0.5)], 1, 1
        args.tolerances = args.tolerances[:2]
    else:
        path_case = {"n": 100, "d": 4000, "noise": 0.5}
        cases = [(100, 4000, 0.5), (200, 2000, 0.5), (100, 4000, 1.0)]
    seeds = range(args.seeds)
    result = {"blas_threads": blas_threads()}
    print(f"BLAS threads: {result['blas_threads']}")

    if "order" in args.parts:
        print("\n== 1. observed order on y' = J y (fixed steps 20, 40, 80 to t=1) ==")
        print(f"{'method':9s} {'W = J':>7s} {'W = block of J':>15s}")
        result["order"] = {}
        for name in args.methods:
            exact, block = observed_order(name)
            result["order"][name] = (exact, block)
            print(f"{name:9s} {exact:7.2f} {block:15.2f}")

    if "path" in args.parts:
        print(
            "\n== 2. implicit_path (n={n} d={d} noise={noise}): steps, and the "
            "largest error at 30 times over the largest coefficient, against "
            "path_tol=1e-7 ==".format(**path_case)
        )
        result["path"] = path_errors(args.methods, args.tolerances, **path_case)
        print(f"{'path_tol':>9s} " + " ".join(f"{m:>18s}" for m in args.methods))
        for i, tol in enumerate(args.tolerances):
            cells = []
            for name in args.methods:
                _, steps, error = result["path"][name][i]
                cells.append(f"{steps:6d} {error:11.2e}")
            print(f"{tol:9g} " + " ".join(f"{c:>18s}" for c in cells))

    if "fits" in args.parts:
        n_draws = len(cases) * len(seeds)
        print(
            f"\n== 3. ImplicitRegInterpolator on {n_draws} draws "
            f"({', '.join(f'n={n} d={d} noise={s}' for n, d, s in cases)}; "
            f"seeds 0-{args.seeds - 1}), summed over the draws ==",
        )
        rows = fits(args.methods, [1.0, *args.tol_scales], cases, seeds, args.repeats)
        reference = library_fits(cases, seeds)
        base = rows[0]
        print(
            f"{'method':9s} {'path_tol':>8s} {'time s':>7s} {'vs first':>8s} "
            f"{'iterations':>10s} {'refreshes':>9s} {'risk':>8s}"
        )
        result["fits"] = []
        for name, scale, seconds, iterations, refreshes, risk, coefs in rows:
            tol = ImplicitRegInterpolator().path_tol * scale
            print(
                f"{name:9s} {tol:8.3g} {seconds:7.3f} {seconds / base[2]:7.2f}x "
                f"{iterations:10.0f} {refreshes:9.0f} {risk:8.4f}"
            )
            result["fits"].append(
                {
                    "method": name,
                    "path_tol": tol,
                    "time": seconds,
                    "iterations": iterations,
                    "refreshes": refreshes,
                    "risk": risk,
                }
            )
            if name == "ros2" and scale == 1.0:
                same = all(np.array_equal(a, b) for a, b in zip(coefs, reference))
                result["ros2_is_the_library"] = same
                print(
                    f"  (the ros2 tableau gives the library's fits bit for bit: {same})"
                )
    return result


if __name__ == "__main__":
    main()
