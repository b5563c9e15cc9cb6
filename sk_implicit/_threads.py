"""BLAS threads for a fit: one thread, except for the products that gain.

Most products of the path's integration involve the working set only and are
small; BLAS threads cost more than they save on them, and many times more on
a busy machine (measured on 2 cores with other work running: 18 ms with two
threads against 1 ms with one, for a 5 x 100 by 100 x 4000 product). Around
the integration, the cross-validation's finish factorises each fold's small
block; there too threads lose, the more so as numpy and scipy each bring
their own OpenBLAS, whose threads spin for a while after a call and then
compete with the other library's (measured: an SVD of a 132 x 1107 block,
14 ms alone with one or two threads, takes 27 ms with two threads right
after a numpy product; a whole fit on the permeability data, 0.66 s with
one thread against 1.0 s with two). So a fit runs with one BLAS thread, and
products large enough to gain from threads get back the number of threads
the caller had (which joblib's workers, e.g. under
``GridSearchCV(n_jobs=-1)``, already limit to avoid oversubscription).
threadpoolctl is a dependency of scikit-learn.
"""

import threading
import warnings
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

# Multiply-adds from which a product uses the caller's BLAS threads. (Raising
# the threads for a product and lowering them again has its own cost, which
# is erratic: at 2e7, the folds' Gram matrix of n=200, d=2000 (8e7) took
# 2 ms, or 10-65 ms in one fit in three, and fits took 0.137-0.204 s
# (median of 15, three runs) against 0.104-0.107 s at 2e8, where it stays
# on one thread. At d=20000 (products of 5e7 and 8e8) the two tie.)
LARGE_PRODUCT = 2e8

# BLAS thread limits are global to the process, and fits may run in several
# Python threads at once (joblib's threading backend): the first fit to enter
# limits BLAS to one thread and the last to leave restores the caller's
# setting; a large product uses the caller's threads only while a single fit
# is running (under the lock, so no other fit changes the limit meanwhile).
_lock = threading.RLock()
_active = 0
_restore = None  # threadpoolctl's limiter of the first entrant
_caller = 1  # the BLAS threads the process had before the first entrant
# Building a ThreadpoolController scans the process's shared libraries (about
# 2.5 ms, twice a fit: 1-2% of a small fit), so one is built and kept, as
# scikit-learn does (sklearn.utils.parallel). Its thread counts are read
# live; only a BLAS loaded after the first fit would be missed (its threads
# are then left as they are).
_shared_controller = None
# Depth of `single` in each Python thread: a fit nests it (the estimator's
# fit, then its integrator) and counts once.
_local = threading.local()


def _controller():
    global _shared_controller
    with _lock:
        if _shared_controller is None:
            _shared_controller = ThreadpoolController()
        return _shared_controller


def _blas_threads(controller):
    return max(
        (lib["num_threads"] for lib in controller.info() if lib["user_api"] == "blas"),
        default=1,
    )


class BlasThreads:
    """One BLAS thread for a fit, the caller's for large products."""

    def __init__(self):
        self._controller = _controller()

    @contextmanager
    def single(self):
        """One BLAS thread while the context is open (a context manager).

        Re-entrant within a Python thread: a nested call is part of the same
        fit.
        """
        global _active, _restore, _caller
        depth = getattr(_local, "depth", 0)
        if depth:
            _local.depth = depth + 1
            try:
                yield
            finally:
                _local.depth = depth
            return
        with _lock:
            if _active == 0:
                _caller = _blas_threads(self._controller)
                _restore = (
                    self._controller.limit(limits=1, user_api="blas")
                    if _caller > 1
                    else None
                )
            _active += 1
        _local.depth = 1
        try:
            yield
        finally:
            _local.depth = 0
            with _lock:
                _active -= 1
                if _active == 0 and _restore is not None:
                    _restore.restore_original_limits()
                    _restore = None
                    # OpenBLAS ignores a raise from another thread than the
                    # one that lowered the count: never leave that silent.
                    if _blas_threads(self._controller) < _caller:
                        warnings.warn(
                            f"BLAS stays at one thread (it had {_caller}): "
                            "OpenBLAS does not let this thread raise the "
                            "count the main thread lowered. Call "
                            "threadpoolctl.threadpool_limits("
                            f"limits={_caller}) from the main thread.",
                            RuntimeWarning,
                            stacklevel=3,
                        )

    @contextmanager
    def for_product(self, work):
        """The caller's threads if ``work`` multiply-adds make it worth it.

        Only inside :meth:`single` and while no other fit is running.
        """
        if _caller <= 1 or work < LARGE_PRODUCT or _active != 1:
            yield
            return
        with _lock:
            if _active != 1:
                yield
                return
            with self._controller.limit(limits=_caller, user_api="blas"):
                yield
