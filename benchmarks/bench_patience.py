"""What a shorter wait after the minimum would save, and what it would cost.

The cross-validation's folds run until the stopping policy
(``sk_implicit._stopping.StoppingPolicy``) calls the minimum of their mean
validation curve settled: by default, a rise of ``rise = 5%`` at more than
``patience = 2`` times the minimum's time, or any rise at ``patience**2``
times it. On the paper's design a third of the batch's iterations come
after the chosen time (issue 10). This script measures, on the draws of
``bench_risk.py``'s grid, what other parameters would do:

- each draw is fitted once with the defaults, logging every call of the
  policy (the mean curve's length and the folds' training progress at each
  iteration of the batch);
- each alternative policy is replayed on that log: the mean curve is
  append-only, so its prefix at an iteration is exactly what the policy saw
  then, and the iteration at which the alternative stops, and the time it
  would choose (the first minimum of that prefix), are exact;
- where the chosen time changes, the model at the new time (same
  ``init_scale_``, ``dense_start`` fixed to it) is fitted and scored by the
  exact excess risk.

Printed per setting and policy: the batch's iterations summed over the seeds
against the default's, and each draw whose time changed with its risk over
the default's. Run::

    python benchmarks/bench_patience.py                        # grid, 5 seeds
    python benchmarks/bench_patience.py --settings paper --seeds 2
    python benchmarks/bench_patience.py --policy patience=1.5 rise=0.02
    python benchmarks/bench_patience.py --quick                # tiny, for tests
"""

import argparse
import warnings
from unittest import mock

import numpy as np
from bench_risk import parse_settings

import sk_implicit._stopping as stopping
from sk_implicit import ImplicitRegInterpolator

DEFAULT_POLICIES = ["patience=1.5", "patience=1.7", "rise=0.02"]


class _Prefix:
    """A :class:`ValidationCurves` as it stood when its mean had ``length`` points."""

    def __init__(self, curves, length):
        self.mean = curves.mean[:length]
        self.log_ratio = curves.log_ratio
        self.start = curves.start
        self.best = int(np.argmin(self.mean)) if length else 0

    def grid_time(self, index):
        return self.start * np.exp(self.log_ratio * index)


def fit_logging_the_policy(X, y):
    """The default fit, and its policy's calls: ``[(curves, length, progress)]``."""
    log = []
    check = stopping.StoppingPolicy.check

    def logging_check(self, curves, train_losses):
        log.append((curves, len(curves.mean), np.array(train_losses, dtype=float)))
        return check(self, curves, train_losses)

    with (
        mock.patch.object(stopping.StoppingPolicy, "check", logging_check),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        model = ImplicitRegInterpolator().fit(X, y)
    return model, log


def replay(policy, log):
    """``(iteration, grid index chosen)`` of ``policy`` on a logged run."""
    for iteration, (curves, length, progress) in enumerate(log):
        if policy.check(_Prefix(curves, length), progress) is not None:
            return iteration, _Prefix(curves, length).best
    curves, length, _ = log[-1]
    return len(log) - 1, _Prefix(curves, length).best


def parse_policy(spec):
    """``"patience=1.5,rise=0.02"`` -> ``{"patience": 1.5, "rise": 0.02}``."""
    try:
        params = {
            key.strip(): float(value)
            for key, value in (part.split("=", 1) for part in spec.split(","))
        }
        stopping.StoppingPolicy(**params)  # unknown keywords fail here
    except (ValueError, TypeError) as exc:
        raise SystemExit(f"bad --policy {spec!r}: {exc}") from None
    return params


def run(settings, seeds, policies):
    """Replay every policy on every draw; print and return the rows."""
    out = {}
    for name, setting in settings.items():
        rows = []
        for seed in range(seeds):
            X, y, true_coef = setting.draw(seed)
            model, log = fit_logging_the_policy(X, y)
            if not log:  # no cross-validation ran (a least-squares design)
                continue
            curves = log[0][0]
            row = {"seed": seed, "default": replay(stopping.StoppingPolicy(), log)}
            for label, params in policies.items():
                iteration, best = replay(stopping.StoppingPolicy(**params), log)
                risk_ratio = 1.0
                if best != row["default"][1]:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        other = ImplicitRegInterpolator(
                            init_scale=model.init_scale_,
                            dense_start=float(curves.grid_time(best)),
                        ).fit(X, y)
                    risk_ratio = setting.risk(other.coef_, true_coef) / setting.risk(
                        model.coef_, true_coef
                    )
                row[label] = (iteration, best, risk_ratio)
            rows.append(row)
        out[name] = rows
        base = sum(r["default"][0] + 1 for r in rows)
        print(f"== {name}: {len(rows)} draws, default {base} iterations ==")
        for label in policies:
            total = sum(r[label][0] + 1 for r in rows)
            change = 100 * (total / base - 1)
            moved = [
                f"seed {r['seed']} risk x{r[label][2]:.2f}"
                for r in rows
                if r[label][1] != r["default"][1]
            ]
            print(
                f"  {label:24s} {total:6d} iterations ({change:+.1f}%)"
                f"  time changed: {', '.join(moved) or 'never'}"
            )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--settings", nargs="+", default=["all"], help="as for bench_risk.py"
    )
    parser.add_argument("--seeds", type=int, default=None, help="default 5 (1 quick)")
    parser.add_argument(
        "--policy",
        nargs="+",
        default=DEFAULT_POLICIES,
        help="StoppingPolicy keywords, one KEY=VALUE[,KEY=VALUE] per policy "
        f"(default: {' '.join(DEFAULT_POLICIES)})",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny designs (n=30) of 2 settings"
    )
    args = parser.parse_args(argv)
    names = ["paper-0.5", "ar1-0.5"] if args.quick else args.settings
    seeds = args.seeds or (1 if args.quick else 5)
    policies = {spec: parse_policy(spec) for spec in args.policy}
    return run(parse_settings(names, quick=args.quick), seeds, policies)


if __name__ == "__main__":
    main()
