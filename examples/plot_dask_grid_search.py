"""
==================================
Grid search on a Dask cluster
==================================

A grid search is a bag of independent fits: every candidate ``init_scale`` on
every fold. joblib's ``dask`` backend sends them to the workers of a `Dask
<https://distributed.dask.org>`_ cluster, and scikit-learn's ``GridSearchCV``
uses joblib: the code of the search does not change, nor its result.

Here the cluster is a :class:`~dask.distributed.LocalCluster` of two worker
processes on this machine; the last section says what changes on a real
cluster. Dask is an optional dependency of sk-implicit:
``pip install "sk-implicit[distributed]"``.
"""

# %%
# Data and search
# ---------------
# ``SK_IMPLICIT_EXAMPLE_SIZE=small`` (used by the test suite and the
# documentation build) runs a tiny version of the same code.
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from dask.distributed import Client, LocalCluster, get_task_stream
from joblib import parallel_config
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from threadpoolctl import threadpool_limits

from sk_implicit import ImplicitRegInterpolator
from sk_implicit.datasets import make_sparse_regression

SMALL = os.environ.get("SK_IMPLICIT_EXAMPLE_SIZE") == "small"
n_samples, n_features = (40, 150) if SMALL else (100, 2000)
init_scales = np.logspace(-10, 0, 3 if SMALL else 11)
n_folds = 3 if SMALL else 5

X, y, true_coef = make_sparse_regression(
    n_samples, n_features, n_informative=5, noise=0.5, random_state=0
)
search = GridSearchCV(
    ImplicitRegInterpolator(),
    {"init_scale": init_scales},
    cv=KFold(n_folds, shuffle=True, random_state=0),
    scoring="neg_mean_squared_error",
    n_jobs=-1,  # as many fits at a time as the cluster has worker threads
)

# %%
# Start the cluster
# -----------------
# Dask starts each worker as a fresh Python process, which imports this script
# again: the code that starts and uses the cluster must run in the main
# process only, under ``if __name__ == "__main__":`` (not needed in a notebook
# or IPython).
#
# One thread per worker process, and one BLAS thread per worker: Dask's
# nanny sets ``OMP_NUM_THREADS=1``, ``OPENBLAS_NUM_THREADS=1`` and
# ``MKL_NUM_THREADS=1`` before it starts a worker. More BLAS threads than
# cores make the matrix products of every fit several times slower.
if __name__ == "__main__":
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    n_workers = len(client.scheduler_info()["workers"])
    print(f"{n_workers} workers, scheduler at {cluster.scheduler_address}")

# %%
# The same search, on the cluster and serially
# --------------------------------------------
# ``parallel_config(backend="dask")`` makes every fit a Dask task.
# ``scatter=[X, y]`` ships the data to the workers once, before the tasks,
# instead of inside each of them. ``get_task_stream`` records where and when
# each task ran.
#
# The serial run is the reference. It uses one BLAS thread too, as the workers
# do (and as the final refit does, which ``GridSearchCV`` runs in this
# process): then both runs do the same arithmetic and agree to the last bit.
if __name__ == "__main__":
    with threadpool_limits(limits=1):
        start = time.perf_counter()
        with parallel_config(backend="dask", scatter=[X, y]):
            with get_task_stream(client) as task_stream:
                on_dask = clone(search).fit(X, y)
        dask_seconds = time.perf_counter() - start

        start = time.perf_counter()
        serial = clone(search).set_params(n_jobs=None).fit(X, y)
        serial_seconds = time.perf_counter() - start

    same_scores = np.array_equal(
        on_dask.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    print(
        f"best init_scale: {on_dask.best_params_['init_scale']:.0e} (Dask), "
        f"{serial.best_params_['init_scale']:.0e} (serial)"
    )
    print(f"identical cross-validation scores: {same_scores}")
    print(
        f"{len(task_stream.data)} tasks; {dask_seconds:.1f} s on Dask, "
        f"{serial_seconds:.1f} s serially"
    )

# %%
# The figures
# -----------
# Left: the validation error of every candidate, from both runs (the same
# numbers). Right: which worker ran each task, and when; at the small size the
# tasks are short and the first ones also pay for importing scikit-learn in
# the fresh worker processes, so the cluster gains little: Dask pays off when
# a single fit takes seconds or more.
if __name__ == "__main__":
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
    for label, result, style in [("serial", serial, "-"), ("Dask", on_dask, "o")]:
        left.plot(
            init_scales,
            -result.cv_results_["mean_test_score"],
            style,
            label=label,
            markersize=8 if label == "Dask" else None,
            mfc="none",
        )
    left.axvline(
        serial.best_params_["init_scale"],
        color="k",
        ls="--",
        lw=1,
        label="best init_scale",
    )
    left.set(
        xscale="log",
        xlabel="init_scale",
        ylabel="validation MSE (mean over folds)",
        title="GridSearchCV over init_scale",
    )
    left.legend()

    workers = sorted({task["worker"] for task in task_stream.data})
    origin = min(
        part["start"] for task in task_stream.data for part in task["startstops"]
    )
    for task_number, task in enumerate(task_stream.data):
        row = workers.index(task["worker"])
        for part in task["startstops"]:
            if part["action"] == "compute":
                right.barh(
                    row,
                    part["stop"] - part["start"],
                    left=part["start"] - origin,
                    color=f"C{task_number % 10}",
                    edgecolor="k",
                    lw=0.5,
                )
    right.set_yticks(
        range(len(workers)), [f"worker {i + 1}" for i in range(len(workers))]
    )
    right.set(xlabel="seconds since the first task", title="Dask tasks, by worker")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.savefig("dask_grid_search.png", dpi=120)
    plt.show()

# %%
# Close the cluster
# -----------------
if __name__ == "__main__":
    client.close()
    cluster.close()

# %%
# On a real cluster
# -----------------
# Only the start changes. Start a scheduler on one machine and workers on the
# others, one single-threaded worker process per core::
#
#     dask scheduler                                  # prints its address
#     dask worker tcp://scheduler-host:8786 --nworkers 16 --nthreads 1
#
# (or let ``dask-jobqueue`` or ``dask-kubernetes`` do it), then connect to the
# scheduler by its address instead of starting a ``LocalCluster``:
#
# .. code-block:: python
#
#     client = Client("tcp://scheduler-host:8786")
#     with parallel_config(backend="dask", scatter=[X, y]):
#         search.fit(X, y)
#
# Three things matter more there than here:
#
# - **The data are shipped once.** Without ``scatter``, every task carries a
#   copy of ``X`` over the network. With it, ``X`` and ``y`` go to each worker
#   once, and the tasks refer to them.
# - **One BLAS thread per worker process.** Workers started by a nanny (the
#   default of ``dask worker``) get ``OMP_NUM_THREADS=1``,
#   ``OPENBLAS_NUM_THREADS=1`` and ``MKL_NUM_THREADS=1``. Workers started
#   otherwise (``--no-nanny``, a container entry point) need them in their
#   environment, or ``threadpoolctl.threadpool_limits(1)`` in the process.
# - **Same software everywhere.** The workers unpickle the estimators: they
#   need the same versions of sk-implicit, scikit-learn and numpy as the
#   client.
