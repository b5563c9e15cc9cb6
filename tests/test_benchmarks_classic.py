"""Run benchmarks/bench_classic.py at a tiny size, so that it keeps working."""

import runpy
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_classic.py"
# The script imports its shared helper (benchmarks/_timing.py) as a script
# run from that folder would.
if str(BENCH.parent) not in sys.path:
    sys.path.insert(0, str(BENCH.parent))


def test_bench_classic_runs(capsys):
    main = runpy.run_path(str(BENCH))["main"]
    out = main(["--n", "15", "--d", "80", "--repeats", "1"])
    printed = capsys.readouterr().out
    assert "ratio" in printed and "MinL1Interpolator" in printed
    for key in ["l2_ratio", "l1_ratio", "l1_full_lp_ratio", "l1_intercept_ratio"]:
        assert out[key] > 0
    # The estimators and the direct computations find the same solutions.
    assert out["l2_max_abs_diff"] < 1e-10
    assert out["l1_norm_rel_diff"] < 1e-7
