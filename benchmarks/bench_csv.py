"""Speed of the main job's CSV reader against ``pandas.read_csv``.

Writes a numeric CSV file of ``--rows`` x ``--cols`` cells (default 300 x
10000, with a header row) in two number formats: full precision (``repr``,
17 significant digits) and short (``%.6g``). Times, as the median of
``--repeats`` reads: ``pandas.read_csv`` (when pandas is installed),
``sk_implicit.cli.data.read_csv`` (numpy's C parser, what ``--data`` uses)
and the line-by-line parser it falls back to for error messages (the main
job's reader before numpy's). Prints the times and the ratios to pandas;
the goal is a ratio of at most 1.5.

    python benchmarks/bench_csv.py
    python benchmarks/bench_csv.py --rows 1000 --cols 2000 --repeats 5
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from _timing import median_time

from sk_implicit.cli import data as data_module

GOAL = 1.5


def write_file(path, n_rows, n_cols, fmt, seed=0):
    """A numeric CSV with a header ``x0, ..., y``; ``fmt`` None means repr."""
    values = np.random.default_rng(seed).standard_normal((n_rows, n_cols))
    names = [f"x{j}" for j in range(n_cols - 1)] + ["y"]
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for row in values:
            cells = map(repr, row.tolist()) if fmt is None else (fmt % v for v in row)
            f.write(",".join(cells) + "\n")
    return values


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--cols", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--skip-slow", action="store_true", help="do not time the line parser"
    )
    args = parser.parse_args(argv)
    try:
        import pandas as pd
    except ImportError:
        pd = None
        print("pandas is not installed: no ratio to pandas", file=sys.stderr)

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, fmt in [("repr (17 digits)", None), ("%.6g", "%.6g")]:
            path = Path(tmp) / "data.csv"
            values = write_file(path, args.rows, args.cols, fmt)
            size_mb = path.stat().st_size / 1e6
            print(
                f"{label}: {args.rows} x {args.cols} cells, {size_mb:.0f} MB",
                file=sys.stderr,
            )
            row = {}
            t_ours, (X, y, _) = median_time(
                lambda: data_module.read_csv(path, "y"), args.repeats
            )
            row["sk-implicit read_csv"] = t_ours
            # The reader returns the file's numbers: exactly for repr, to the
            # 6 significant digits written otherwise.
            read = np.column_stack([X, y])
            if fmt is None:
                assert np.array_equal(read, values)
            else:
                np.testing.assert_allclose(read, values, rtol=5e-6, atol=0)
            if pd is not None:
                row["pandas.read_csv"], _ = median_time(
                    lambda: pd.read_csv(path), args.repeats
                )
            if not args.skip_slow:
                header, delimiter = data_module._read_header(path)
                row["line-by-line parser"], _ = median_time(
                    lambda: data_module._parse_line_by_line(path, header, delimiter),
                    1,
                )
            results[label] = row

    print(
        f"CSV reading, {args.rows} x {args.cols} cells, median of "
        f"{args.repeats} (seconds; ratio to pandas.read_csv)"
    )
    for label, row in results.items():
        base = row.get("pandas.read_csv")
        for name, seconds in row.items():
            ratio = f"{seconds / base:.2f}x" if base else "-"
            print(f"  {label:17s} {name:22s} {seconds:7.3f}s  {ratio}")
        if base:
            ratio = row["sk-implicit read_csv"] / base
            verdict = "PASS" if ratio <= GOAL else "FAIL"
            print(
                f"  {label:17s} sk-implicit / pandas = {ratio:.2f} "
                f"(goal <= {GOAL}): {verdict}"
            )
            row["ratio"] = ratio
    return results


if __name__ == "__main__":
    main()
