"""Timing and run-environment helpers shared by the benchmark scripts."""

import contextlib
import datetime
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

_PACKAGES = ("sk-implicit", "scikit-learn", "numpy", "scipy", "abess", "skglm")


def median_time(func, repeats):
    """Median wall-clock time of ``func()`` over ``repeats`` calls; its last result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def timed(func):
    """``(func(), wall-clock seconds)``."""
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def blas_threads():
    """``{"openblas": 2, ...}``: the thread count of each loaded BLAS/OpenMP pool."""
    from threadpoolctl import threadpool_info

    return {
        info.get("internal_api", info["user_api"]): info["num_threads"]
        for info in threadpool_info()
    }


def _git_commit():
    root = Path(__file__).resolve().parents[1]
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "sk_implicit"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return commit + ("+dirty sk_implicit" if dirty else "")
    return None


def environment(argv):
    """What a result file needs for comparisons: versions, commit, threads."""
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "argv": list(argv),
        "git_commit": _git_commit(),
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "versions": versions,
        "blas_threads": blas_threads(),
    }
