"""Grid search on a Dask cluster gives exactly the serial result.

Two worker processes of a ``dask.distributed.LocalCluster`` run the fits of a
``GridSearchCV`` through joblib's ``dask`` backend: the estimators must be
picklable, keep no state between fits and depend on nothing but their
parameters and data, so that where a fit runs cannot change what it computes.
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

from sk_implicit import ImplicitRegInterpolator
from sk_implicit.datasets import make_sparse_regression

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")
threadpoolctl = pytest.importorskip("threadpoolctl")

# What GridSearchCV computes; the rest of cv_results_ are timings.
RESULT_KEYS = (
    "params",
    "split0_test_score",
    "split1_test_score",
    "split2_test_score",
    "mean_test_score",
    "std_test_score",
    "rank_test_score",
    "mean_train_score",
)


@pytest.fixture(scope="module")
def client():
    # Processes, as on a real cluster: the estimators travel pickled. One
    # thread per worker and no dashboard (its port may be taken on CI). Dask
    # gives each worker process one BLAS thread (its nanny sets
    # OMP_NUM_THREADS=1 and the like before starting it).
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_grid_search_on_dask_equals_serial(client):
    # Small data (a fit takes a fraction of a second) with a signal and noise,
    # so the candidates differ and the best one is a real choice.
    X, y, _ = make_sparse_regression(40, 120, 3, noise=0.5, random_state=0)
    search = GridSearchCV(
        ImplicitRegInterpolator(),
        {"init_scale": [1e-8, 1e-4, 1e-2, 1.0]},
        cv=KFold(3, shuffle=True, random_state=0),
        scoring="neg_mean_squared_error",
        return_train_score=True,
        n_jobs=-1,
    )
    # Here too one BLAS thread, as in the workers (and for the refit, which
    # GridSearchCV runs in this process): a multi-threaded BLAS may sum in
    # another order and change the last bits, which says nothing about Dask.
    with threadpoolctl.threadpool_limits(limits=1):
        serial = clone(search).set_params(n_jobs=None).fit(X, y)
        with joblib.parallel_config(backend="dask"):
            with distributed.get_task_stream(client) as tasks:
                on_dask = clone(search).fit(X, y)

    # The fits really ran on both workers: 4 candidates x 3 folds + the refit
    # make at least 12 tasks, which Dask spreads over the two idle workers.
    workers = {task["worker"] for task in tasks.data}
    assert len(workers) == 2, workers

    # Exactly equal, not close: the same arithmetic on the same data.
    assert on_dask.best_params_ == serial.best_params_
    assert on_dask.best_index_ == serial.best_index_
    for key in RESULT_KEYS:
        if key == "params":
            assert on_dask.cv_results_[key] == serial.cv_results_[key]
        else:
            np.testing.assert_array_equal(
                on_dask.cv_results_[key], serial.cv_results_[key], err_msg=key
            )
    np.testing.assert_array_equal(
        on_dask.best_estimator_.coef_, serial.best_estimator_.coef_
    )
    # The candidates differ, so agreeing on the best one is not a tie-break.
    assert len(set(serial.cv_results_["mean_test_score"])) == 4
