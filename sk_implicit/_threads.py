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

from contextlib import nullcontext

from threadpoolctl import ThreadpoolController

# Multiply-adds from which a product uses the caller's BLAS threads.
LARGE_PRODUCT = 2e7


class BlasThreads:
    """The caller's BLAS threads, and contexts to use one or all of them."""

    def __init__(self):
        self._controller = ThreadpoolController()
        self.caller = max(
            (
                lib["num_threads"]
                for lib in self._controller.info()
                if lib["user_api"] == "blas"
            ),
            default=1,
        )

    def single(self):
        """One BLAS thread (a context manager)."""
        if self.caller <= 1:
            return nullcontext()
        return self._controller.limit(limits=1, user_api="blas")

    def for_product(self, work):
        """The caller's threads if ``work`` multiply-adds make it worth it."""
        if self.caller <= 1 or work < LARGE_PRODUCT:
            return nullcontext()
        return self._controller.limit(limits=self.caller, user_api="blas")
