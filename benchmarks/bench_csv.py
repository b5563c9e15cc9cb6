"""Speed of the main job's CSV reader against ``pandas.read_csv``.

Writes a numeric CSV file of ``--rows`` x ``--cols`` cells (default 300 x
10000, with a header row) in two number formats: full precision (``repr``,
17 significant digits) and short (``%.6g``). Times, as the median of
``--repeats`` reads taking turns, in wall-clock and CPU time:
``sk_implicit.cli.data.read_csv`` (numpy's C parser, what ``--data`` uses),
``pandas.read_csv`` (when pandas is installed), and once the line-by-line
parser that the reader falls back to only to locate errors (the main job's
reader before numpy's). Prints the times and the ratios to pandas; the goal
is a ratio of at most 1.5, judged in CPU time: both parsers are
single-threaded, and CPU time is far less sensitive than wall time to other
jobs on the machine.

    python benchmarks/bench_csv.py
    python benchmarks/bench_csv.py --rows 1000 --cols 2000 --repeats 5
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sk_implicit.cli import data as data_module

GOAL = 1.5
OURS = "sk-implicit read_csv"
PANDAS = "pandas.read_csv"
SLOW = "line-by-line parser"


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


def _timed(func):
    """Wall-clock and CPU seconds of one call, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = func()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def time_readers(readers, repeats):
    """Median wall and CPU seconds of each reader, the readers taking turns.

    Taking turns (one read of each, then again) puts them under the same
    machine load; CPU time, which a busy machine inflates far less than wall
    time, is the fair measure for these single-threaded parsers.
    """
    times = {name: ([], []) for name in readers}
    results = {}
    for _ in range(repeats):
        for name, func in readers.items():
            wall, cpu, results[name] = _timed(func)
            times[name][0].append(wall)
            times[name][1].append(cpu)
    medians = {
        name: (float(np.median(w)), float(np.median(c)))
        for name, (w, c) in times.items()
    }
    return medians, results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--cols", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
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
            readers = {OURS: lambda: data_module.read_csv(path, "y")}
            if pd is not None:
                readers[PANDAS] = lambda: pd.read_csv(path)
            row, read = time_readers(readers, args.repeats)
            # The reader returns the file's numbers: exactly for repr, to the
            # 6 significant digits written otherwise.
            X, y, _ = read[OURS]
            read = np.column_stack([X, y])
            if fmt is None:
                assert np.array_equal(read, values)
            else:
                np.testing.assert_allclose(read, values, rtol=5e-6, atol=0)
            if not args.skip_slow:
                header, delimiter = data_module._read_header(path)
                slow = {
                    SLOW: lambda: data_module._parse_line_by_line(
                        path, header, delimiter
                    )
                }
                row.update(time_readers(slow, 1)[0])
            results[label] = row

    print(
        f"CSV reading, {args.rows} x {args.cols} cells, median of "
        f"{args.repeats} (seconds; ratio to pandas.read_csv)"
    )
    print(
        f"  {'file':17s} {'reader':22s} {'wall':>8s} {'ratio':>6s} {'CPU':>8s} "
        f"{'ratio':>6s}"
    )
    for label, row in results.items():
        base = row.get(PANDAS)
        for name, (wall, cpu) in row.items():
            ratios = (
                (f"{wall / base[0]:5.2f}x", f"{cpu / base[1]:5.2f}x")
                if base
                else ("-", "-")
            )
            print(
                f"  {label:17s} {name:22s} {wall:7.3f}s {ratios[0]:>6s} "
                f"{cpu:7.3f}s {ratios[1]:>6s}"
            )
        if base:
            wall_ratio = row[OURS][0] / base[0]
            cpu_ratio = row[OURS][1] / base[1]
            verdict = "PASS" if cpu_ratio <= GOAL else "FAIL"
            print(
                f"  {label:17s} sk-implicit / pandas = {cpu_ratio:.2f} in CPU "
                f"time, {wall_ratio:.2f} in wall time (goal <= {GOAL} in CPU "
                f"time): {verdict}"
            )
            results[label] = {**row, "cpu_ratio": cpu_ratio, "wall_ratio": wall_ratio}
    return results


if __name__ == "__main__":
    main()
