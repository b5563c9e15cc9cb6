"""BLAS threads around the fits: limited during, restored after, thread-safe."""

import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import sk_implicit._threads as threads_module
from sk_implicit import ImplicitRegInterpolator
from sk_implicit._threads import BlasThreads
from sk_implicit.datasets import make_sparse_regression


def _blas_threads():
    return [
        lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"
    ]


# These tests check that a fit lowers the BLAS threads and restores them: with
# one thread to start with (OPENBLAS_NUM_THREADS=1, a 1-core machine) they
# could not fail.
needs_threads = pytest.mark.skipif(
    max(_blas_threads(), default=1) < 2, reason="BLAS has a single thread"
)


@needs_threads
def test_single_limits_and_restores_even_when_nested():
    before = _blas_threads()
    outer, inner = BlasThreads(), BlasThreads()
    with outer.single():
        assert all(n == 1 for n in _blas_threads())
        with inner.single():  # nested in the same thread: the same fit
            assert all(n == 1 for n in _blas_threads())
            assert threads_module._active == 1
            with inner.for_product(1e12):  # alone: the caller's threads
                assert _blas_threads() == before
            with inner.for_product(1e3):  # too small to gain
                assert all(n == 1 for n in _blas_threads())
        assert all(n == 1 for n in _blas_threads())
    assert _blas_threads() == before
    assert threads_module._active == 0


@needs_threads
def test_a_second_fit_in_another_thread_gets_no_extra_threads():
    before = _blas_threads()
    entered, leave = threading.Event(), threading.Event()

    def other_fit():
        with BlasThreads().single():
            entered.set()
            leave.wait(timeout=30)

    with BlasThreads().single():
        worker = threading.Thread(target=other_fit)
        worker.start()
        assert entered.wait(timeout=30)
        assert threads_module._active == 2
        with BlasThreads().for_product(1e12):  # two fits: no extra threads
            assert all(n == 1 for n in _blas_threads())
        leave.set()
        worker.join()
        # The other fit left; this one still runs with one thread.
        assert all(n == 1 for n in _blas_threads())
        with BlasThreads().for_product(1e12):  # alone again
            assert _blas_threads() == before
    assert _blas_threads() == before
    assert threads_module._active == 0


@needs_threads
def test_a_fit_runs_on_one_blas_thread(monkeypatch):
    # The cross-validation's finish, not only the integration, runs with one
    # thread: here the SVD of each tall fold's (small) block.
    import sk_implicit._cv_finish as cv_finish

    seen, real_svd = [], cv_finish.scipy.linalg.svd

    def svd(*args, **kwargs):
        seen.append(max(_blas_threads()))
        return real_svd(*args, **kwargs)

    monkeypatch.setattr(cv_finish.scipy.linalg, "svd", svd)
    X, y = make_sparse_regression(60, 30, 3, noise=0.5, random_state=0)[:2]
    X[:, 1] = X[:, 0]  # rank-deficient (else least squares, no path)
    ImplicitRegInterpolator(cv=3).fit(X, y)  # folds of 40 rows, 30 columns
    # (3 folds; the path's own SVDs of stiff blocks, if any, count too.)
    assert len(seen) >= 3 and all(n == 1 for n in seen)


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


@needs_threads
def test_threads_are_restored_or_a_warning_says_why():
    # A fit in the main thread starts first, one in a worker thread finishes
    # last. Some OpenBLAS builds ignore the worker's restore (numpy 2.4's
    # and scipy 1.17's do): then a RuntimeWarning, never a silent change.
    before = _blas_threads()
    main_in, worker_in, main_out = (threading.Event() for _ in range(3))
    caught = []

    def worker_fit():
        main_in.wait(timeout=30)
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            with BlasThreads().single():
                worker_in.set()
                main_out.wait(timeout=30)
        caught.extend(w.category for w in record)

    worker = threading.Thread(target=worker_fit)
    worker.start()
    with BlasThreads().single():
        main_in.set()
        assert worker_in.wait(timeout=30)
    main_out.set()
    worker.join()
    assert threads_module._active == 0
    if _blas_threads() != before:
        assert RuntimeWarning in caught
        threadpool_limits(limits=max(before))  # (from the main thread: works)
    assert _blas_threads() == before
