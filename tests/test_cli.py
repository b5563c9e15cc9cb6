"""The command line: ``python -m sk_implicit`` and ``sk-implicit``.

The new options are tested end to end in a subprocess, as a user runs them;
the pieces (tables, progress, data reading) also in-process, where it is
faster. Sizes are tiny: a fit takes a fraction of a second.
"""

import ast
import base64
import io
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

import sk_implicit
from sk_implicit.cli import main
from sk_implicit.cli.data import DataError, load_data, read_csv
from sk_implicit.cli.figures import have_matplotlib
from sk_implicit.cli.progress import Progress
from sk_implicit.cli.runner import (
    ESTIMATOR_NAMES,
    LASSO,
    REFERENCE_NAMES,
    relative_mse,
    run_cross_validation,
    run_synthetic,
)
from sk_implicit.cli.tables import cv_table, synthetic_table

PACKAGE = Path(sk_implicit.__file__).parent
ROOT = PACKAGE.parent

# Small problems and sequential fits keep every command to seconds.
FAST = ["--n-jobs", "1", "--quiet"]
TINY = ["--n-samples", "30", "--n-features", "60", "--seeds", "1"]
INTERPOLATORS = [name for name in ESTIMATOR_NAMES if name != LASSO]


def run(args, *, code=None, cwd=None, timeout=120):
    """Run ``python -m sk_implicit ARGS`` (or ``python -c CODE ARGS``)."""
    command = (
        [sys.executable, "-m", "sk_implicit"]
        if code is None
        else [
            sys.executable,
            "-c",
            code,
        ]
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(
        [*command, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )


def parse_table(text):
    """``{row name: {column: cell}}`` from a table printed by the command."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line and set(line) == {"-"})
    # Names contain single spaces ("train err"); cells are 2+ spaces apart.
    header = re.split(r"\s{2,}", lines[rule - 1].strip())
    table = {}
    for line in lines[rule + 1 :]:
        if not line.strip() or set(line) == {"-"}:
            continue
        notes = ("note:", "figure", "report", "total", "WARNING", "references")
        if line.startswith((*notes, "interpolation:", "convergence:")):
            continue
        cells = re.split(r"\s{2,}", line.strip())
        assert len(cells) == len(header), line
        table[cells[0]] = dict(zip(header[1:], cells[1:]))
    return table


def write_csv(path, X, y, *, target="y", delimiter=","):
    names = [f"x{j}" for j in range(X.shape[1])]
    lines = [delimiter.join([*names, target])]
    data = np.column_stack([X, y]).tolist()
    lines += [delimiter.join(map(repr, row)) for row in data]
    path.write_text("\n".join(lines) + "\n")
    return path


def sparse_data(n_samples, n_features, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    y = X[:, :3] @ np.array([2.0, -1.5, 1.0]) + 0.3 * rng.standard_normal(n_samples)
    return X, y


def assert_one_line_error(result, message):
    """``result``: a finished subprocess (exit code 2), or pytest's capsys."""
    if hasattr(result, "readouterr"):
        captured = result.readouterr()
        out, err = captured.out, captured.err.strip()
    else:
        assert result.returncode == 2, result.stderr
        out, err = result.stdout, result.stderr.strip()
    assert out == ""
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith("sk-implicit: error:"), err
    assert message in err, err


# --------------------------------------------------------------------------
# Library and application apart


def _library_modules():
    return [
        path
        for path in PACKAGE.glob("*.py")
        if path.name != "__main__.py"  # the command's entry point
    ]


def test_library_source_never_imports_the_application():
    # Every import statement of the library, at module level or inside a
    # function: none may reach the command line, argparse or matplotlib.
    forbidden = {"argparse", "matplotlib", "sk_implicit.cli"}
    assert len(_library_modules()) >= 8
    for path in _library_modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:  # relative: .cli, or "from . import cli"
                    names = [f"sk_implicit.{module}".rstrip(".")]
                    names += [f"sk_implicit.{alias.name}" for alias in node.names]
                else:
                    names = [module]
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                assert root not in forbidden and not name.startswith(
                    "sk_implicit.cli"
                ), f"{path.name} imports {name}"


def test_importing_the_library_loads_no_application_module():
    # In a fresh interpreter. argparse cannot be tested this way: scipy
    # imports it itself (scipy's array-API layer touches numpy.testing,
    # which imports unittest, which imports argparse), so the source check
    # above is what keeps it out of the library.
    code = (
        "import sys, json, scipy.linalg; dep = 'argparse' in sys.modules; "
        "import sk_implicit; "
        "print(json.dumps({'argparse_by_scipy': dep, 'modules': "
        "sorted(m for m in sys.modules if m.startswith(('matplotlib', "
        "'sk_implicit.cli')))}))"
    )
    result = run([], code=code)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["modules"] == []
    # If scipy stops importing argparse, this test must be made stricter.
    assert found["argparse_by_scipy"], "scipy no longer imports argparse"


# --------------------------------------------------------------------------
# The synthetic experiment


def test_synthetic_experiment(tmp_path, capsys):
    args = ["--n-samples", "40", "--n-features", "100", "200", "--seeds", "1"]
    assert main([*args, "--out", str(tmp_path), *FAST]) == 0
    out = capsys.readouterr().out
    table = parse_table(out)
    assert list(table) == [*ESTIMATOR_NAMES, *REFERENCE_NAMES]
    for name, row in table.items():
        assert list(row) == [
            "d=100",
            "d=200",
            "max train err",
            "interpolated",
            "converged",
            "fit s",
        ]
        assert row["converged"] == "2/2", name
    # Everyone but the Lasso and the oracle fits the training data exactly;
    # the minimum-l2 interpolator misses the sparse signal that the others
    # find; the oracle is the best of all.
    for name in [*INTERPOLATORS, "interpolation limit"]:
        assert table[name]["interpolated"] == "2/2", name
        assert float(table[name]["max train err"]) <= 1e-6, name
    for name in [LASSO, "oracle least squares"]:
        assert table[name]["interpolated"] == "-"
        assert float(table[name]["max train err"]) > 1e-3
    risk = {name: float(row["d=200"]) for name, row in table.items()}
    assert risk["ImplicitRegInterpolator"] < risk["MinL2Interpolator"]
    assert risk["oracle least squares"] == min(risk.values())
    assert "interpolation: every fit of the 5 interpolators interpolated" in out
    assert "convergence: all 14 fits converged" in out
    figure = tmp_path / "sk_implicit_excess_risk.png"
    assert figure.read_bytes().startswith(b"\x89PNG")
    assert str(figure) in out


def test_report_html_end_to_end(tmp_path):
    pytest.importorskip("matplotlib")
    # The job runs in a fresh interpreter, which then says whether pyplot
    # (matplotlib's global state machine) was imported and whether the
    # backend setting (read raw: reading rcParams["backend"] resolves it,
    # which imports pyplot) changed. The figure is drawn with Figure + Agg.
    code = (
        "import sys, matplotlib\n"
        "backend = lambda: dict.__getitem__(matplotlib.rcParams, 'backend')\n"
        "before = backend()\n"
        "from sk_implicit.cli import main\n"
        "status = main(sys.argv[1:])\n"
        "print('pyplot' if 'matplotlib.pyplot' in sys.modules else 'no pyplot')\n"
        "print('same backend' if backend() == before else 'backend changed')\n"
        "sys.exit(status)"
    )
    report = tmp_path / "sub" / "report.html"
    args = [*TINY, "--n-jobs", "1", "--no-plot", "--report", report]
    result = run(args, code=code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == ["no pyplot", "same backend"]
    assert f"report written to {report}" in result.stdout
    assert not list(tmp_path.glob("*.png"))  # --no-plot: the report only
    text = report.read_text()
    assert text.startswith("<!DOCTYPE html>")
    # The command line, the table, the notes, the figure, the versions.
    assert "sk-implicit --n-samples 30 --n-features 60 --seeds 1" in text
    for name in [*ESTIMATOR_NAMES, *REFERENCE_NAMES]:
        assert f"<td>{name}</td>" in text
    assert "interpolation: every fit of the 5 interpolators interpolated" in text
    (png,) = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert base64.b64decode(png).startswith(b"\x89PNG")
    for package in ["numpy", "scipy", "scikit-learn", "matplotlib"]:
        assert f"<td>{package}</td>" in text
    assert f"<td>{sk_implicit.__version__}</td>" in text
    # Self-contained: nothing loaded from elsewhere.
    assert not re.search(r'(src|href)="(?!data:)', text)

    # The progress: at once, once per fit, with the time left.
    err = result.stderr.splitlines()
    assert err[0] == (
        "sk-implicit: 7 fits to run (7 models x 1 value of d x 1 seed) in this process"
    )
    assert len([line for line in err if re.search(r"\d+/7 fits", line)]) == 7
    assert "left" in err[1] and err[-1].startswith("sk-implicit: 7/7 fits")


def test_report_markdown(tmp_path, capsys):
    report = tmp_path / "report.md"
    args = [*TINY, *FAST, "--out", str(tmp_path), "--report", str(report)]
    assert main(args) == 0
    text = report.read_text()
    assert text.startswith("# sk-implicit")
    assert "| estimator | d=60 | max train err | interpolated |" in text
    assert "| ImplicitRegInterpolator |" in text
    assert "- interpolation: every fit" in text
    assert "| scikit-learn |" in text
    assert "`sk-implicit --n-samples 30" in text
    if have_matplotlib():
        assert "![figure](data:image/png;base64," in text
    else:
        assert "(no figure: matplotlib is not installed)" in text


@pytest.mark.parametrize("name", ["report.pdf", "report"])
def test_report_bad_name(tmp_path, capsys, name):
    assert main([*TINY, *FAST, "--report", str(tmp_path / name)]) == 2
    assert_one_line_error(capsys, "the name must end in .htm, .html, .md")


def test_version_python_dash_m():
    result = run(["--version"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"sk-implicit {sk_implicit.__version__}"


def test_without_matplotlib(tmp_path, capsys, monkeypatch):
    # None in sys.modules makes `import matplotlib` raise ImportError.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main([*TINY, "--out", str(tmp_path), *FAST]) == 0
    captured = capsys.readouterr()
    assert list(parse_table(captured.out))[:5] == list(ESTIMATOR_NAMES)
    assert "matplotlib is not installed" in captured.err
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------
# Interpolation and convergence, flagged


class _NeverConverges(RegressorMixin, BaseEstimator):
    """A model whose fit reports ``converged_ = False`` (for the flags)."""

    def fit(self, X, y):
        self.coef_ = np.zeros(X.shape[1])
        self.mean_ = float(np.mean(y))
        self.converged_ = False
        return self

    def predict(self, X):
        return np.full(X.shape[0], self.mean_)


def test_flags_in_the_table():
    from sk_implicit import MinL2Interpolator

    records = run_synthetic(
        20,
        [40],
        3,
        0.5,
        2,
        estimators={
            "MinL2Interpolator": MinL2Interpolator(),
            "stub": _NeverConverges(),
        },
        references=False,
        progress=False,
    )
    table = synthetic_table(records, n_samples=20, n_informative=3, noise=0.5)
    assert table.rows[1][-3:-1] == ["-", "0/2"]  # not an interpolator, stuck
    assert table.notes[-1] == (
        "WARNING: some fits did not converge (converged_ is False, or a "
        "ConvergenceWarning was raised): stub on 2 of 2 fits"
    )
    # A fit that does not interpolate is flagged with its training error.
    records[0]["interpolated"], records[0]["train_error"] = False, 0.25
    table = synthetic_table(records, n_samples=20, n_informative=3, noise=0.5)
    assert table.rows[0][-4:-1] == ["2.5e-01", "1/2", "2/2"]
    assert (
        "WARNING: not every interpolator interpolated: MinL2Interpolator on 1 of "
        "2 fits (training MSE up to 0.25 var(y))"
    ) in table.notes


def test_no_interpolant_is_explained():
    from sk_implicit import MinL2Interpolator

    # n = 20 > d = 10: no interpolant exists; MinL2 returns least squares.
    records = run_synthetic(
        20,
        [10],
        3,
        0.5,
        1,
        estimators={"MinL2Interpolator": MinL2Interpolator()},
        references=False,
        progress=False,
    )
    notes = synthetic_table(records, n_samples=20, n_informative=3, noise=0.5).notes
    assert notes[-3].startswith(
        "WARNING: not every interpolator interpolated: MinL2Interpolator on 1 of 1 fit"
    )
    assert notes[-2] == (
        "note: no interpolant exists where a training set has more rows than "
        "features (20 > 10 in 1 fit): the interpolators return least-squares "
        "fits there"
    )


def test_flags_end_to_end(tmp_path):
    # Six rows, four copies of each with different targets: any training fold
    # of 12 rows holds two copies of a row, so no interpolant exists; every
    # interpolator returns a least-squares fit, and the job must say so.
    X, y = sparse_data(24, 60)
    X = np.tile(X[:6], (4, 1))
    path = write_csv(tmp_path / "data.csv", X, y)
    # A model that reports converged_ = False joins the job's estimators.
    code = (
        "import sys\nsys.path.insert(0, sys.argv.pop(1))\n"
        "from test_cli import _NeverConverges\n"
        "from sklearn.linear_model import LassoCV\n"
        "from sk_implicit import MinL2Interpolator\n"
        "from sk_implicit.cli import main, runner\n"
        "runner.make_estimators = lambda: {'MinL2Interpolator': "
        "MinL2Interpolator(), 'LassoCV': LassoCV(), 'stub': _NeverConverges()}\n"
        "sys.exit(main(sys.argv[1:]))"
    )
    args = [Path(__file__).parent, "--data", path, "--target", "y"]
    result = run([*args, "--folds", "2", "--no-plot", *FAST], code=code)
    assert result.returncode == 0, result.stderr
    table = parse_table(result.stdout)
    assert table["MinL2Interpolator"]["interpolated"] == "0/2"
    assert float(table["MinL2Interpolator"]["max train err"]) > 1e-3
    assert table["stub"]["converged"] == "0/2"
    assert (
        "WARNING: not every interpolator interpolated: MinL2Interpolator on 2 of "
        "2 fits" in result.stdout
    )
    assert "WARNING: some fits did not converge" in result.stdout
    assert "stub on 2 of 2 fits" in result.stdout


# --------------------------------------------------------------------------
# Cross-validation on the user's data


def test_cross_validation_on_csv(tmp_path):
    # d > n per fold, so that the interpolators interpolate.
    X, y = sparse_data(36, 100)
    path = write_csv(tmp_path / "data.csv", X, y, target="response")
    args = ["--data", path, "--target", "response", "--folds", "3"]
    args += ["--inner-folds", "2", "--init-scales", "1e-3", "1e-1"]
    result = run([*args, "--out", tmp_path, "--n-jobs", "1"])
    assert result.returncode == 0, result.stderr
    table = parse_table(result.stdout)
    assert list(table) == list(ESTIMATOR_NAMES)
    assert "3-fold cross-validation on" in result.stdout
    columns = ["R2 mean", "R2 std", "MSE mean", "MSE std", "max train err"]
    columns += ["interpolated", "converged", "fit s"]
    for row in table.values():
        assert list(row) == columns
    for name in INTERPOLATORS:
        assert table[name]["interpolated"] == "3/3", name
    assert float(table[LASSO]["max train err"]) > 1e-3
    # The signal is strong: the sparse learners predict, min-l2 hardly does.
    assert float(table[LASSO]["R2 mean"]) > 0.5
    assert float(table["ImplicitRegInterpolator"]["R2 mean"]) > 0.3
    assert re.search(r"chose init_scale=\S+ \(\d folds?\)", result.stdout)
    assert (tmp_path / "sk_implicit_cv_scores.png").stat().st_size > 0
    # Progress: every fit, inner ones included (3 folds x 2 candidates x 2
    # inner folds), moves it.
    n_fits = 3 * 2 * 2 + 5 * 3
    err = result.stderr.splitlines()
    assert err[0].startswith(f"sk-implicit: {n_fits} fits to run")
    assert len([line for line in err if re.search(rf"\d+/{n_fits} fits", line)]) == (
        n_fits
    )
    assert "inner fit with init_scale=0.001" in result.stderr


def test_inner_search_equals_grid_search_cv():
    # The job runs the inner search itself (a task per fit, for the
    # progress); it must choose what GridSearchCV chooses, on every fold.
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = sparse_data(40, 30)
    model = make_pipeline(StandardScaler(), Ridge())
    grid = {"ridge__alpha": [0.01, 1.0, 30.0, 1000.0]}
    records = run_cross_validation(
        X,
        y,
        folds=3,
        estimators={"ridge": model},
        param_grids={"ridge": grid},
        inner_cv=3,
        progress=False,
    )
    splits = KFold(3, shuffle=True, random_state=0).split(X)
    for record, (train, test) in zip(records, splits):
        search = GridSearchCV(model, grid, cv=3).fit(X[train], y[train])
        assert record["best_params"] == search.best_params_
        # Same fit on the same data: equal to round-off.
        assert record["r2"] == pytest.approx(search.score(X[test], y[test]), 1e-12)
    chosen = {r["best_params"]["ridge__alpha"] for r in records}
    assert chosen <= set(grid["ridge__alpha"])


def _parquet_engine():
    pytest.importorskip("pandas", reason="pandas is not installed: no Parquet")
    for engine in ("pyarrow", "fastparquet"):
        try:
            __import__(engine)
            return engine
        except ImportError:
            pass
    pytest.skip("pandas is installed but neither pyarrow nor fastparquet")


def test_parquet_through_pandas(tmp_path):
    _parquet_engine()
    import pandas as pd

    X, y = sparse_data(24, 50)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(50)]).assign(price=y)
    path = tmp_path / "houses.parquet"
    frame.to_parquet(path)
    X_read, y_read, names = load_data(path, "price")
    np.testing.assert_array_equal(X_read, X)
    np.testing.assert_array_equal(y_read, y)
    assert names == [f"x{j}" for j in range(50)]
    args = ["--data", path, "--target", "price", "--folds", "2"]
    result = run([*args, "--init-scales", "1e-3", "--no-plot", *FAST])
    assert result.returncode == 0, result.stderr
    assert "2-fold cross-validation on" in result.stdout
    assert list(parse_table(result.stdout)) == list(ESTIMATOR_NAMES)


def test_other_pandas_formats_and_their_errors(tmp_path):
    pd = pytest.importorskip("pandas", reason="pandas is not installed")
    X, y = sparse_data(5, 3)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y)
    frame.to_json(tmp_path / "d.json", double_precision=15)
    frame.to_csv(tmp_path / "d.csv.gz", index=False)
    # JSON keeps 15 decimals here; CSV round-trips to the last bit or one ulp
    # (pandas' fast float parser).
    for name, rtol in [("d.json", 1e-13), ("d.csv.gz", 1e-15)]:
        X_read, y_read, _ = load_data(tmp_path / name, "y")
        np.testing.assert_allclose(X_read, X, rtol=rtol)
        np.testing.assert_allclose(y_read, y, rtol=rtol)
    frame.assign(a=["u", "v", "w", "x", "z"]).to_json(tmp_path / "text.json")
    with pytest.raises(DataError, match="column 'a' is not numeric"):
        load_data(tmp_path / "text.json", "y")
    frame.assign(b=[1.0, None, 2.0, 3.0, 4.0]).to_json(tmp_path / "gap.json")
    with pytest.raises(DataError, match=r"column 'b' has a missing value \(data row 2"):
        load_data(tmp_path / "gap.json", "y")
    with pytest.raises(DataError, match="column 'price' not found"):
        load_data(tmp_path / "d.json", "price")


def test_parquet_without_pandas_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    # None in sys.modules makes `import pandas` raise ImportError.
    monkeypatch.setitem(sys.modules, "pandas", None)
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1")
    assert main(["--data", str(path), "--target", "y", *FAST]) == 2
    assert_one_line_error(capsys, "reading .parquet files needs pandas")


def test_corrupt_parquet_is_a_one_line_error(tmp_path, capsys):
    _parquet_engine()
    path = tmp_path / "data.parquet"
    path.write_bytes(b"not a parquet file")
    assert main(["--data", str(path), "--target", "y", *FAST]) == 2
    assert_one_line_error(capsys, f"cannot read {path}")


def test_read_csv_semicolons_and_blank_lines(tmp_path):
    X, y = sparse_data(6, 3)
    path = write_csv(tmp_path / "data.csv", X, y, delimiter=";")
    path.write_text(path.read_text() + "\n\n")
    X_read, y_read, names = read_csv(path, "y")
    np.testing.assert_array_equal(X_read, X)  # repr round-trips exactly
    np.testing.assert_array_equal(y_read, y)
    assert names == ["x0", "x1", "x2"]


def test_read_csv_quotes_spaces_and_byte_order_mark(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes('\ufeff"a", b ,y\r\n"1", 2 ,3e0\r\n  \r\n-4.5,5,6\r\n'.encode())
    X, y, names = read_csv(path, "y")
    np.testing.assert_array_equal(X, [[1.0, 2.0], [-4.5, 5.0]])
    np.testing.assert_array_equal(y, [3.0, 6.0])
    assert names == ["a", "b"]


@pytest.mark.parametrize(
    "content, target, message",
    [
        (None, "y", "cannot read"),
        ("a,b,y\n1,2,3\n", "price", "column 'price' not found"),
        ("a,b,y\n1,2,3\n1,red,4\n", "y", "column 'b' is not numeric: 'red'"),
        ("a,b,y\n1,2,3\n1,nan,4\n", "y", "column 'b' has a missing value"),
        ("a,b,y\n1,2,3\n1,,4\n", "y", "column 'b' has a missing value"),
        ("a,b,y\n1,2,3\n1,2,inf\n", "y", "column 'y' has an infinite value"),
        ("a,b,y\n1,2,3\n1,2\n", "y", "line 3: 2 fields, expected 3"),
        ("a,b,y\n1,2,3\n# 4,5,6\n", "y", "column 'a' is not numeric: '# 4'"),
        ("a,b,y\n", "y", "no data rows"),
        ("", "y", "is empty"),
        ("y\n1\n", "y", "no feature column"),
    ],
)
def test_bad_data_one_line_error(tmp_path, capsys, content, target, message):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content)
    assert main(["--data", str(path), "--target", target, *FAST]) == 2
    assert_one_line_error(capsys, message)
    with pytest.raises(DataError, match=re.escape(message)):
        read_csv(path, target)


def test_bad_data_end_to_end(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,y\n1,2,3\n1,red,4\n")
    result = run(["--data", path, "--target", "y", *FAST])
    assert_one_line_error(result, "column 'b' is not numeric: 'red'")


def test_fewer_rows_than_folds(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("a,y\n1,2\n2,3\n")
    assert main(["--data", str(path), "--target", "y", *FAST]) == 2
    assert "fewer than --folds 5" in capsys.readouterr().err


# --------------------------------------------------------------------------
# Pieces: progress, tables, the CSV benchmark


def test_progress_moves_with_time_left():
    stream = io.StringIO()
    bar = Progress(4, "job", stream=stream, start_message="(4 things)")
    assert stream.getvalue() == "job: 4 fits to run (4 things)\n"  # at once
    for i in range(4):
        bar.update(f"fit {i}", weight=1.0)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 5
    assert re.fullmatch(
        r"job: 1/4 fits, \d+s elapsed, about \d+s left \(fit 0\)", lines[1]
    )
    assert lines[-1].startswith("job: 4/4 fits") and "done" in lines[-1]


def test_progress_heartbeat_during_a_long_fit():
    stream = io.StringIO()
    bar = Progress(2, "job", stream=stream, heartbeat=0.05)
    # The heartbeat thread writes while no fit ends; give it up to 10 s on a
    # loaded machine (it needs 0.05 s).
    deadline = time.monotonic() + 10
    while "still running" not in stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    bar.close()
    assert "job: still running, 0/2 fits" in stream.getvalue()
    assert "time left known after the first fit" in stream.getvalue()


def test_one_fold_is_singular():
    record = dict(
        estimator="ImplicitRegInterpolator",
        r2=0.5,
        mse=1.0,
        train_error=0.0,
        interpolated=True,
        converged=True,
        fit_time=0.1,
        warnings=Counter(),
        error=None,
    )
    records = [
        {**record, "fold": 0, "best_params": {"m__init_scale": 1e-3}},
        {**record, "fold": 1, "best_params": {"m__init_scale": 1e-3}},
        {**record, "fold": 2, "best_params": {"m__init_scale": 0.1}},
    ]
    notes = cv_table(records).notes
    assert (
        "note: ImplicitRegInterpolator chose init_scale=0.001 (2 folds); "
        "init_scale=0.1 (1 fold)"
    ) in notes


def test_relative_mse():
    assert relative_mse([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 0.0
    assert relative_mse([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]) == 1.0
    assert relative_mse([2.0, 2.0], [1.0, 3.0]) == 1.0  # constant y: plain MSE


def test_bench_csv_runs(capsys):
    import runpy

    bench = runpy.run_path(str(ROOT / "benchmarks" / "bench_csv.py"))["main"]
    # The script itself checks that the numbers read are the numbers written.
    results = bench(["--rows", "20", "--cols", "30", "--repeats", "1"])
    assert set(results) == {"repr (17 digits)", "%.6g"}
    for row in results.values():
        wall, cpu = row["sk-implicit read_csv"]
        assert wall > 0 and cpu >= 0
        assert row["line-by-line parser"][0] > 0
        if "pandas.read_csv" in row:
            assert 0 < row["wall_ratio"] < np.inf
    assert "sk-implicit read_csv" in capsys.readouterr().out


# --------------------------------------------------------------------------
# Usage


@pytest.mark.parametrize(
    "args",
    [
        ["--data", "x.csv"],
        ["--target", "y"],
        ["--seeds", "0"],
        ["--noise", "-1"],
        ["--n-features"],
    ],
)
def test_usage_errors(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in ["--n-features", "--seeds", "--data", "--target", "--out"]:
        assert option in out
    assert "--report" in out and "--version" in out

    assert out.startswith("usage: sk-implicit")
