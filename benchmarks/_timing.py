"""Timing helper shared by the benchmark scripts."""

import time

import numpy as np


def median_time(func, repeats):
    """Median wall-clock time of ``func()`` over ``repeats`` calls; its last result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result
