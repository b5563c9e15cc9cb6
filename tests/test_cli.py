"""The command line: ``python -m sk_implicit`` and ``sk-implicit``."""

import re
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone

from sk_implicit.__main__ import main
from sk_implicit._experiment import (
    ESTIMATOR_NAMES,
    LASSO,
    DataError,
    TwoStepInterpolator,
    read_csv,
)

# Small problems and sequential fits keep every command below to seconds.
FAST = ["--n-jobs", "1", "--quiet"]
INTERPOLATORS = [name for name in ESTIMATOR_NAMES if name != LASSO]


def parse_table(text):
    """``{row name: {column: cell}}`` from a table printed by the command."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line and set(line) == {"-"})
    # Names contain single spaces ("train err"); cells are 2+ spaces apart.
    header = re.split(r"\s{2,}", lines[rule - 1].strip())
    table = {}
    for line in lines[rule + 1 :]:
        if not line.strip() or line.startswith(("note:", "figure", "total")):
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


def test_synthetic_experiment(tmp_path, capsys):
    args = ["--n-samples", "40", "--n-features", "100", "200", "--seeds", "1"]
    assert main([*args, "--out", str(tmp_path), *FAST]) == 0
    out = capsys.readouterr().out
    table = parse_table(out)
    assert list(table) == list(ESTIMATOR_NAMES)
    for name, row in table.items():
        assert list(row) == ["d=100", "d=200", "train err", "fit s"]
        assert all(float(row[col]) >= 0 for col in row), name
    # Everyone but the Lasso fits the training data exactly; the minimum-l2
    # interpolator misses the sparse signal that the others find.
    for name in INTERPOLATORS:
        assert float(table[name]["train err"]) < 1e-3, name
    assert float(table[LASSO]["train err"]) > 1e-3
    risk = {name: float(row["d=200"]) for name, row in table.items()}
    assert risk["ImplicitRegInterpolator"] < risk["MinL2Interpolator"]
    figure = tmp_path / "sk_implicit_excess_risk.png"
    assert figure.stat().st_size > 0
    assert str(figure) in out


def test_progress_bar_on_stderr(tmp_path, capsys):
    args = ["--n-samples", "30", "--n-features", "60", "--seeds", "1", "--no-plot"]
    assert main([*args, "--n-jobs", "1"]) == 0
    captured = capsys.readouterr()
    assert "5/5 fits" in captured.err
    assert "fits" not in captured.out
    assert not list(tmp_path.iterdir())


def test_without_matplotlib(tmp_path, capsys, monkeypatch):
    # None in sys.modules makes `import matplotlib` raise ImportError.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    args = ["--n-samples", "30", "--n-features", "60", "--seeds", "1"]
    assert main([*args, "--out", str(tmp_path), *FAST]) == 0
    captured = capsys.readouterr()
    assert list(parse_table(captured.out)) == list(ESTIMATOR_NAMES)
    assert "matplotlib is not installed" in captured.err
    assert not list(tmp_path.iterdir())


def test_cross_validation_on_csv(tmp_path, capsys):
    # d > n per fold, so that the interpolators interpolate.
    X, y = sparse_data(45, 120)
    path = write_csv(tmp_path / "data.csv", X, y, target="response")
    args = ["--data", str(path), "--target", "response", "--folds", "3"]
    args += ["--inner-folds", "2", "--init-scales", "1e-3", "1e-1"]
    assert main([*args, "--out", str(tmp_path), *FAST]) == 0
    out = capsys.readouterr().out
    table = parse_table(out)
    assert list(table) == list(ESTIMATOR_NAMES)
    columns = ["R2 mean", "R2 std", "MSE mean", "MSE std", "train err", "fit s"]
    for row in table.values():
        assert list(row) == columns
    for name in INTERPOLATORS:
        assert float(table[name]["train err"]) < 1e-3, name
    assert float(table[LASSO]["train err"]) > 1e-3
    # The signal is strong: the sparse learners predict, min-l2 hardly does.
    assert float(table[LASSO]["R2 mean"]) > 0.5
    assert float(table["ImplicitRegInterpolator"]["R2 mean"]) > 0.3
    assert "init_scale=" in out  # the grid search's choices are reported
    assert (tmp_path / "sk_implicit_cv_scores.png").stat().st_size > 0


def test_read_csv_semicolons_and_blank_lines(tmp_path):
    X, y = sparse_data(6, 3)
    path = write_csv(tmp_path / "data.csv", X, y, delimiter=";")
    path.write_text(path.read_text() + "\n\n")
    X_read, y_read, names = read_csv(path, "y")
    np.testing.assert_allclose(X_read, X)
    np.testing.assert_allclose(y_read, y)
    assert names == ["x0", "x1", "x2"]


@pytest.mark.parametrize(
    "content, target, message",
    [
        (None, "y", "cannot read"),
        ("a,b,y\n1,2,3\n", "price", "column 'price' not found"),
        ("a,b,y\n1,2,3\n1,red,4\n", "y", "column 'b' is not numeric"),
        ("a,b,y\n1,2,3\n1,nan,4\n", "y", "column 'b' has a missing value"),
        ("a,b,y\n1,2,3\n1,,4\n", "y", "column 'b' has a missing value"),
        ("a,b,y\n1,2,3\n1,2\n", "y", "2 fields, expected 3"),
        ("a,b,y\n", "y", "no data rows"),
        ("", "y", "is empty"),
    ],
)
def test_bad_data_one_line_error(tmp_path, capsys, content, target, message):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content)
    status = main(["--data", str(path), "--target", target, *FAST])
    assert status == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err.startswith("sk-implicit: error:")
    assert message in err
    with pytest.raises(DataError, match=re.escape(message)):
        read_csv(path, target)


def test_fewer_rows_than_folds(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("a,y\n1,2\n2,3\n")
    assert main(["--data", str(path), "--target", "y", *FAST]) == 2
    assert "fewer than --folds 5" in capsys.readouterr().err


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


def test_python_dash_m_help():
    result = subprocess.run(
        [sys.executable, "-m", "sk_implicit", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: sk-implicit")


def test_two_step_interpolator_interpolates():
    X, y = sparse_data(30, 80)
    model = clone(TwoStepInterpolator()).fit(X, y)
    np.testing.assert_allclose(model.predict(X), y, atol=1e-8)
    assert model.sparse_estimator_.coef_.shape == (80,)
    np.testing.assert_allclose(
        model.coef_, model.sparse_estimator_.coef_ + model.dense_estimator_.coef_
    )
