"""BLAS threads around the fits: limited during, restored after, thread-safe."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_info

import sk_implicit._threads as threads_module
from sk_implicit import ImplicitRegInterpolator
from sk_implicit._threads import BlasThreads
from sk_implicit.datasets import make_sparse_regression


def _blas_threads():
    return [
        lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"
    ]


def test_single_limits_and_restores_even_when_nested():
    before = _blas_threads()
    outer, inner = BlasThreads(), BlasThreads()
    with outer.single():
        assert all(n == 1 for n in _blas_threads())
        with inner.single():  # a second fit meanwhile: still one thread
            assert all(n == 1 for n in _blas_threads())
            with outer.for_product(1e12):  # two fits: no extra threads
                assert all(n == 1 for n in _blas_threads())
        # The inner fit left; the outer one still runs with one thread.
        assert all(n == 1 for n in _blas_threads())
        with outer.for_product(1e12):  # alone again: the caller's threads
            assert _blas_threads() == before
    assert _blas_threads() == before
    assert threads_module._active == 0


def test_concurrent_fits_restore_the_threads_and_equal_serial_fits():
    before = _blas_threads()
    problems = [
        make_sparse_regression(40, 300, 3, noise=0.5, random_state=seed)[:2]
        for seed in range(4)
    ]
    serial = [ImplicitRegInterpolator(cv=3).fit(X, y).coef_ for X, y in problems]
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [
            pool.submit(
                lambda X, y: ImplicitRegInterpolator(cv=3).fit(X, y).coef_, X, y
            )
            for X, y in problems
        ]
        concurrent = [f.result() for f in futures]
    for a, b in zip(serial, concurrent):
        np.testing.assert_array_equal(a, b)
    assert _blas_threads() == before
    assert threads_module._active == 0
