"""The command-line main job: ``python -m sk_implicit`` and ``sk-implicit``.

Without arguments it reproduces the experiment of Zhou & Ge, "Implicit
Regularization Leads to Benign Overfitting for Sparse Linear Regression" (ICML
2023) on synthetic data; with ``--data FILE --target COLUMN`` it
cross-validates the same estimators on the user's data. See ``--help``.

This subpackage is the application: it imports the library
(:mod:`sk_implicit`), which never imports it. Its modules, one per idea:

- :mod:`.options`: the command's options;
- :mod:`.runner`: the fits, with whether each interpolated and converged;
- :mod:`.progress`: the progress on stderr, with the time left;
- :mod:`.data`: reading the user's data (CSV by numpy, the rest by pandas);
- :mod:`.tables`, :mod:`.figures`, :mod:`.report`: what the job shows.
"""

import sys
import time

from .data import DataError, load_data
from .figures import MISSING_MATPLOTLIB, cv_figure, have_matplotlib, synthetic_figure
from .options import build_parser
from .report import REPORT_FORMATS, command_line, report_format, write_report
from .runner import run_cross_validation, run_synthetic
from .tables import cv_table, synthetic_table

__all__ = ["main"]


def _error(message):
    """The one-line error of the command line: no traceback, exit code 2."""
    print(f"sk-implicit: error: {message}", file=sys.stderr)
    return 2


class _JobError(Exception):
    """An error to report in one line, with exit code 2."""


def _figure(make, args):
    """The figure's PNG when a file or the report needs it, else None."""
    if args.no_plot and args.report is None:
        return None
    if not have_matplotlib():
        print(MISSING_MATPLOTLIB, file=sys.stderr)
        return None
    return make()


def _write(path, content, what):
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            content(path)
    except OSError as exc:
        raise _JobError(f"cannot write the {what} {path}: {exc.strerror or exc}")
    print(f"{what} written to {path}")


def _finish(args, argv, table, png, figure_name, title, start):
    """Print the table; write the figure and the report."""
    print(table.to_text())
    if png is not None and not args.no_plot:
        _write(args.out / figure_name, png, "figure")
    elapsed = time.perf_counter() - start
    if args.report is not None:

        def report(path):
            write_report(
                path,
                title=title,
                tables=[table],
                png=png,
                command=command_line(argv),
                elapsed=elapsed,
            )

        _write(args.report, report, "report")
    print(f"total time {elapsed:.1f}s")
    return 0


def _run_synthetic(args, argv):
    if args.n_informative > min(args.n_features):
        raise _JobError(
            f"--n-informative {args.n_informative} exceeds the smallest "
            f"--n-features {min(args.n_features)}"
        )
    setting = dict(
        n_samples=args.n_samples, n_informative=args.n_informative, noise=args.noise
    )
    start = time.perf_counter()
    records = run_synthetic(
        n_features=sorted(set(args.n_features)),
        n_seeds=args.seeds,
        n_jobs=args.n_jobs,
        progress=not args.quiet,
        **setting,
    )
    table = synthetic_table(records, **setting)
    png = _figure(lambda: synthetic_figure(records, **setting), args)
    title = "sk-implicit: benign overfitting on sparse synthetic data"
    return _finish(args, argv, table, png, "sk_implicit_excess_risk.png", title, start)


def _run_cv(args, argv):
    try:
        X, y, _ = load_data(args.data, args.target)
    except DataError as exc:
        raise _JobError(str(exc)) from None
    n_samples, n_features = X.shape
    if n_samples < args.folds:
        raise _JobError(
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
    title = (
        f"{args.folds}-fold cross-validation on {args.data} (n={n_samples}, "
        f"d={n_features}), target {args.target!r}"
    )
    table = cv_table(records, title=[title])
    png = _figure(lambda: cv_figure(records, title=title), args)
    return _finish(
        args,
        argv,
        table,
        png,
        "sk_implicit_cv_scores.png",
        f"sk-implicit: {title}",
        start,
    )


def main(argv=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; ``None`` means ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 2 on a usage or data error (argparse's own usage errors,
        ``--help`` and ``--version`` raise ``SystemExit`` as usual).
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
    if args.report is not None:
        if report_format(args.report) is None:
            suffixes = ", ".join(sorted(REPORT_FORMATS))
            return _error(f"--report {args.report}: the name must end in {suffixes}")
        if args.report.is_dir():
            return _error(f"--report {args.report} is a directory")
    try:
        if args.data is not None:
            return _run_cv(args, argv)
        return _run_synthetic(args, argv)
    except _JobError as exc:
        return _error(str(exc))
