"""BLAS threads for the integrator: one thread for the small products of a step.

Most products of the path's integration involve the working set only and are
small; BLAS threads cost more than they save on them, and many times more on
a busy machine (measured on 2 cores with other work running: 18 ms with two
threads against 1 ms with one, for a 5 x 100 by 100 x 4000 product). The
integration therefore runs with one BLAS thread, and products with the whole
``X`` that are large enough to gain from threads get back the number of
threads the caller had (which joblib's workers, e.g. under
``GridSearchCV(n_jobs=-1)``, already limit to avoid oversubscription).
threadpoolctl is a dependency of scikit-learn.
"""

import threading
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

# Multiply-adds from which a product uses the caller's BLAS threads.
LARGE_PRODUCT = 2e7

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
    """One BLAS thread for the integration, the caller's for large products."""

    def __init__(self):
        self._controller = _controller()

    @contextmanager
    def single(self):
        """One BLAS thread while the context is open (a context manager)."""
        global _active, _restore, _caller
        with _lock:
            if _active == 0:
                _caller = _blas_threads(self._controller)
                _restore = (
                    self._controller.limit(limits=1, user_api="blas")
                    if _caller > 1
                    else None
                )
            _active += 1
        try:
            yield
        finally:
            with _lock:
                _active -= 1
                if _active == 0 and _restore is not None:
                    _restore.restore_original_limits()
                    _restore = None

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
