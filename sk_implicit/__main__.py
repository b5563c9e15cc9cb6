"""``python -m sk_implicit`` / ``sk-implicit``: the paper's experiment, or CV on a CSV.

Without arguments, reproduces the experiment of Zhou & Ge, "Implicit
Regularization Leads to Benign Overfitting for Sparse Linear Regression" (ICML
2023) on synthetic data; with ``--data FILE --target COLUMN``, cross-validates
the same estimators on the user's data. See ``--help``.
"""

import argparse
import sys
import time
from pathlib import Path

_DESCRIPTION = """\
Interpolators that overfit benignly, against the Lasso.

Without --data: the experiment of Zhou & Ge, "Implicit Regularization Leads to
Benign Overfitting for Sparse Linear Regression" (ICML 2023). Sparse linear
data (Gaussian design, s informative features, Gaussian noise, n << d) for each
d; fits ImplicitRegInterpolator, MinL1Interpolator, MinL2Interpolator, LassoCV
and the two-step LassoCV + min-l2 residual interpolator; prints the exact
excess risk ||coef - coef*||^2 per d, the training error and the fit time, and
writes a figure of the excess risk against d.

With --data FILE --target COLUMN: K-fold cross-validation of the same
estimators on a numeric CSV file with a header row (features standardised,
ImplicitRegInterpolator's init_scale grid-searched inside the folds); prints
test R^2 and MSE, training error and fit time, and writes a figure of the
per-fold scores.
"""

_EPILOG = """\
examples:
  python -m sk_implicit
  python -m sk_implicit --n-features 500 2000 --seeds 5 --out results/
  python -m sk_implicit --data houses.csv --target price --folds 10
"""


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _non_negative_float(text):
    value = float(text)
    if not 0 <= value < float("inf"):  # also rejects nan
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _positive_float(text):
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def build_parser():
    """The command's argument parser.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="sk-implicit",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    synthetic = parser.add_argument_group("synthetic experiment (default)")
    synthetic.add_argument(
        "--n-samples", type=_positive_int, default=100, help="n (default: 100)"
    )
    synthetic.add_argument(
        "--n-features",
        type=_positive_int,
        nargs="+",
        default=[250, 500, 1000, 2000, 4000],
        metavar="D",
        help="values of d (default: 250 500 1000 2000 4000)",
    )
    synthetic.add_argument(
        "--n-informative",
        type=_positive_int,
        default=5,
        help="sparsity s of the true coefficients (default: 5)",
    )
    synthetic.add_argument(
        "--noise",
        type=_non_negative_float,
        default=0.5,
        help="noise standard deviation (default: 0.5)",
    )
    synthetic.add_argument(
        "--seeds",
        type=_positive_int,
        default=3,
        metavar="K",
        help="number of random draws per d, seeds 0..K-1 (default: 3)",
    )
    data = parser.add_argument_group("cross-validation on your data")
    data.add_argument(
        "--data", metavar="FILE.csv", help="numeric CSV file with a header row"
    )
    data.add_argument("--target", metavar="COLUMN", help="name of the target column")
    data.add_argument(
        "--folds", type=_positive_int, default=5, help="number of folds (default: 5)"
    )
    data.add_argument(
        "--inner-folds",
        type=_positive_int,
        default=3,
        help="folds of the inner grid search over init_scale (default: 3)",
    )
    data.add_argument(
        "--init-scales",
        type=_positive_float,
        nargs="+",
        default=[1e-10, 1e-6, 1e-3, 1e-1],
        metavar="A",
        help="grid of ImplicitRegInterpolator's init_scale (default: 1e-10 1e-6 "
        "1e-3 1e-1)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--out",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="directory for the figure (default: current directory)",
    )
    output.add_argument("--no-plot", action="store_true", help="write no figure")
    output.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar on stderr"
    )
    output.add_argument(
        "--n-jobs",
        type=int,
        default=-1,
        metavar="N",
        help="parallel fits (default: -1, all cores; 1: sequential)",
    )
    return parser


def _error(message):
    """The one-line error of the command line: no traceback, exit code 2."""
    print(f"sk-implicit: error: {message}", file=sys.stderr)
    return 2


def _run_synthetic(args):
    from ._experiment import format_synthetic_table, plot_synthetic, run_synthetic

    setting = dict(
        n_samples=args.n_samples, n_informative=args.n_informative, noise=args.noise
    )
    if args.n_informative > min(args.n_features):
        return _error(
            f"--n-informative {args.n_informative} exceeds the smallest "
            f"--n-features {min(args.n_features)}"
        )
    start = time.perf_counter()
    records = run_synthetic(
        n_features=sorted(set(args.n_features)),
        n_seeds=args.seeds,
        n_jobs=args.n_jobs,
        progress=not args.quiet,
        **setting,
    )
    print(format_synthetic_table(records, **setting))
    if not args.no_plot:
        _write_figure(
            plot_synthetic, records, args.out / "sk_implicit_excess_risk.png", setting
        )
    print(f"total time {time.perf_counter() - start:.1f}s")
    return 0


def _run_cv(args):
    from ._experiment import (
        DataError,
        format_cv_table,
        plot_cv,
        read_csv,
        run_cross_validation,
    )

    try:
        X, y, _ = read_csv(args.data, args.target)
    except DataError as exc:
        return _error(str(exc))
    n_samples, n_features = X.shape
    if n_samples < args.folds:
        return _error(
            f"{args.data} has {n_samples} rows, fewer than --folds {args.folds}"
        )
    start = time.perf_counter()
    records = run_cross_validation(
        X,
        y,
        folds=args.folds,
        n_jobs=args.n_jobs,
        progress=not args.quiet,
        init_scales=args.init_scales,
        inner_cv=args.inner_folds,
    )
    title = [
        f"{args.folds}-fold cross-validation on {args.data} (n={n_samples}, "
        f"d={n_features}), target {args.target!r}",
        "train err = training MSE / var(y), fit s = mean seconds per fit",
    ]
    print(format_cv_table(records, title=title))
    if not args.no_plot:
        _write_figure(
            plot_cv,
            records,
            args.out / "sk_implicit_cv_scores.png",
            {"title": title[0]},
        )
    print(f"total time {time.perf_counter() - start:.1f}s")
    return 0


def _write_figure(plot, records, path, kwargs):
    from ._experiment import MISSING_MATPLOTLIB

    path.parent.mkdir(parents=True, exist_ok=True)
    written = plot(records, path, **kwargs)
    if written is None:
        print(MISSING_MATPLOTLIB, file=sys.stderr)
    else:
        print(f"figure written to {written}")


def main(argv=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; ``None`` means ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 2 on a usage or data error (argparse's own usage errors
        and ``--help`` raise ``SystemExit`` as usual).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.data is None and args.target is not None:
        parser.error("--target needs --data")
    if args.data is not None:
        if args.target is None:
            parser.error("--data needs --target COLUMN")
        if args.folds < 2:
            parser.error("--folds must be at least 2")
        if args.inner_folds < 2:
            parser.error("--inner-folds must be at least 2")
    if args.out.exists() and not args.out.is_dir():
        return _error(f"--out {args.out} is not a directory")
    if args.data is not None:
        return _run_cv(args)
    return _run_synthetic(args)


if __name__ == "__main__":
    sys.exit(main())
