"""Joint training from the start: does a slow dense part replace the switch?

Issue 8 asks whether a two-timescale joint mode, both parts trained together
from ``t = 0`` with a dense part slower than the sparse one, comes close to
:class:`~sk_implicit.ImplicitRegInterpolator`'s switch. This script integrates
that joint gradient flow,

    theta' = -4 g,   v' = -kappa g,   beta = 2 alpha^2 sinh(theta) + v,

(``theta = log(w^2 / alpha^2)``, the Hadamard part, see ``sk_implicit._path``;
``kappa`` the dense part's speed relative to gradient descent on ``v`` with
the same step), from ``theta = 0, v = 0`` until the model interpolates
(relative training MSE 1e-6), by small explicit steps (at most 0.2 e-folds of
any ``theta`` and 0.3 / curvature). It prints the exact excess risk of the
interpolator it reaches for several ``kappa``, beside the switch
(``ImplicitRegInterpolator()``) on the same draws, on the paper's design.

A fast dense part (kappa >= 1e-3 here) interpolates before the sparse part
has learned anything: the minimum-l2 interpolator (risk about 4.9). A slow one
lets the sparse part fit the noise too, and tends to its end, the minimum-l1
interpolator. No kappa comes near the switch: the order "signal first, noise
after" must come from the switch, not from the time scales alone.

    python benchmarks/bench_joint.py                  # 3 seeds, sigma 0.5 and 1
    python benchmarks/bench_joint.py --quick          # tiny, for the tests
"""

import argparse
import sys
import time

import numpy as np

from sk_implicit import ImplicitRegInterpolator
from sk_implicit.datasets import excess_risk, make_sparse_regression


def joint_flow(X, y, *, init_scale, kappa, tol=1e-6, max_steps=400_000):
    """Integrate the joint flow until interpolation; return ``(beta, steps)``.

    ``X`` and ``y`` are used as given (no intercept; the paper's data are
    centred in expectation). Time is measured in the units of gradient
    descent on ``(w, u)`` with ``y`` as given.
    """
    n, d = X.shape
    log_a2 = 2.0 * np.log(init_scale)
    theta, v = np.zeros(d), np.zeros(d)
    energy = y @ y / n
    direction = np.ones(d) / np.sqrt(d)
    for step in range(max_steps):
        a = np.abs(theta)
        sparse = np.sign(theta) * np.exp(log_a2 + a) * -np.expm1(-2 * a)
        residual = y - X @ (sparse + v)
        if residual @ residual / n <= tol * energy:
            return sparse + v, step
        g = -(X.T @ residual) / n
        # Curvature of the joint flow: H weighted by 4 dbeta/dtheta + kappa.
        weight = np.sqrt(4 * np.exp(log_a2 + a) * (1 + np.exp(-2 * a)) + kappa)
        for _ in range(2):  # warm-started power iteration
            image = weight * (X.T @ (X @ (weight * direction))) / n
            top = np.linalg.norm(image)
            direction = image / top
        eta = min(0.3 / (1.2 * top), 0.2 / (4 * np.abs(g).max()))
        theta -= 4 * eta * g
        v -= kappa * eta * g
    return sparse + v, max_steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--noise", type=float, nargs="+", default=[0.5, 1.0])
    parser.add_argument(
        "--kappa", type=float, nargs="+", default=[1e-2, 1e-3, 3e-4, 1e-4]
    )
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--d", type=int, default=4000)
    parser.add_argument("--init-scale", type=float, default=1e-30)
    parser.add_argument("--quick", action="store_true", help="tiny sizes")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.n, args.d = 1, 30, 200
        args.noise, args.kappa = [0.5], [1e-2, 1e-3]
    rows = []
    for noise in args.noise:
        for seed in range(args.seeds):
            X, y, coef = make_sparse_regression(
                args.n, args.d, 5, noise=noise, random_state=seed
            )
            switch = ImplicitRegInterpolator(init_scale=args.init_scale).fit(X, y)
            row = {
                "noise": noise,
                "seed": seed,
                "switch": excess_risk(switch.coef_, coef),
            }
            for kappa in args.kappa:
                start = time.perf_counter()
                beta, steps = joint_flow(
                    X, y - y.mean(), init_scale=args.init_scale, kappa=kappa
                )
                row[kappa] = excess_risk(beta, coef)
                print(
                    f"[noise {noise} seed {seed}] kappa={kappa:g}: {steps} steps, "
                    f"{time.perf_counter() - start:.1f} s",
                    file=sys.stderr,
                )
            rows.append(row)
    header = ["noise", "seed", "switch"] + [f"kappa={k:g}" for k in args.kappa]
    print(f"n={args.n} d={args.d} s=5, init_scale={args.init_scale:g}: excess risk")
    print("  ".join(f"{h:>12}" for h in header))
    for row in rows:
        cells = [f"{row['noise']:>12g}", f"{row['seed']:>12d}"]
        cells += [f"{row[k]:>12.3f}" for k in ["switch", *args.kappa]]
        print("  ".join(cells))
    return rows


if __name__ == "__main__":
    main()
