"""The options of the ``sk-implicit`` command."""

import argparse
from pathlib import Path

from .. import __version__

__all__ = ["build_parser"]

_DESCRIPTION = """\
Interpolators that overfit benignly, against the Lasso.

Without --data: the experiment of Zhou & Ge, "Implicit Regularization Leads to
Benign Overfitting for Sparse Linear Regression" (ICML 2023). Sparse linear
data (Gaussian design, s informative features, Gaussian noise, n << d) for each
d; fits ImplicitRegInterpolator, MinL1Interpolator, MinL2Interpolator, LassoCV
and ResidualInterpolator(LassoCV()) (the Lasso plus the minimum-l2 interpolant
of its residual), and two references that know the true support: the oracle
least squares and the interpolation limit (the oracle plus the minimum-l2
interpolant of its residual). Prints the exact excess risk ||coef - coef*||^2
per d, whether every interpolator interpolated and every fit converged, and
writes a figure of the excess risk against d.

With --data FILE --target COLUMN: K-fold cross-validation of the same
estimators on a numeric data set (CSV with a header row; Parquet, Feather,
Excel and the other formats pandas reads when pandas is installed); features
standardised; ImplicitRegInterpolator with its defaults (or its init_scale
searched by an inner cross-validation with --init-scales). Prints test R^2 and
MSE, training error, interpolation and convergence, and writes a figure of the
per-fold scores.
"""

_EPILOG = """\
examples:
  python -m sk_implicit
  python -m sk_implicit --n-features 500 2000 --seeds 5 --out results/
  python -m sk_implicit --report report.html
  python -m sk_implicit --data houses.csv --target price --folds 10
  python -m sk_implicit --data houses.parquet --target price --report houses.md
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
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
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
        "--data",
        metavar="FILE",
        help="numeric data with named columns: CSV (.csv, .tsv, .txt) with a "
        "header row, or with pandas installed any file it reads (.parquet, "
        ".feather, .xlsx, .json, compressed CSV, ...)",
    )
    data.add_argument("--target", metavar="COLUMN", help="name of the target column")
    data.add_argument(
        "--folds", type=_positive_int, default=5, help="number of folds (default: 5)"
    )
    data.add_argument(
        "--inner-folds",
        type=_positive_int,
        default=3,
        help="folds of the inner search over --init-scales (default: 3)",
    )
    data.add_argument(
        "--init-scales",
        type=_positive_float,
        nargs="+",
        default=None,
        metavar="A",
        help="grid of ImplicitRegInterpolator's init_scale, searched by an inner "
        "cross-validation (default: none, the estimator's default init_scale "
        "with its own cross-validated switch time)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--out",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="directory for the figure (default: current directory)",
    )
    output.add_argument("--no-plot", action="store_true", help="write no figure file")
    output.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="also write one self-contained report (.html or .md): the command "
        "line, the table, the figure and the package versions",
    )
    output.add_argument(
        "-q", "--quiet", action="store_true", help="no progress on stderr"
    )
    output.add_argument(
        "--n-jobs",
        type=int,
        default=-1,
        metavar="N",
        help="parallel fits (default: -1, all cores; 1: sequential)",
    )
    return parser
