"""BLAS threads around the fits: limited during, restored after, thread-safe."""

import threading
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
    assert len(seen) == 3 and all(n == 1 for n in seen)


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
